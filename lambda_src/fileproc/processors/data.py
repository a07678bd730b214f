"""Data processor (.csv .json .jsonl .ndjson): routes by extension to the CSV or JSON profiler."""

from __future__ import annotations

from typing import BinaryIO

from fileproc.config import Settings
from fileproc.errors import Unsupported
from fileproc.processors import csv_profile, json_profile
from fileproc.processors.base import Extraction

JSON_EXTENSIONS = (".json", *json_profile.JSON_LINES_EXTENSIONS)


def process(stream: BinaryIO, *, size: int, extension: str, settings: Settings) -> Extraction:
    if extension == ".csv":
        return csv_profile.process(stream, size=size)
    if extension in JSON_EXTENSIONS:
        return json_profile.process(stream, extension=extension)
    raise Unsupported(f"the data processor does not handle {extension or 'no extension'}")
