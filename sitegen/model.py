"""content/*.md → Site: the plain, read-only model that templates are given.

Paper files may be written or edited by hand, so every value is checked here and
anything unusable becomes a Problem and a sensible default, never an exception.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlsplit

from .config import SiteConfig, display_path
from .errors import Problem
from .store import Document

Warn = Callable[[str, str], None]
CODE_HOSTS = ("github.com", "gitlab.com", "bitbucket.org", "huggingface.co", "codeberg.org")


@dataclass(frozen=True)
class Link:
    url: str
    host: str
    is_code: bool


@dataclass(frozen=True)
class PaperPage:
    slug: str
    url: str  # relative to the site root
    title: str
    date: dt.date | None
    authors: int | None
    upvotes: int | None
    links: tuple[Link, ...]
    topics: tuple[str, ...]
    sources: tuple[str, ...]
    abstract: str
    notes: str
    status: str | None
    rating: str | None
    tags: tuple[str, ...]

    @property
    def year(self) -> int | None:
        return self.date.year if self.date else None


@dataclass(frozen=True)
class TopicPage:
    slug: str
    url: str
    title: str
    description: str
    intro: str
    papers: tuple[str, ...]  # slugs, newest first


@dataclass(frozen=True)
class Site:
    title: str
    description: str
    base_url: str | None
    papers: tuple[PaperPage, ...]  # newest first
    topics: tuple[TopicPage, ...]  # in site.yaml order
    problems: tuple[Problem, ...] = ()
    by_slug: Mapping[str, PaperPage] = field(default_factory=dict)
    topic_by_slug: Mapping[str, TopicPage] = field(default_factory=dict)


def newest_first(paper: PaperPage) -> tuple[Any, ...]:
    """Sort key: dated papers newest first, then undated; ties by title then slug."""
    return (paper.date is None, -(paper.date.toordinal() if paper.date else 0), paper.title.casefold(), paper.slug)


def build_site(config: SiteConfig, paper_docs: Iterable[Document], topic_docs: Iterable[Document]) -> Site:
    problems: list[Problem] = []
    topic_slugs = {topic.slug for topic in config.topics}
    papers = []
    for document in paper_docs:
        paper = _paper(document, topic_slugs, problems)
        if paper:
            papers.append(paper)
    papers.sort(key=newest_first)

    intros = {document.slug: document.body for document in topic_docs}
    topics = tuple(
        TopicPage(
            slug=topic.slug,
            url=f"topics/{topic.slug}.html",
            title=topic.title,
            description=topic.description,
            intro=intros.get(topic.slug, ""),
            papers=tuple(paper.slug for paper in papers if topic.slug in paper.topics),
        )
        for topic in config.topics
    )
    return Site(
        title=config.title,
        description=config.description,
        base_url=config.base_url,
        papers=tuple(papers),
        topics=topics,
        problems=tuple(problems),
        by_slug={paper.slug: paper for paper in papers},
        topic_by_slug={topic.slug: topic for topic in topics},
    )


def _paper(document: Document, topic_slugs: set[str], problems: list[Problem]) -> PaperPage | None:
    meta = document.meta

    def warn(key: str, message: str) -> None:
        lines = document.text.splitlines()
        line = next((n for n, text in enumerate(lines, 1) if text.startswith(f"{key}:")), 0)
        problems.append(Problem(display_path(document.path), line, message))

    title = meta.get("title")
    if not isinstance(title, str) or not title.strip():
        warn("title", "no 'title' in the front matter; the paper is not published")
        return None
    topics = _strings(meta.get("topics"), "topics", warn)
    return PaperPage(
        slug=document.slug,
        url=f"papers/{quote(document.slug)}.html",
        title=title.strip(),
        date=_date(meta.get("date"), warn),
        authors=_count(meta.get("authors"), "authors", warn),
        upvotes=_count(meta.get("upvotes"), "upvotes", warn),
        links=tuple(_link(url) for url in _strings(meta.get("links"), "links", warn) if _is_web(url, warn)),
        topics=tuple(slug for slug in topics if slug in topic_slugs),
        sources=_strings(meta.get("sources"), "sources", warn),
        abstract=meta["abstract"] if isinstance(meta.get("abstract"), str) else "",
        notes=document.body,
        status=_scalar(meta.get("status")),
        rating=_scalar(meta.get("rating")),
        tags=_strings(meta.get("tags"), "tags", warn),
    )


def _date(value: Any, warn: Warn) -> dt.date | None:
    if value is None or (isinstance(value, dt.date) and not isinstance(value, dt.datetime)):
        return value
    if isinstance(value, dt.datetime):
        return value.date()
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        warn("date", f"'date' must be YYYY-MM-DD, not {str(value)!r}; the paper is shown undated")
        return None


def _count(value: Any, key: str, warn: Warn) -> int | None:
    if value is None or (isinstance(value, int) and not isinstance(value, bool) and value >= 0):
        return value
    warn(key, f"'{key}' must be a whole number; ignored")
    return None


def _scalar(value: Any) -> str | None:
    if value is None or isinstance(value, (dict, list)):
        return None
    return str(value)


def _strings(value: Any, key: str, warn: Warn) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list):
        return tuple(str(item) for item in value if item is not None and not isinstance(item, (dict, list)))
    warn(key, f"'{key}' must be a list; ignored")
    return ()


def _is_web(url: str, warn: Warn) -> bool:
    try:
        parts = urlsplit(url)
    except ValueError:
        parts = None
    if parts and parts.scheme.lower() in ("http", "https") and parts.hostname:
        return True
    warn("links", f"'links' holds {url!r}, which is not an http(s) URL; left out")
    return False


def _link(url: str) -> Link:
    host = (urlsplit(url).hostname or "").removeprefix("www.")
    return Link(url=url, host=host, is_code=host in CODE_HOSTS)
