"""Data processor (.csv .json .jsonl .ndjson .parquet): routes by extension to the CSV or
JSON profiler, or to the Parquet footer reader."""

from __future__ import annotations

from typing import BinaryIO

from fileproc.config import Settings
from fileproc.errors import Unsupported
from fileproc.processors import csv_profile, json_profile, parquet
from fileproc.processors.base import Extraction

JSON_EXTENSIONS = (".json", *json_profile.JSON_LINES_EXTENSIONS)


def prepare(extension: str) -> None:
    """Import the engine a file of this extension needs, in the calling process. The data
    function calls it before each file's isolated child is forked: the engine is then
    imported once per container, by its first file of that kind (msgspec: about 10 ms),
    not again in every child; a function that sees no JSON never imports it."""
    if extension in JSON_EXTENSIONS:
        from fileproc.processors import json_fast  # noqa: F401


def process(stream: BinaryIO, *, size: int, extension: str, settings: Settings) -> Extraction:
    if extension == ".csv":
        return csv_profile.process(stream, size=size)
    if extension in JSON_EXTENSIONS:
        return json_profile.process(stream, extension=extension)
    if extension in parquet.EXTENSIONS:
        # The stream holds the object's ends only (pipeline._open): see parquet.py.
        return parquet.process(stream, size=size)
    raise Unsupported(f"the data processor does not handle {extension or 'no extension'}")
