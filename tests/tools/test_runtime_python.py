"""Obtaining the Lambda runtime's Python for the sandbox: found, installed with uv, or a
one-line message saying what to install."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from fileproc_sandbox import lambda_runner
from fileproc_tools import runtime_python
from fileproc_tools.runtime_python import MissingInterpreter, ensure_interpreter


@pytest.fixture
def bare_machine(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No python3.12 anywhere the runner looks: an empty PATH and pyenv root, no variable,
    and uv's managed Pythons in an empty directory of their own."""
    empty = tmp_path / "bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    monkeypatch.setenv("PYENV_ROOT", str(tmp_path / "pyenv"))
    monkeypatch.setenv("UV_PYTHON_INSTALL_DIR", str(tmp_path / "uv-python"))
    monkeypatch.setenv("UV_CACHE_DIR", str(tmp_path / "uv-cache"))
    monkeypatch.delenv("FILEPROC_PYTHON3_12", raising=False)
    return tmp_path


def test_the_runtime_python_found_is_used_as_it_is(monkeypatch: pytest.MonkeyPatch) -> None:
    running = f"python{sys.version_info[0]}.{sys.version_info[1]}"
    monkeypatch.setenv(lambda_runner.interpreter_variable(running), sys.executable)
    notes: list[str] = []
    assert ensure_interpreter(running, note=notes.append) == sys.executable
    assert notes == []


def test_without_uv_it_says_in_one_line_what_to_install(bare_machine: Path) -> None:
    with pytest.raises(MissingInterpreter) as raised:
        ensure_interpreter("python3.12", install=False, system="Linux")
    assert str(raised.value) == (
        "no Python 3.12 for the python3.12 runtime on this machine: install it with "
        "`pyenv install 3.12 (Debian 12 and 13 have no python3.12 package)` or set "
        "FILEPROC_PYTHON3_12 to its interpreter"
    )
    assert "\n" not in str(raised.value)


@pytest.mark.slow
def test_uv_installs_the_runtime_python_or_the_message_says_why_not(bare_machine: Path) -> None:
    """uv (installed by make venv) downloads a CPython build from GitHub: a machine that
    reaches it gets Python 3.12 in uv's directory; one that does not (this project's CI
    reaches package registries only) gets the reason and what to install, in one line."""
    assert lambda_runner.uv_command() is not None, "make venv installs uv"
    notes: list[str] = []
    try:
        found = ensure_interpreter("python3.12", note=notes.append, system="Linux")
    except MissingInterpreter as exc:
        message = str(exc)
        assert message.startswith(
            "no Python 3.12 for the python3.12 runtime on this machine; uv could not install one ("
        )
        assert message.endswith(
            "): install it with `pyenv install 3.12 (Debian 12 and 13 have no python3.12 "
            "package)` or set FILEPROC_PYTHON3_12 to its interpreter"
        )
        assert "\n" not in message
    else:
        assert Path(found).is_relative_to(bare_machine / "uv-python")
        assert lambda_runner.find_interpreter("python3.12") == found  # the sandbox finds it
    assert notes[0] == "no Python 3.12 here: installing one with `uv python install 3.12`"


def test_a_wrong_variable_is_an_error_not_an_install(
    bare_machine: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FILEPROC_PYTHON3_12", sys.executable)
    monkeypatch.setattr(
        runtime_python, "uv_install", lambda uv, version: pytest.fail("nothing to install")
    )
    running = f"{sys.version_info[0]}.{sys.version_info[1]}"
    with pytest.raises(MissingInterpreter, match=f"is Python {running}, not 3.12"):
        ensure_interpreter("python3.12")


@pytest.mark.parametrize(
    ("runtime", "system", "hint"),
    [
        ("python3.12", "Darwin", "brew install python@3.12"),
        ("python3.13", "Darwin", "brew install python@3.13"),
        ("python3.13", "Linux", "apt-get install python3.13 (Debian 13; on Debian 12: "),
        ("python3.12", "Linux", "pyenv install 3.12"),
    ],
)
def test_the_hint_fits_the_runtime_and_the_system(runtime: str, system: str, hint: str) -> None:
    assert runtime_python.install_hint(runtime, system).startswith(hint)
