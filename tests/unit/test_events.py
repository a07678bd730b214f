from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from pipeline_events import s3_test_event_body

from fileproc.events import InvalidMessage, parse_body
from fileproc_tools.inprocess import notification, s3_record

# The example of AWS's "Event message structure" page (structure 2.1), as S3 sends it.
AWS_EXAMPLE = """{"Records":[{"eventVersion":"2.1","eventSource":"aws:s3","awsRegion":"us-west-2",
"eventTime":"1970-01-01T00:00:00.000Z","eventName":"ObjectCreated:Put",
"userIdentity":{"principalId":"AIDAJDPLRKLG7UEXAMPLE"},
"requestParameters":{"sourceIPAddress":"127.0.0.1"},
"responseElements":{"x-amz-request-id":"C3D13FE58DE4C810",
"x-amz-id-2":"FMyUVURIY8/IgAtTv8xRjskZQpcIZ9KG4V5Wp6S7S/JRWeUWerMUE5JgHvANOjpD"},
"s3":{"s3SchemaVersion":"1.0","configurationId":"testConfigRule",
"bucket":{"name":"amzn-s3-demo-bucket","ownerIdentity":{"principalId":"A3NL1KOZZKExample"},
"arn":"arn:aws:s3:::amzn-s3-demo-bucket"},
"object":{"key":"uploads/HappyFace.jpg","size":1024,"eTag":"d41d8cd98f00b204e9800998ecf8427e",
"versionId":"096fKKXTRTtl3on89fVO.nfljtsv6qko","sequencer":"0055AED6DCD90281E5"}}}]}"""


def test_parses_the_documented_aws_example() -> None:
    [event] = parse_body(AWS_EXAMPLE)
    assert event.event_name == "ObjectCreated:Put"
    assert event.bucket == "amzn-s3-demo-bucket"
    assert event.key == "uploads/HappyFace.jpg"
    assert event.version_id == "096fKKXTRTtl3on89fVO.nfljtsv6qko"
    assert event.sequencer == "0055AED6DCD90281E5"
    assert event.size == 1024
    assert event.etag == "d41d8cd98f00b204e9800998ecf8427e"
    assert event.event_time == datetime(1970, 1, 1, tzinfo=UTC)
    assert event.request_id == "C3D13FE58DE4C810"
    assert event.is_created
    assert not event.is_removed


@pytest.mark.parametrize(
    ("encoded", "decoded"),
    [
        ("uploads/my+holiday+photo.jpg", "uploads/my holiday photo.jpg"),
        ("uploads/a%2Bb%3Dc.png", "uploads/a+b=c.png"),
        ("uploads/%C3%A9t%C3%A9+%E6%BC%A2%E5%AD%97.pdf", "uploads/été 漢字.pdf"),
        ("uploads/100%25+done.txt", "uploads/100% done.txt"),
    ],
)
def test_keys_are_url_decoded_as_s3_encodes_them(encoded: str, decoded: str) -> None:
    record = s3_record("ObjectCreated:Put", "b", "x", sequencer="01", size=1)
    record["s3"]["object"]["key"] = encoded
    [event] = parse_body(notification(record))
    assert event.key == decoded


def test_the_helper_encodes_keys_like_s3_and_they_round_trip() -> None:
    key = "uploads/ä b+c/d é.JPG"
    record = s3_record("ObjectCreated:Put", "b", key, sequencer="01", size=1)
    assert record["s3"]["object"]["key"] == "uploads/%C3%A4+b%2Bc/d+%C3%A9.JPG"
    assert parse_body(notification(record))[0].key == key


def test_s3_test_event_has_no_records() -> None:
    assert parse_body(s3_test_event_body("bucket")) == []


def test_every_record_of_a_message_is_returned_in_order() -> None:
    body = notification(
        s3_record("ObjectCreated:Put", "b", "uploads/1.png", sequencer="01", size=1),
        s3_record("ObjectRemoved:DeleteMarkerCreated", "b", "uploads/2.png", sequencer="02"),
    )
    first, second = parse_body(body)
    assert first.key == "uploads/1.png"
    assert second.key == "uploads/2.png"
    assert second.is_removed
    assert second.is_delete_marker
    assert second.size is None


def test_null_version_lowercase_sequencer_and_s3_prefix_are_normalised() -> None:
    record = s3_record(
        "s3:ObjectCreated:Post", "b", "uploads/a.png", sequencer="00abc", size=3, version_id="null"
    )
    [event] = parse_body(notification(record))
    assert event.version_id is None
    assert event.sequencer == "00ABC"
    assert event.event_name == "ObjectCreated:Post"


def test_a_missing_sequencer_is_allowed() -> None:
    record = s3_record("ObjectCreated:Put", "b", "uploads/a.png", sequencer=None, size=3)
    assert parse_body(notification(record))[0].sequencer is None


def test_event_time_without_zone_is_utc_and_offsets_are_converted() -> None:
    naive = s3_record(
        "ObjectCreated:Put", "b", "k", sequencer="1", size=1, event_time="2026-11-24T09:30:00.5"
    )
    offset = s3_record(
        "ObjectCreated:Put", "b", "k", sequencer="1", size=1, event_time="2026-11-24T10:30:00+01:00"
    )
    assert parse_body(notification(naive))[0].event_time == datetime(
        2026, 11, 24, 9, 30, 0, 500000, tzinfo=UTC
    )
    assert parse_body(notification(offset))[0].event_time == datetime(
        2026, 11, 24, 9, 30, tzinfo=UTC
    )


def _with(change: dict) -> str:
    record = s3_record("ObjectCreated:Put", "b", "uploads/a.png", sequencer="01", size=1)
    for path, value in change.items():
        target = record
        *parents, last = path.split(".")
        for part in parents:
            target = target[part]
        if value is None:
            del target[last]
        else:
            target[last] = value
    return notification(record)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("not json", "not JSON"),
        ("[1, 2]", "not a JSON object"),
        ("{}", "no S3 'Records'"),
        ('{"Records": []}', "no S3 'Records'"),
        (json.dumps({"Type": "Notification", "Message": "{}"}), "SNS envelope"),
        (json.dumps({"Records": ["x"]}), "eventSource"),
        (_with({"eventSource": "aws:sqs"}), "eventSource"),
        (_with({"eventVersion": "1.0"}), "unsupported S3 event version"),
        (_with({"s3.object.key": None}), "lacks 'key'"),
        (_with({"s3.object.key": ""}), "no bucket name or object key"),
        (_with({"s3.bucket": "b"}), "lacks"),
        (_with({"eventTime": "yesterday"}), "not ISO-8601"),
        (_with({"s3.object.sequencer": "xyz"}), "not a hex string"),
        (_with({"s3.object.sequencer": "1" * 33}), "not a hex string"),
        (_with({"s3.object.size": "big"}), "not an integer"),
        (_with({"s3.object.size": -1}), "negative"),
    ],
)
def test_bodies_that_are_not_s3_notifications_are_invalid(body: str, message: str) -> None:
    with pytest.raises(InvalidMessage, match=message):
        parse_body(body)
