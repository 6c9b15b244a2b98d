"""`sitegen mark`: the named keys change, every other byte of the file stays, and nothing is half-written."""

from __future__ import annotations

import random
import signal
import subprocess
import sys
import time

from conftest import Site

PAPER = """---
# my own comment, kept
title: 'Quoted: A Paper on Sparse Things'
slug: quoted-a-paper-on-sparse-things
date: 2024-05-01
status: "to-read"
rating: 2
tags: [sparse, 'b c']
mine: |
  a block of my own
# a trailing comment
---
My notes, with a line of dashes:
---
and more.
"""


def write_papers(site: Site) -> None:
    site.write_config("title: T\n")
    papers = site.root / "content" / "papers"
    papers.mkdir(parents=True)
    (papers / "quoted-a-paper-on-sparse-things.md").write_text(PAPER)
    (papers / "dense-things.md").write_text("---\ntitle: Dense Things\n---\n")
    (papers / "other-dense-things.md").write_text("---\ntitle: Other Dense Things\n---\n")


def files(site: Site) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in (site.root / "content" / "papers").iterdir()}


def test_mark_changes_the_named_keys_and_no_other_byte(site: Site):
    write_papers(site)
    result = site.cli("mark", "sparse paper", "--status", "read", "--rating", "5", "--tag", "new", "--untag", "b c")
    assert result.returncode == 0, result.stderr
    assert result.stdout == (
        "content/papers/quoted-a-paper-on-sparse-things.md: "
        "status: to-read → read; rating: 2 → 5; tags: sparse, b c → sparse, new\n"
    )
    text = (site.root / "content/papers/quoted-a-paper-on-sparse-things.md").read_text()
    assert text == PAPER.replace('status: "to-read"\nrating: 2\ntags: [sparse, \'b c\']\n',
                                 "status: read\nrating: 5\ntags:\n- sparse\n- new\n")
    again = site.cli("mark", "quoted-a-paper-on-sparse-things", "--status", "read")
    assert again.returncode == 0 and "nothing changed" in again.stdout
    assert (site.root / "content/papers/quoted-a-paper-on-sparse-things.md").read_text() == text


def test_an_ambiguous_or_unknown_query_exits_1_and_writes_nothing(site: Site):
    write_papers(site)
    before = files(site)
    ambiguous = site.cli("mark", "dense things", "--status", "read")
    assert ambiguous.returncode == 1
    assert "2 papers match 'dense things'" in ambiguous.stderr
    assert "dense-things: Dense Things" in ambiguous.stderr and "other-dense-things" in ambiguous.stderr
    unknown = site.cli("mark", "quantum gravity", "--status", "read")
    assert unknown.returncode == 1 and "no paper matches 'quantum gravity'" in unknown.stderr
    bad = site.cli("mark", "dense-things", "--rating", "7")
    assert bad.returncode == 2 and "invalid choice: 7" in bad.stderr
    assert files(site) == before


def test_a_killed_mark_leaves_the_file_whole(site: Site):
    write_papers(site)
    path = site.root / "content/papers/dense-things.md"
    command = [sys.executable, "-m", "sitegen", "mark", "dense-things", "--status"]
    states = set()
    for status in ("read", "to-read"):
        subprocess.run([*command, status], cwd=site.root, check=True, capture_output=True)
        states.add(path.read_bytes())
    rng = random.Random(7)
    for round_number in range(12):
        process = subprocess.Popen([*command, ("read", "to-read")[round_number % 2]], cwd=site.root,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0.05, 0.4))
        process.send_signal(signal.SIGKILL)
        process.wait()
        assert path.read_bytes() in states, round_number
    site.build()  # and the next build clears what a killed write left behind
    assert [p.name for p in path.parent.iterdir() if p.name.startswith(".")] == []
