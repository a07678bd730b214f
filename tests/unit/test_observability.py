"""Logging never exposes credentials, whatever the function's log level."""

from __future__ import annotations

import logging
from urllib.parse import parse_qs, urlsplit

import boto3
import pytest
from botocore.config import Config
from moto import mock_aws

from fileproc import observability


@pytest.mark.parametrize("name", observability.QUIET_LIBRARIES)
def test_aws_libraries_log_at_warning(name: str) -> None:
    assert logging.getLogger(name).getEffectiveLevel() == logging.WARNING


def test_a_presigned_url_and_the_session_token_stay_out_of_debug_logs(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # What Lambda does with log level DEBUG: the root logger takes every record.
    caplog.set_level(logging.DEBUG)
    with mock_aws():
        s3 = boto3.client("s3", region_name="us-east-1", config=Config(signature_version="s3v4"))
        # A signed request (its canonical request holds the session token), then a presign.
        s3.create_bucket(Bucket="signed-requests")
        url = s3.generate_presigned_url(
            "get_object", Params={"Bucket": "signed-requests", "Key": "k"}, ExpiresIn=60
        )

    logging.getLogger("fileproc.probe").debug("probe")

    signature = parse_qs(urlsplit(url).query)["X-Amz-Signature"][0]
    logged = caplog.text
    assert "probe" in logged  # DEBUG records of other loggers are captured
    assert signature not in logged
    assert "X-Amz-Signature" not in logged
    assert "x-amz-security-token" not in logged.lower()
