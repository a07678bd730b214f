"""Only callers with the stack's API key get in; the others get the API's JSON error."""

from __future__ import annotations

import pytest

from .stack import NO_KEY, NoKey, Stack

pytestmark = pytest.mark.integration

CALLS = [
    ("GET", "/files", None),
    ("GET", f"/files/{'0' * 32}", None),
    ("GET", f"/files/{'0' * 32}/download", None),
    ("POST", "/files", {"filename": "a.txt", "content_type": "text/plain", "size": 1}),
]


@pytest.mark.parametrize("key", [NO_KEY, "not-the-key", ""], ids=["missing", "wrong", "empty"])
@pytest.mark.parametrize(("method", "path", "body"), CALLS)
def test_a_missing_or_wrong_api_key_is_refused(
    stack: Stack, key: str | NoKey, method: str, path: str, body: dict[str, object] | None
) -> None:
    reply = stack.api(method, path, key=key, json=body)
    assert reply.status_code == 403, reply.text
    assert reply.json() == {
        "error": {"code": "forbidden", "message": "missing or invalid API key (x-api-key header)"}
    }


def test_the_stack_key_gets_in(stack: Stack) -> None:
    # The same calls with the right key reach the function (which answers for itself).
    assert stack.api("GET", "/files").status_code == 200
    missing = stack.api("GET", f"/files/{'0' * 32}")
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "not_found"
