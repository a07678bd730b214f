"""A private sandbox for these tests: its own ports and state directory, stopped at the end.

The tests talk to it the way the deployed stack does, through the AWS APIs on
its endpoint, and deploy small functions of their own (zips built here) so that
they do not depend on the project's build or Terraform.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator

import pytest
from sandbox_helpers import ROLE_POLICY, Queue, Sandbox, free_port, unique, zip_of

import fileproc_sandbox as sandbox


@pytest.fixture(scope="session")
def box(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    settings = sandbox.Settings(
        port=free_port(),
        api_port=free_port(),
        state_dir=tmp_path_factory.mktemp("sandbox"),
    )
    sandbox.up(settings)
    try:
        yield Sandbox(settings)
    finally:
        sandbox.down(settings)


@pytest.fixture(scope="session")
def role_arn(box: Sandbox) -> str:
    iam = box.client("iam")
    role = iam.create_role(RoleName="sandbox-tests", AssumeRolePolicyDocument=ROLE_POLICY)
    arn: str = role["Role"]["Arn"]
    return arn


@pytest.fixture
def deploy_function(box: Sandbox, role_arn: str) -> Callable[..., str]:
    """Create a Python 3.12 function from handler source (module app); returns its ARN."""

    def deploy(
        source: str,
        *,
        timeout: int = 10,
        environment: dict[str, str] | None = None,
        layers: list[str] | None = None,
    ) -> str:
        response = box.client("lambda").create_function(
            FunctionName=unique("fn"),
            Runtime="python3.12",
            Role=role_arn,
            Handler="app.handler",
            Code={"ZipFile": zip_of({"app.py": source})},
            Timeout=timeout,
            MemorySize=256,
            Environment={"Variables": environment or {}},
            Layers=layers or [],
        )
        arn: str = response["FunctionArn"]
        return arn

    return deploy


@pytest.fixture
def make_queue(box: Sandbox) -> Callable[..., Queue]:
    """A queue, optionally redriving to a DLQ after max_receives."""
    sqs = box.client("sqs")

    def make(dlq: Queue | None = None, max_receives: int = 2, visibility: int = 30) -> Queue:
        attributes = {"VisibilityTimeout": str(visibility)}
        if dlq is not None:
            attributes["RedrivePolicy"] = json.dumps(
                {"deadLetterTargetArn": dlq.arn, "maxReceiveCount": max_receives}
            )
        url = sqs.create_queue(QueueName=unique("q"), Attributes=attributes)["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
        return Queue(url, arn)

    return make
