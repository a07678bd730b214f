"""The stack under test: a private sandbox, the root module applied to it with tftest, and
the clients, API calls and waits the tests share (the fixtures are in conftest.py).

Everything is isolated from a developer's own sandbox and from ``make demo``: free ports,
the sandbox's directory (logs, code cache, outputs file) and Terraform's working directory in
pytest's temporary directory, and the state under a key of its own in that sandbox's S3.
"""

from __future__ import annotations

import json
import shutil
import socket
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import pytest
import requests
import tftest
from botocore.config import Config

import fileproc_sandbox as sandbox
from fileproc_cli import outputs
from fileproc_sandbox import credentials
from fileproc_tools import build

ENV = "sandbox"
STATE_KEY = "integration-tests/terraform.tfstate"
# The sandbox's tfvars, except for what makes a message that fails every time reach its DLQ
# in about a minute rather than nine: visibility timeout = 6 x function timeout + batching
# window (30 s for the document processor) and two receives.
DOCUMENT_TIMEOUT_SECONDS = 5
MAX_RECEIVE_COUNT = 2
OVERRIDES: dict[str, Any] = {
    "functions": {
        "image": {"timeout_seconds": 30, "batching_window_seconds": 0},
        "document": {"timeout_seconds": DOCUMENT_TIMEOUT_SECONDS, "batching_window_seconds": 0},
        "data": {"timeout_seconds": 30, "batching_window_seconds": 0},
    },
    "max_receive_count": MAX_RECEIVE_COUNT,
}
# Generous: two shared cores, cold starts of four functions, other people's jobs.
PROCESSING_TIMEOUT_SECONDS = 120.0
LOG_TAIL_LINES = 60

T = TypeVar("T")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def build_zips(out_dir: Path) -> dict[str, Any]:
    """The function, layer and console zips for the sandbox's runtime and architecture, built into
    out_dir (not build/, which ``make deploy`` and the demo use), each function within its
    size limit (as ``make build`` checks); the wheel cache is shared."""
    target = build.target_for_env(ENV)
    function_zip = build.build_function(build.LAMBDA_SRC, out_dir)
    layers = build.build_layers(
        target, build.REQUIREMENTS, out_dir, cache_root=build.BUILD_DIR / "wheels"
    )
    build.check_function_sizes(function_zip, layers, target, out_dir)
    console_zip = build.build_console(build.CONSOLE_SRC, out_dir)
    return {
        "function_zip_path": str(function_zip),
        "layer_zip_paths": {name: str(path) for name, path in layers.items()},
        "console": {"zip_path": str(console_zip)},
    }


@dataclass(frozen=True)
class Ticket:
    """What ``POST /files`` answers: the id, the object key and the presigned POST."""

    file_id: str
    key: str
    url: str
    fields: dict[str, str]


class NoKey:
    """Send no x-api-key header at all."""


NO_KEY = NoKey()


@dataclass
class Stack:
    settings: sandbox.Settings
    tf: tftest.TerraformTest
    var_args: list[str]
    outputs: dict[str, Any] = field(default_factory=dict)
    destroyed: bool = False

    # --- Terraform ------------------------------------------------------------------------

    def terraform(self, command: str, *args: str) -> str:
        """A terraform command in the root module; its output (tftest raises on failure)."""
        result = self.tf.execute_command(command, "-no-color", *args)
        return str(result.out)

    def init(self, *backend_args: str) -> None:
        self.terraform("init", "-input=false", *backend_args)

    def apply(self) -> None:
        self.terraform("apply", "-input=false", "-auto-approve", *self.var_args)
        values = self.tf.output(json_format=True)  # tftest's reader: name -> value
        flat = {name: values[name] for name in values}
        self.outputs = outputs.with_local_api_url(flat, self.settings.api_endpoint)
        # Where the CLI looks for them (FILEPROC_SANDBOX_DIR is this sandbox's directory).
        outputs.write(ENV, self.outputs)

    def plan(self) -> tftest.TerraformPlanOutput:
        with tempfile.TemporaryDirectory(prefix="fileproc-plan-") as scratch:
            plan_file = Path(scratch) / "second.tfplan"
            self.terraform("plan", "-input=false", f"-out={plan_file}", *self.var_args)
            shown = self.tf.execute_command("show", "-no-color", "-json", str(plan_file))
            return tftest.TerraformPlanOutput(json.loads(shown.out))

    def destroy(self) -> None:
        if not self.destroyed:
            self.terraform("destroy", "-input=false", "-auto-approve", *self.var_args)
            self.destroyed = True

    # --- names --------------------------------------------------------------------------------

    @property
    def endpoint(self) -> str:
        return self.settings.endpoint

    @property
    def region(self) -> str:
        return str(self.outputs["region"])

    @property
    def prefix(self) -> str:
        return str(self.outputs["name_prefix"])

    @property
    def bucket(self) -> str:
        return str(self.outputs["bucket_name"])

    @property
    def table(self) -> str:
        return str(self.outputs["table_name"])

    # --- AWS and the API -------------------------------------------------------------------

    def client(self, service: str, config: Config | None = None) -> Any:
        region = self.outputs.get("region", "us-east-1")
        return credentials.client(service, self.endpoint, region, config)

    def api(
        self, method: str, path: str, *, key: str | NoKey | None = None, **kwargs: Any
    ) -> requests.Response:
        """A request to the deployed API through the API front; the stack's key unless told."""
        headers = dict(kwargs.pop("headers", {}))
        if not isinstance(key, NoKey):
            headers["x-api-key"] = key if key is not None else self.outputs["api_key_value"]
        return requests.request(
            method, f"{self.outputs['api_url']}{path}", headers=headers, timeout=60, **kwargs
        )

    def request_upload(self, filename: str, content_type: str, size: int) -> Ticket:
        """``POST /files``: the file id and the presigned POST for its bytes."""
        reply = self.api(
            "POST",
            "/files",
            json={"filename": filename, "content_type": content_type, "size": size},
        )
        assert reply.status_code == 201, f"POST /files {filename}: {reply.status_code} {reply.text}"
        answer = reply.json()
        upload = answer["upload"]
        return Ticket(answer["file_id"], upload["fields"]["key"], upload["url"], upload["fields"])

    def send_upload(self, ticket: Ticket, filename: str, content_type: str, body: bytes) -> None:
        """The presigned POST, as a browser form sends it (the fields, then the file)."""
        reply = requests.post(
            ticket.url,
            data=ticket.fields,
            files={"file": (filename, body, content_type)},
            timeout=60,
        )
        assert reply.status_code in (200, 201, 204), f"upload {filename}: {reply.text}"

    def upload(self, filename: str, content_type: str, body: bytes) -> Ticket:
        ticket = self.request_upload(filename, content_type, len(body))
        self.send_upload(ticket, filename, content_type, body)
        return ticket

    def record(self, file_id: str) -> dict[str, Any] | None:
        """The file's record as ``GET /files/{id}`` returns it; None while it is unknown."""
        reply = self.api("GET", f"/files/{file_id}")
        if reply.status_code == 404:
            return None
        assert reply.status_code == 200, f"GET /files/{file_id}: {reply.status_code} {reply.text}"
        found: dict[str, Any] = reply.json()
        return found

    # --- waiting ------------------------------------------------------------------------------

    def log_tail(self, lines: int = LOG_TAIL_LINES) -> str:
        try:
            text = self.settings.log_file.read_text(errors="replace")
        except OSError as exc:
            return f"(no sandbox log: {exc})"
        return "\n".join(text.splitlines()[-lines:])

    def wait_for(
        self,
        what: str,
        probe: Callable[[], T],
        done: Callable[[T], bool],
        timeout: float = PROCESSING_TIMEOUT_SECONDS,
        interval: float = 0.5,
    ) -> T:
        """Poll probe() until done(value); on timeout fail with the last value and the log."""
        deadline = time.monotonic() + timeout
        while True:
            value = probe()
            if done(value):
                return value
            if time.monotonic() > deadline:
                pytest.fail(
                    f"gave up after {timeout:.0f} s waiting for {what}; last seen:\n"
                    f"{json.dumps(value, indent=2, default=str)}\n"
                    f"--- end of the sandbox log ({self.settings.log_file}):\n{self.log_tail()}",
                    pytrace=False,
                )
            time.sleep(interval)

    def wait_for_status(
        self, file_id: str, *statuses: str, timeout: float = PROCESSING_TIMEOUT_SECONDS
    ) -> dict[str, Any]:
        record = self.wait_for(
            f"file {file_id} to be {' or '.join(statuses)}",
            lambda: self.record(file_id),
            lambda found: found is not None and found.get("status") in statuses,
            timeout,
        )
        assert record is not None
        return record

    def queue_depth(self, queue_url: str) -> int:
        """Messages in a queue, visible or in flight."""
        attributes = self.client("sqs").get_queue_attributes(
            QueueUrl=queue_url,
            AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
        )["Attributes"]
        return sum(int(value) for value in attributes.values())


def terraform_binary() -> str:
    found = shutil.which("terraform")
    if found is None:
        pytest.fail("terraform is not on PATH: the integration tests apply the root module")
    return found
