"""Start, stop and inspect the local sandbox: ``make sandbox-up | sandbox-down | sandbox-status``.

``up`` starts ``python -m fileproc_sandbox.server`` detached (its own
session, so that it outlives ``make`` and ``down`` can stop it with everything
it started), writes its pid and log under ``.sandbox/`` and waits until it
answers, then records what runs there in ``.sandbox/state.json`` (pid, ports,
the server's start id); a second ``up`` finds it running and does nothing, and
an ``up`` on other ports while it runs is refused (one sandbox per directory:
they would share the pid file, the log and the code cache). ``down`` stops the
process group and waits until nothing of it is left. The other tools call
``ensure_up()``, ``endpoint_url()``, ``api_endpoint_url()``, ``is_running()``
and ``start_id()``.

Settings from the environment: ``SANDBOX_PORT`` (AWS endpoint, default 4566),
``SANDBOX_API_PORT`` (API front, default SANDBOX_PORT + 1) and
``FILEPROC_SANDBOX_DIR`` (default ``<repo>/.sandbox``). Without SANDBOX_PORT,
the ports of the sandbox running from that directory (its state.json) win over
the defaults, so that a new shell finds it.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_PORT = 4566
# The Terraform environment (envs/sandbox.tfvars) that deploys to this sandbox.
ENV_NAME = "sandbox"
HOST = "127.0.0.1"
START_TIMEOUT_SECONDS = 60.0
STOP_TIMEOUT_SECONDS = 15.0
KILL_WAIT_SECONDS = 5.0
SERVER_MODULE = "fileproc_sandbox.server"
# What `up` records about the sandbox running from a directory.
STATE_FILE = "state.json"
# The entry of a sandbox outputs file (written by `make deploy ENV=sandbox`) that names
# the sandbox start it was deployed to; the CLI compares it with the running one.
START_ID_OUTPUT = "sandbox_start_id"


class SandboxError(RuntimeError):
    """The sandbox did not start or stop as asked."""


@dataclass(frozen=True)
class Settings:
    port: int
    api_port: int
    state_dir: Path

    @classmethod
    def from_env(cls) -> Settings:
        state_dir = Path(os.environ.get("FILEPROC_SANDBOX_DIR") or REPO_ROOT / ".sandbox")
        if not os.environ.get("SANDBOX_PORT"):
            running = running_state(state_dir)
            if running is not None:
                return cls(running["port"], running["api_port"], state_dir)
        port = int(os.environ.get("SANDBOX_PORT") or DEFAULT_PORT)
        return cls(
            port=port,
            api_port=int(os.environ.get("SANDBOX_API_PORT") or port + 1),
            state_dir=state_dir,
        )

    @property
    def pid_file(self) -> Path:
        return self.state_dir / "sandbox.pid"

    @property
    def state_file(self) -> Path:
        return self.state_dir / STATE_FILE

    @property
    def log_file(self) -> Path:
        return self.state_dir / "sandbox.log"

    @property
    def endpoint(self) -> str:
        return f"http://{HOST}:{self.port}"

    @property
    def api_endpoint(self) -> str:
        return f"http://{HOST}:{self.api_port}"


def endpoint_url(settings: Settings | None = None) -> str:
    """The sandbox's AWS endpoint (for AWS_ENDPOINT_URL and Terraform)."""
    return (settings or Settings.from_env()).endpoint


def api_endpoint_url(settings: Settings | None = None) -> str:
    """The API front; a deployed API is at <this>/<api id>/<stage>."""
    return (settings or Settings.from_env()).api_endpoint


def health(settings: Settings) -> dict[str, Any] | None:
    """What the running sandbox says about itself, or None when nothing answers as one."""
    url = f"{settings.endpoint}/_sandbox/health"  # always http on loopback
    try:
        with urllib.request.urlopen(url, timeout=2) as reply:  # noqa: S310
            answer: dict[str, Any] = json.load(reply)
            return answer
    except (OSError, ValueError):
        return None


def read_state(state_dir: Path) -> dict[str, Any] | None:
    """What ``up`` recorded in this directory (None: nothing, or a damaged file)."""
    try:
        state: dict[str, Any] = json.loads((state_dir / STATE_FILE).read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(state, dict) or not all(
        isinstance(state.get(k), int) for k in ("pid", "port", "api_port")
    ):
        return None
    return state


def running_state(state_dir: Path) -> dict[str, Any] | None:
    """The recorded state when its server still runs (checked by process, not by port)."""
    state = read_state(state_dir)
    if state is None or not _alive(state["pid"]) or not _is_sandbox(state["pid"]):
        return None
    return state


def start_id(settings: Settings | None = None) -> str | None:
    """The id the running sandbox drew at its start (None when none runs): what a
    deployment records, to tell later whether the sandbox it went to still runs."""
    settings = settings or Settings.from_env()
    answer = health(settings) if is_running(settings) else None
    found = answer.get("start_id") if answer else None
    return str(found) if found else None


def _read_pid(settings: Settings) -> int | None:
    try:
        return int(settings.pid_file.read_text().strip())
    except (OSError, ValueError):
        return None


def _alive(pid: int) -> bool:
    """True while the process exists and is not a zombie (reaped here when it is our child)."""
    try:
        if os.waitpid(pid, os.WNOHANG)[0] == pid:
            return False
    except ChildProcessError:
        pass
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def is_running(settings: Settings | None = None) -> bool:
    settings = settings or Settings.from_env()
    pid = _read_pid(settings)
    answer = health(settings)
    return pid is not None and answer is not None and answer.get("pid") == pid and _alive(pid)


def port_taken(port: int) -> bool:
    # A bind test, not a connect: connecting to a free port of the ephemeral range
    # can connect the socket to itself and look like a listener.
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((HOST, port))
        except OSError:
            return True
        return False


def _log_tail(settings: Settings, lines: int = 30) -> str:
    try:
        text = settings.log_file.read_text(errors="replace")
    except OSError:
        return "(no log)"
    return "\n".join(text.splitlines()[-lines:])


def up(settings: Settings | None = None, timeout: float = START_TIMEOUT_SECONDS) -> str:
    """Start the sandbox unless it runs already; the AWS endpoint URL."""
    settings = settings or Settings.from_env()
    if is_running(settings):
        return settings.endpoint
    _refuse_a_second_sandbox(settings)
    for port in (settings.port, settings.api_port):
        if port_taken(port):
            raise SandboxError(
                f"port {port} is taken by another program; stop it or choose other ports "
                "(SANDBOX_PORT, SANDBOX_API_PORT)"
            )
    settings.state_dir.mkdir(parents=True, exist_ok=True)
    command = [
        sys.executable,
        "-m",
        SERVER_MODULE,
        "--host",
        HOST,
        "--port",
        str(settings.port),
        "--api-port",
        str(settings.api_port),
        "--state-dir",
        str(settings.state_dir),
    ]
    with settings.log_file.open("w") as log:
        process = subprocess.Popen(
            command,
            cwd=REPO_ROOT,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: `down` stops all of it
        )
    settings.pid_file.write_text(f"{process.pid}\n")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            settings.pid_file.unlink(missing_ok=True)
            raise SandboxError(
                f"the sandbox exited with status {process.returncode}; "
                f"the end of {settings.log_file}:\n{_log_tail(settings)}"
            )
        answer = health(settings)
        if answer and answer.get("pid") == process.pid:
            _write_state(settings, answer)
            return settings.endpoint
        time.sleep(0.2)
    _stop_group(process.pid)
    settings.pid_file.unlink(missing_ok=True)
    raise SandboxError(
        f"the sandbox did not answer within {timeout:.0f} s; "
        f"the end of {settings.log_file}:\n{_log_tail(settings)}"
    )


def _refuse_a_second_sandbox(settings: Settings) -> None:
    """One sandbox per directory: a second would take over the first one's pid file,
    log and code cache, and `down` could no longer stop the first."""
    state = running_state(settings.state_dir)
    pid = state["pid"] if state else _read_pid(settings)
    if pid is None or not _alive(pid) or not _is_sandbox(pid):
        return
    where = (
        f"AWS at http://{HOST}:{state['port']}, API front at http://{HOST}:{state['api_port']}"
        if state
        else f"pid file {settings.pid_file}"
    )
    raise SandboxError(
        f"a sandbox already runs from {settings.state_dir} (pid {pid}; {where}); "
        f"it cannot also run on port {settings.port}. Use it as it is (unset SANDBOX_PORT: "
        "the tools find it), stop it first (make sandbox-down), or start the second one "
        "with a directory of its own (FILEPROC_SANDBOX_DIR)"
    )


def _write_state(settings: Settings, answer: dict[str, Any]) -> None:
    state = {
        "pid": answer["pid"],
        "port": settings.port,
        "api_port": settings.api_port,
        "endpoint": settings.endpoint,
        "api_endpoint": settings.api_endpoint,
        "start_id": answer.get("start_id"),
        "started_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    staging = settings.state_file.with_suffix(".tmp")
    staging.write_text(json.dumps(state, indent=2) + "\n")
    staging.replace(settings.state_file)


def ensure_up() -> str:
    """The AWS endpoint URL of a running sandbox, started if needed."""
    return up()


def _stop_group(pid: int, timeout: float = STOP_TIMEOUT_SECONDS) -> None:
    """SIGTERM to the sandbox's process group, SIGKILL to whatever is left after the timeout."""
    try:
        os.killpg(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and _alive(pid):
        time.sleep(0.1)
    # The group's runtime processes too, should any have outlived the server.
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGKILL)
    while _alive(pid):
        time.sleep(0.05)
    # A killed process takes a moment to exit on a loaded machine: `down` returns once
    # nothing it started is left (bounded: an unkillable process is the kernel's).
    deadline = time.monotonic() + KILL_WAIT_SECONDS
    while time.monotonic() < deadline and group_members(pid):
        time.sleep(0.05)


def group_members(pgid: int) -> set[int]:
    """Live (not zombie) processes of process group pgid, from /proc (empty without it)."""
    members = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields[0] != "Z" and int(fields[2]) == pgid:
            members.add(int(stat.parent.name))
    return members


def _is_sandbox(pid: int) -> bool:
    """Whether pid runs the sandbox server: after a crash and a reboot the pid file may
    name an unrelated process (and its group), which ``down`` must never signal."""
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return True  # no /proc here: the pid file and the health answer are all we have
    return SERVER_MODULE.encode() in cmdline


def down(settings: Settings | None = None) -> bool:
    """Stop the sandbox; False when it was not running."""
    settings = settings or Settings.from_env()
    pid = _read_pid(settings)
    if pid is None:
        answer = health(settings)  # running without a pid file (deleted by hand)
        pid = answer.get("pid") if answer else None
    if pid is None or not _alive(pid) or not _is_sandbox(pid):
        settings.pid_file.unlink(missing_ok=True)
        settings.state_file.unlink(missing_ok=True)
        return False
    _stop_group(pid)
    settings.pid_file.unlink(missing_ok=True)
    settings.state_file.unlink(missing_ok=True)
    return True


def status(settings: Settings | None = None) -> dict[str, Any]:
    settings = settings or Settings.from_env()
    answer = health(settings) if is_running(settings) else None
    return {
        "running": answer is not None,
        "pid": answer.get("pid") if answer else None,
        "endpoint": settings.endpoint,
        "api_endpoint": settings.api_endpoint,
        "log": str(settings.log_file),
        "state_dir": str(settings.state_dir),
        "uptime_seconds": answer.get("uptime_seconds") if answer else None,
        "start_id": answer.get("start_id") if answer else None,
        "event_source_mappings": len(answer.get("event_source_mappings", [])) if answer else 0,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m fileproc_sandbox", description=__doc__)
    parser.add_argument("command", choices=("up", "down", "status"))
    args = parser.parse_args(argv)
    settings = Settings.from_env()
    if args.command == "up":
        was_running = is_running(settings)
        try:
            endpoint = up(settings)
        except SandboxError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
        state = "already running" if was_running else "started"
        print(f"sandbox {state}: AWS at {endpoint}, API front at {settings.api_endpoint}")
        print(f"log: {settings.log_file}")
        return 0
    if args.command == "down":
        print("sandbox stopped" if down(settings) else "sandbox was not running")
        return 0
    info = status(settings)
    if not info["running"]:
        print(f"sandbox: stopped (endpoint would be {info['endpoint']}; log {info['log']})")
        return 0
    print(f"sandbox: running, pid {info['pid']}, up {info['uptime_seconds']} s")
    print(f"  AWS endpoint: {info['endpoint']}")
    print(f"  API front:    {info['api_endpoint']}/<api id>/<stage>")
    print(f"  polling:      {info['event_source_mappings']} SQS event source mapping(s)")
    print(f"  log:          {info['log']}")
    print(f"  state:        {info['state_dir']}")
    return 0
