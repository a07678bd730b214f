"""The Lambda entry point: a real-shaped event in, a proxy response out, logs and metrics."""

from __future__ import annotations

import json

from .api_helpers import reply_of, rest_event


def log_lines(text):
    lines = []
    for line in text.splitlines():
        try:
            lines.append(json.loads(line))
        except json.JSONDecodeError:
            continue
    return lines


def test_handler_serves_an_upload_and_logs_with_the_request_id(aws, lambda_context, capsys):
    from fileproc.handlers import api as handler_module

    body = json.dumps({"filename": "report.pdf", "content_type": "application/pdf", "size": 10})
    event = rest_event("POST", "/files", body=body, request_id="req-1234-abcd")

    reply = reply_of(handler_module.handler(event, lambda_context))

    assert reply.status == 201, reply.body
    file_id = reply.body["file_id"]
    assert aws.dynamodb.get_item(TableName=aws.table, Key={"file_id": {"S": file_id}})["Item"]
    lines = log_lines(capsys.readouterr().out)
    upload_log = next(line for line in lines if line.get("message") == "upload requested")
    assert upload_log["correlation_id"] == "req-1234-abcd"
    assert upload_log["file_id"] == file_id
    emf = next(line for line in lines if "UploadsRequested" in line)
    assert emf["UploadsRequested"] in (1, [1])
    assert emf["environment"] == "test"
    assert emf["_aws"]["CloudWatchMetrics"][0]["Namespace"] == "fileproc"


def test_handler_answers_errors_as_json(aws, lambda_context):
    from fileproc.handlers import api as handler_module

    reply = reply_of(handler_module.handler(rest_event("GET", "/files/nothex"), lambda_context))

    assert reply.status == 400
    assert reply.error_code == "invalid_request"
