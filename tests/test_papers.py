"""Merging dumps into papers: a merge that starts from an earlier one gives what a merge from scratch gives."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from sitegen.config import load_config
from sitegen.dumps import parse_dump
from sitegen.papers import merge
from sitegen.text import normalize_title

ROOT = Path(__file__).resolve().parent.parent


def test_papers_of_unchanged_dumps_are_reused_and_the_rest_merged_again():
    config = load_config(ROOT / "site.yaml")
    dumps = {path.name: parse_dump(path.open("rb"), path.name) for path in sorted(config.dumps_dir.glob("*.txt"))}
    before = merge(dumps.values(), config)
    shared = {paper.identity for paper in before.papers if len(paper.sources) > 1}
    assert shared  # the sample has papers in several dumps, which this test needs
    # One dump changes: it loses a paper other dumps show too, another's abstract grows, it gains a paper of
    # its own and one that only other dumps showed.
    name, lost = next(
        (name, entry) for name, dump in dumps.items() for entry in dump.entries
        if normalize_title(entry.title) in shared
    )
    entries = [entry for entry in dumps[name].entries if entry is not lost]
    entries[0] = dataclasses.replace(entries[0], abstract=entries[0].abstract + " More of it.")
    entries.append(dataclasses.replace(entries[1], title="A Paper Only This Dump Has Now"))
    elsewhere = next(paper for paper in before.papers if name not in paper.sources)
    entries.append(dataclasses.replace(entries[1], title=elsewhere.title, upvotes=(elsewhere.upvotes or 0) + 1000))
    dumps[name] = dataclasses.replace(dumps[name], entries=tuple(entries))
    earlier = {paper.identity: paper for paper in before.papers}
    after = merge(dumps.values(), config, earlier, frozenset(dumps) - {name})
    assert after == merge(dumps.values(), config)
    reused = [paper for paper in after.papers if earlier.get(paper.identity) is paper]
    assert 0 < len(reused) < len(after.papers)
    assert all(name not in paper.sources for paper in reused)
