"""The flat outputs file of a deployment: ``.sandbox/outputs-<env>.json``.

``terraform output -json`` gives ``{name: {value, type, sensitive}}``; the file
keeps ``{name: value}`` (sensitive values included: the API key is what the CLI
and the tests need; the directory is git-ignored and the file is private to
its owner). It is what the original's get-outputs step produced, and what the
CLI, the demo and the integration tests read.

In the sandbox ``api_url`` is the local API front's URL for the deployed API
and stage; Terraform's own (the execute-api URL, which does not resolve here)
stays as ``api_invoke_url``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[2]


class OutputsMissing(FileNotFoundError):
    """No outputs file for the environment: nothing deployed (or written) yet."""


def outputs_dir() -> Path:
    return Path(os.environ.get("FILEPROC_SANDBOX_DIR") or REPO_ROOT / ".sandbox")


def outputs_path(env: str) -> Path:
    return outputs_dir() / f"outputs-{env}.json"


def flatten(terraform_output: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """``terraform output -json`` as ``{name: value}``."""
    return {name: spec["value"] for name, spec in terraform_output.items()}


def with_local_api_url(outputs: Mapping[str, Any], api_endpoint: str) -> dict[str, Any]:
    """The sandbox's outputs: api_url (and console_url) served by the API front (api_front.py)."""
    local = dict(outputs)
    if "api_id" in outputs and "api_stage_name" in outputs:
        local["api_invoke_url"] = outputs.get("api_url")
        local["api_url"] = f"{api_endpoint}/{outputs['api_id']}/{outputs['api_stage_name']}"
        # The console is a path of the same API (modules/console).
        invoke_url = str(outputs.get("api_url"))
        console_url = outputs.get("console_url")
        if isinstance(console_url, str) and console_url.startswith(invoke_url):
            local["console_url"] = local["api_url"] + console_url[len(invoke_url) :]
    return local


def write(env: str, outputs: Mapping[str, Any]) -> Path:
    path = outputs_path(env)
    path.parent.mkdir(parents=True, exist_ok=True)
    staging = path.with_suffix(".tmp")
    # Owner-only from the start: the file holds the API key.
    fd = os.open(staging, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        json.dump(dict(outputs), handle, indent=2, sort_keys=True)
        handle.write("\n")
    staging.replace(path)
    return path


def load(env: str) -> dict[str, Any]:
    """The outputs of an environment, as written by ``make deploy`` / ``make outputs``."""
    path = outputs_path(env)
    try:
        loaded: dict[str, Any] = json.loads(path.read_text())
    except FileNotFoundError:
        raise OutputsMissing(
            f"{path} does not exist: run `make deploy ENV={env}` (or `make outputs ENV={env}` "
            "after a deploy)"
        ) from None
    return loaded
