"""make lint: which steps run for what the repository holds, and how results are reported.

The Terraform tests run the real terraform CLI on tiny configurations without
providers (no download, no network); they are skipped where terraform is absent.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

from fileproc_tools import lint
from fileproc_tools.lint import Step

needs_terraform = pytest.mark.skipif(shutil.which("terraform") is None, reason="no terraform CLI")


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def python(code: str) -> list[str]:
    return [sys.executable, "-c", code]


def step_named(steps: list[Step], name: str) -> Step:
    (step,) = [step for step in steps if step.name == name]
    return step


def test_steps_follow_what_the_repository_holds(tmp_path: Path) -> None:
    write(tmp_path / "main.tf", "")
    write(tmp_path / "modules" / "storage" / "main.tf", "")
    write(tmp_path / "modules" / "notes" / "README.md", "no Terraform here")
    (tmp_path / "lambda_src").mkdir()
    (tmp_path / "tools").mkdir()

    steps = lint.plan_steps(tmp_path)

    assert [step.name for step in steps] == [
        "terraform fmt",
        "terraform validate root",
        "terraform validate modules/storage",
        "checkov",
        "checkov skips have reasons",
        "ruff check",
        "ruff format",
        "mypy",
    ]
    assert list(step_named(steps, "ruff check").commands[0][-2:]) == ["lambda_src", "tools"]
    assert not any(step.skipped for step in steps)


def test_validate_uses_its_own_data_dir_per_configuration(tmp_path: Path) -> None:
    write(tmp_path / "main.tf", "")
    write(tmp_path / "modules" / "api" / "main.tf", "")
    steps = lint.plan_steps(tmp_path)
    data_dirs = {
        step_named(steps, name).env["TF_DATA_DIR"]  # type: ignore[index]
        for name in ("terraform validate root", "terraform validate modules/api")
    }
    assert data_dirs == {
        str(tmp_path / "build" / "lint" / "terraform" / "root"),
        str(tmp_path / "build" / "lint" / "terraform" / "modules-api"),
    }


def test_registry_downloads_share_one_plugin_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(lint, "terraform_env", lambda: {"PATH": "/usr/bin"})
    env = lint.terraform_environment(tmp_path, "root")
    assert env["TF_PLUGIN_CACHE_DIR"] == str(tmp_path / "build" / "lint" / "plugin-cache")
    assert env["TF_PLUGIN_CACHE_MAY_BREAK_DEPENDENCY_LOCK_FILE"] == "true"

    mirror = {"PATH": "/usr/bin", "TF_CLI_CONFIG_FILE": "/x/terraformrc"}
    monkeypatch.setattr(lint, "terraform_env", lambda: dict(mirror))
    assert "TF_PLUGIN_CACHE_DIR" not in lint.terraform_environment(tmp_path, "root")


def test_nothing_to_check_yet_is_skipped_not_failed(tmp_path: Path) -> None:
    report = lint.run(lint.plan_steps(tmp_path), tmp_path)
    assert {outcome.status for outcome in report.outcomes} == {"SKIP"}
    assert not report.failed


def test_a_failed_step_fails_the_run_and_the_others_still_run(tmp_path: Path) -> None:
    marker = tmp_path / "second-command-ran"
    steps = [
        Step("first", [python("pass")]),
        Step("second", [python("raise SystemExit(3)"), python(f"open({str(marker)!r}, 'w')")]),
        Step("third", [python("pass")]),
        Step("later", skipped="not yet"),
    ]
    report = lint.run(steps, tmp_path)
    assert [(o.name, o.status) for o in report.outcomes] == [
        ("first", "PASS"),
        ("second", "FAIL"),
        ("third", "PASS"),
        ("later", "SKIP"),
    ]
    assert report.failed
    assert not marker.exists(), "a step stops at its first failing command"
    summary = report.summary()
    assert "FAIL  second (exit 3)" in summary
    assert "SKIP  later (not yet)" in summary


def test_a_missing_tool_is_a_failure(tmp_path: Path) -> None:
    outcome = lint.run_step(Step("tool", [[str(tmp_path / "no-such-tool")]]), tmp_path)
    assert outcome.status == "FAIL"
    assert "not found" in outcome.detail


def test_an_inline_checkov_skip_needs_a_reason(tmp_path: Path) -> None:
    write(
        tmp_path / "modules" / "storage" / "main.tf",
        'resource "aws_s3_bucket" "this" {\n'
        "  #checkov:skip=CKV_AWS_18:access logs go to the organisation's log bucket\n"
        "  #checkov:skip=CKV_AWS_144\n"
        "  # checkov:skip=CKV2_AWS_62:   \n"
        "}\n",
    )
    write(tmp_path / ".terraform" / "modules" / "x" / "main.tf", "#checkov:skip=CKV_AWS_1\n")
    assert lint.inline_skips_without_reason(tmp_path) == [
        "modules/storage/main.tf:3: CKV_AWS_144 is skipped without a reason",
        "modules/storage/main.tf:4: CKV2_AWS_62 is skipped without a reason",
    ]
    outcome = lint.run_step(
        step_named(lint.plan_steps(tmp_path), "checkov skips have reasons"), tmp_path
    )
    assert (outcome.status, outcome.detail) == ("FAIL", "2 found")


@needs_terraform
def test_terraform_fmt_step_catches_unformatted_files(tmp_path: Path) -> None:
    config = write(tmp_path / "modules" / "a" / "main.tf", 'locals {\n  name="x"\n}\n')
    fmt = step_named(lint.plan_steps(tmp_path), "terraform fmt")
    assert lint.run_step(fmt, tmp_path).status == "FAIL"
    config.write_text('locals {\n  name = "x"\n}\n')
    assert lint.run_step(fmt, tmp_path).status == "PASS"


@needs_terraform
def test_terraform_validate_step_catches_an_invalid_module(tmp_path: Path) -> None:
    config = write(
        tmp_path / "modules" / "a" / "main.tf",
        'output "name" {\n  description = "x"\n  value       = var.undeclared\n}\n',
    )
    validate = step_named(lint.plan_steps(tmp_path), "terraform validate modules/a")
    assert lint.run_step(validate, tmp_path).status == "FAIL"
    config.write_text('output "name" {\n  description = "x"\n  value       = "ok"\n}\n')
    assert lint.run_step(validate, tmp_path).status == "PASS"
    assert not (tmp_path / "modules" / "a" / ".terraform").exists()


def test_checkov_runs_from_its_own_venv_with_the_pinned_release(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The pin make lint installs comes from pyproject.toml.
    assert lint.main(["--checkov-requirement"]) == 0
    requirement = capsys.readouterr().out.strip()
    assert requirement == lint.checkov_requirement()
    assert requirement.startswith("checkov>=3.3")
    # Its own venv when there is one (it pins boto3 and packaging exactly), and
    # neither venv is scanned as Terraform.
    write(tmp_path / "main.tf", "")
    isolated = write(tmp_path / ".venv-checkov" / "bin" / "checkov", "#!/bin/sh\n")
    command = step_named(lint.plan_steps(tmp_path), "checkov").commands[0]
    assert command[0] == str(isolated)
    assert {".venv", ".venv-checkov", "build"} <= set(command)
