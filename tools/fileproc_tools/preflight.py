"""Preflight of an AWS environment: ``make preflight ENV=<env>``, run by ``make plan``
and ``make deploy`` before the zips are built.

What it catches would otherwise surface late: the placeholders of ``envs/`` after
the build (the state bucket) or at apply (an account id no credentials match, an
alarm address that never receives the confirmation mail), and a Lambda
concurrency quota too small for the reservations after most of the stack exists
("Specified ReservedConcurrentExecutions for function decreases account's
UnreservedConcurrentExecution below its minimum value of [100]").

Two steps. The placeholders are read from the files alone (no AWS call, so a
fresh checkout gets every fix to make at once). Then, with the caller's
credentials: the account they belong to, and what the stack needs of the account
that Terraform cannot check at plan time:

- Lambda concurrency (GetAccountSettings, GetFunctionConcurrency): AWS keeps 100
  executions unreserved, so the account's limit must cover the environment's
  reservations (prod: 90), the reservations of the account's other functions,
  plus 100. New accounts may start with a lower limit than that.
- API Gateway's CloudWatch role (GetAccount): one setting per account and region.
  With ``api.manage_account_logging_role = false`` the stage's logging settings
  fail at apply when no role is set; with ``true`` the stack takes the setting
  over from whatever set it (told, not refused).

Other quotas the stack meets are far from its needs (one REST API of the 600 per
region, one API key, 3 queues, 4 functions and 5 layers against the 75 GB code
storage, 6-8 alarms, 1 table) or are throughput limits that no preflight can
judge (DynamoDB partitions, KMS requests per second), so they are not checked.

The sandbox has none of this: ``--env sandbox`` checks nothing.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import hcl2
from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError

from fileproc_tools.tfconfig import REPO_ROOT

ENVS_DIR = REPO_ROOT / "envs"
SANDBOX = "sandbox"
# The example account ids of envs/*.tfvars.
PLACEHOLDER_ACCOUNT_IDS = frozenset({"111111111111", "222222222222", "333333333333"})
# Reserved for documentation (RFC 2606): no mail is ever delivered there.
EXAMPLE_DOMAINS = ("example.com", "example.net", "example.org")
# envs/<env>.backend.hcl names this until a user sets their state bucket.
PLACEHOLDER_BUCKET_PREFIX = "CHANGE-ME"
ROLES = ("image", "document", "data", "api")
# AWS Lambda keeps this many concurrent executions unreserved in every account
# and region; reservations may not eat into it.
UNRESERVED_MINIMUM = 100
# Service Quotas: AWS Lambda, "Concurrent executions".
LAMBDA_CONCURRENCY_QUOTA = "L-B99A9384"


@dataclass(frozen=True)
class Environment:
    """What the preflight needs from envs/<env>.tfvars and envs/<env>.backend.hcl."""

    env: str
    account_id: str
    region: str
    project: str
    production: bool
    alarm_email: str | None
    cors_allowed_origins: tuple[str, ...]
    reserved_concurrency: Mapping[str, int]  # role -> reservation; roles without one absent
    manage_account_logging_role: bool
    state_bucket: str

    @property
    def function_names(self) -> dict[str, str]:
        return {role: f"{self.project}-{self.env}-{role}" for role in ROLES}

    @property
    def logging_role_name(self) -> str:
        return f"{self.project}-{self.env}-apigateway-logs"


@dataclass
class Report:
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _load(path: Path) -> dict[str, Any]:
    options = hcl2.SerializationOptions(strip_string_quotes=True, with_comments=False)
    with path.open() as file:
        return dict(hcl2.load(file, serialization_options=options))


def read_environment(env: str, envs_dir: Path = ENVS_DIR) -> Environment:
    """The settings of envs/<env>.tfvars, with the root module's defaults where absent."""
    tfvars = _load(envs_dir / f"{env}.tfvars")
    backend = _load(envs_dir / f"{env}.backend.hcl")
    environment = str(tfvars["environment"])
    functions = tfvars.get("functions") or {}
    reserved = {
        role: int(functions[role]["reserved_concurrency"])
        for role in ROLES
        if (functions.get(role) or {}).get("reserved_concurrency") is not None
    }
    production = tfvars.get("production")
    return Environment(
        env=environment,
        account_id=str(tfvars["aws_account_id"]),
        region=str(tfvars.get("region", "us-east-1")),
        project=str(tfvars.get("project", "fileproc")),
        production=environment == "prod" if production is None else bool(production),
        alarm_email=tfvars.get("alarm_email"),
        cors_allowed_origins=tuple(tfvars.get("cors_allowed_origins") or ["*"]),
        reserved_concurrency=reserved,
        manage_account_logging_role=bool(
            (tfvars.get("api") or {}).get("manage_account_logging_role", True)
        ),
        state_bucket=str(backend.get("bucket", "")),
    )


def _example_domain(host: str) -> bool:
    host = host.lower()
    return any(host == d or host.endswith(f".{d}") for d in EXAMPLE_DOMAINS)


def check_placeholders(found: Environment) -> list[str]:
    """The values still left as the examples of envs/, each with what to put instead."""
    tfvars = f"envs/{found.env}.tfvars"
    problems = []
    if found.state_bucket.startswith(PLACEHOLDER_BUCKET_PREFIX):
        problems.append(
            f"envs/{found.env}.backend.hcl: bucket = {found.state_bucket!r} is the placeholder:"
            " create a versioned, encrypted S3 bucket for the Terraform state and put its name"
            " there (README: Deploying to AWS)"
        )
    if found.account_id in PLACEHOLDER_ACCOUNT_IDS:
        problems.append(
            f"{tfvars}: aws_account_id = {found.account_id!r} is the example's placeholder: put"
            f" the 12-digit id of your {found.env} account (`aws sts get-caller-identity"
            " --query Account --output text` with its credentials)"
        )
    if found.alarm_email is None:
        if found.production:
            problems.append(
                f"{tfvars}: a production environment needs alarm_email: the address of the"
                " team that answers the alarms (AWS mails it a confirmation link first)"
            )
    elif _example_domain(found.alarm_email.rpartition("@")[2]):
        problems.append(
            f"{tfvars}: alarm_email = {found.alarm_email!r} is an example address that never"
            " receives mail (nor the subscription's confirmation): put the on-call team's"
            " address"
        )
    examples = [o for o in found.cors_allowed_origins if _example_domain(o.split("://")[-1])]
    if examples:
        problems.append(
            f"{tfvars}: cors_allowed_origins has example origins {examples}: put the origins"
            ' of your web application (e.g. "https://app.yourcompany.com")'
        )
    return problems


@dataclass(frozen=True)
class Clients:
    """The AWS clients the account checks use, in the environment's region."""

    sts: Any
    lambda_: Any
    apigateway: Any

    @classmethod
    def create(cls, region: str) -> Clients:
        session = boto3.Session(region_name=region)
        return cls(
            sts=session.client("sts"),
            lambda_=session.client("lambda"),
            apigateway=session.client("apigateway"),
        )


def _current_reservation(lambda_: Any, function_name: str) -> int:
    try:
        response = lambda_.get_function_concurrency(FunctionName=function_name)
    except ClientError as exc:
        if exc.response["Error"]["Code"] == "ResourceNotFoundException":
            return 0  # not deployed yet
        raise
    return int(response.get("ReservedConcurrentExecutions") or 0)


def check_lambda_concurrency(found: Environment, lambda_: Any) -> tuple[list[str], str]:
    """(problems, summary): does the account's limit leave 100 unreserved after the stack's?"""
    settings = lambda_.get_account_settings()
    limit = int(settings["AccountLimit"]["ConcurrentExecutions"])
    unreserved = int(settings["AccountLimit"]["UnreservedConcurrentExecutions"])
    current = {
        role: _current_reservation(lambda_, name) for role, name in found.function_names.items()
    }
    wanted = sum(found.reserved_concurrency.values())
    # What the apply changes: each function moves from its current reservation
    # to the wanted one (none: -1 in Terraform, which removes it).
    change = wanted - sum(current.values())
    unreserved_after = unreserved - change
    reserved_elsewhere = limit - unreserved - sum(current.values())
    summary = (
        f"Lambda concurrency in {found.region}: limit {limit}, the stack reserves {wanted},"
        f" other functions {reserved_elsewhere}, {unreserved_after} left unreserved"
    )
    if wanted == 0 or unreserved_after >= UNRESERVED_MINIMUM:
        return [], summary
    needed = limit + UNRESERVED_MINIMUM - unreserved_after
    breakdown = ", ".join(f"{r} {n}" for r, n in found.reserved_concurrency.items())
    problem = (
        f"Lambda concurrency: envs/{found.env}.tfvars reserves {wanted} concurrent executions"
        f" ({breakdown}), the account's other functions reserve {reserved_elsewhere}, and AWS"
        f" keeps {UNRESERVED_MINIMUM} unreserved, so the account needs a limit of at least"
        f" {needed} in {found.region}; it is {limit}. Request it in Service Quotas: AWS Lambda,"
        f" 'Concurrent executions' (quota code {LAMBDA_CONCURRENCY_QUOTA}), region"
        f" {found.region}, value {needed} or more:\n"
        f"    aws service-quotas request-service-quota-increase --service-code lambda"
        f" --quota-code {LAMBDA_CONCURRENCY_QUOTA} --desired-value {needed}"
        f" --region {found.region}\n"
        f"  or lower functions.*.reserved_concurrency in envs/{found.env}.tfvars."
    )
    return [problem], summary


def check_api_gateway_logging(found: Environment, apigateway: Any) -> Report:
    report = Report()
    role = apigateway.get_account().get("cloudwatchRoleArn")
    if found.manage_account_logging_role:
        if role and not role.endswith(f":role/{found.logging_role_name}"):
            report.notes.append(
                f"API Gateway's CloudWatch role of {found.region} is {role}; this stack replaces"
                f" it with {found.logging_role_name} (one setting per account and region). Set"
                " api.manage_account_logging_role = false if another stack owns it."
            )
    elif not role:
        report.problems.append(
            f"API Gateway has no CloudWatch role in {found.region} and envs/{found.env}.tfvars"
            " sets api.manage_account_logging_role = false: the stage's logging settings would"
            " fail at apply. Set it to true, or set the role where the account's setting is"
            " managed (`aws apigateway update-account`)."
        )
    return report


def check_account(found: Environment, clients: Clients) -> Report:
    """The checks that need the caller's credentials, in the environment's account."""
    report = Report()
    try:
        caller = clients.sts.get_caller_identity()
    except NoCredentialsError:
        report.problems.append(
            f"no AWS credentials: sign in to the {found.env} account ({found.account_id}),"
            " e.g. `aws sso login --profile <profile>` and AWS_PROFILE=<profile>"
        )
        return report
    if caller["Account"] != found.account_id:
        report.problems.append(
            f"the credentials are for account {caller['Account']} ({caller['Arn']}), but"
            f" envs/{found.env}.tfvars deploys to {found.account_id}: use that account's"
            " credentials (the provider refuses the others too)"
        )
        return report
    try:
        problems, summary = check_lambda_concurrency(found, clients.lambda_)
        report.problems += problems
        report.notes.append(summary)
        logging = check_api_gateway_logging(found, clients.apigateway)
    except (ClientError, BotoCoreError) as exc:
        report.problems.append(
            f"could not read the account's settings ({exc}): the preflight needs"
            " lambda:GetAccountSettings, lambda:GetFunctionConcurrency and apigateway:GET"
            " on /account"
        )
        return report
    report.problems += logging.problems
    report.notes += logging.notes
    return report


def preflight(env: str, envs_dir: Path = ENVS_DIR, clients: Clients | None = None) -> Report:
    found = read_environment(env, envs_dir)
    placeholders = check_placeholders(found)
    if placeholders:
        # No AWS call: the account id itself may be a placeholder.
        return Report(problems=placeholders)
    return check_account(found, clients or Clients.create(found.region))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m fileproc_tools.preflight")
    parser.add_argument("--env", required=True, help="dev, staging, prod (sandbox: nothing)")
    args = parser.parse_args(argv)
    if args.env == SANDBOX:
        print("preflight: the sandbox has no placeholders or quotas to check")
        return 0
    if not (ENVS_DIR / f"{args.env}.tfvars").exists():
        print(f"error: no envs/{args.env}.tfvars", file=sys.stderr)
        return 1
    report = preflight(args.env)
    for note in report.notes:
        print(f"preflight: {note}")
    for problem in report.problems:
        print(f"error: {problem}", file=sys.stderr)
    if report.problems:
        print(f"preflight of {args.env} failed: fix the above, then run it again", file=sys.stderr)
        return 1
    print(f"preflight of {args.env}: ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
