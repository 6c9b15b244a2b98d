"""Paper identity, slugs and the merge of entries across dumps."""

from __future__ import annotations

import datetime as dt
import itertools
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass

from .config import SiteConfig, Topic, dump_topics
from .dumps import Dump, Entry
from .text import normalize_title, short_hash, slugify


@dataclass(frozen=True)
class Paper:
    """One paper merged from every dump that shows it."""

    identity: str
    title: str
    abstract: str
    authors: int | None
    date: dt.date | None
    upvotes: int | None
    upvotes_as_of: dt.date | None  # the day those upvotes were counted
    links: tuple[str, ...]
    topics: tuple[str, ...]
    sources: tuple[str, ...]


@dataclass(frozen=True)
class Merged:
    papers: tuple[Paper, ...]  # sorted by identity
    entries: int
    duplicates: int


Matcher = tuple[str, re.Pattern[str], re.Pattern[str]]  # topic slug, any keyword anywhere, a whole keyword


def keyword_matcher(topics: Iterable[Topic]) -> list[Matcher]:
    """Patterns per topic that has keywords, for lower-cased text.

    Most texts name no keyword at all, which the first pattern (plain words, no
    look-arounds) tells several times faster than the second.
    """
    matchers = []
    for topic in topics:
        if topic.keywords:
            words = "|".join(re.escape(word.lower()) for word in topic.keywords)
            matchers.append((topic.slug, re.compile(words), re.compile(rf"(?<!\w)(?:{words})(?!\w)")))
    return matchers


def merge(
    dumps: Iterable[Dump], config: SiteConfig, earlier: Mapping[str, Paper] | None = None,
    unchanged: frozenset[str] = frozenset(),
) -> Merged:
    """Group entries by identity; the result does not depend on the order of dumps.

    `earlier` holds the papers of a merge with the same topics, by identity, and
    `unchanged` the names of the dumps whose entries are as they were then: a paper
    shown by those dumps only, and by the same ones as then, is taken as it was.
    """
    topics_of_dump = dump_topics(config)
    groups: dict[str, list[tuple[str, Entry]]] = {}
    count = 0
    for dump in sorted(dumps, key=lambda d: d.name):
        for entry in dump.entries:
            groups.setdefault(normalize_title(entry.title), []).append((dump.name, entry))
            count += 1
    matchers = keyword_matcher(config.topics)
    topic_order = {topic.slug: index for index, topic in enumerate(config.topics)}
    papers = []
    for identity in sorted(groups):
        before = earlier.get(identity) if earlier else None
        if before is not None and unchanged.issuperset(before.sources) and before.sources == _sources(groups[identity]):
            papers.append(before)
        else:
            papers.append(_merge_group(identity, groups[identity], topics_of_dump, matchers, topic_order))
    return Merged(papers=tuple(papers), entries=count, duplicates=count - len(papers))


def _sources(group: list[tuple[str, Entry]]) -> tuple[str, ...]:
    return tuple(sorted({name for name, _ in group}))


def _merge_group(
    identity: str,
    group: list[tuple[str, Entry]],
    topics_of_dump: Mapping[str, tuple[str, ...]],
    matchers: list[Matcher],
    topic_order: Mapping[str, int],
) -> Paper:
    entries = [entry for _, entry in group]
    first = entries[0]
    richest = max(entries, key=lambda e: len(e.abstract))
    sources = _sources(group)
    topics = {slug for name in sources for slug in topics_of_dump.get(name, ())}
    if matchers:
        title, abstract = first.title.lower(), richest.abstract.lower()
        topics |= {
            slug for slug, anywhere, whole in matchers
            if any(anywhere.search(text) and whole.search(text) for text in (title, abstract))
        }
    # The most upvotes any dump shows, as of the day that dump counted them (the latest, on a tie).
    top = max(
        (e for e in entries if e.upvotes is not None),
        key=lambda e: (e.upvotes, e.upvotes_as_of or dt.date.min),
        default=None,
    )
    return Paper(
        identity=identity,
        title=first.title,
        abstract=richest.abstract,
        authors=next((e.authors for e in entries if e.authors is not None), None),
        date=next((e.date for e in entries if e.date is not None), None),
        upvotes=top.upvotes if top else None,
        upvotes_as_of=top.upvotes_as_of if top else None,
        links=richest.links,
        topics=tuple(sorted(topics, key=topic_order.__getitem__)),
        sources=sources,
    )


def assign_slugs(
    titles: Mapping[str, str], existing: Mapping[str, str], taken: Iterable[str] = ()
) -> dict[str, str]:
    """Give each paper (`titles`: identity → title) a slug that no other paper has.

    A paper that already has a file keeps its slug (`existing`: identity → slug), so
    slugs never change when papers are added. New papers get the slug of their title;
    when that is taken, the title's hash is appended. New papers are handled in
    identity order, so the outcome depends on the titles, not on input order.
    """
    slugs = dict(existing)
    used = set(existing.values()) | set(taken)
    for identity in sorted(titles.keys() - existing.keys()):
        slug = next(slug for slug in slug_candidates(identity, titles[identity]) if slug not in used)
        slugs[identity] = slug
        used.add(slug)
    return slugs


def slug_candidates(identity: str, title: str) -> Iterator[str]:
    """The slugs a paper may get, in the order they are tried: its title's, then with a longer and longer hash."""
    base = slugify(title)
    yield base
    for length in itertools.count(6, 2):
        yield f"{base}-{short_hash(identity, length)}"

