"""The committed OpenAPI document is the one the routes generate, and it is valid."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

from openapi_spec_validator import validate

from fileproc.api.openapi import render

REPO = Path(__file__).resolve().parents[3]
COMMITTED = REPO / "docs" / "openapi.json"


def test_committed_document_matches_the_code():
    generated = render()

    assert COMMITTED.read_text() == generated, (
        "docs/openapi.json differs from the API routes: run `make openapi` and commit it"
    )


def test_document_is_valid_openapi():
    validate(json.loads(render()))


def test_document_describes_every_route_and_only_those():
    document = json.loads(render())

    documented = {
        path: sorted(method.upper() for method in operations)
        for path, operations in document["paths"].items()
    }
    # The methods modules/api declares (API Gateway answers any other itself).
    assert documented == {
        "/files": ["GET", "POST"],
        "/files/{file_id}": ["GET"],
        "/files/{file_id}/download": ["GET"],
    }


def test_document_requires_the_api_key_and_documents_errors():
    document = json.loads(render())

    assert document["info"]["title"] == "fileproc"
    assert document["components"]["securitySchemes"]["apiKey"] == {
        "type": "apiKey",
        "in": "header",
        "name": "x-api-key",
    }
    assert document["security"] == [{"apiKey": []}]
    for operations in document["paths"].values():
        for operation in operations.values():
            responses = operation["responses"]
            assert "422" not in responses
            # The function's, API Gateway's (modules/api/errors.tf) and the integration's.
            assert {"400", "403", "413", "429", "500", "502", "503", "504"} <= set(responses)
            for code, response in responses.items():
                if code.startswith(("4", "5")):
                    schema = response["content"]["application/json"]["schema"]
                    assert schema == {"$ref": "#/components/schemas/ErrorResponse"}
    assert document["paths"]["/files"]["post"]["responses"].keys() >= {"201", "413", "415"}
    assert "409" in document["paths"]["/files/{file_id}/download"]["get"]["responses"]


def test_the_download_takes_an_optional_artefact_name():
    document = json.loads(render())

    (artefact,) = (
        parameter
        for parameter in document["paths"]["/files/{file_id}/download"]["get"]["parameters"]
        if parameter["name"] == "artefact"
    )
    assert (artefact["in"], artefact["required"]) == ("query", False)
    assert document["components"]["schemas"]["ArtefactName"]["enum"] == ["thumbnail", "text"]


def test_generating_needs_no_aws_settings_or_credentials():
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("AWS_", "TABLE_", "BUCKET_", "POWERTOOLS_"))
    }

    result = subprocess.run(
        [sys.executable, "-m", "fileproc.api.openapi"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout == render()


def test_the_upload_request_declares_every_bound_the_api_enforces():
    schema = json.loads(render())["components"]["schemas"]["UploadRequest"]
    properties = schema["properties"]

    assert (properties["size"]["minimum"], properties["size"]["maximum"]) == (1, 5 * 1024**3)
    assert properties["filename"]["maxLength"] == properties["content_type"]["maxLength"] == 255
    assert schema["additionalProperties"] is False
    # Header-bound fields: no control characters, CR and LF above all.
    for name in ("filename", "content_type"):
        pattern = re.compile(properties[name]["pattern"])
        assert not pattern.search("text/plain\r\nX: 1")
        assert not pattern.search("text/plain\x85")
