"""A persistent cache in `.sitegen-cache/` beside site.yaml.

Safe to delete at any time: everything in it can be computed again. Entries are
dropped when sitegen's own code changes, and a build keeps only the entries it used.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import tempfile
from collections.abc import Hashable
from pathlib import Path
from typing import Any

FOLDER = ".sitegen-cache"


def _code_version() -> str:
    digest = hashlib.sha1()
    for path in sorted(Path(__file__).parent.glob("*.py")):
        digest.update(path.read_bytes())
    return digest.hexdigest()


CODE_VERSION = _code_version()
_MISSING = object()


class Cache:
    """One pickled mapping, loaded when created and written by save() if it changed."""

    def __init__(self, site_root: Path, name: str) -> None:
        self.path = site_root / FOLDER / f"{name}.pickle"
        self._old: dict[Hashable, Any] = {}
        try:
            stored = pickle.loads(self.path.read_bytes())
            if stored.get("code") == CODE_VERSION:
                self._old = stored["entries"]
        except (OSError, pickle.PickleError, EOFError, AttributeError, KeyError, TypeError, ValueError):
            pass  # no cache yet, or one from another version: start afresh
        self._new: dict[Hashable, Any] = {}

    def get(self, key: Hashable) -> Any:
        """The cached value, or None."""
        value = self._new.get(key, _MISSING)
        if value is _MISSING:
            value = self._old.get(key, _MISSING)
            if value is _MISSING:
                return None
            self._new[key] = value
        return value

    def put(self, key: Hashable, value: Any) -> None:
        self._new[key] = value

    def save(self) -> None:
        """Write the entries used in this build, unless they are exactly what was read."""
        if self._new.keys() == self._old.keys() and all(self._new[k] is self._old[k] for k in self._new):
            return
        self.path.parent.mkdir(exist_ok=True)
        handle, temporary = tempfile.mkstemp(prefix=f".{self.path.name}.", suffix=".tmp", dir=self.path.parent)
        with os.fdopen(handle, "wb") as file:
            pickle.dump({"code": CODE_VERSION, "entries": self._new}, file, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(temporary, self.path)


def file_key(path: Path) -> tuple[str, int, int] | None:
    """(name, size, modification time) of a file: it changes whenever the file does."""
    try:
        status = path.stat()
    except OSError:
        return None
    return (path.name, status.st_size, status.st_mtime_ns)
