"""One execution environment (lambda_runner.Worker + lambda_bootstrap.py), without a sandbox.

The handler runs in its own process under the runtime's interpreter; these
tests check what a function sees and how errors, timeouts and crashes come back.
"""

from __future__ import annotations

import base64
import hashlib
import textwrap
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sandbox_helpers import zip_of

from fileproc_sandbox import lambda_runner
from fileproc_sandbox.lambda_runner import (
    CodeCache,
    CodeIntegrityError,
    FunctionConfig,
    FunctionPool,
    InitFailed,
    LambdaService,
    Runtimes,
    Worker,
    WorkerSetup,
    failed_message_ids,
)

HANDLER = """
    import os
    import sys
    import time

    calls = 0


    def handler(event, context):
        global calls
        calls += 1
        action = event.get("action")
        if action == "raise":
            raise ValueError("bad input")
        if action == "sleep":
            time.sleep(30)
        if action == "exit":
            sys.exit(3)
        if action == "unserialisable":
            return {"when": object()}
        print("log line from the handler")
        return {
            "calls": calls,
            "request_id": context.aws_request_id,
            "function_name": context.function_name,
            "memory": context.memory_limit_in_mb,
            "remaining_ms": context.get_remaining_time_in_millis(),
            "greeting": os.environ.get("GREETING"),
            "runtime_function": os.environ["AWS_LAMBDA_FUNCTION_NAME"],
            "endpoint": os.environ["AWS_ENDPOINT_URL"],
            "python": list(sys.version_info[:2]),
            "cwd": os.getcwd(),
        }
"""


def config(handler: str = "app.handler", timeout: int = 2) -> FunctionConfig:
    return FunctionConfig(
        name="fn-test",
        arn="arn:aws:lambda:us-east-1:123456789012:function:fn-test",
        region="us-east-1",
        runtime="python3.12",
        handler=handler,
        timeout=timeout,
        memory_mb=256,
        environment={"GREETING": "hi", "AWS_ENDPOINT_URL": "overridden by the runtime"},
        code_sha256="unused",
        code_location="unused",
        layers=(),
        log_group="/aws/lambda/fn-test",
    )


@pytest.fixture
def logs() -> list[str]:
    return []


@pytest.fixture
def start(tmp_path: Path, logs: list[str]) -> Iterator[Callable[..., Worker]]:
    code = tmp_path / "code"
    code.mkdir()
    (code / "app.py").write_text(textwrap.dedent(HANDLER))
    (code / "broken.py").write_text("import not_a_module_anywhere\n")
    started: list[Worker] = []

    def start_worker(cfg: FunctionConfig | None = None) -> Worker:
        setup = WorkerSetup(
            interpreter=Runtimes(tmp_path).interpreter("python3.12"),
            code_dir=code,
            layer_dirs=[],
            sdk_dir=tmp_path / "sdk",
            endpoint="http://127.0.0.1:1",
            tmp_root=tmp_path / "tmp",
        )
        worker = Worker(cfg or config(), setup, lambda _c, _s, line: logs.append(line))
        started.append(worker)
        return worker

    yield start_worker
    for worker in started:
        worker.stop()


def test_a_warm_environment_serves_invocations_with_a_lambda_context(
    start: Callable[..., Worker], logs: list[str]
) -> None:
    worker = start()
    first = worker.invoke({}, "req-1", "Root=1-0-0")
    second = worker.invoke({}, "req-2", "Root=1-0-0")
    assert first.ok
    assert second.ok
    assert (first.payload["calls"], second.payload["calls"]) == (1, 2)
    payload = second.payload
    assert payload["request_id"] == "req-2"
    assert payload["function_name"] == payload["runtime_function"] == "fn-test"
    assert payload["memory"] == "256"
    assert 0 < payload["remaining_ms"] <= 2000
    assert payload["greeting"] == "hi"
    assert payload["endpoint"] == "http://127.0.0.1:1"
    assert Path(payload["cwd"]).name == "code"
    assert "log line from the handler\n" in logs


def test_runs_with_the_runtime_python_version(start: Callable[..., Worker]) -> None:
    if Runtimes(Path("/nonexistent")).interpreter("python3.12").endswith("/python3.11"):
        pytest.skip("no Python 3.12 on this machine: the runner falls back (and warns)")
    assert start().invoke({}, "r", "").payload["python"] == [3, 12]


def test_errors_come_back_as_lambda_reports_them(start: Callable[..., Worker]) -> None:
    worker = start()
    raised = worker.invoke({"action": "raise"}, "r1", "")
    assert not raised.ok
    assert raised.error is not None
    assert raised.error["errorType"] == "ValueError"
    assert raised.error["errorMessage"] == "bad input"
    assert any("app.py" in frame for frame in raised.error["stackTrace"])
    marshal = worker.invoke({"action": "unserialisable"}, "r2", "")
    assert marshal.error_type == "Runtime.MarshalError"
    assert worker.invoke({}, "r3", "").ok  # the environment survives handled errors


def test_a_timeout_kills_the_environment(start: Callable[..., Worker]) -> None:
    worker = start(config(timeout=1))
    result = worker.invoke({"action": "sleep"}, "r1", "")
    assert result.error_type == "Sandbox.Timedout"
    assert "Task timed out after 1.00 seconds" in (result.error or {})["errorMessage"]
    assert not worker.alive


def test_an_exit_is_a_runtime_exit_error(start: Callable[..., Worker]) -> None:
    worker = start()
    result = worker.invoke({"action": "exit"}, "r1", "")
    assert result.error_type == "Runtime.ExitError"
    assert "exit status 3" in (result.error or {})["errorMessage"]
    assert not worker.alive


@pytest.mark.parametrize(
    ("handler", "error_type"),
    [
        ("missing_module.handler", "Runtime.ImportModuleError"),
        ("broken.handler", "Runtime.ImportModuleError"),
        ("app.no_such_function", "Runtime.HandlerNotFound"),
        ("nodots", "Runtime.MalformedHandlerName"),
    ],
)
def test_init_errors(start: Callable[..., Worker], handler: str, error_type: str) -> None:
    with pytest.raises(InitFailed) as failed:
        start(config(handler=handler))
    assert failed.value.error["errorType"] == error_type


def test_the_code_cache_checks_the_sha256(tmp_path: Path) -> None:
    archive = tmp_path / "code.zip"
    archive.write_bytes(zip_of({"app.py": "X = 1\n"}))
    sha = base64.b64encode(hashlib.sha256(archive.read_bytes()).digest()).decode()
    cache = CodeCache(tmp_path / "cache")
    with pytest.raises(CodeIntegrityError):
        cache.unpacked(archive.as_uri(), base64.b64encode(b"x" * 32).decode())
    unpacked = cache.unpacked(archive.as_uri(), sha)
    assert (unpacked / "app.py").read_text() == "X = 1\n"
    assert cache.unpacked("file:///gone", sha) == unpacked  # cached by hash


@pytest.mark.parametrize(
    ("payload", "failed"),
    [
        (None, set()),
        ({}, set()),
        ({"batchItemFailures": []}, set()),
        ({"batchItemFailures": [{"itemIdentifier": "b"}]}, {"b"}),
        ({"batchItemFailures": [{"itemIdentifier": "zzz"}]}, None),  # not in the batch
        ({"batchItemFailures": [{"itemIdentifier": ""}]}, None),
        ({"batchItemFailures": "b"}, None),
        ("nonsense", None),
    ],
)
def test_batch_item_failures_follow_lambdas_rules(payload: object, failed: set[str] | None) -> None:
    assert failed_message_ids(payload, {"a", "b"}) == failed


def test_an_idle_environment_ends_after_the_idle_time(start: Callable[..., Worker]) -> None:
    pool = FunctionPool(limit=2)
    idle, crashed = start(), start()
    pool.give_back(idle)
    pool.give_back(crashed)
    crashed.invoke({"action": "exit"}, "req-1", "Root=1-0-0")
    since = idle.idle_since
    assert pool.reap(now=since + lambda_runner.IDLE_WORKER_SECONDS - 1) == 1  # the dead one
    assert idle.alive
    assert pool.reap(now=since + lambda_runner.IDLE_WORKER_SECONDS) == 1
    assert not idle.alive
    assert pool.idle == []


def test_the_service_ends_idle_environments_without_another_invocation(
    start: Callable[..., Worker], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """They lingered until their function was invoked again: a function called once kept
    its runtimes for as long as the sandbox ran."""
    monkeypatch.setattr(lambda_runner, "IDLE_WORKER_SECONDS", 0.5)
    monkeypatch.setattr(lambda_runner, "REAP_INTERVAL_SECONDS", 0.05)
    service = LambdaService("http://127.0.0.1:1", tmp_path / "state")
    try:
        worker = start()
        assert worker.invoke({}, "req-1", "Root=1-0-0").ok
        pool = FunctionPool(limit=1)
        service._pools[worker.config.arn] = pool
        pool.give_back(worker)
        deadline = time.monotonic() + 30
        while worker.alive and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not worker.alive
        assert pool.idle == []
    finally:
        service.shutdown()
