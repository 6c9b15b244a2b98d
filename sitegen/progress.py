"""Progress of a long build: which stage it is in, and how far it is.

Nothing shows for a build that ends within DELAY seconds. On a terminal, one line is
redrawn in place (with a bar for a stage that counts its work) and erased at the end,
so the build's summary stays one line; elsewhere (a log, a pipe) each stage is a plain
line, and a stage that counts adds a line every EVERY seconds.
"""

from __future__ import annotations

import math
import os
import shutil
import time
from collections.abc import Callable
from typing import TextIO

DELAY = 2.0  # seconds before anything shows
REDRAW = 0.1  # seconds between redraws of the terminal's line
EVERY = 2.0  # seconds between plain lines of one stage
BAR = 24  # characters


class Progress:
    """Reports stages to `stream` (none: reports nothing)."""

    def __init__(
        self, stream: TextIO | None = None, clock: Callable[[], float] = time.perf_counter
    ) -> None:
        self.stream = stream
        self.terminal = bool(stream and stream.isatty()) and os.environ.get("TERM") != "dumb"  # dumb: no escapes
        self.clock = clock
        self.started = clock()
        self.name, self.done, self.total = "", 0, 0
        self.shown_at = -math.inf
        self.drawn = False

    def stage(self, name: str, total: int = 0) -> None:
        """A new stage begins; `total`: how many steps it counts, if it does."""
        self.name, self.done, self.total = name, 0, total
        self.shown_at = -math.inf
        self._show()

    def advance(self, steps: int = 1) -> None:
        self.done += steps
        self._show()

    def close(self) -> None:
        """Erase the terminal's line."""
        if self.drawn and self.stream:
            self.stream.write("\r\x1b[K")
            self.stream.flush()
            self.drawn = False

    def _show(self) -> None:
        now = self.clock()
        if not self.stream or now - self.started < DELAY or now - self.shown_at < (REDRAW if self.terminal else EVERY):
            return
        self.shown_at = now
        if self.terminal:  # cut to the terminal's width: a line that wrapped could not be erased
            self.stream.write(f"\r\x1b[K{self._line()[:shutil.get_terminal_size().columns - 1]}")
            self.drawn = True
        else:
            self.stream.write(f"{self._line()}\n")
        self.stream.flush()

    def _line(self) -> str:
        elapsed = f"{self.clock() - self.started:.0f} s"
        if not self.total:
            return f"{elapsed}: {self.name}..."
        if not self.terminal:
            return f"{elapsed}: {self.name}: {self.done} of {self.total}"
        filled = BAR * min(self.done, self.total) // self.total
        return f"{elapsed}: {self.name} [{'#' * filled}{'.' * (BAR - filled)}] {self.done}/{self.total}"
