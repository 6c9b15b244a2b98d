"""A build killed at any moment, or started twice at once, breaks nothing."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import Site, copy_sample

from sitegen.store import Document, parse

NOTES = "My notes: keep every byte of these.\n"


def tree(folder: Path) -> dict[str, bytes]:
    return {path.relative_to(folder).as_posix(): path.read_bytes() for path in folder.rglob("*") if path.is_file()}


def set_state(site: Site, state: int) -> None:
    """Two versions of the inputs with the same papers: state 1 rewrites one dump's abstracts."""
    original = (site.root / "original-data-filtering.txt").read_text()
    text = original if state == 0 else original.replace(" the ", " THE ")
    site.dump("data-filtering.txt", text)


def prepare(root: Path, state: int) -> Site:
    site = copy_sample(root)
    (root / "original-data-filtering.txt").write_text((root / "content/dumps/data-filtering.txt").read_text())
    set_state(site, 0)
    site.build()
    annotated = site.paper_file("data-filtering-networks")
    annotated.write_text(annotated.read_text() + NOTES)
    set_state(site, state)
    site.build()
    return site


def start_build(site: Site) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "sitegen", "build"],
        cwd=site.root,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_a_build_killed_at_random_moments_leaves_a_complete_site_and_whole_files(tmp_path: Path):
    references = [tree(prepare(tmp_path / f"reference-{state}", state).out) for state in (0, 1)]
    assert references[0] != references[1]
    site = prepare(tmp_path / "killed", 0)
    rng = random.Random(20261122)
    started = time.perf_counter()
    build_seconds = 0.0
    for round_number in range(20):
        set_state(site, round_number % 2)
        process = start_build(site)
        time.sleep(rng.uniform(0.0, max(build_seconds, 0.5) * 1.2))
        process.send_signal(signal.SIGKILL)
        process.wait()
        build_seconds = (time.perf_counter() - started) / (round_number + 1)
        assert tree(site.out) in references, f"round {round_number}: _site is neither the old nor the new site"
        for path in (site.root / "content").rglob("*.md"):
            text = path.read_text(encoding="utf-8")
            assert isinstance(parse(path, text), Document), path
            assert text.startswith("---\n") and text.count("---\n") >= 2, path
        assert site.paper_file("data-filtering-networks").read_text().endswith("---\n" + NOTES)
    site.build()
    leftovers = [p.name for p in site.root.rglob(".*.tmp")] + [p.name for p in site.root.glob("._site.*")]
    assert leftovers == []


def test_two_builds_at_once_do_not_mix_their_output(tmp_path: Path):
    site = prepare(tmp_path / "twice", 0)
    reference = tree(site.out)
    processes = [start_build(site), start_build(site)]
    results = [process.communicate(timeout=120) for process in processes]
    assert [process.returncode for process in processes] == [0, 0], results
    assert any("waiting for another sitegen command" in stderr for _, stderr in results)
    assert tree(site.out) == reference


@pytest.mark.parametrize("make_out", ["a file in the way", "read-only system folder"])
def test_an_unwritable_output_is_a_clear_error(tmp_path: Path, make_out: str):
    site = copy_sample(tmp_path / "site")
    if make_out == "a file in the way":
        (site.root / "afile").write_text("")
        out = "afile/_site"
    else:
        out = "/proc/sitegen-cannot-write-here/_site"
    result = site.cli("build", "--out", out)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert result.stderr.startswith(f"error: {out}: cannot create the output folder")
    assert os.listdir(site.root / "content" / "papers")  # the content was still brought up to date
