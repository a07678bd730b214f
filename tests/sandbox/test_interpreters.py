"""Finding this machine's interpreter for a Lambda Python runtime."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from fileproc_sandbox import lambda_runner

RUNNING = f"python{sys.version_info[0]}.{sys.version_info[1]}"


def test_the_override_variable_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(lambda_runner.interpreter_variable(RUNNING), sys.executable)
    assert lambda_runner.find_interpreter(RUNNING) == sys.executable


def test_an_override_of_another_version_is_an_error_that_says_so(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """It was skipped without a word: the sandbox then ran the functions with another Python."""
    monkeypatch.setenv(lambda_runner.interpreter_variable("python3.99"), sys.executable)
    monkeypatch.setenv("PYENV_ROOT", str(tmp_path))
    running = f"{sys.version_info[0]}.{sys.version_info[1]}"
    with pytest.raises(lambda_runner.InterpreterError) as raised:
        lambda_runner.find_interpreter("python3.99")
    assert str(raised.value) == (
        f"FILEPROC_PYTHON3_99={sys.executable} is Python {running}, not 3.99: "
        "set it to a Python 3.99 interpreter"
    )


def test_an_override_that_cannot_run_is_an_error_that_says_so(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    variable = lambda_runner.interpreter_variable(RUNNING)
    wanted = RUNNING.replace("python", "Python ")
    missing = tmp_path / "python-missing"
    monkeypatch.setenv(variable, str(missing))
    with pytest.raises(lambda_runner.InterpreterError, match=r"does not exist: set it to a "):
        lambda_runner.find_interpreter(RUNNING)

    not_executable = tmp_path / "python-text"
    not_executable.write_text("#!/bin/sh\necho 3 12\n")
    monkeypatch.setenv(variable, str(not_executable))
    with pytest.raises(lambda_runner.InterpreterError) as raised:
        lambda_runner.find_interpreter(RUNNING)
    assert str(raised.value) == (
        f"{variable}={not_executable} is not executable: set it to a {wanted} interpreter"
    )

    not_python = tmp_path / "not-python"
    not_python.write_text("#!/bin/sh\nexit 1\n")
    not_python.chmod(0o755)
    monkeypatch.setenv(variable, str(not_python))
    with pytest.raises(lambda_runner.InterpreterError, match="does not run as a Python"):
        lambda_runner.find_interpreter(RUNNING)


def test_the_sandbox_fails_the_invocation_with_the_reason(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The runner never falls back to its own Python when the variable names a wrong one."""
    monkeypatch.setenv(lambda_runner.interpreter_variable(RUNNING), str(tmp_path / "nope"))
    runtimes = lambda_runner.Runtimes(tmp_path)
    with pytest.raises(lambda_runner.UnsupportedFunction, match="does not exist"):
        runtimes.interpreter(RUNNING)


def test_the_variable_name() -> None:
    assert lambda_runner.interpreter_variable("python3.12") == "FILEPROC_PYTHON3_12"


def test_non_python_runtimes_are_refused() -> None:
    with pytest.raises(lambda_runner.UnsupportedFunction, match="Python runtimes only"):
        lambda_runner.find_interpreter("nodejs20.x")
