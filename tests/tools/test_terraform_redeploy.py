"""When a sandbox deploy may skip ``terraform apply`` or its refresh: the inputs it hashes and
the decision. (The apply itself is measured by make demo and run by the integration tests.)"""

from __future__ import annotations

from pathlib import Path

import pytest

from fileproc_tools import terraform


@pytest.fixture
def checkout(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A root module with a module, the sandbox's envs files and built zips."""
    files = {
        "main.tf": 'module "storage" { source = "./modules/storage" }\n',
        "variables.tf": 'variable "x" {}\n',
        "README.md": "words\n",
        "modules/storage/main.tf": 'resource "aws_s3_bucket" "this" {}\n',
        "modules/storage/.terraform/cache.txt": "tool state\n",
        "envs/sandbox.tfvars": 'environment = "sandbox"\n',
        "envs/sandbox.backend.hcl": 'bucket = "state"\nkey = "a/b.tfstate"\n',
        "envs/dev.tfvars": 'environment = "dev"\n',
        "build/function.zip": "zip one",
        "build/layer-data-python3.12-x86_64.zip": "zip two",
        "build/function.zip.inputs.json": "{}",
        "build/wheels/x.whl": "wheel",
    }
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    monkeypatch.setattr(terraform, "ENVS_DIR", tmp_path / "envs")
    monkeypatch.delenv("TF_VAR_owner", raising=False)
    return tmp_path


SANDBOX = terraform.Target("sandbox", endpoint="http://127.0.0.1:4740")


def fingerprint(root: Path, tf: terraform.Target = SANDBOX) -> str:
    return terraform.fingerprint(terraform.stack_inputs(tf, root))


def test_stack_inputs_are_the_configuration_the_tfvars_and_the_zips(checkout: Path) -> None:
    inputs = terraform.stack_inputs(SANDBOX, checkout)
    assert sorted(name for name in inputs if "/" in name or name.endswith(".tf")) == [
        "build/function.zip",
        "build/layer-data-python3.12-x86_64.zip",
        "envs/sandbox.backend.hcl",
        "envs/sandbox.tfvars",
        "main.tf",
        "modules/storage/main.tf",
        "variables.tf",
    ]


@pytest.mark.parametrize(
    "changed",
    [
        "main.tf",
        "modules/storage/main.tf",
        "envs/sandbox.tfvars",
        "build/function.zip",
        "build/layer-data-python3.12-x86_64.zip",
    ],
)
def test_any_change_to_an_input_changes_the_fingerprint(checkout: Path, changed: str) -> None:
    before = fingerprint(checkout)
    path = checkout / changed
    path.write_text(path.read_text() + " ")
    assert fingerprint(checkout) != before


def test_what_terraform_does_not_read_leaves_the_fingerprint(checkout: Path) -> None:
    before = fingerprint(checkout)
    for name in (
        "README.md",
        "envs/dev.tfvars",
        "build/wheels/x.whl",
        "build/function.zip.inputs.json",
    ):
        (checkout / name).write_text("other")
    (checkout / "modules/storage/.terraform/cache.txt").write_text("other")
    assert fingerprint(checkout) == before


def test_a_new_zip_a_new_module_file_or_a_tf_var_changes_the_fingerprint(
    checkout: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = fingerprint(checkout)
    (checkout / "build/console.zip").write_text("zip three")
    assert fingerprint(checkout) != before
    before = fingerprint(checkout)
    (checkout / "modules/storage/extra.tf").write_text("")
    assert fingerprint(checkout) != before
    before = fingerprint(checkout)
    monkeypatch.setenv("TF_VAR_owner", "me")
    assert fingerprint(checkout) != before
    before = fingerprint(checkout)
    other_port = terraform.Target("sandbox", endpoint="http://127.0.0.1:4750")
    assert fingerprint(checkout, other_port) != before


def test_apply_mode_trusts_only_the_state_its_last_deploy_left() -> None:
    recorded = {"fingerprint": "f1", "state": "v7 etag7"}
    assert terraform.apply_mode(recorded, "v7 etag7", "f1") == "skip"
    # Something to change, state as we left it: nothing else writes the sandbox's resources.
    assert terraform.apply_mode(recorded, "v7 etag7", "f2") == "no-refresh"
    # Applied or destroyed since (another version), a restarted sandbox (no state), no record.
    assert terraform.apply_mode(recorded, "v8 etag8", "f1") == "full"
    assert terraform.apply_mode(recorded, None, "f1") == "full"
    assert terraform.apply_mode(None, "v7 etag7", "f1") == "full"
    assert terraform.apply_mode({"fingerprint": "f1"}, "v7 etag7", "f1") == "full"
