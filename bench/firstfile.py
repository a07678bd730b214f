"""What a function's first file of a kind costs beyond the next one: the imports (and
first-use set-up) its processing does that the handler's import did not. Run by
bench.worker in a fresh Lambda runtime interpreter with the function's own code and
layers (bench.figures.coldstart); standard library only before the handler's import.

``inprocess``: the processor called twice in the handler's process; the first call's
extra CPU time is what a process that keeps its imports pays once.
``isolated``: the same through fileproc.isolation, as the deployed handler runs it
(a child per file, forked from the handler): a module a child imports is gone with
that child, so an import done while processing is paid by every file.
"""

from __future__ import annotations

import importlib
import io
import resource
import sys
import time
from typing import Any


def _top_level(modules: set[str]) -> list[str]:
    return sorted({name.split(".")[0] for name in modules if not name.startswith("_")})


def measure(role: str, path: str, extension: str, isolated: bool) -> dict[str, Any]:
    started = time.process_time()
    importlib.import_module(f"fileproc.handlers.{role}")
    handler_s = time.process_time() - started
    from fileproc.config import load_settings

    processor = importlib.import_module(f"fileproc.processors.{role}")
    settings = load_settings()
    with open(path, "rb") as opened:
        data = opened.read()
    process = processor.process
    if isolated:
        from fileproc.isolation import isolated as isolate

        process = isolate(processor.process)

    def once() -> tuple[float, str]:
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = time.process_time()
        try:
            process(io.BytesIO(data), size=len(data), extension=extension, settings=settings)
            outcome = "processed"
        except Exception as exc:  # a refusal is an outcome too; its type says which
            outcome = type(exc).__name__
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        child = (children.ru_utime + children.ru_stime) - (usage.ru_utime + usage.ru_stime)
        return time.process_time() - cpu + child, outcome

    before = set(sys.modules)
    first, outcome = once()
    imported = _top_level(set(sys.modules) - before)
    second, _ = once()
    return {
        "handler_s": handler_s,
        "first_s": first,
        "second_s": second,
        "outcome": outcome,
        "imported": imported,
        "loaded": _top_level(set(sys.modules)),
    }
