"""The Terraform wrapper's arguments and environments, and the outputs file (no terraform run)."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from fileproc_cli import outputs
from fileproc_tools import terraform

TERRAFORM_OUTPUT = {
    "api_url": {"value": "https://abc123.execute-api.us-east-1.amazonaws.com/v1", "type": "string"},
    "api_id": {"value": "abc123", "type": "string"},
    "api_stage_name": {"value": "v1", "type": "string"},
    "api_key_value": {"value": "secret-key", "type": "string", "sensitive": True},
    "function_names": {"value": {"api": "fileproc-sandbox-api"}, "type": ["map", "string"]},
    "console_url": {
        "value": "https://abc123.execute-api.us-east-1.amazonaws.com/v1/console",
        "type": "string",
    },
}


def test_every_environment_has_its_variables_and_backend() -> None:
    assert set(terraform.environments()) >= {"dev", "staging", "prod", "sandbox"}
    for env in terraform.environments():
        tf = terraform.Target(env)
        assert tf.tfvars.exists()
        assert tf.backend_config.exists()
        assert tf.backend_bucket()


def test_a_real_environment_uses_its_files_and_the_callers_credentials(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AWS_PROFILE", "dev-admin")
    tf = terraform.target("dev")
    assert tf.init_args() == [f"-backend-config={terraform.ENVS_DIR / 'dev.backend.hcl'}"]
    assert tf.var_args() == [f"-var-file={terraform.ENVS_DIR / 'dev.tfvars'}"]
    env = tf.process_env()
    assert env["AWS_PROFILE"] == "dev-admin"
    assert env["TF_DATA_DIR"].endswith("/.terraform/env/dev")


def test_the_sandbox_adds_the_endpoint_and_fake_credentials(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AWS_PROFILE", "prod-admin")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAREALKEY")
    tf = terraform.Target("sandbox", endpoint="http://127.0.0.1:4566")
    assert '-backend-config=endpoints={s3="http://127.0.0.1:4566"}' in tf.init_args()
    assert "-var=aws_endpoint_url=http://127.0.0.1:4566" in tf.var_args()
    env = tf.process_env()
    assert "AWS_PROFILE" not in env
    assert env["AWS_ACCESS_KEY_ID"] == "sandbox"
    assert env["AWS_REGION"] == tf.region() == "us-east-1"
    assert env["TF_DATA_DIR"].endswith("/.terraform/env/sandbox")


def test_an_unknown_environment_is_refused() -> None:
    with pytest.raises(terraform.TerraformError, match=r"no envs/qa\.tfvars"):
        terraform.target("qa")


def test_outputs_are_flat_and_the_sandbox_api_url_is_the_local_front(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FILEPROC_SANDBOX_DIR", str(tmp_path))
    flat = outputs.with_local_api_url(outputs.flatten(TERRAFORM_OUTPUT), "http://127.0.0.1:4567")
    assert flat["api_url"] == "http://127.0.0.1:4567/abc123/v1"
    assert flat["api_invoke_url"] == TERRAFORM_OUTPUT["api_url"]["value"]
    # The console is a path of the same API: served by the same front.
    assert flat["console_url"] == "http://127.0.0.1:4567/abc123/v1/console"
    assert flat["api_key_value"] == "secret-key"
    assert flat["function_names"] == {"api": "fileproc-sandbox-api"}

    path = outputs.write("sandbox", flat)
    assert path == tmp_path / "outputs-sandbox.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600  # it holds the API key
    assert json.loads(path.read_text()) == flat
    assert outputs.load("sandbox") == flat
    with pytest.raises(outputs.OutputsMissing, match="make deploy ENV=dev"):
        outputs.load("dev")


def test_run_streams_each_line_without_colours_to_a_callback(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The demo shows what apply waits on from these lines; stderr comes along too."""
    fake = tmp_path / "terraform"
    fake.write_text('#!/bin/sh\necho "args: $*"\necho "warning on stderr" >&2\nexit 0\n')
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", f"{tmp_path}:/usr/bin:/bin")
    lines: list[str] = []
    tf = terraform.Target("dev")
    assert terraform.run(tf, "apply", "-input=false", on_line=lines.append) == ""
    assert lines[0] == f"args: -chdir={terraform.REPO_ROOT} apply -no-color -input=false\n"
    assert lines[1] == "warning on stderr\n"


def test_run_raises_with_the_subcommand_when_terraform_fails(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    fake = tmp_path / "terraform"
    fake.write_text("#!/bin/sh\necho boom\nexit 3\n")
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", f"{tmp_path}:/usr/bin:/bin")
    with pytest.raises(terraform.TerraformError, match=r"terraform plan failed \(exit 3\)"):
        terraform.run(terraform.Target("dev"), "plan", on_line=lambda line: None)


def test_a_placeholder_state_bucket_is_refused_before_terraform_runs(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # No terraform on PATH: the check must come before any terraform command.
    monkeypatch.setenv("PATH", str(tmp_path))
    assert terraform.Target("dev").backend_bucket().startswith(terraform.PLACEHOLDER_PREFIX)
    with pytest.raises(
        terraform.TerraformError,
        match=r"envs/dev\.backend\.hcl still names the placeholder state bucket",
    ):
        terraform.init(terraform.Target("dev"))


def test_a_real_state_bucket_goes_on_to_terraform_init(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    backend = tmp_path / "dev.backend.hcl"
    backend.write_text('bucket = "acme-terraform-state"\nregion = "eu-west-1"\n')
    monkeypatch.setattr(terraform.Target, "backend_config", property(lambda self: backend))
    monkeypatch.setenv("PATH", str(tmp_path))  # no terraform: init reaches it and says so
    with pytest.raises(terraform.TerraformError, match="terraform is not on PATH"):
        terraform.init(terraform.Target("dev"))
