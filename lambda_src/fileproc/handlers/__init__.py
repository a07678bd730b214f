"""The four Lambda entry points: ``fileproc.handlers.<role>.handler`` (docs/contracts.md).

Importing this package pauses Python's cyclic garbage collector until the
handler module has loaded and calls ``loaded()``. What a cold start makes
(modules, the SDK's service models, clients, Powertools, the API's routes and
validators) lives as long as the container, so the collections those
allocations trigger free nothing, yet they cost 20-70 ms of CPU per cold start
(BENCHMARKS.md). ``loaded()`` then freezes those objects, so later collections
skip them too, and restarts the collector; the few hundred objects in cycles
that the imports leave behind stay allocated.
"""

from __future__ import annotations

import gc

gc.disable()


def loaded() -> None:
    """The handler module is ready: freeze what it made and collect as usual from here."""
    gc.freeze()
    gc.enable()
