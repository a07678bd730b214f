"""The data function: the data queue's S3 notifications -> processors.data -> the record.

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
    from fileproc.processors.data import process

    settings = load_settings()
    clients = Clients.create(settings)
    handler = make_sqs_handler(Category.DATA, isolated(process), settings=settings, clients=clients)
