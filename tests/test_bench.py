"""Smoke tests of the benchmark harness (bench/): the generator and one tiny run without the browser."""

from __future__ import annotations

import importlib
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"


@pytest.fixture
def bench_modules(monkeypatch: pytest.MonkeyPatch) -> tuple[ModuleType, ModuleType]:
    """bench/generate.py and bench/run.py, imported the way `python bench/run.py` sees them."""
    monkeypatch.syspath_prepend(str(BENCH))
    return importlib.import_module("generate"), importlib.import_module("run")


def tree(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_generate_is_deterministic_and_makes_n_unique_papers(
    tmp_path: Path, bench_modules: tuple[ModuleType, ModuleType]
) -> None:
    generate, _ = bench_modules
    generate.generate(tmp_path / "a", 120, seed=7)
    generate.generate(tmp_path / "b", 120, seed=7)
    assert tree(tmp_path / "a") == tree(tmp_path / "b")
    assert len(tree(tmp_path / "a" / "content" / "dumps")) >= 10

    built = subprocess.run([sys.executable, "-m", "sitegen", "build"], cwd=tmp_path / "a",
                           capture_output=True, text=True, timeout=120)
    assert built.returncode == 0, built.stderr
    assert "warning:" not in built.stdout + built.stderr
    assert len(list((tmp_path / "a" / "content" / "papers").glob("*.md"))) == 120
    assert "duplicates merged" in built.stdout and "(0 duplicates merged)" not in built.stdout


def test_run_prints_a_table_with_every_row(tmp_path: Path, bench_modules: tuple[ModuleType, ModuleType]) -> None:
    _, run = bench_modules
    out = tmp_path / "RESULTS.md"
    done = subprocess.run([sys.executable, str(BENCH / "run.py"), "--sizes", "60", "--repeat", "1", "--no-browser",
                           "--out", str(out)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    for row in run.ROWS:
        assert f"| {row} | " in done.stdout
        assert f"| {row} | " in out.read_text(encoding="utf-8")
    assert "| incremental result equals a cold build | yes |" in done.stdout
    assert "skipped (--no-browser)" in done.stdout
    assert "N=60" in done.stderr
