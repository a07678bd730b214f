"""The sandbox's test-only fault injection (fileproc_sandbox.faults) does what the retry
tests rely on: one object's GETs fail with the S3 error asked for, nothing else does, and
lifting the fault restores it."""

from __future__ import annotations

import botocore.config
import botocore.exceptions
import pytest

from fileproc_sandbox import faults

from .stack import Stack

pytestmark = pytest.mark.integration


def test_a_fault_fails_only_the_gets_of_its_object_until_lifted(stack: Stack) -> None:
    # One attempt per call, so that the hits count the calls.
    s3 = stack.client("s3", botocore.config.Config(retries={"total_max_attempts": 1}))
    faulty, healthy = "probes/faulty.txt", "probes/healthy.txt"  # outside uploads/: unprocessed
    for key in (faulty, healthy):
        s3.put_object(Bucket=stack.bucket, Key=key, Body=key.encode())

    faults.inject(stack.endpoint, stack.bucket, faulty)
    try:
        with pytest.raises(botocore.exceptions.ClientError) as failed:
            s3.get_object(Bucket=stack.bucket, Key=faulty)
        error = failed.value.response
        assert error["ResponseMetadata"]["HTTPStatusCode"] == 503
        assert error["Error"]["Code"] == "SlowDown"
        assert s3.head_object(Bucket=stack.bucket, Key=faulty)["ContentLength"] == len(faulty)
        assert s3.get_object(Bucket=stack.bucket, Key=healthy)["Body"].read() == healthy.encode()
        assert faults.hits(stack.endpoint, stack.bucket, faulty) == 1
    finally:
        faults.lift_all(stack.endpoint)
    assert faults.faults_in_force(stack.endpoint) == []
    assert s3.get_object(Bucket=stack.bucket, Key=faulty)["Body"].read() == faulty.encode()
