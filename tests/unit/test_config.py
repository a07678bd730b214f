"""Settings fail fast on a missing or malformed variable."""

from __future__ import annotations

import pytest

from fileproc.config import ConfigError, Settings
from fileproc.keys import Category

BASE = {"TABLE_NAME": "t", "BUCKET_NAME": "b"}


def test_defaults_from_a_minimal_environment() -> None:
    settings = Settings.from_env(BASE)
    assert settings.table_name == "t"
    assert settings.bucket_name == "b"
    assert settings.thumbnail_max_px == 256
    assert settings.exif_include_gps is False
    assert settings.bedrock_enabled is False
    assert settings.allowed_origins == ("*",)


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
        }
    )
    assert settings.max_bytes(Category.IMAGE) == 10
    assert settings.max_bytes(Category.DOCUMENT) == 20
    assert settings.max_bytes(Category.DATA) == 30
    assert settings.exif_include_gps is True
    assert settings.allowed_origins == ("https://a.example", "https://b.example")
    assert settings.bedrock_model_id == "m"


@pytest.mark.parametrize("missing", ["TABLE_NAME", "BUCKET_NAME"])
def test_missing_required_variable(missing: str) -> None:
    env = {k: v for k, v in BASE.items() if k != missing}
    with pytest.raises(ConfigError, match=missing):
        Settings.from_env(env)


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("MAX_IMAGE_BYTES", "ten", "not an integer"),
        ("DOWNLOAD_URL_TTL_SECONDS", "7200", r"outside 1\.\.3600"),
        ("UPLOAD_URL_TTL_SECONDS", "0", r"outside 1\.\.3600"),
        ("EXIF_INCLUDE_GPS", "maybe", "not true or false"),
    ],
)
def test_malformed_values(name: str, value: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        Settings.from_env({**BASE, name: value})


def test_bedrock_needs_a_model() -> None:
    with pytest.raises(ConfigError, match="BEDROCK_MODEL_ID"):
        Settings.from_env({**BASE, "BEDROCK_ENABLED": "true"})
