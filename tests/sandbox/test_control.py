"""``make sandbox-up | sandbox-down | sandbox-status``, on a sandbox of their own."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest
from sandbox_helpers import ROLE_POLICY, Sandbox, free_port, unique, wait_for, zip_of

import fileproc_sandbox as sandbox
from fileproc_sandbox.control import port_taken

pytestmark = pytest.mark.slow


def settings_in(tmp_path: Path) -> sandbox.Settings:
    return sandbox.Settings(port=free_port(), api_port=free_port(), state_dir=tmp_path)


def group_members(pgid: int) -> set[int]:
    """Live processes whose process group is pgid (the sandbox and what it started)."""
    members = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields[0] != "Z" and int(fields[2]) == pgid:
            members.add(int(stat.parent.name))
    return members


def port_open(port: int) -> bool:
    return port_taken(port)


def test_up_is_idempotent_and_down_leaves_nothing_running(tmp_path: Path) -> None:
    settings = settings_in(tmp_path)
    assert sandbox.up(settings) == settings.endpoint
    pid = int(settings.pid_file.read_text())
    assert sandbox.up(settings) == settings.endpoint  # the second up finds it running
    assert int(settings.pid_file.read_text()) == pid
    info = sandbox.status(settings)
    assert info["running"]
    assert info["pid"] == pid

    # A function in flight, so that there is a runtime process to stop as well.
    box = Sandbox(settings)
    sqs, lam = box.client("sqs"), box.client("lambda")
    queue = sqs.create_queue(QueueName=unique("q"), Attributes={"VisibilityTimeout": "60"})
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue["QueueUrl"], AttributeNames=["QueueArn"])
    role = box.client("iam").create_role(RoleName="r", AssumeRolePolicyDocument=ROLE_POLICY)
    function = lam.create_function(
        FunctionName=unique("sleepy"),
        Runtime="python3.12",
        Role=role["Role"]["Arn"],
        Handler="app.handler",
        Code={
            "ZipFile": zip_of({"app.py": "import time\ndef handler(e, c):\n    time.sleep(60)\n"})
        },
        Timeout=60,
    )
    lam.create_event_source_mapping(
        EventSourceArn=queue_arn["Attributes"]["QueueArn"], FunctionName=function["FunctionArn"]
    )
    sqs.send_message(QueueUrl=queue["QueueUrl"], MessageBody=json.dumps({"n": 1}))
    wait_for(lambda: len(group_members(pid)) > 1)  # the runtime process is running

    assert sandbox.down(settings)
    assert group_members(pid) == set()
    assert not port_open(settings.port)
    assert not port_open(settings.api_port)
    assert not settings.pid_file.exists()
    assert not sandbox.status(settings)["running"]
    assert sandbox.down(settings) is False


def test_up_refuses_a_port_that_another_program_holds(tmp_path: Path) -> None:
    settings = settings_in(tmp_path)
    with socket.socket() as other:
        other.bind(("127.0.0.1", settings.port))
        other.listen()
        with pytest.raises(sandbox.SandboxError, match=f"port {settings.port} is taken"):
            sandbox.up(settings)
    assert not settings.pid_file.exists()


def test_a_server_that_cannot_start_reports_the_end_of_its_log(tmp_path: Path) -> None:
    port = free_port()
    clash = sandbox.Settings(port=port, api_port=port, state_dir=tmp_path)
    with pytest.raises(sandbox.SandboxError, match="exited with status") as failed:
        sandbox.up(clash)
    assert "Address already in use" in str(failed.value)
    assert not clash.pid_file.exists()


def test_down_never_signals_a_process_that_is_not_the_sandbox(tmp_path: Path) -> None:
    """After a crash and a reboot the pid file may name an unrelated process."""
    import subprocess

    settings = settings_in(tmp_path)
    stranger = subprocess.Popen(["sleep", "60"], start_new_session=True)
    try:
        settings.state_dir.mkdir(parents=True, exist_ok=True)
        settings.pid_file.write_text(str(stranger.pid))
        assert sandbox.down(settings) is False
        assert stranger.poll() is None  # still running
        assert not settings.pid_file.exists()
    finally:
        stranger.kill()
        stranger.wait()
