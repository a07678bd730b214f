"""The hostile-file suite (fileproc_tools.hostile) at small scale, through the real
handler path: an S3 notification in an SQS batch, make_sqs_handler with the isolated
processor of the file's function (a forked child per file, with the function's
default memory as its limit), moto in-process. Each kind must end in the terminal
record its generator expects; the handler never raises and never leaves a record
PROCESSING. ``make bench --only hostile`` runs the same kinds at full size.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from conftest import BUCKET, TABLE, FakeLambdaContext
from moto import mock_aws
from pipeline_events import Uploads, sqs_event, sqs_message

from fileproc.config import Settings
from fileproc.errors import OutOfMemory
from fileproc.isolation import isolated
from fileproc.keys import Category, category_for, file_id_for_key
from fileproc.pipeline import Clients, make_sqs_handler
from fileproc.processors import data, document, image
from fileproc.records import Records
from fileproc_tools import hostile
from fileproc_tools.inprocess import REGION, create_table, notification

PROCESSORS = {
    Category.IMAGE: image.process,
    Category.DOCUMENT: document.process,
    Category.DATA: data.process,
}
# The module's defaults (modules/compute/variables.tf): the child's memory limit.
MEMORY_MB = {Category.IMAGE: 1024, Category.DOCUMENT: 2048, Category.DATA: 1024}

# Kinds that reveal a bug not fixed here: name -> why (listed in the suite's README line).
KNOWN: dict[str, str] = {}


def kinds() -> list[Any]:
    return [
        pytest.param(
            kind, id=kind.name, marks=pytest.mark.xfail(reason=KNOWN[kind.name], strict=True)
        )
        if kind.name in KNOWN
        else pytest.param(kind, id=kind.name)
        for kind in hostile.KINDS
    ]


def test_the_suite_has_at_least_60_kinds_with_unique_names() -> None:
    names = [kind.name for kind in hostile.KINDS]
    assert len(names) >= 60
    assert len(set(names)) == len(names)
    assert {category_for(kind.key_name) for kind in hostile.KINDS} == set(PROCESSORS)


@dataclass
class Ended:
    response: Any
    item: dict[str, Any] | None


@pytest.fixture(scope="module")
def ended() -> Iterator[dict[str, Ended | BaseException]]:
    """Every kind, each in its own invocation of its function's handler, in one moto
    session (a session per kind cost more than the files): kind name -> how it ended."""
    with mock_aws():
        s3 = boto3.client("s3", region_name=REGION)
        s3.create_bucket(Bucket=BUCKET)
        s3.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})
        dynamodb = boto3.client("dynamodb", region_name=REGION)
        create_table(dynamodb, TABLE)
        clients = Clients(s3=s3, dynamodb=dynamodb)
        settings = Settings.from_env()
        handlers = {
            category: make_sqs_handler(
                category,
                isolated(process, memory_mb=MEMORY_MB[category]),
                settings=settings,
                clients=clients,
            )
            for category, process in PROCESSORS.items()
        }
        uploads, records = Uploads(s3, BUCKET), Records(dynamodb, TABLE)
        results: dict[str, Ended | BaseException] = {}
        for kind in hostile.KINDS:
            key = f"uploads/{kind.key_name}"
            category = category_for(key)
            assert category is not None
            try:
                message = sqs_message(notification(uploads.put(key, kind.make(hostile.SMALL))))
                response = handlers[category](sqs_event(message), FakeLambdaContext())
                results[kind.name] = Ended(response, records.get(file_id_for_key(BUCKET, key)))
            except Exception as exc:  # reported by that kind's test
                results[kind.name] = exc
        yield results


@pytest.mark.parametrize("kind", kinds())
def test_each_hostile_kind_ends_in_its_expected_record(
    ended: dict[str, Ended | BaseException], kind: hostile.Kind
) -> None:
    result = ended[kind.name]
    assert isinstance(result, Ended), f"the handler raised {result!r}"
    assert result.response == {"batchItemFailures": []}
    item = result.item
    assert item is not None
    outcome = (item["status"], item.get("error", {}).get("type"))
    expect = kind.expected(hostile.SMALL)
    assert outcome == (expect.status, expect.error_type), item.get("error")
    if expect.status == hostile.PROCESSED:
        assert item["metadata"]
        assert item["processed_at"]
    else:
        assert item["error"]["message"].strip()
        assert item["error"]["retryable"] is False


def test_in_the_smallest_function_a_stream_bomb_is_out_of_memory_not_a_crash() -> None:
    """The small bomb (a 75 MB content stream) that a 2,048 MB function reads: in a
    128 MB function PDFium aborts at the child's limit (SIGABRT), and the record says
    OutOfMemory with that limit, not Crashed."""
    data = hostile.pdf_deflate_bomb(hostile.SMALL)
    process = isolated(document.process, memory_mb=128)

    with pytest.raises(OutOfMemory, match=r"MB a file may use in this function \(128 MB less"):
        process(io.BytesIO(data), size=len(data), extension=".pdf", settings=Settings.from_env())
