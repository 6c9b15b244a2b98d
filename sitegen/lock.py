"""The one lock of a site: every command that reads or writes content/ or _site/ holds it."""

from __future__ import annotations

import fcntl
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from .cache import FOLDER
from .config import display_path
from .errors import SitegenError


@contextmanager
def site_lock(site_root: Path) -> Iterator[None]:
    """Hold the site's lock: a build, `serve`'s rebuilds and `mark` wait for each other instead of mixing writes."""
    folder = site_root / FOLDER
    try:
        folder.mkdir(exist_ok=True)
        handle = open(folder / "build.lock", "w")  # noqa: SIM115 (held for the whole block)
    except OSError as error:
        raise SitegenError(f"cannot create the site's lock: {error.strerror}", display_path(folder)) from None
    with handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            print("waiting for another sitegen command on this site to finish…", file=sys.stderr, flush=True)
            fcntl.flock(handle, fcntl.LOCK_EX)
        yield
