"""Shared fixtures for the unit tests: the functions' environment and moto in-process.

The environment is set before any ``fileproc.handlers`` module is imported,
because handlers read their settings at import, as they do on Lambda.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from moto import mock_aws

from fileproc_tools.inprocess import REGION, create_table, function_environment

BUCKET = "fileproc-test-uploads"
TABLE = "fileproc-test-files"

FUNCTION_ENV = {
    **function_environment(
        bucket=BUCKET,
        table=TABLE,
        environment="test",
        allowed_origins="https://app.example.com,http://localhost:3000",
    ),
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SECURITY_TOKEN": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "POWERTOOLS_TRACE_DISABLED": "true",
    "POWERTOOLS_DEV": "false",
}
# Set at collection time, before any test module imports a handler. A real
# endpoint must never be reached from the unit tests.
os.environ.update(FUNCTION_ENV)
os.environ.pop("AWS_ENDPOINT_URL", None)
os.environ.pop("AWS_PROFILE", None)


@dataclass
class Aws:
    s3: Any
    dynamodb: Any
    sqs: Any
    bucket: str = BUCKET
    table: str = TABLE


@pytest.fixture
def aws() -> Iterator[Aws]:
    """moto in-process with the uploads bucket (versioned) and the files table."""
    with mock_aws():
        s3 = boto3.client("s3", region_name=REGION)
        s3.create_bucket(Bucket=BUCKET)
        s3.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})
        dynamodb = boto3.client("dynamodb", region_name=REGION)
        create_table(dynamodb, TABLE)
        yield Aws(s3=s3, dynamodb=dynamodb, sqs=boto3.client("sqs", region_name=REGION))


@dataclass
class FakeLambdaContext:
    """The attributes of LambdaContext that Powertools and the handlers read."""

    function_name: str = "fileproc-test-fn"
    memory_limit_in_mb: int = 512
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:123456789012:function:fileproc-test-fn"
    aws_request_id: str = "c6af9ac6-7b61-11e6-9a41-93e812345678"
    function_version: str = "$LATEST"
    log_group_name: str = "/aws/lambda/fileproc-test-fn"
    log_stream_name: str = "2026/11/24/[$LATEST]abcdef"

    def get_remaining_time_in_millis(self) -> int:
        return 300_000


@pytest.fixture
def lambda_context() -> FakeLambdaContext:
    return FakeLambdaContext()


class _CurrentStdout:
    """Writes to whatever sys.stdout is when a line is logged."""

    def write(self, text: str) -> int:
        return sys.stdout.write(text)

    def flush(self) -> None:
        sys.stdout.flush()


@pytest.fixture(autouse=True)
def powertools_logs_to_current_stdout() -> None:
    """Powertools' handler keeps the sys.stdout of the moment its Logger was made
    (often collection time, when another module imported it), which capsys never sees."""
    service = logging.getLogger(FUNCTION_ENV["POWERTOOLS_SERVICE_NAME"])
    for handler in service.handlers:
        if isinstance(handler, logging.StreamHandler):
            # Not setStream(): it flushes the old stream, which is closed when the Logger
            # was made during an earlier test (its captured stdout is gone).
            handler.stream = _CurrentStdout()
