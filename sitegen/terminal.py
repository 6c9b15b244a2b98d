"""What `build` and `serve` print alike: a build's notes and warnings, and the message for a bug in sitegen."""

from __future__ import annotations

import traceback

from .build import Summary


def findings(summary: Summary, notes: bool = True) -> list[str]:
    """A build's notes (unless `notes` is False), then its warnings: the lines to print before its summary."""
    return [f"note: {note}" for note in summary.notes if notes] + [
        f"warning: {problem}" for problem in summary.problems
    ]


def internal_error(error: Exception, debug: bool) -> str:
    """The one-line message for an error that is a bug in sitegen; with `debug`, its traceback is printed first."""
    if debug:
        traceback.print_exception(error)
    return f"internal error ({type(error).__name__}: {error}); rerun with --debug"
