"""A slow init is retried within the invocation, as on Lambda, instead of failing it.

The runner runs here in the test process (a LambdaService against the private
sandbox's endpoint) so that its init limit can be lowered; the functions are real
zips run by the runtime's interpreter. Each init appends a line to a file, so the
test counts the inits Lambda's semantics imply.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sandbox_helpers import Sandbox

from fileproc_sandbox import lambda_runner

pytestmark = pytest.mark.slow

SLOW_INIT = """
    import os
    import time

    with open(os.environ["INIT_LOG"], "a") as log:
        log.write("init\\n")
    time.sleep(float(os.environ["INIT_SECONDS"]))


    def handler(event, context):
        return {"remaining_ms": context.get_remaining_time_in_millis(), "echo": event}
"""

INIT_LIMIT_SECONDS = 1.0


@pytest.fixture
def service(
    box: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[lambda_runner.LambdaService]:
    monkeypatch.setattr(lambda_runner, "INIT_TIMEOUT_SECONDS", INIT_LIMIT_SECONDS)
    runner = lambda_runner.LambdaService(box.endpoint, tmp_path / "state")
    yield runner
    runner.shutdown()


def test_an_init_over_the_limit_is_retried_within_the_invocation(
    service: lambda_runner.LambdaService, deploy_function: Callable[..., str], tmp_path: Path
) -> None:
    init_log = tmp_path / "inits.log"
    timeout = 20
    arn = deploy_function(
        SLOW_INIT,
        timeout=timeout,
        environment={"INIT_LOG": str(init_log), "INIT_SECONDS": "2"},
    )

    result = service.invoke(arn, {"n": 1})

    assert result.ok, result.error
    assert result.payload["echo"] == {"n": 1}
    # The first init was cut at the limit, the retry ran to the end: two inits.
    assert init_log.read_text().splitlines() == ["init", "init"]
    # The retried init (at least 2 s of sleep) came out of the function's timeout.
    assert result.payload["remaining_ms"] <= (timeout - 2) * 1000
    # The environment is warm now: no third init.
    again = service.invoke(arn, {"n": 2})
    assert again.ok
    assert again.payload["echo"] == {"n": 2}
    assert again.init_ms is None
    assert len(init_log.read_text().splitlines()) == 2


def test_a_retried_init_past_the_function_timeout_is_a_task_timeout(
    service: lambda_runner.LambdaService, deploy_function: Callable[..., str], tmp_path: Path
) -> None:
    init_log = tmp_path / "inits.log"
    arn = deploy_function(
        SLOW_INIT,
        timeout=2,
        environment={"INIT_LOG": str(init_log), "INIT_SECONDS": "30"},
    )

    result = service.invoke(arn, {})

    assert not result.ok
    assert result.error == {
        "errorType": "Sandbox.Timedout",
        "errorMessage": "Task timed out after 2.00 seconds",
    }
    assert init_log.read_text().splitlines() == ["init", "init"]


def test_an_init_within_the_limit_runs_once(
    service: lambda_runner.LambdaService, deploy_function: Callable[..., str], tmp_path: Path
) -> None:
    init_log = tmp_path / "inits.log"
    arn = deploy_function(SLOW_INIT, environment={"INIT_LOG": str(init_log), "INIT_SECONDS": "0"})
    result = service.invoke(arn, {})
    assert result.ok, result.error
    assert init_log.read_text().splitlines() == ["init"]
