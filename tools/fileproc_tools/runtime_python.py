"""The Lambda runtime's Python on this machine, obtained when it is missing.

The sandbox runs the functions with the runtime's own Python version (the layer's
wheels are built for it), and the build compiles their bytecode with it. A stock
Debian or macOS has none of 3.12 (Debian 12 ships 3.11, Debian 13 ships 3.13), so
``make demo`` obtains one itself where it can:

1. what the runner already finds (``FILEPROC_PYTHON3_12``, pyenv, ``python3.12`` on
   PATH, a Python uv installed earlier): ``lambda_runner.find_interpreter``;
2. otherwise ``uv python install 3.12`` with the uv that ``make venv`` installs from
   PyPI: a standalone CPython build, into uv's own directory (not the project's);
3. when that fails (uv downloads its builds from GitHub, which an offline or
   registry-only machine cannot reach), one line saying exactly what to install.

``python -m fileproc_tools.runtime_python --env sandbox`` prints the interpreter
(obtaining it if needed).
"""

from __future__ import annotations

import argparse
import platform
import subprocess
import sys
from collections.abc import Callable

from fileproc_sandbox.lambda_runner import (
    InterpreterError,
    find_interpreter,
    interpreter_variable,
    uv_command,
)

INSTALL_TIMEOUT_SECONDS = 600


class MissingInterpreter(RuntimeError):
    """No interpreter for the runtime and none could be obtained; the message says what to do."""


def version_of(runtime: str) -> str:
    """ "python3.12" -> "3.12"."""
    return runtime.removeprefix("python")


def install_hint(runtime: str, system: str | None = None) -> str:
    """What to install on this kind of machine, as a command."""
    version = version_of(runtime)
    system = system or platform.system()
    if system == "Darwin":
        return f"brew install python@{version}"
    if version == "3.13":
        return "apt-get install python3.13 (Debian 13; on Debian 12: pyenv install 3.13)"
    return f"pyenv install {version} (Debian 12 and 13 have no python{version} package)"


def missing_message(runtime: str, uv_failure: str | None, system: str | None = None) -> str:
    version = version_of(runtime)
    tried = f"; uv could not install one ({uv_failure})" if uv_failure else ""
    return (
        f"no Python {version} for the {runtime} runtime on this machine{tried}: install it "
        f"with `{install_hint(runtime, system)}` or set {interpreter_variable(runtime)} "
        "to its interpreter"
    )


def uv_install(uv: str, version: str) -> str | None:
    """``uv python install <version>``; None when it worked, else why not in a few words."""
    try:
        completed = subprocess.run(
            [uv, "python", "install", version],
            capture_output=True,
            text=True,
            timeout=INSTALL_TIMEOUT_SECONDS,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return f"no answer within {INSTALL_TIMEOUT_SECONDS} s"
    except OSError as exc:
        return str(exc)
    if completed.returncode == 0:
        return None
    lines = [line.strip() for line in completed.stderr.splitlines() if line.strip()]
    # uv prints a chain of causes; the last is the root one ("dns error ..." offline).
    return lines[-1].removeprefix("Caused by: ").removeprefix("cause: ") if lines else "failed"


def ensure_interpreter(
    runtime: str,
    *,
    install: bool = True,
    note: Callable[[str], None] = print,
    system: str | None = None,
) -> str:
    """The interpreter for the runtime, installed with uv when there is none.

    Raises MissingInterpreter (with what to install) when there is none and uv cannot
    obtain one, and for a FILEPROC_PYTHON3_X that names a wrong interpreter.
    """
    try:
        found = find_interpreter(runtime)
    except InterpreterError as exc:
        raise MissingInterpreter(str(exc)) from None
    if found is not None:
        return found
    uv = uv_command() if install else None
    if uv is None:
        raise MissingInterpreter(missing_message(runtime, None, system))
    version = version_of(runtime)
    note(f"no Python {version} here: installing one with `uv python install {version}`")
    failure = uv_install(uv, version)
    found = find_interpreter(runtime) if failure is None else None
    if found is None:
        raise MissingInterpreter(
            missing_message(runtime, failure or "it installed none that runs", system)
        )
    note(f"Python {version}: {found}")
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m fileproc_tools.runtime_python")
    parser.add_argument("--env", default="sandbox", help="whose tfvars name the runtime")
    parser.add_argument("--no-install", action="store_true", help="only look, never install")
    args = parser.parse_args(argv)
    from fileproc_tools.build import target_for_env

    runtime = target_for_env(args.env).runtime
    try:
        print(
            ensure_interpreter(
                runtime,
                install=not args.no_install,
                note=lambda line: print(line, file=sys.stderr),
            )
        )
    except MissingInterpreter as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
