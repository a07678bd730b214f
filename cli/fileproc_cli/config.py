"""Where the API is and its key: options, then the environment, then the outputs file.

Each of the two settings is taken from the first place that has it:
``--api-url``/``--api-key``, ``FILEPROC_API_URL``/``FILEPROC_API_KEY``, then the
deployment's outputs file (``.sandbox/outputs-<env>.json``, written by
``make deploy``; ``--env`` chooses it, default sandbox). The file is read only
when an option and the environment leave something unset, so a shell with
both variables never needs a deployment on this machine.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fileproc_cli import outputs
from fileproc_cli.errors import ConfigError

DEFAULT_ENV = "sandbox"
URL_VARIABLE = "FILEPROC_API_URL"
KEY_VARIABLE = "FILEPROC_API_KEY"


@dataclass(frozen=True)
class ApiConfig:
    url: str  # the stage's base URL; routes are under /files
    key: str = ""  # the x-api-key value; empty for a test server that does not check it

    def __post_init__(self) -> None:
        object.__setattr__(self, "url", self.url.rstrip("/"))

    def __repr__(self) -> str:  # the key stays out of tracebacks and logs
        return f"ApiConfig(url={self.url!r}, key={'***' if self.key else ''!r})"


def display_path(path: Path) -> str:
    """The path relative to the working directory when it is under it (shorter in messages)."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def _deploy_hint(env: str) -> str:
    if env == DEFAULT_ENV:
        return "deploy the sandbox (make deploy ENV=sandbox)"
    return f"deploy {env} or fetch its outputs (make deploy ENV={env} / make outputs ENV={env})"


def _check_sandbox_start(found: Mapping[str, Any], path: Path, env: str) -> None:
    """An outputs file of a sandbox deployment holds for that start of the sandbox only:
    a restarted sandbox has none of it (the URL answers, the key is unknown)."""
    import fileproc_sandbox as sandbox

    deployed_to = found.get(sandbox.START_ID_OUTPUT)
    if not deployed_to:
        return
    running = sandbox.start_id()
    if running == deployed_to:
        return
    state = "is not running" if running is None else "has been restarted since"
    raise ConfigError(
        f"{display_path(path)} is stale: it describes a deployment to a sandbox that {state}, "
        f"and nothing deployed survives a sandbox restart; redeploy (make deploy ENV={env})"
    )


def resolve(
    api_url: str | None = None,
    api_key: str | None = None,
    env: str = DEFAULT_ENV,
    environ: Mapping[str, str] | None = None,
) -> ApiConfig:
    """The API to talk to; ConfigError naming every way to provide what is missing."""
    environ = os.environ if environ is None else environ
    url = api_url or environ.get(URL_VARIABLE) or None
    key = api_key or environ.get(KEY_VARIABLE) or None
    if url is None or key is None:
        path = outputs.outputs_path(env)
        found: dict[str, Any] = {}
        try:
            found = outputs.load(env)
        except outputs.OutputsMissing:
            pass
        except ValueError as exc:  # a damaged file: say which, rather than "no API key"
            raise ConfigError(f"{display_path(path)} is not valid JSON ({exc})") from None
        _check_sandbox_start(found, path, env)
        where = f"{_deploy_hint(env)} so {display_path(path)} has one"
        if url is None:
            url = found.get("api_url") or None
            if url is None:
                raise ConfigError(f"no API URL: pass --api-url, set {URL_VARIABLE}, or {where}")
        if key is None:
            key = found.get("api_key_value") or None
            if key is None:
                raise ConfigError(f"no API key: pass --api-key, set {KEY_VARIABLE}, or {where}")
    if not url.startswith(("http://", "https://")):
        raise ConfigError(f"API URL {url!r} must start with http:// or https://")
    return ApiConfig(url=url, key=key)
