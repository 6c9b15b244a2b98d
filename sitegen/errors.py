"""Errors and problems shared by every stage.

A *problem* is something the build reports and survives (a line of a dump it could
not read); an *error* stops the build with one message and exit status 1.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class Problem:
    """A warning tied to a place in an input file (line is 1-based, 0 if unknown)."""

    path: str
    line: int
    message: str

    def __str__(self) -> str:
        place = f"{self.path}:{self.line}" if self.line else self.path
        return f"{place}: {self.message}"


class SitegenError(Exception):
    """An error the user can fix; the CLI prints it as one line and exits 1."""

    def __init__(self, message: str, path: str = "", line: int = 0) -> None:
        self.path = path
        self.line = line
        self.message = message
        super().__init__(str(self))

    def __str__(self) -> str:
        if not self.path:
            return self.message
        place = f"{self.path}:{self.line}" if self.line else self.path
        return f"{place}: {self.message}"


class ConfigError(SitegenError):
    """A problem in site.yaml."""
