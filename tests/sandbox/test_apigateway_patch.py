"""API Gateway's patch operations applied to a resource's JSON document (GAP 13's core)."""

from __future__ import annotations

from typing import Any

import pytest

from fileproc_sandbox.apigateway_patch import (
    MapOf,
    PatchError,
    SetOf,
    Shape,
    apply_patch,
)

METHOD: Shape = {
    "apiKeyRequired": "boolean",
    "authorizationType": "string",
    "requestValidatorId": "string",
    "requestParameters": MapOf("boolean"),
    "requestModels": MapOf("string"),
    "authorizationScopes": SetOf(),
}
REST_API: Shape = {
    "minimumCompressionSize": "integer",
    "binaryMediaTypes": SetOf(),
    "endpointConfiguration": {"types": SetOf()},
}
USAGE_PLAN: Shape = {
    "throttle": {"rateLimit": "number", "burstLimit": "integer"},
    "quota": {"limit": "integer", "period": "string"},
}
DOWNLOAD = {
    "apiKeyRequired": False,
    "authorizationType": "NONE",
    "requestValidatorId": "v1",
    "requestParameters": {"method.request.path.file_id": True},
    "requestModels": None,
}


def op(name: str, path: str, value: str | None = None) -> dict[str, Any]:
    return {"op": name, "path": path} | ({} if value is None else {"value": value})


def test_the_download_methods_new_query_string_and_key() -> None:
    # What the provider sent for commit a9d3e47 (and more): values are strings.
    patched = apply_patch(
        DOWNLOAD,
        [
            op("add", "/requestParameters/method.request.querystring.artefact", "false"),
            op("replace", "/apiKeyRequired", "true"),
            op("replace", "/authorizationType", "AWS_IAM"),
            op("replace", "/requestValidatorId", "v2"),
        ],
        METHOD,
    )
    assert patched["requestParameters"] == {
        "method.request.path.file_id": True,
        "method.request.querystring.artefact": False,
    }
    assert patched["apiKeyRequired"] is True
    assert (patched["authorizationType"], patched["requestValidatorId"]) == ("AWS_IAM", "v2")
    assert DOWNLOAD["requestParameters"] == {"method.request.path.file_id": True}  # untouched


def test_map_entries_with_escaped_slashes() -> None:
    added = apply_patch(DOWNLOAD, [op("add", "/requestModels/application~1json", "M")], METHOD)
    assert added["requestModels"] == {"application/json": "M"}
    replaced = apply_patch(added, [op("replace", "/requestModels/application~1json", "N")], METHOD)
    assert replaced["requestModels"] == {"application/json": "N"}
    removed = apply_patch(replaced, [op("remove", "/requestModels/application~1json")], METHOD)
    assert removed["requestModels"] == {}
    # "~0" is "~", and "~01" is "~1" (RFC 6901 decodes ~1 first).
    odd = apply_patch(DOWNLOAD, [op("add", "/requestModels/a~01b", "M")], METHOD)
    assert odd["requestModels"] == {"a~1b": "M"}


def test_a_replace_without_value_clears_and_remove_of_nothing_is_harmless() -> None:
    # The provider clears request_validator_id with a replace that has no value.
    cleared = apply_patch(DOWNLOAD, [op("replace", "/requestValidatorId")], METHOD)
    assert "requestValidatorId" not in cleared
    unchanged = apply_patch(DOWNLOAD, [op("remove", "/requestParameters/absent")], METHOD)
    assert unchanged["requestParameters"] == DOWNLOAD["requestParameters"]


def test_set_members_by_value_or_by_path() -> None:
    scopes = apply_patch({}, [op("add", "/authorizationScopes", "read")], METHOD)
    scopes = apply_patch(scopes, [op("add", "/authorizationScopes", "write")], METHOD)
    scopes = apply_patch(scopes, [op("add", "/authorizationScopes", "read")], METHOD)
    assert scopes["authorizationScopes"] == ["read", "write"]
    assert apply_patch(scopes, [op("remove", "/authorizationScopes", "read")], METHOD)[
        "authorizationScopes"
    ] == ["write"]

    api = {"binaryMediaTypes": [], "endpointConfiguration": {"types": ["EDGE"]}}
    api = apply_patch(api, [op("add", "/binaryMediaTypes/image~1png")], REST_API)
    assert api["binaryMediaTypes"] == ["image/png"]
    api = apply_patch(
        api, [op("replace", "/endpointConfiguration/types/EDGE", "REGIONAL")], REST_API
    )
    assert api["endpointConfiguration"] == {"types": ["REGIONAL"]}
    api = apply_patch(api, [op("remove", "/binaryMediaTypes/image~1png")], REST_API)
    assert api["binaryMediaTypes"] == []


def test_objects_numbers_and_their_removal() -> None:
    plan = {"throttle": {"rateLimit": 100.0, "burstLimit": 200}}
    plan = apply_patch(
        plan,
        [
            op("replace", "/throttle/rateLimit", "50.5"),
            op("replace", "/throttle/burstLimit", "120"),
            op("add", "/quota/limit", "1000"),
            op("add", "/quota/period", "DAY"),
        ],
        USAGE_PLAN,
    )
    assert plan == {
        "throttle": {"rateLimit": 50.5, "burstLimit": 120},
        "quota": {"limit": 1000, "period": "DAY"},
    }
    assert apply_patch(plan, [op("remove", "/quota")], USAGE_PLAN) == {
        "throttle": {"rateLimit": 50.5, "burstLimit": 120}
    }
    # An empty value unsets a number (the provider turns compression off so).
    api = apply_patch(
        {"minimumCompressionSize": 1024}, [op("replace", "/minimumCompressionSize", "")], REST_API
    )
    assert api["minimumCompressionSize"] is None


def test_copy_move_and_test() -> None:
    shape: Shape = {"deploymentId": "string", "canary": {"deploymentId": "string"}}
    stage = {"deploymentId": "d1", "canary": {"deploymentId": "d2"}}
    promoted = apply_patch(
        stage, [{"op": "copy", "from": "/canary/deploymentId", "path": "/deploymentId"}], shape
    )
    assert promoted["deploymentId"] == "d2"
    moved = apply_patch(
        stage, [{"op": "move", "from": "/canary/deploymentId", "path": "/deploymentId"}], shape
    )
    assert moved == {"deploymentId": "d2", "canary": {}}
    assert apply_patch(stage, [op("test", "/deploymentId", "d1")], shape) == stage
    with pytest.raises(PatchError, match="test failed"):
        apply_patch(stage, [op("test", "/deploymentId", "d9")], shape)


@pytest.mark.parametrize(
    ("operation", "message"),
    [
        (
            op("replace", "/bogus", "1"),
            r"Invalid patch path /bogus: must be one of \[/apiKeyRequired",
        ),
        (op("replace", "apiKeyRequired", "true"), "must start with '/'"),
        (op("replace", "/apiKeyRequired", "yes"), "'yes' is not a boolean"),
        (op("add", "/requestParameters/x", "maybe"), "'maybe' is not a boolean"),
        (op("add", "/requestParameters", "true"), "name one entry"),
        (op("replace", "/apiKeyRequired/deeper", "true"), "has no properties"),
        (op("add", "/apiKeyRequired"), "add needs a value"),
        (op("delete", "/apiKeyRequired"), "Invalid patch operation 'delete'"),
    ],
)
def test_bad_operations_are_refused_and_change_nothing(
    operation: dict[str, Any], message: str
) -> None:
    good = op("replace", "/authorizationType", "AWS_IAM")
    document = dict(DOWNLOAD)
    with pytest.raises(PatchError, match=message):
        apply_patch(document, [good, operation], METHOD)
    assert document == DOWNLOAD


def test_numbers_must_be_numbers() -> None:
    with pytest.raises(PatchError, match="'fast' is not a number"):
        apply_patch({}, [op("replace", "/throttle/rateLimit", "fast")], USAGE_PLAN)
    with pytest.raises(PatchError, match=r"'1\.5' is not an integer"):
        apply_patch({}, [op("replace", "/throttle/burstLimit", "1.5")], USAGE_PLAN)
