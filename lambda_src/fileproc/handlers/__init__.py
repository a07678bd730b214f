"""The four Lambda entry points: ``fileproc.handlers.<role>.handler`` (docs/contracts.md).

Each handler module runs its whole body, imports included, inside ``loading()``,
which pauses Python's cyclic garbage collector. What a cold start makes
(modules, the SDK's service models, clients, Powertools, the API's routes and
validators) lives as long as the container, so the collections those
allocations trigger free nothing, yet they cost 20-70 ms of CPU per cold start
(BENCHMARKS.md). When the body has run, what it made is frozen, so later
collections skip it too; the few hundred objects in cycles that the imports
leave behind stay allocated. However the body ends (a ConfigError from a missing
variable, a missing dependency), the collector is restarted: a failed import
never leaves a process (a test run, a sandbox worker) without one.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def loading() -> Iterator[None]:
    """Pause the collector while a handler module loads; freeze what it made if it loads."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
        gc.freeze()
    finally:
        if was_enabled:
            gc.enable()
