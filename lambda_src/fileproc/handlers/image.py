"""The image function: the image queue's S3 notifications -> processors.image -> the record.

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
    from fileproc.processors.image import process

    settings = load_settings()
    clients = Clients.create(settings)
    handler = make_sqs_handler(
        Category.IMAGE, isolated(process), settings=settings, clients=clients
    )
