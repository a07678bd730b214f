"""ai.summarise against a real bedrock-runtime client whose HTTP layer is stubbed.

botocore's Stubber validates every request against the service model, so these
tests also prove the Converse request is well formed.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ReadTimeoutError
from botocore.stub import Stubber

from fileproc.ai import MAX_ERROR_CHARS, MAX_OUTPUT_TOKENS, SYSTEM_PROMPT, summarise
from fileproc.config import Settings

MODEL = "anthropic.claude-3-haiku-20240307-v1:0"


@pytest.fixture
def settings() -> Settings:
    return dataclasses.replace(
        Settings.from_env(),
        bedrock_enabled=True,
        bedrock_model_id=MODEL,
        bedrock_max_input_chars=50,
    )


@pytest.fixture
def client() -> Any:
    return boto3.client("bedrock-runtime", region_name="us-east-1")


@pytest.fixture
def stubber(client: Any) -> Iterator[Stubber]:
    with Stubber(client) as stub:
        yield stub
        stub.assert_no_pending_responses()


def reply(*texts: str, stop: str = "end_turn") -> dict[str, Any]:
    return {
        "output": {"message": {"role": "assistant", "content": [{"text": t} for t in texts]}},
        "stopReason": stop,
        "usage": {"inputTokens": 12, "outputTokens": 7, "totalTokens": 19},
        "metrics": {"latencyMs": 250},
    }


def expected_request(text: str) -> dict[str, Any]:
    return {
        "modelId": MODEL,
        "system": [{"text": SYSTEM_PROMPT}],
        "messages": [{"role": "user", "content": [{"text": text}]}],
        "inferenceConfig": {"maxTokens": MAX_OUTPUT_TOKENS, "temperature": 0.0},
    }


def test_the_summary_and_model_are_returned(
    client: Any, stubber: Stubber, settings: Settings
) -> None:
    stubber.add_response("converse", reply("A memo ", "about budgets."), expected_request("memo"))
    assert summarise(client, "memo", settings) == {
        "model_id": MODEL,
        "summary": "A memo about budgets.",
    }


def test_only_the_first_max_input_chars_are_sent(
    client: Any, stubber: Stubber, settings: Settings
) -> None:
    text = "x" * 49 + "yz" + "w" * 1000
    stubber.add_response("converse", reply("ok"), expected_request("x" * 49 + "y"))
    assert summarise(client, text, settings)["summary"] == "ok"


def test_no_text_no_call(client: Any, stubber: Stubber, settings: Settings) -> None:
    assert summarise(client, "  \n\t ", settings) == {
        "error": "the document has no text to summarise"
    }


def test_an_empty_answer_is_an_error(client: Any, stubber: Stubber, settings: Settings) -> None:
    stubber.add_response("converse", reply("   ", stop="content_filtered"), expected_request("t"))
    assert summarise(client, "t", settings) == {
        "error": "the model returned no text (stop reason content_filtered)"
    }


def test_an_empty_answer_without_a_stop_reason_is_an_error_too(
    client: Any, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The service model requires stopReason (so Stubber cannot send this answer), but
    # the summary must never fail the file on the shape of an answer.
    answer = reply("")
    del answer["stopReason"]
    monkeypatch.setattr(client, "converse", lambda **_: answer)

    assert summarise(client, "t", settings) == {
        "error": "the model returned no text (stop reason not given)"
    }


@pytest.mark.parametrize(
    ("code", "message", "status"),
    [
        ("ThrottlingException", "Too many requests, please wait before trying again.", 429),
        ("ValidationException", "The provided model identifier is invalid.", 400),
        ("ModelTimeoutException", "Model has timed out in processing the request.", 408),
    ],
)
def test_service_errors_are_recorded_not_raised(
    client: Any, stubber: Stubber, settings: Settings, code: str, message: str, status: int
) -> None:
    stubber.add_client_error(
        "converse", code, message, status, expected_params=expected_request("text")
    )
    assert summarise(client, "text", settings) == {"error": f"{code}: {message}"}


def test_any_other_failure_is_recorded_too(
    client: Any, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    def timeout(**_: Any) -> Any:
        raise ReadTimeoutError(endpoint_url="https://bedrock-runtime.us-east-1.amazonaws.com")

    monkeypatch.setattr(client, "converse", timeout)
    error = summarise(client, "text", settings)["error"]
    assert error.startswith("ReadTimeoutError: Read timeout on endpoint URL")


def test_long_error_messages_are_bounded(client: Any, stubber: Stubber, settings: Settings) -> None:
    stubber.add_client_error("converse", "ValidationException", "v" * 5000, 400)
    assert len(summarise(client, "text", settings)["error"]) == MAX_ERROR_CHARS
