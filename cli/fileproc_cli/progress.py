"""Progress for people: a live status line on a terminal, occasional plain lines in a log.

``note`` prints a line that stays (a status change, a finished step). ``live``
shows what is going on right now: on a terminal it rewrites one line in place;
written to a file or a pipe (CI, ``make demo > log``) it prints the text at most
every ``plain_interval`` seconds, so a log shows that something is still going
on without thousands of lines.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import TextIO

SPINNER = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏"
PLAIN_INTERVAL_SECONDS = 15.0


def elapsed(seconds: float) -> str:
    """``42 s`` or ``1 min 05 s``."""
    whole = int(seconds)
    if whole < 60:
        return f"{whole} s"
    return f"{whole // 60} min {whole % 60:02d} s"


class Progress:
    def __init__(
        self,
        stream: TextIO | None = None,
        *,
        tty: bool | None = None,
        plain_interval: float = PLAIN_INTERVAL_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty() if tty is None else tty
        self.plain_interval = plain_interval
        self._clock = clock
        self._live_shown = False
        self._last_plain: float | None = None
        self._frame = 0

    def note(self, text: str) -> None:
        self.clear()
        print(text, file=self.stream, flush=True)

    def live(self, text: str) -> None:
        if self.tty:
            self._frame = (self._frame + 1) % len(SPINNER)
            self.stream.write(f"\r\x1b[K{SPINNER[self._frame]} {text}")
            self.stream.flush()
            self._live_shown = True
            return
        now = self._clock()
        if self._last_plain is None or now - self._last_plain >= self.plain_interval:
            self._last_plain = now
            print(f"... {text}", file=self.stream, flush=True)

    def clear(self) -> None:
        """Remove the live line (before a permanent line, or when the work is done)."""
        if self._live_shown:
            self.stream.write("\r\x1b[K")
            self.stream.flush()
            self._live_shown = False
