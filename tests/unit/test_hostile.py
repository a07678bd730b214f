"""The hostile-file suite (fileproc_tools.hostile) at small scale, through the real
handler path: an S3 notification in an SQS batch, make_sqs_handler with the isolated
processor of the file's function (a forked child per file, with the function's
default memory as its limit), moto in-process. Each kind must end in the terminal
record its generator expects; the handler never raises and never leaves a record
PROCESSING. ``make bench --only hostile`` runs the same kinds at full size.
"""

from __future__ import annotations

from typing import Any

import pytest
from conftest import Aws, FakeLambdaContext
from pipeline_events import Uploads, sqs_event, sqs_message

from fileproc.config import Settings
from fileproc.isolation import isolated
from fileproc.keys import Category, category_for, file_id_for_key
from fileproc.pipeline import Clients, make_sqs_handler
from fileproc.processors import data, document, image
from fileproc.records import Records
from fileproc_tools import hostile
from fileproc_tools.inprocess import notification

PROCESSORS = {
    Category.IMAGE: image.process,
    Category.DOCUMENT: document.process,
    Category.DATA: data.process,
}
# The module's defaults (modules/compute/variables.tf): the child's memory limit.
MEMORY_MB = {Category.IMAGE: 1024, Category.DOCUMENT: 2048, Category.DATA: 1024}

# Kinds that reveal a bug not fixed here: name -> why (listed in the suite's README line).
KNOWN: dict[str, str] = {
    "json-huge-number": (
        "a 5,000-digit integer (valid JSON) ends InvalidJson with Python's int digit limit "
        "(sys.set_int_max_str_digits) in its message; should be PROCESSED or Unsupported"
    ),
}


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


@pytest.mark.parametrize("kind", kinds())
def test_each_hostile_kind_ends_in_its_expected_record(aws: Aws, kind: hostile.Kind) -> None:
    category = category_for(kind.key_name)
    assert category is not None
    key = f"uploads/{kind.key_name}"
    message = sqs_message(
        notification(Uploads(aws.s3, aws.bucket).put(key, kind.make(hostile.SMALL)))
    )
    handler = make_sqs_handler(
        category,
        isolated(PROCESSORS[category], memory_mb=MEMORY_MB[category]),
        settings=Settings.from_env(),
        clients=Clients(s3=aws.s3, dynamodb=aws.dynamodb),
    )

    response = handler(sqs_event(message), FakeLambdaContext())

    assert response == {"batchItemFailures": []}
    item = Records(aws.dynamodb, aws.table).get(file_id_for_key(aws.bucket, key))
    assert item is not None
    outcome = (item["status"], item.get("error", {}).get("type"))
    assert outcome == (kind.expect.status, kind.expect.error_type), item.get("error")
    if kind.expect.status == hostile.PROCESSED:
        assert item["metadata"]
        assert item["processed_at"]
    else:
        assert item["error"]["message"].strip()
        assert item["error"]["retryable"] is False
