"""The cache in .sitegen-cache/ is an optimisation only: a foreign, corrupt or missing one changes nothing."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest
from conftest import copy_sample

from sitegen.cache import CODE_VERSION


def tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


class RunsCode:
    def __reduce__(self):
        return (Path("pwned").touch, ())


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"not a pickle at all",
        pickle.dumps({"code": CODE_VERSION, "entries": []}),
        pickle.dumps(RunsCode()),
        b"\x00" * 32 + pickle.dumps(RunsCode()),
    ],
)
def test_a_foreign_or_corrupt_cache_is_ignored_and_never_run(tmp_path: Path, monkeypatch, content: bytes):
    site = copy_sample(tmp_path / "site")
    site.build()
    expected = tree(site.out)
    monkeypatch.chdir(site.root)
    for cache in (site.root / ".sitegen-cache").glob("*.pickle"):
        cache.write_bytes(content)
    (site.out / "index.html").write_text("stale")  # make the build do its work
    site.build()
    assert tree(site.out) == expected
    assert not (site.root / "pwned").exists()


def test_a_cache_kept_for_the_next_build_is_read_from_memory_unless_another_process_wrote_it(tmp_path: Path):
    from sitegen.cache import Cache

    reads = []

    class Counted(Cache):
        def _read(self, path: Path) -> dict:
            reads.append(path.name)
            return super()._read(path)

    mine = Counted(tmp_path, "parts", 2)
    mine.put("a", 1)
    mine.put("b", 2)
    mine.save()
    reads.clear()
    again = mine.again()
    assert again.get("a") == 1 and reads == []  # from memory
    again.save()  # a build that used only "a"
    assert mine.again().get("b") is None  # dropped at that save, as a new process would
    other = Cache(tmp_path, "parts", 2)  # another process
    other.put("a", 3)
    other.save()
    assert mine.again().get("a") == 3 and sorted(reads) == ["parts-0.pickle", "parts-1.pickle"]


def test_serve_builds_from_memory_what_a_build_reads_from_disk(tmp_path: Path, monkeypatch):
    """A second build in the same session reads no cache file, and publishes a note as a new process would.

    (The search, related and checked caches are read by processes of their own, which this does not see.)
    """
    from sitegen.build import Session
    from sitegen.cache import Cache

    site = copy_sample(tmp_path / "site")
    session = Session()
    site.build(session)
    notes = site.paper_file("data-filtering-networks")
    notes.write_text(notes.read_text() + "Kept in memory.\n")
    original, reads = Cache._read, []
    monkeypatch.setattr(Cache, "_read", lambda self, path: reads.append(path.name) or original(self, path))
    assert site.build(session).pages >= 1
    assert reads == []
    assert "Kept in memory." in (site.out / "papers/data-filtering-networks.html").read_text()
