"""The demo's pieces that need no sandbox: reading Terraform's progress, the printed commands,
and the verdict on the samples. (make demo itself runs the real thing end to end.)"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from fileproc_tools import demo, runtime_python
from fileproc_tools.demo import ApplyTracker, command_prefix, content_key, unexpected
from fileproc_tools.samples import SAMPLES, SAMPLES_DIR

# Lines as terraform 1.11 prints them with -no-color (taken from a sandbox apply).
APPLY = """\
module.storage.aws_s3_bucket.this: Refreshing state... [id=fileproc-sandbox-uploads-123456789012]
module.api.aws_api_gateway_rest_api.this: Refreshing state... [id=umt6rnalxj]
Plan: 6 to add, 1 to change, 1 to destroy.
module.storage.aws_backup_vault.this[0]: Creating...
module.api.aws_api_gateway_deployment.this: Creating...
module.compute.aws_sqs_queue.dlq["image"]: Creating...
module.api.aws_api_gateway_deployment.this: Creation complete after 0s [id=u34de88g7o]
module.api.aws_api_gateway_stage.this: Modifying... [id=ags-umt6rnalxj-v1]
module.compute.aws_sqs_queue.dlq["image"]: Still creating... [10s elapsed]
module.api.aws_api_gateway_stage.this: Modifications complete after 0s [id=ags-umt6rnalxj-v1]
module.api.aws_api_gateway_deployment.this (deposed object be3fafaa): Destroying... [id=2mcnczqiyx]
"""


def feed(tracker: ApplyTracker, text: str, start: float = 0.0) -> None:
    for offset, line in enumerate(text.splitlines()):
        tracker.feed(line + "\n", start + offset)


def test_tracker_follows_the_plan_and_what_is_still_working() -> None:
    tracker = ApplyTracker()
    feed(tracker, APPLY.split("Plan:")[0])
    assert tracker.status(3) == "deploy: planning, 2 resources read, 3 s"
    feed(tracker, APPLY)
    assert (tracker.total, tracker.finished) == (8, 2)
    assert tracker.status(75) == (
        "deploy: 2/8 resources done, 1 min 15 s; waiting on aws_backup_vault.this[0], "
        'aws_sqs_queue.dlq["image"] +1'
    )
    feed(
        tracker,
        "module.api.aws_api_gateway_deployment.this: Destruction complete after 0s\n"
        "Apply complete! Resources: 6 added, 1 changed, 1 destroyed.\n",
    )
    assert tracker.applied == "6 added, 1 changed, 1 destroyed"
    assert not tracker.no_changes


def test_tracker_notices_nothing_to_do_and_errors() -> None:
    tracker = ApplyTracker()
    feed(tracker, "No changes. Your infrastructure matches the configuration.\n")
    assert tracker.no_changes
    feed(tracker, "Error: creating SQS Queue: timeout while waiting for state\n")
    assert tracker.errors == ["Error: creating SQS Queue: timeout while waiting for state"]


def test_printed_commands_repeat_a_non_default_sandbox() -> None:
    assert command_prefix({"SANDBOX_PORT": "4566"}) == ""
    assert command_prefix({}) == ""
    assert command_prefix({"SANDBOX_PORT": "45660", "FILEPROC_SANDBOX_DIR": "/tmp/my box"}) == (
        "SANDBOX_PORT=45660 FILEPROC_SANDBOX_DIR='/tmp/my box' "
    )


def test_verdict_on_the_samples() -> None:
    records = [{"filename": s.filename, "status": s.expected_status} for s in SAMPLES]
    assert unexpected(records) == []
    records[-1]["status"] = "PROCESSED"  # the damaged JPEG must not pass
    assert unexpected(records) == ["broken-photo.jpg ended PROCESSED, expected FAILED"]


def test_demo_stops_early_without_the_runtime_s_python(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Without an interpreter for the sandbox's runtime every sample would time out after
    minutes; the demo says what to install before it starts anything."""
    monkeypatch.setattr(runtime_python, "find_interpreter", lambda runtime: None)
    monkeypatch.setattr(runtime_python, "uv_command", lambda: None)
    monkeypatch.setattr(
        demo.sandbox, "ensure_up", lambda: pytest.fail("the sandbox must not start")
    )
    assert demo.main([]) != 0
    err = capsys.readouterr().err
    assert "no Python 3.12" in err
    assert "FILEPROC_PYTHON3_12" in err


# --- re-runs: what the demo reuses ----------------------------------------------------------


class ListingClient:
    """The one call processed_before makes: the records, newest first."""

    def __init__(self, records: list[dict[str, object]]) -> None:
        self.records = records
        self.limits: list[int] = []

    def iter_files(self, *, limit: int) -> Iterator[dict[str, object]]:
        self.limits.append(limit)
        yield from self.records[:limit]


def sample_record(filename: str, status: str, data: bytes | None = None) -> dict[str, object]:
    data = (SAMPLES_DIR / filename).read_bytes() if data is None else data
    _, size, md5 = content_key(filename, data)
    return {
        "file_id": f"{filename}-{status}-{md5[:6]}",
        "filename": filename,
        "size": size,
        "etag": md5,  # as the S3 event gives it: no quotes
        "status": status,
    }


def test_processed_before_takes_only_the_same_content_that_ended_as_expected() -> None:
    photo = (SAMPLES_DIR / "photo.jpg").read_bytes()
    edited = photo[:-1] + b"\x00"  # same name and size, other content
    newest_first = [
        sample_record("photo.jpg", "PROCESSED", edited),
        sample_record("report.pdf", "PROCESSING"),  # not final: not reused
        sample_record("broken-photo.jpg", "PROCESSED"),  # not what it must end as
        sample_record("photo.jpg", "PROCESSED"),
        sample_record("notes.txt", "PROCESSED"),
        sample_record("notes.txt", "FAILED"),
        {**sample_record("catalog.json", "PROCESSED"), "etag": None},  # no event seen
    ]
    client = ListingClient(newest_first)
    found = demo.processed_before(client)  # type: ignore[arg-type]
    assert {name: record["file_id"] for name, record in found.items()} == {
        "photo.jpg": newest_first[3]["file_id"],
        "notes.txt": newest_first[4]["file_id"],
    }
    assert client.limits == [demo.REUSE_LOOKBACK]


def test_a_quoted_etag_is_the_same_content() -> None:
    record = sample_record("notes.txt", "PROCESSED")
    record["etag"] = f'"{record["etag"]}"'
    assert "notes.txt" in demo.processed_before(ListingClient([record]))  # type: ignore[arg-type]
