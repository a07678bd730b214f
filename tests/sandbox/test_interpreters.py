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


def test_an_override_of_another_version_is_not_taken(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv(lambda_runner.interpreter_variable("python3.99"), sys.executable)
    monkeypatch.setenv("PYENV_ROOT", str(tmp_path))
    assert lambda_runner.find_interpreter("python3.99") is None


def test_the_variable_name() -> None:
    assert lambda_runner.interpreter_variable("python3.12") == "FILEPROC_PYTHON3_12"


def test_non_python_runtimes_are_refused() -> None:
    with pytest.raises(lambda_runner.UnsupportedFunction, match="Python runtimes only"):
        lambda_runner.find_interpreter("nodejs20.x")
