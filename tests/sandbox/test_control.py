"""``make sandbox-up | sandbox-down | sandbox-status``, on a sandbox of their own."""

from __future__ import annotations

import io
import json
import socket
from pathlib import Path

import pytest
from sandbox_helpers import ROLE_POLICY, Sandbox, free_port, unique, wait_for, zip_of

import fileproc_sandbox as sandbox
from fileproc_sandbox import control
from fileproc_sandbox.control import group_members, port_taken

pytestmark = pytest.mark.slow


def settings_in(tmp_path: Path) -> sandbox.Settings:
    return sandbox.Settings(port=free_port(), api_port=free_port(), state_dir=tmp_path)


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


# ---------------------------------------------------------------- the sandbox knows itself


def test_a_running_sandbox_is_found_from_its_directory_and_not_started_twice(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = settings_in(tmp_path)
    sandbox.up(settings)
    try:
        state = json.loads(settings.state_file.read_text())
        assert (state["port"], state["api_port"]) == (settings.port, settings.api_port)
        assert state["pid"] == int(settings.pid_file.read_text())
        assert state["start_id"] == sandbox.start_id(settings)

        # A new shell: the directory, no port. status and the endpoints find it.
        monkeypatch.setenv("FILEPROC_SANDBOX_DIR", str(tmp_path))
        monkeypatch.delenv("SANDBOX_PORT", raising=False)
        monkeypatch.delenv("SANDBOX_API_PORT", raising=False)
        assert sandbox.endpoint_url() == settings.endpoint
        assert sandbox.api_endpoint_url() == settings.api_endpoint
        assert control.main(["status"]) == 0
        assert f"running, pid {state['pid']}" in capsys.readouterr().out

        # A second up on other ports in the same directory is refused; the first is untouched.
        log_before = settings.log_file.read_text()
        monkeypatch.setenv("SANDBOX_PORT", str(free_port()))
        assert control.main(["up"]) == 1
        refusal = capsys.readouterr().err
        assert f"a sandbox already runs from {tmp_path} (pid {state['pid']}" in refusal
        assert "make sandbox-down" in refusal
        assert int(settings.pid_file.read_text()) == state["pid"]
        assert settings.log_file.read_text().startswith(log_before)
        assert sandbox.is_running(settings)

        # down finds it without the port too.
        monkeypatch.delenv("SANDBOX_PORT")
        assert control.main(["down"]) == 0
        assert "sandbox stopped" in capsys.readouterr().out
        assert not settings.state_file.exists()
        assert not sandbox.is_running(settings)
    finally:
        sandbox.down(settings)


def test_outputs_of_a_restarted_sandbox_are_named_stale(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from fileproc_cli import config, outputs
    from fileproc_cli.main import main as cli_main

    settings = settings_in(tmp_path)
    monkeypatch.setenv("FILEPROC_SANDBOX_DIR", str(tmp_path))
    for name in ("SANDBOX_PORT", "SANDBOX_API_PORT", config.URL_VARIABLE, config.KEY_VARIABLE):
        monkeypatch.delenv(name, raising=False)
    sandbox.up(settings)
    try:
        deployed_to = sandbox.start_id(settings)
        outputs.write(
            "sandbox",
            {
                "api_url": f"{settings.api_endpoint}/abc123/v1",
                "api_key_value": "k" * 20,
                sandbox.START_ID_OUTPUT: deployed_to,
            },
        )
        assert config.resolve().url == f"{settings.api_endpoint}/abc123/v1"

        sandbox.down(settings)
        with pytest.raises(config.ConfigError, match="sandbox that is not running"):
            config.resolve()
        sandbox.up(settings)
        assert sandbox.start_id(settings) not in (None, deployed_to)
        with pytest.raises(config.ConfigError, match="has been restarted since") as stale:
            config.resolve()
        assert "outputs-sandbox.json is stale" in str(stale.value)
        assert "make deploy ENV=sandbox" in str(stale.value)

        err = io.StringIO()
        assert cli_main(["ls"], out=io.StringIO(), err=err) == 2  # configuration, not "refused"
        assert "is stale" in err.getvalue()
    finally:
        sandbox.down(settings)
