"""Optional AI summary of a document through the Bedrock Converse API.

The summary is a nice-to-have: whatever goes wrong here (access denied, a
model not enabled in the account, throttling, a timeout) is recorded under
``ai.error`` and the file is still PROCESSED.
https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_Converse.html
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from botocore.exceptions import ClientError

from fileproc.config import Settings
from fileproc.observability import logger

if TYPE_CHECKING:
    from mypy_boto3_bedrock_runtime import BedrockRuntimeClient

SYSTEM_PROMPT = (
    "You summarise documents for a file catalogue. Reply with the summary only, "
    "at most three sentences, in the language of the document."
)
MAX_OUTPUT_TOKENS = 300
MAX_ERROR_CHARS = 500


def summarise(client: BedrockRuntimeClient, text: str, settings: Settings) -> dict[str, str]:
    """``{"model_id", "summary"}``, or ``{"error"}`` saying why there is none.

    Only the first ``settings.bedrock_max_input_chars`` characters are sent,
    which bounds the cost and the latency of one file.
    """
    excerpt = text[: settings.bedrock_max_input_chars]
    if not excerpt.strip():
        return {"error": "the document has no text to summarise"}
    model_id = settings.bedrock_model_id
    try:
        response = client.converse(
            modelId=model_id,
            system=[{"text": SYSTEM_PROMPT}],
            messages=[{"role": "user", "content": [{"text": excerpt}]}],
            inferenceConfig={"maxTokens": MAX_OUTPUT_TOKENS, "temperature": 0.0},
        )
        blocks = response["output"].get("message", {}).get("content", [])
        summary = "".join(block.get("text", "") for block in blocks).strip()
    except Exception as exc:  # anything at all: the summary must never fail the file
        logger.warning("AI summary failed", extra={"model_id": model_id}, exc_info=True)
        return {"error": _describe(exc)[:MAX_ERROR_CHARS]}
    if not summary:
        # Read as leniently as the rest: an answer without a stop reason is still no summary.
        stop = response.get("stopReason", "not given")
        return {"error": f"the model returned no text (stop reason {stop})"}
    return {"model_id": model_id, "summary": summary}


def _describe(exc: Exception) -> str:
    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        return f"{error.get('Code', 'ClientError')}: {error.get('Message', '')}".rstrip(": ")
    return f"{type(exc).__name__}: {exc}"
