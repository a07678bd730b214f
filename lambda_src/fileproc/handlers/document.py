"""The document function: document-queue notifications -> processors.document -> the record.

Settings and clients are made once per container, at import, and reused by
every warm invocation; a missing setting fails the cold start, not a file.
"""

from __future__ import annotations

from fileproc import handlers

with handlers.loading():
    from fileproc.config import load_settings
    from fileproc.isolation import isolated
    from fileproc.keys import Category
    from fileproc.pipeline import Clients, make_sqs_handler
    from fileproc.processors.document import process

    settings = load_settings()
    clients = Clients.create(settings, summaries=True)
    handler = make_sqs_handler(
        Category.DOCUMENT, isolated(process), settings=settings, clients=clients
    )
