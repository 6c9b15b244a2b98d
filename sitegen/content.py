"""Sync content/ with the dumps: each merged paper in its file, each topic's file with its papers.

The files are the user's. A file sitegen made (it has `sources:`) gets its machine
keys refreshed; one the user wrote by hand gets only the keys it lacks, the ones it
has listed under `pinned:`, and a warning where the dumps disagree. No paper ever
gets a second file: one whose file cannot be read (or is empty) waits for it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from . import store
from .cache import Cache
from .config import SiteConfig, display_path
from .errors import Problem
from .model import Site
from .papers import Merged, Paper, assign_slugs, slug_candidates
from .text import normalize_title


@dataclass(frozen=True)
class Refreshed:
    documents: list[store.Document]  # every paper file, as the site is made from it, by slug
    changes: list[store.Change]  # the files to write
    new: int
    updated: int
    problems: list[Problem]


def refresh_papers(config: SiteConfig, merged: Merged, cache: Cache, as_before: bool = False) -> Refreshed:
    """Each merged paper in its file (new or refreshed, not yet written), and every other paper file.

    `as_before`: the papers are merged from the same dumps as in the last build, which
    left each file it did not see changed since as fresh as these papers make it.
    """
    loaded = store.load(config.papers_dir, cache)
    problems = list(loaded.problems)
    by_identity: dict[str, store.Document] = {}
    untitled = set()
    for document in loaded.documents:
        title = document.meta.get("title")
        if not isinstance(title, str):
            untitled.add(document.slug)
            continue
        first = by_identity.setdefault(normalize_title(title), document)
        if first is not document:
            message = f"same title as {display_path(first.path)}; only that file is refreshed from the dumps"
            problems.append(Problem(display_path(document.path), 1, message))
    # A paper that may be the one in an unreadable or untitled file waits until the user
    # repairs it: writing it elsewhere would leave two files for one paper.
    blocking = loaded.unreadable | untitled
    readable = {document.slug for document in loaded.documents} - untitled
    papers = []
    for paper in merged.papers:
        blocker = None if paper.identity in by_identity else _blocking_file(paper, readable, blocking)
        if blocker:
            message = f"'{paper.title}' from the dumps waits until this file is repaired"
            problems.append(Problem(display_path(config.papers_dir / f"{blocker}.md"), 0, message))
        else:
            papers.append(paper)
    slugs = assign_slugs(
        {paper.identity: paper.title for paper in papers},
        {identity: document.slug for identity, document in by_identity.items()},
        taken={document.slug for document in loaded.documents} | loaded.unreadable,
    )
    documents = {document.slug: document for document in loaded.documents}
    changes = []
    today = dt.date.today()
    stuck = cache.get("unspliceable") or set()  # files the last build could not refresh: it warns again
    for paper in papers:
        slug = slugs[paper.identity]
        current = by_identity.get(paper.identity)
        if as_before and current is not None and current.slug in loaded.as_cached and current.file not in stuck:
            continue  # as the last build left it (a tenth of a second at 10,000 papers)
        path = current.file if current else str(config.papers_dir / f"{slug}.md")
        again = partial(refreshed_paper, path=path, paper=paper, slug=slug, today=today)
        fresh = again(current, problems=problems)
        stuck.discard(path)
        if fresh is None:
            problems.append(Problem(display_path(Path(path)), 1, UNSPLICEABLE))
            stuck.add(path)
        elif fresh.changed:
            documents[slug] = fresh
            changes.append(store.Change(fresh, again))
    cache.put("unspliceable", stuck)
    new = sum(1 for change in changes if change.document.on_disk is None)
    return Refreshed(sorted(documents.values(), key=lambda d: d.slug), changes, new, len(changes) - new, problems)


UNSPLICEABLE = (
    "the dumps' values cannot be put in without rewriting the rest of the front matter (it is indented or "
    "in flow style, or uses anchors); the file is left as it is: write its keys one per line to have it refreshed"
)


def refreshed_paper(
    document: store.Document | None, path: str, paper: Paper, slug: str, today: dt.date,
    problems: list[Problem] | None = None,
) -> store.Document | None:
    """The paper's file with the dumps' values in it (None if they cannot be spliced in); warns into `problems`.

    A file without `sources:` was written by hand: it gets only the keys it lacks, and
    the machine keys it has are pinned, so that a later build keeps them too.
    """
    fresh = store.paper_front_matter(paper, slug)
    if document is None or "added" not in document.meta:  # recorded once, then the user's
        fresh["added"] = today
    if document is not None and "sources" not in document.meta:
        present = [key for key in fresh if key in document.meta]
        if problems is not None:
            problems += _disagreements(document, {key: fresh[key] for key in present})
        pinned = document.meta.get(store.PINNED)
        fresh = {key: value for key, value in fresh.items() if key not in document.meta}
        fresh[store.PINNED] = list(dict.fromkeys([*(pinned if isinstance(pinned, list) else []), *present]))
    return store.refresh(document, path, fresh)


def _disagreements(document: store.Document, theirs: dict[str, Any]) -> list[Problem]:
    """A warning for each value typed by hand that the dumps give otherwise (the title matched already)."""
    problems = []
    for key, value in theirs.items():
        if key != "title" and value not in (None, "", []) and document.meta[key] != value:
            shown = repr(value if not isinstance(value, str) or len(value) <= 40 else value[:40] + "…")
            message = (f"'{key}' was written by hand and the dumps give {shown}; yours is kept and pinned "
                       f"(take it out of '{store.PINNED}' to have the dumps' value)")
            problems.append(Problem(display_path(document.path), store.line_of(document.text, key), message))
    return problems


def _blocking_file(paper: Paper, readable: set[str], blocking: frozenset[str]) -> str | None:
    """The unreadable (or untitled) file this paper could be in: one of its slugs before the first free one."""
    for slug in slug_candidates(paper.identity, paper.title):
        if slug in blocking:
            return slug
        if slug not in readable:
            return None
    raise AssertionError("slug_candidates never ends")  # pragma: no cover


def refresh_topics(config: SiteConfig, site: Site, loaded: store.Loaded) -> tuple[list[store.Change], list[Problem]]:
    """Every topic file with its title, description and papers as the site has them now."""
    existing = {document.slug: document for document in loaded.documents}
    changes, problems = [], []
    for topic in site.topics:
        if topic.slug in loaded.unreadable:
            continue
        fresh = store.topic_front_matter(topic.title, topic.slug, topic.description, topic.papers)
        path = config.topics_dir / f"{topic.slug}.md"
        again = partial(store.refresh, path=path, fresh=fresh)
        document = again(existing.get(topic.slug))
        if document is None:
            problems.append(Problem(display_path(path), 1, UNSPLICEABLE))
        elif document.changed:
            changes.append(store.Change(document, again))
    return changes, problems

