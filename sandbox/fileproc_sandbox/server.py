"""The sandbox process: moto with its gap fixes (gaps.py), the Lambda runner and the API front.

``python -m fileproc_sandbox.server --port 4566`` serves the AWS APIs on
loopback (moto's WSGI application, threaded), runs the deployed functions for
their SQS event sources (``lambda_runner.EventSources``) and serves the deployed REST
APIs on ``--api-port`` (``apifront``). ``fileproc_sandbox`` starts it in
the background; it stops cleanly on SIGTERM, taking its runtime processes along.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from fileproc_sandbox import api_front, faults, lambda_runner
from fileproc_sandbox.gaps import (
    CODE_PATH,
    CURRENT_REQUEST,
    LAYER_PATH,
    apply_gap_fixes,
    fix_lambda_invoke,
    keep_form_body,
    stored_code,
)
from fileproc_sandbox.policy import ACCOUNT_ID

log = logging.getLogger("fileproc.sandbox")

MOTO_VERSION = "5.2.1"


def lambda_regions() -> list[str]:
    """Regions where something touched Lambda (moto creates region backends on first use)."""
    from moto.awslambda.models import lambda_backends

    return list(lambda_backends[ACCOUNT_ID].keys())


def apigateway_regions() -> list[str]:
    from moto.apigateway.models import apigateway_backends

    return list(apigateway_backends[ACCOUNT_ID].keys())


class SandboxApp:
    """moto's WSGI application, plus the sandbox's own routes under /_sandbox/."""

    def __init__(self, moto_app: Any, status: Callable[[], dict[str, Any]]) -> None:
        self._moto = moto_app
        self._status = status

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        faulted = faults.intercept(environ, start_response)  # test-only, see faults.py
        if faulted is not None:
            return faulted
        path = environ.get("PATH_INFO", "")
        if path.startswith("/_sandbox/"):
            return self._own(path, environ, start_response)
        keep_form_body(environ)  # GAP 18 reads the order of a form's parts
        token = CURRENT_REQUEST.set(environ)
        try:
            return self._moto(environ, start_response)
        finally:
            CURRENT_REQUEST.reset(token)

    def _own(self, path: str, environ: dict[str, Any], start_response: Any) -> list[bytes]:
        if path == "/_sandbox/health":
            return _reply(start_response, "200 OK", "application/json", json.dumps(self._status()))
        if path in (CODE_PATH, LAYER_PATH):
            arn = parse_qs(environ.get("QUERY_STRING", "")).get("arn", [""])[0]
            try:
                body = stored_code(path, arn)
            except Exception:
                return _reply(start_response, "404 Not Found", "text/plain", f"no code for {arn}")
            return _reply(start_response, "200 OK", "application/zip", body)
        return _reply(start_response, "404 Not Found", "text/plain", "unknown sandbox route")


def _reply(start_response: Any, status: str, content_type: str, body: str | bytes) -> list[bytes]:
    data = body.encode() if isinstance(body, str) else body
    start_response(status, [("Content-Type", content_type), ("Content-Length", str(len(data)))])
    return [data]


class KeepAliveHandler(WSGIRequestHandler):
    # HTTP/1.1 keeps SDK connections open; werkzeug's default closes each one.
    protocol_version = "HTTP/1.1"

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        if str(code).startswith(("4", "5")):
            super().log_request(code, size)


class Sandbox:
    """The running pieces: the AWS endpoint, the Lambda runner and the API front."""

    def __init__(self, host: str, port: int, api_port: int, state_dir: str) -> None:
        self.endpoint = f"http://{host}:{port}"
        apply_gap_fixes(self.endpoint)
        self.started = time.time()
        # Drawn at each start: a deployment records it, so that its outputs can be told
        # stale once this sandbox (and all that was deployed to it) is gone.
        self.start_id = uuid.uuid4().hex
        self.api_port = api_port
        self.logs = lambda_runner.CloudWatchLogs(self.endpoint)
        self.lambda_service = lambda_runner.LambdaService(self.endpoint, Path(state_dir), self.logs)
        fix_lambda_invoke(self.lambda_service)
        self.event_sources = lambda_runner.EventSources(self.lambda_service, lambda_regions)
        app = SandboxApp(DomainDispatcherApplication(create_backend_app), self.status)
        self.aws: BaseWSGIServer = make_server(
            host, port, app, threaded=True, request_handler=KeepAliveHandler
        )
        self.front = api_front.ApiFront(
            host, api_port, self.endpoint, self.lambda_service, apigateway_regions
        )

    def status(self) -> dict[str, Any]:
        return {
            "status": "ok",
            "pid": os.getpid(),
            "moto": MOTO_VERSION,
            "endpoint": self.endpoint,
            "api_endpoint": self.front.url,
            "uptime_seconds": round(time.time() - self.started, 1),
            "start_id": self.start_id,
            "event_source_mappings": [m.__dict__ for m in self.event_sources.mappings],
        }

    def serve(self) -> None:
        threading.Thread(target=self.front.serve_forever, name="api-front", daemon=True).start()
        # Ready before the first invocation, which would otherwise wait for the copy.
        threading.Thread(target=self.lambda_service.runtimes.ensure_sdk, daemon=True).start()
        self.event_sources.start()
        log.info("sandbox: AWS at %s, API front at %s", self.endpoint, self.front.url)
        self.aws.serve_forever()
        self.aws.server_close()

    def shutdown(self) -> None:
        """Stop everything. Safe in a signal handler: the work runs in another thread,
        because flushing logs is a request to the server that the main thread serves."""
        threading.Thread(target=self._stop, name="shutdown", daemon=True).start()

    def _stop(self) -> None:
        self.event_sources.stop()
        self.lambda_service.shutdown()
        self.logs.close()
        self.front.shutdown()
        self.aws.shutdown()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=int(os.environ.get("SANDBOX_PORT") or 4566))
    parser.add_argument("--api-port", type=int, default=None, help="default: --port + 1")
    parser.add_argument("--state-dir", default=".sandbox", help="code cache and runtime files")
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    sandbox = Sandbox(args.host, args.port, args.api_port or args.port + 1, args.state_dir)

    def stop(signum: int, _frame: Any) -> None:
        log.info("sandbox: stopping on signal %d", signum)
        sandbox.shutdown()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    sandbox.serve()
    log.info("sandbox: stopped")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
