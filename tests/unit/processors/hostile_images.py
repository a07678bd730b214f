"""Huge images in tiny files, written chunk by chunk (never decoded to make them), and a
measure of the peak memory a call takes (the resident set of a forked child)."""

from __future__ import annotations

import math
import os
import struct
import zlib
from collections.abc import Callable
from typing import Any

# PNG colour types: 0 grey, 2 RGB, 3 palette, 4 grey + alpha, 6 RGBA.
CHANNELS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def blank_png(width: int, height: int, colour_type: int = 2, bit_depth: int = 8) -> bytes:
    """A valid PNG of ``width`` x ``height`` black pixels: each row a filter byte and
    zeros, deflated about 1000:1 (1 x 100,000,000 RGB: about 390 KB)."""
    row = 1 + math.ceil(width * CHANNELS[colour_type] * bit_depth / 8)
    remaining = row * height
    compressor = zlib.compressobj(9)
    block = bytes(4 * 1024 * 1024)
    parts = []
    while remaining:
        take = min(remaining, len(block))
        parts.append(compressor.compress(block[:take]))
        remaining -= take
    parts.append(compressor.flush())
    header = struct.pack(">IIBBBBB", width, height, bit_depth, colour_type, 0, 0, 0)
    palette = _chunk(b"PLTE", bytes(3)) if colour_type == 3 else b""
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + palette
        + _chunk(b"IDAT", b"".join(parts))
        + _chunk(b"IEND", b"")
    )


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
