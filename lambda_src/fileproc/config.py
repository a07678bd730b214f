"""Settings from the environment that modules/compute gives every function.

Read once per container (handlers call ``load_settings()`` at import) and fail
fast: a missing or malformed variable is a deployment mistake, and a clear
error at cold start beats a wrong default at the first file.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from fileproc.keys import Category

MAX_URL_TTL_SECONDS = 3600


class ConfigError(RuntimeError):
    """An environment variable is missing or has a value the code cannot use."""


# Every variable modules/compute sets on every function (docs/contracts.md). The
# POWERTOOLS_* ones are read by Powertools: checked here too, because metrics
# without a namespace fail only when the first invocation flushes them.
REQUIRED = (
    "TABLE_NAME",
    "BUCKET_NAME",
    "UPLOAD_PREFIX",
    "DERIVED_PREFIX",
    "INDEX_ALL",
    "INDEX_STATUS",
    "INDEX_CATEGORY",
    "INDEX_CATEGORY_STATUS",
    "MAX_IMAGE_BYTES",
    "MAX_DOCUMENT_BYTES",
    "MAX_DATA_BYTES",
    "THUMBNAIL_MAX_PX",
    "IMAGE_MAX_PIXELS",
    "EXIF_INCLUDE_GPS",
    "TEXT_MAX_PAGES",
    "TEXT_MAX_CHARS",
    "PREVIEW_CHARS",
    "BEDROCK_ENABLED",
    "BEDROCK_MAX_INPUT_CHARS",
    "DOWNLOAD_URL_TTL_SECONDS",
    "UPLOAD_URL_TTL_SECONDS",
    "ALLOWED_ORIGINS",
    "POWERTOOLS_SERVICE_NAME",
    "POWERTOOLS_METRICS_NAMESPACE",
    "ENVIRONMENT",
)


def _check_required(env: Mapping[str, str]) -> None:
    missing = [name for name in REQUIRED if not env.get(name, "").strip()]
    if missing:
        raise ConfigError(f"environment variable(s) required: {', '.join(missing)}")


def _int(env: Mapping[str, str], name: str, low: int, high: int) -> int:
    raw = env[name].strip()
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name}={raw!r} is not an integer") from None
    if not low <= value <= high:
        raise ConfigError(f"{name}={value} is outside {low}..{high}")
    return value


def _bool(env: Mapping[str, str], name: str) -> bool:
    raw = env[name].strip().lower()
    if raw in ("true", "1", "yes"):
        return True
    if raw in ("false", "0", "no"):
        return False
    raise ConfigError(f"{name}={raw!r} is not true or false")


@dataclass(frozen=True)
class Settings:
    table_name: str
    bucket_name: str
    upload_prefix: str = "uploads/"
    derived_prefix: str = "derived/"
    index_all: str = "all-uploaded-index"
    index_status: str = "status-uploaded-index"
    index_category: str = "category-uploaded-index"
    index_category_status: str = "category-status-uploaded-index"
    max_image_bytes: int = 50 * 1024**2
    max_document_bytes: int = 100 * 1024**2
    max_data_bytes: int = 5 * 1024**3
    thumbnail_max_px: int = 256
    image_max_pixels: int = 100_000_000
    # Memory a decode may take (processors/image.py, decode_cost); optional variable.
    image_decode_budget_mb: int = 512
    # Memory one file's processing may take: the extraction child's limit, set by
    # fileproc.isolation from the function's memory (None: no limit, as in tests).
    file_memory_mb: int | None = None
    exif_include_gps: bool = False
    text_max_pages: int = 500
    text_max_chars: int = 1_000_000
    preview_chars: int = 280
    bedrock_enabled: bool = False
    bedrock_model_id: str = ""
    bedrock_max_input_chars: int = 20_000
    download_url_ttl_seconds: int = 900
    upload_url_ttl_seconds: int = 900
    allowed_origins: tuple[str, ...] = ("*",)
    environment: str = "dev"
    # The queue's maxReceiveCount: on that delivery a failing message goes to
    # the DLQ, so the record says FAILED (retryable) instead of PROCESSING.
    # None when unknown (the record then stays PROCESSING until a redrive).
    max_receive_count: int | None = None

    def max_bytes(self, category: Category) -> int:
        return {
            Category.IMAGE: self.max_image_bytes,
            Category.DOCUMENT: self.max_document_bytes,
            Category.DATA: self.max_data_bytes,
        }[category]

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """The settings of a function; ConfigError when a variable is missing or malformed.

        The class defaults serve tests and tools that build Settings directly,
        never a deployed function: it must be given every variable.
        """
        env = os.environ if env is None else env
        _check_required(env)
        bedrock_enabled = _bool(env, "BEDROCK_ENABLED")
        model_id = env.get("BEDROCK_MODEL_ID", "").strip()
        if bedrock_enabled and not model_id:
            raise ConfigError("BEDROCK_ENABLED=true needs BEDROCK_MODEL_ID")
        origins = tuple(o.strip() for o in env["ALLOWED_ORIGINS"].split(",") if o.strip())
        if not origins:
            raise ConfigError("ALLOWED_ORIGINS names no origin")
        # Optional: only the processors have a queue (the api function has none).
        receives = _int(env, "MAX_RECEIVE_COUNT", 0, 1000) if env.get("MAX_RECEIVE_COUNT") else 0
        decode_budget = cls.image_decode_budget_mb
        if env.get("IMAGE_DECODE_BUDGET_MB", "").strip():
            decode_budget = _int(env, "IMAGE_DECODE_BUDGET_MB", 16, 100_000)
        return cls(
            table_name=env["TABLE_NAME"].strip(),
            bucket_name=env["BUCKET_NAME"].strip(),
            upload_prefix=env["UPLOAD_PREFIX"],
            derived_prefix=env["DERIVED_PREFIX"],
            index_all=env["INDEX_ALL"],
            index_status=env["INDEX_STATUS"],
            index_category=env["INDEX_CATEGORY"],
            index_category_status=env["INDEX_CATEGORY_STATUS"],
            max_image_bytes=_int(env, "MAX_IMAGE_BYTES", 1, 10 * 1024**4),
            max_document_bytes=_int(env, "MAX_DOCUMENT_BYTES", 1, 10 * 1024**4),
            max_data_bytes=_int(env, "MAX_DATA_BYTES", 1, 10 * 1024**4),
            thumbnail_max_px=_int(env, "THUMBNAIL_MAX_PX", 16, 4096),
            image_max_pixels=_int(env, "IMAGE_MAX_PIXELS", 1, 2_000_000_000),
            image_decode_budget_mb=decode_budget,
            exif_include_gps=_bool(env, "EXIF_INCLUDE_GPS"),
            text_max_pages=_int(env, "TEXT_MAX_PAGES", 1, 100_000),
            text_max_chars=_int(env, "TEXT_MAX_CHARS", 1, 100_000_000),
            preview_chars=_int(env, "PREVIEW_CHARS", 0, 10_000),
            bedrock_enabled=bedrock_enabled,
            bedrock_model_id=model_id,
            bedrock_max_input_chars=_int(env, "BEDROCK_MAX_INPUT_CHARS", 1, 1_000_000),
            download_url_ttl_seconds=_int(env, "DOWNLOAD_URL_TTL_SECONDS", 1, MAX_URL_TTL_SECONDS),
            upload_url_ttl_seconds=_int(env, "UPLOAD_URL_TTL_SECONDS", 1, MAX_URL_TTL_SECONDS),
            allowed_origins=origins,
            environment=env["ENVIRONMENT"].strip(),
            max_receive_count=receives or None,
        )


def load_settings() -> Settings:
    return Settings.from_env()
