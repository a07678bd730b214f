"""The preflight of make plan/deploy: the repository's placeholders, and the account
checks against stubbed AWS answers (botocore's Stubber: real request validation,
no network)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from fileproc_tools import preflight
from fileproc_tools.preflight import Clients, Environment

ACCOUNT = "444455556666"
PROD_NAMES = {r: f"fileproc-prod-{r}" for r in ("image", "document", "data", "api")}


def _environment(tmp_path: Path, env: str, replacements: dict[str, str]) -> Path:
    """A copy of envs/ with envs/<env>.tfvars edited (placeholders replaced)."""
    envs = tmp_path / "envs"
    shutil.copytree(preflight.ENVS_DIR, envs)
    for name in (f"{env}.tfvars", f"{env}.backend.hcl"):
        path = envs / name
        text = path.read_text()
        for old, new in replacements.items():
            text = text.replace(old, new)
        path.write_text(text)
    return envs


FILLED_PROD = {
    '"333333333333"': f'"{ACCOUNT}"',
    "fileproc-oncall@example.com": "oncall@fileproc.io",
    "https://app.example.com": "https://app.fileproc.io",
    "CHANGE-ME-fileproc-terraform-state": "acme-terraform-state",
}


# --- placeholders (files only) -----------------------------------------------------------


@pytest.mark.parametrize("env", ["dev", "staging", "prod"])
def test_the_repository_placeholders_are_refused_with_what_to_change(env: str) -> None:
    found = preflight.read_environment(env)
    problems = preflight.check_placeholders(found)
    text = "\n".join(problems)
    assert f"envs/{env}.backend.hcl: bucket = 'CHANGE-ME-fileproc-terraform-state'" in text
    assert f"aws_account_id = '{found.account_id}' is the example's placeholder" in text
    assert "cors_allowed_origins has example origins" in text
    if env == "prod":
        assert "alarm_email = 'fileproc-oncall@example.com' is an example address" in text
        assert len(problems) == 4
    else:
        assert len(problems) == 3


def test_prod_settings_are_read_as_terraform_sees_them() -> None:
    found = preflight.read_environment("prod")
    assert found.production
    assert found.region == "us-east-1"
    assert found.reserved_concurrency == {"image": 20, "document": 10, "data": 10, "api": 50}
    assert found.function_names == PROD_NAMES
    assert found.manage_account_logging_role
    dev = preflight.read_environment("dev")
    assert not dev.production
    assert dev.reserved_concurrency == {}
    assert dev.alarm_email is None


def test_filled_in_prod_has_no_placeholder(tmp_path: Path) -> None:
    envs = _environment(tmp_path, "prod", FILLED_PROD)
    assert preflight.check_placeholders(preflight.read_environment("prod", envs)) == []


def test_production_needs_an_alarm_address(tmp_path: Path) -> None:
    envs = _environment(tmp_path, "prod", FILLED_PROD)
    path = envs / "prod.tfvars"
    path.write_text(path.read_text().replace('alarm_email = "oncall@fileproc.io"', ""))
    (problem,) = preflight.check_placeholders(preflight.read_environment("prod", envs))
    assert "a production environment needs alarm_email" in problem


def test_a_placeholder_stops_before_any_aws_call(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_aws(region: str) -> Clients:
        raise AssertionError("no AWS call with placeholders")

    monkeypatch.setattr(Clients, "create", staticmethod(no_aws))
    report = preflight.preflight("prod")
    assert len(report.problems) == 4


def test_main_fails_on_placeholders_and_skips_the_sandbox(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert preflight.main(["--env", "sandbox"]) == 0
    assert preflight.main(["--env", "staging"]) == 1
    err = capsys.readouterr().err
    assert "aws_account_id = '222222222222'" in err
    assert "preflight of staging failed" in err


# --- the account (stubbed AWS answers) -----------------------------------------------------


@pytest.fixture
def clients() -> Iterator[tuple[Clients, dict[str, Stubber]]]:
    session = boto3.Session(
        region_name="us-east-1", aws_access_key_id="testing", aws_secret_access_key="testing"
    )
    made = Clients(
        sts=session.client("sts"),
        lambda_=session.client("lambda"),
        apigateway=session.client("apigateway"),
    )
    stubs = {name: Stubber(getattr(made, name)) for name in ("sts", "lambda_", "apigateway")}
    for stub in stubs.values():
        stub.activate()
    yield made, stubs
    for stub in stubs.values():
        stub.assert_no_pending_responses()
        stub.deactivate()


def _prod(tmp_path: Path) -> Environment:
    return preflight.read_environment("prod", _environment(tmp_path, "prod", FILLED_PROD))


def _caller(stubs: dict[str, Stubber], account: str = ACCOUNT) -> None:
    stubs["sts"].add_response(
        "get_caller_identity",
        {"UserId": "AIDA", "Account": account, "Arn": f"arn:aws:iam::{account}:user/deployer"},
    )


def _lambda(
    stubs: dict[str, Stubber], limit: int, unreserved: int, current: dict[str, int]
) -> None:
    stubs["lambda_"].add_response(
        "get_account_settings",
        {
            "AccountLimit": {
                "ConcurrentExecutions": limit,
                "UnreservedConcurrentExecutions": unreserved,
            },
            "AccountUsage": {"FunctionCount": 0},
        },
    )
    for role, name in PROD_NAMES.items():
        if role in current:
            stubs["lambda_"].add_response(
                "get_function_concurrency",
                {"ReservedConcurrentExecutions": current[role]},
                {"FunctionName": name},
            )
        else:
            stubs["lambda_"].add_client_error(
                "get_function_concurrency",
                service_error_code="ResourceNotFoundException",
                http_status_code=404,
                expected_params={"FunctionName": name},
            )


def _apigateway(stubs: dict[str, Stubber], role: str | None) -> None:
    answer: dict[str, Any] = {} if role is None else {"cloudwatchRoleArn": role}
    stubs["apigateway"].add_response("get_account", answer)


def test_a_new_account_with_the_default_limit_takes_prod(
    tmp_path: Path, clients: tuple[Clients, dict[str, Stubber]]
) -> None:
    made, stubs = clients
    _caller(stubs)
    _lambda(stubs, limit=1000, unreserved=1000, current={})
    _apigateway(stubs, None)
    report = preflight.check_account(_prod(tmp_path), made)
    assert report.problems == []
    assert report.notes == [
        "Lambda concurrency in us-east-1: limit 1000, the stack reserves 90,"
        " other functions 0, 910 left unreserved"
    ]


@pytest.mark.parametrize("limit", [10, 100, 189])
def test_a_low_concurrency_limit_says_exactly_what_to_request(
    tmp_path: Path, clients: tuple[Clients, dict[str, Stubber]], limit: int
) -> None:
    made, stubs = clients
    _caller(stubs)
    _lambda(stubs, limit=limit, unreserved=limit, current={})
    _apigateway(stubs, None)
    (problem,) = preflight.check_account(_prod(tmp_path), made).problems
    assert "reserves 90 concurrent executions (image 20, document 10, data 10, api 50)" in problem
    assert f"a limit of at least 190 in us-east-1; it is {limit}" in problem
    assert (
        "aws service-quotas request-service-quota-increase --service-code lambda"
        " --quota-code L-B99A9384 --desired-value 190 --region us-east-1"
    ) in problem


def test_other_functions_reservations_count(
    tmp_path: Path, clients: tuple[Clients, dict[str, Stubber]]
) -> None:
    made, stubs = clients
    _caller(stubs)
    # Another application of the account already reserves 50 of 200.
    _lambda(stubs, limit=200, unreserved=150, current={})
    _apigateway(stubs, None)
    (problem,) = preflight.check_account(_prod(tmp_path), made).problems
    assert "other functions reserve 50" in problem
    assert "--desired-value 240" in problem


def test_a_deployed_stack_counts_its_own_reservations_once(
    tmp_path: Path, clients: tuple[Clients, dict[str, Stubber]]
) -> None:
    made, stubs = clients
    _caller(stubs)
    # 190: the stack's 90 are already reserved; 100 left, as AWS requires.
    current = {"image": 20, "document": 10, "data": 10, "api": 50}
    _lambda(stubs, limit=190, unreserved=100, current=current)
    _apigateway(stubs, "arn:aws:iam::444455556666:role/fileproc-prod-apigateway-logs")
    report = preflight.check_account(_prod(tmp_path), made)
    assert report.problems == []
    assert "100 left unreserved" in report.notes[0]
    assert len(report.notes) == 1  # the logging role is this stack's: nothing to say


def test_credentials_of_another_account_are_refused(
    tmp_path: Path, clients: tuple[Clients, dict[str, Stubber]]
) -> None:
    made, stubs = clients
    _caller(stubs, account="999988887777")
    (problem,) = preflight.check_account(_prod(tmp_path), made).problems
    assert "credentials are for account 999988887777" in problem
    assert f"deploys to {ACCOUNT}" in problem


def test_taking_over_the_logging_role_is_told(
    tmp_path: Path, clients: tuple[Clients, dict[str, Stubber]]
) -> None:
    made, stubs = clients
    _caller(stubs)
    _lambda(stubs, limit=1000, unreserved=1000, current={})
    _apigateway(stubs, "arn:aws:iam::444455556666:role/platform-apigw-logs")
    report = preflight.check_account(_prod(tmp_path), made)
    assert report.problems == []
    assert "this stack replaces it with fileproc-prod-apigateway-logs" in report.notes[1]


def test_no_logging_role_when_the_stack_does_not_manage_it(
    tmp_path: Path, clients: tuple[Clients, dict[str, Stubber]]
) -> None:
    made, stubs = clients
    envs = _environment(tmp_path, "prod", FILLED_PROD)
    path = envs / "prod.tfvars"
    path.write_text(
        path.read_text().replace("api = {\n", "api = {\n  manage_account_logging_role = false\n", 1)
    )
    found = preflight.read_environment("prod", envs)
    assert not found.manage_account_logging_role
    _caller(stubs)
    _lambda(stubs, limit=1000, unreserved=1000, current={})
    _apigateway(stubs, None)
    (problem,) = preflight.check_account(found, made).problems
    assert "API Gateway has no CloudWatch role in us-east-1" in problem


def test_missing_permissions_are_reported_not_raised(
    tmp_path: Path, clients: tuple[Clients, dict[str, Stubber]]
) -> None:
    made, stubs = clients
    _caller(stubs)
    stubs["lambda_"].add_client_error(
        "get_account_settings", service_error_code="AccessDeniedException", http_status_code=403
    )
    (problem,) = preflight.check_account(_prod(tmp_path), made).problems
    assert "lambda:GetAccountSettings" in problem
