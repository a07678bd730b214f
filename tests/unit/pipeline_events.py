"""Real-shaped S3 event notifications and SQS events for the pipeline tests.

``Uploads`` puts objects into the moto bucket and returns the notification S3
would send for each request (structure 2.1, with the version id and ETag of the
response and an increasing sequencer), so tests deliver them as they like:
twice, late, out of order.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from fileproc_tools.inprocess import REGION, s3_record

QUEUE_ARN = f"arn:aws:sqs:{REGION}:123456789012:fileproc-test-image"

# S3 sequencers are hex strings, increasing per key; about 18 digits in practice.
_SEQUENCERS = itertools.count(0x0055AED6DCD90281E5)


def next_sequencer() -> str:
    return format(next(_SEQUENCERS), "X").rjust(18, "0")


def s3_test_event_body(bucket: str) -> str:
    """What S3 sends once when a notification configuration is saved."""
    return json.dumps(
        {
            "Service": "Amazon S3",
            "Event": "s3:TestEvent",
            "Time": "2026-11-24T09:00:00.000Z",
            "Bucket": bucket,
            "RequestId": "5582815E1AEA5ADF",
            "HostId": "8cLeGAmw098X5cv4Zkwcmo8vvZa3eH3eKxsPzbB9wrR+YstdA6Knx4Ip8EXAMPLE",
        }
    )


def sqs_message(body: str, *, message_id: str | None = None, receive_count: int = 1) -> dict:
    """One record of the SQS event Lambda delivers to the function."""
    return {
        "messageId": message_id or str(uuid.uuid4()),
        "receiptHandle": "AQEBwJnKyrHigUMZj6rYigCgxlaS3SLy0a" + uuid.uuid4().hex,
        "body": body,
        "attributes": {
            "ApproximateReceiveCount": str(receive_count),
            "SentTimestamp": "1764000000000",
            "SenderId": "AIDAIENQZJOLO23YVJ4VO",
            "ApproximateFirstReceiveTimestamp": "1764000000001",
        },
        "messageAttributes": {},
        "md5OfBody": hashlib.md5(body.encode(), usedforsecurity=False).hexdigest(),
        "eventSource": "aws:sqs",
        "eventSourceARN": QUEUE_ARN,
        "awsRegion": REGION,
    }


def sqs_event(*messages: dict[str, Any]) -> dict[str, Any]:
    return {"Records": list(messages)}


@dataclass
class Uploads:
    """Puts and deletes objects in the moto bucket and returns S3's notification for each."""

    s3: Any
    bucket: str
    clock: itertools.count = field(default_factory=lambda: itertools.count(1))

    def _time(self) -> str:
        # Each request a millisecond after the previous one, as S3 would stamp them.
        moment = datetime(2026, 11, 24, 9, 30, tzinfo=UTC).timestamp() + next(self.clock) / 1000
        stamp = datetime.fromtimestamp(moment, UTC).isoformat(timespec="milliseconds")
        return stamp.replace("+00:00", "Z")

    def put(
        self, key: str, body: bytes, content_type: str = "application/octet-stream"
    ) -> dict[str, Any]:
        response = self.s3.put_object(
            Bucket=self.bucket, Key=key, Body=body, ContentType=content_type
        )
        return s3_record(
            "ObjectCreated:Put",
            self.bucket,
            key,
            sequencer=next_sequencer(),
            size=len(body),
            etag=response["ETag"].strip('"'),
            version_id=response.get("VersionId"),
            event_time=self._time(),
        )

    def delete(self, key: str, version_id: str | None = None) -> dict[str, Any]:
        request: dict[str, Any] = {"Bucket": self.bucket, "Key": key}
        if version_id is not None:
            request["VersionId"] = version_id
        response = self.s3.delete_object(**request)
        marker = response.get("DeleteMarker") and version_id is None
        return s3_record(
            "ObjectRemoved:DeleteMarkerCreated" if marker else "ObjectRemoved:Delete",
            self.bucket,
            key,
            sequencer=next_sequencer(),
            version_id=response.get("VersionId"),
            event_time=self._time(),
        )
