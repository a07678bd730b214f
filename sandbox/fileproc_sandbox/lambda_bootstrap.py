"""One Lambda execution environment of the sandbox: the side that runs the handler.

The runner starts this file as ``<runtime python> lambda_bootstrap.py`` with the
function's environment, in its task root (what ``/var/runtime/bootstrap`` is on
Lambda). It imports the handler once (the init phase), then serves invocations
one at a time over two pipes whose descriptors are in ``SANDBOX_FDS_ENV``: one
JSON line in (the event and its context), one JSON line out (the result or the
error, shaped like Lambda's). stdout and stderr stay the function's log.

Standard library only: it runs under the function's runtime interpreter, which
has nothing of this project installed, and it must import under Python 3.8+.
"""

from __future__ import annotations

import importlib
import json
import os
import sys
import time
import traceback
from typing import IO, Any

SANDBOX_FDS_ENV = "_SANDBOX_FDS"


class LambdaContext:
    """The attributes and method of the context object the Python runtime passes."""

    def __init__(self, request: dict[str, Any]) -> None:
        self.function_name = os.environ["AWS_LAMBDA_FUNCTION_NAME"]
        self.function_version = os.environ.get("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        self.memory_limit_in_mb = os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
        self.log_group_name = os.environ.get("AWS_LAMBDA_LOG_GROUP_NAME", "")
        self.log_stream_name = os.environ.get("AWS_LAMBDA_LOG_STREAM_NAME", "")
        self.invoked_function_arn = request["invoked_function_arn"]
        self.aws_request_id = request["request_id"]
        self.identity = None
        self.client_context = None
        self._deadline_ms = int(request["deadline_ms"])

    def get_remaining_time_in_millis(self) -> int:
        return max(self._deadline_ms - int(time.time() * 1000), 0)


def error_payload(exc: BaseException, error_type: str | None = None) -> dict[str, Any]:
    """An error the way the Python runtime reports it (errorType, errorMessage, stackTrace)."""
    frames = traceback.format_list(traceback.extract_tb(exc.__traceback__))
    return {
        "errorType": error_type or type(exc).__name__,
        "errorMessage": str(exc),
        "stackTrace": [frame.rstrip("\n") for frame in frames],
    }


def load_handler(spec: str) -> Any:
    """Import ``module.function`` the way the runtime does, with its error types."""
    module_name, _, function_name = spec.rpartition(".")
    if not module_name or not function_name:
        raise InitError("Runtime.MalformedHandlerName", f"Bad handler '{spec}': not enough values")
    try:
        module = importlib.import_module(module_name.replace("/", "."))
    except SyntaxError as exc:
        raise InitError(
            "Runtime.UserCodeSyntaxError", f"Syntax error in module '{module_name}': {exc}"
        ) from exc
    except ImportError as exc:
        raise InitError(
            "Runtime.ImportModuleError", f"Unable to import module '{module_name}': {exc}"
        ) from exc
    handler = getattr(module, function_name, None)
    if handler is None:
        raise InitError(
            "Runtime.HandlerNotFound",
            f"Handler '{function_name}' missing on module '{module_name}'",
        )
    return handler


class InitError(Exception):
    def __init__(self, error_type: str, message: str) -> None:
        super().__init__(message)
        self.error_type = error_type


def send(channel: IO[bytes], message: dict[str, Any]) -> None:
    channel.write(json.dumps(message).encode() + b"\n")
    channel.flush()


def invoke(handler: Any, request: dict[str, Any]) -> dict[str, Any]:
    # The runtime sets the trace header for each invocation; X-Ray SDKs read it.
    os.environ["_X_AMZN_TRACE_ID"] = request.get("trace_id", "")
    try:
        result = handler(request["event"], LambdaContext(request))
    except Exception as exc:
        traceback.print_exc()
        return {"type": "error", "error": error_payload(exc)}
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
    try:
        payload = json.loads(json.dumps(result))
    except (TypeError, ValueError) as exc:
        return {"type": "error", "error": error_payload(exc, "Runtime.MarshalError")}
    return {"type": "result", "payload": payload}


def main() -> int:
    read_fd, write_fd = (int(fd) for fd in os.environ.pop(SANDBOX_FDS_ENV).split(","))
    requests = os.fdopen(read_fd, "rb")
    replies = os.fdopen(write_fd, "wb")
    sys.path.insert(0, os.environ.get("LAMBDA_TASK_ROOT", os.getcwd()))
    started = time.monotonic()
    try:
        handler = load_handler(os.environ["_HANDLER"])
    except InitError as exc:
        print(f"[ERROR] {exc.error_type}: {exc}", file=sys.stderr, flush=True)
        send(replies, {"type": "init_error", "error": error_payload(exc, exc.error_type)})
        return 1
    except Exception as exc:
        traceback.print_exc()
        send(replies, {"type": "init_error", "error": error_payload(exc)})
        return 1
    send(replies, {"type": "ready", "init_ms": round((time.monotonic() - started) * 1000)})
    for line in requests:
        send(replies, invoke(handler, json.loads(line)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
