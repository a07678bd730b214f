"""Huge images in tiny files (fileproc_tools.hostile.blank_png), and a
measure of the peak memory a call takes (the resident set of a forked child)."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

# The generator moved to the hostile-file suite, which the bench uses too.
from fileproc_tools.hostile import blank_png

__all__ = ["blank_png", "peak_growth"]


def peak_growth(work: Callable[[], Any]) -> tuple[int, str]:
    """(peak resident memory growth in bytes while ``work`` ran, its outcome: "ok" or
    the error's type name and message), measured in a forked child so that the
    high-water mark (VmHWM, reset first) is this call's alone (Linux)."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        code = 1
        try:
            os.close(read_end)
            with open("/proc/self/clear_refs", "w") as refs:
                refs.write("5")  # resets VmHWM to the current resident set
            before = _status_kb("VmRSS")
            try:
                work()
                outcome = "ok"
            except Exception as exc:
                outcome = f"{type(exc).__name__}: {exc}"
            growth = (_status_kb("VmHWM") - before) * 1024
            os.write(write_end, f"{growth}\n{outcome}".encode())
            code = 0
        finally:
            os._exit(code)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as answer:
        text = answer.read().decode()
    os.waitpid(pid, 0)
    growth, outcome = text.split("\n", 1)
    return int(growth), outcome


def _status_kb(key: str) -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    raise KeyError(key)
