"""A persistent cache in `.sitegen-cache/` beside site.yaml.

Safe to delete at any time: everything in it can be computed again. Entries are
dropped when sitegen's own code changes, and a build keeps only the entries it used.
The files are pickles signed with a key kept in the user's own cache folder, so a
cache that came from elsewhere (a repository, an archive) is ignored, never loaded.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import pickle
import secrets
import tempfile
import zlib
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
_SIGNATURE = 32  # bytes of signature (keyed BLAKE2b) before the pickle


def _signing_key() -> bytes | None:
    """This user's key (created on first use), or None where it cannot be kept: no caching then."""
    folder = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "sitegen"
    path = folder / "cache-key"
    try:
        return path.read_bytes()
    except OSError:
        pass
    try:
        folder.mkdir(parents=True, exist_ok=True)
        handle = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(handle, "wb") as file:
            file.write(secrets.token_bytes(32))
        return path.read_bytes()
    except OSError:
        return path.read_bytes() if path.exists() else None


def _sign(key: bytes, data: bytes) -> bytes:
    return hashlib.blake2b(data, key=key, digest_size=_SIGNATURE).digest()  # a keyed MAC, faster than HMAC-SHA256


class Cache:
    """A pickled mapping in one file or several (shards), read on first use and written by save().

    save() writes only the shards whose entries changed, so one edit among 10,000
    papers rewrites a sliver of the cache; a cache this build never used is left as
    it is on disk.
    """

    def __init__(self, site_root: Path, name: str, shards: int = 1) -> None:
        self.paths = [site_root / FOLDER / (f"{name}.pickle" if shards == 1 else f"{name}-{n}.pickle")
                      for n in range(shards)]
        self._key = _signing_key()
        self._old: list[dict[Hashable, Any]] | None = None  # per shard; None: not read yet
        self._files: list[tuple[int, int]] = []  # each shard file's status as read or written
        self._read_entries: dict[Hashable, Any] = {}  # of all shards
        self._shard_of: dict[Hashable, int] = {}  # of each entry read: no key is hashed to its shard again
        self._new: dict[Hashable, Any] = {}

    def _entries(self) -> list[dict[Hashable, Any]]:
        if self._old is None:
            self._files = [file_status(path) for path in self.paths]
            self._old = [self._read(path) for path in self.paths]
            for shard, entries in enumerate(self._old):
                self._read_entries.update(entries)
                self._shard_of.update(dict.fromkeys(entries, shard))
        return self._old

    def _read(self, path: Path) -> dict[Hashable, Any]:
        try:
            blob = path.read_bytes()
        except OSError:
            return {}  # no cache yet
        signature, data = blob[:_SIGNATURE], blob[_SIGNATURE:]
        if self._key is None or not hmac.compare_digest(signature, _sign(self._key, data)):
            return {}  # not written by this user's sitegen: never unpickle it
        try:
            stored = pickle.loads(data)
            if stored["code"] == CODE_VERSION and isinstance(stored["entries"], dict):
                return stored["entries"]
        except Exception:  # a cache from another version of sitegen: start afresh
            pass
        return {}

    def _shard(self, key: Hashable) -> int:
        return zlib.crc32(repr(key).encode("utf-8", "surrogatepass")) % len(self.paths) if len(self.paths) > 1 else 0

    def get(self, key: Hashable) -> Any:
        """The cached value, or None."""
        value = self._new.get(key, _MISSING)
        if value is _MISSING:
            self._entries()
            value = self._read_entries.get(key, _MISSING)
            if value is _MISSING:
                return None
            self._new[key] = value
        return value

    def put(self, key: Hashable, value: Any) -> None:
        self._entries()
        self._new[key] = value

    def save(self) -> None:
        """Write each shard whose entries used in this build are not exactly what was read."""
        if self._old is None or self._key is None:
            return
        shards: list[dict[Hashable, Any]] = [{} for _ in self.paths]
        for key, value in self._new.items():
            shard = self._shard_of.get(key)
            if shard is None:
                shard = self._shard_of[key] = self._shard(key)
            shards[shard][key] = value
        for path, new, old in zip(self.paths, shards, self._old, strict=True):
            if new.keys() == old.keys() and all(new[key] is old[key] for key in new):
                continue
            data = pickle.dumps({"code": CODE_VERSION, "entries": new}, protocol=pickle.HIGHEST_PROTOCOL)
            path.parent.mkdir(exist_ok=True)
            handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
            with os.fdopen(handle, "wb") as file:
                file.write(_sign(self._key, data) + data)
            os.replace(temporary, path)
        self._files = [file_status(path) for path in self.paths]
        self._old = shards
        self._read_entries = dict(self._new)  # what the shards now hold

    def again(self) -> Cache:
        """This cache for the next build of the same process: read from memory, unless its files changed meanwhile.

        An entry the next build does not use is dropped at its save, as in a new process.
        """
        if self._old is not None and self._files != [file_status(path) for path in self.paths]:
            self._old = None  # another process wrote it: read it again
            self._read_entries, self._shard_of = {}, {}
        self._new = {}
        return self


def file_status(path: str | os.PathLike[str]) -> tuple[int, int]:
    """Size and modification time, which change whenever the file does; (-1, -1) if it is not there."""
    try:
        status = os.stat(path)
    except OSError:
        return (-1, -1)
    return (status.st_size, status.st_mtime_ns)
