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
