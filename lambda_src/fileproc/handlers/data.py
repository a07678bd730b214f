"""The data function: the data queue's S3 notifications -> processors.data -> the record.

Settings and clients are made once per container, at import, and reused by
every warm invocation; a missing setting fails the cold start, not a file.
"""

from __future__ import annotations

from fileproc import handlers

with handlers.loading():
    from typing import BinaryIO

    from fileproc.config import Settings, load_settings
    from fileproc.isolation import isolated
    from fileproc.keys import Category
    from fileproc.pipeline import Clients, make_sqs_handler
    from fileproc.processors.base import Extraction
    from fileproc.processors.data import prepare, process

    settings = load_settings()
    clients = Clients.create(settings)
    isolated_process = isolated(process)

    def process_file(
        stream: BinaryIO, *, size: int, extension: str, settings: Settings
    ) -> Extraction:
        """The engine imported here (once), then the file processed in its child."""
        prepare(extension)
        return isolated_process(stream, size=size, extension=extension, settings=settings)

    handler = make_sqs_handler(Category.DATA, process_file, settings=settings, clients=clients)
