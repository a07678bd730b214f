"""Settings fail fast on a missing or malformed variable."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import FUNCTION_ENV

from fileproc.config import REQUIRED, ConfigError, Settings
from fileproc.keys import Category

REPO = Path(__file__).resolve().parents[2]
# What modules/compute gives every function (the unit tests' environment, minus AWS's own).
BASE = {name: value for name, value in FUNCTION_ENV.items() if not name.startswith("AWS_")}
# Set by modules/compute on some functions or read only in some settings.
OPTIONAL = {"MAX_RECEIVE_COUNT", "BEDROCK_MODEL_ID", "IMAGE_DECODE_BUDGET_MB"}


def contract_variables() -> set[str]:
    """The names in the environment-variables table of docs/contracts.md."""
    text = (REPO / "docs" / "contracts.md").read_text()
    section = text.split("## Environment variables", 1)[1].split("\n## ", 1)[0]
    return set(re.findall(r"^\| `([A-Z][A-Z0-9_]*)` \|", section, re.MULTILINE))


def without(*names: str) -> dict[str, str]:
    return {name: value for name, value in BASE.items() if name not in names}


def test_every_variable_of_the_contract_is_required_but_the_optional_ones() -> None:
    assert set(REQUIRED) == contract_variables() - OPTIONAL


def test_the_functions_environment_is_parsed() -> None:
    settings = Settings.from_env(BASE)

    assert settings.table_name == "fileproc-test-files"
    assert settings.bucket_name == "fileproc-test-uploads"
    assert settings.index_category_status == "category-status-uploaded-index"
    assert settings.thumbnail_max_px == 256
    assert settings.exif_include_gps is False
    assert settings.bedrock_enabled is False
    assert settings.allowed_origins == ("https://app.example.com", "http://localhost:3000")
    assert settings.environment == "test"
    assert settings.max_receive_count is None


def test_values_are_parsed() -> None:
    settings = Settings.from_env(
        {
            **BASE,
            "MAX_IMAGE_BYTES": "10",
            "MAX_DOCUMENT_BYTES": "20",
            "MAX_DATA_BYTES": "30",
            "EXIF_INCLUDE_GPS": "TRUE",
            "ALLOWED_ORIGINS": " https://a.example , https://b.example ,",
            "BEDROCK_ENABLED": "true",
            "BEDROCK_MODEL_ID": "m",
            "MAX_RECEIVE_COUNT": "5",
            "IMAGE_DECODE_BUDGET_MB": "300",
        }
    )
    assert settings.max_bytes(Category.IMAGE) == 10
    assert settings.max_bytes(Category.DOCUMENT) == 20
    assert settings.max_bytes(Category.DATA) == 30
    assert settings.exif_include_gps is True
    assert settings.allowed_origins == ("https://a.example", "https://b.example")
    assert settings.bedrock_model_id == "m"
    assert settings.max_receive_count == 5
    assert settings.image_decode_budget_mb == 300


@pytest.mark.parametrize("missing", REQUIRED)
def test_a_missing_variable_fails_naming_it(missing: str) -> None:
    with pytest.raises(ConfigError, match=rf"required: {missing}$"):
        Settings.from_env(without(missing))
    with pytest.raises(ConfigError, match=missing):
        Settings.from_env({**BASE, missing: "  "})


def test_every_missing_variable_is_named_at_once() -> None:
    with pytest.raises(ConfigError) as raised:
        Settings.from_env(without("ENVIRONMENT", "TEXT_MAX_CHARS"))

    assert str(raised.value) == ("environment variable(s) required: TEXT_MAX_CHARS, ENVIRONMENT")


def test_optional_variables_may_be_absent() -> None:
    settings = Settings.from_env(without(*OPTIONAL))

    assert settings.max_receive_count is None
    assert settings.bedrock_model_id == ""
    assert settings.image_decode_budget_mb == 512


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("MAX_IMAGE_BYTES", "ten", "not an integer"),
        ("DOWNLOAD_URL_TTL_SECONDS", "7200", r"outside 1\.\.3600"),
        ("UPLOAD_URL_TTL_SECONDS", "0", r"outside 1\.\.3600"),
        ("EXIF_INCLUDE_GPS", "maybe", "not true or false"),
        ("MAX_RECEIVE_COUNT", "many", "not an integer"),
        ("IMAGE_DECODE_BUDGET_MB", "8", r"outside 16\.\.100000"),
        ("ALLOWED_ORIGINS", " , ", "names no origin"),
    ],
)
def test_malformed_values(name: str, value: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        Settings.from_env({**BASE, name: value})


def test_bedrock_needs_a_model() -> None:
    with pytest.raises(ConfigError, match="BEDROCK_MODEL_ID"):
        Settings.from_env({**without("BEDROCK_MODEL_ID"), "BEDROCK_ENABLED": "true"})
