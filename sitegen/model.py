"""content/*.md → Site: the plain, read-only model that templates are given.

Paper files may be written or edited by hand, so every value is checked here and
anything unusable becomes a Problem and a sensible default, never an exception.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import operator
import pickle
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlsplit

from .config import SiteConfig, display_path
from .errors import Problem
from .store import Document, line_of
from .text import slugify

Warn = Callable[[str, str], None]
STATUSES = ("to-read", "reading", "read", "skipped")
RATINGS = range(1, 6)
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
    upvotes_as_of: dt.date | None  # the day the upvotes were counted
    links: tuple[Link, ...]
    topics: tuple[str, ...]
    sources: tuple[str, ...]
    abstract: str
    notes: str
    status: str | None  # one of STATUSES
    rating: int | None  # one of RATINGS
    tags: tuple[str, ...]
    added: dt.date | None  # when the paper file was made
    arxiv: str | None  # its arXiv identifier, if the user gave one

    @property
    def year(self) -> int | None:
        return self.date.year if self.date else None


# A paper as lists and exports show it: every field but the notes.
listed_fields = operator.attrgetter(*(name for name in PaperPage.__dataclass_fields__ if name != "notes"))


def listed_digests(papers: Iterable[PaperPage]) -> dict[str, bytes]:
    """Each paper's digest as lists and exports show it (every field but the notes), by slug."""
    return {paper.slug: hashlib.sha1(pickle.dumps(listed_fields(paper), 5)).digest() for paper in papers}


@dataclass(frozen=True)
class TopicPage:
    slug: str
    url: str
    title: str
    description: str
    intro: str
    papers: tuple[str, ...]  # slugs, newest first


@dataclass(frozen=True)
class TagPage:
    slug: str
    url: str
    name: str
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
    tags: tuple[TagPage, ...] = ()  # by name
    tag_by_name: Mapping[str, TagPage] = field(default_factory=dict)  # every spelling of a tag


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
    in_topic: dict[str, list[str]] = {topic.slug: [] for topic in config.topics}
    for paper in papers:  # once over the papers, not once per topic
        for slug in dict.fromkeys(paper.topics):  # a file may name a topic twice
            in_topic[slug].append(paper.slug)
    topics = tuple(
        TopicPage(
            slug=topic.slug,
            url=f"topics/{topic.slug}.html",
            title=topic.title,
            description=topic.description,
            intro=intros.get(topic.slug, ""),
            papers=tuple(in_topic[topic.slug]),
        )
        for topic in config.topics
    )
    tags = _tags(papers)
    return Site(
        title=config.title,
        description=config.description,
        base_url=config.base_url,
        papers=tuple(papers),
        topics=topics,
        problems=tuple(problems),
        by_slug={paper.slug: paper for paper in papers},
        topic_by_slug={topic.slug: topic for topic in topics},
        tags=tuple(tags.values()),
        tag_by_name={name: tags[slugify(name, "tag")] for paper in papers for name in paper.tags},
    )


def _tags(papers: list[PaperPage]) -> dict[str, TagPage]:
    """A page for each tag; spellings with the same slug ("LLM", "llm") are one tag, named by the one sorted first."""
    spellings: dict[str, set[str]] = {}
    tagged: dict[str, list[str]] = {}
    for paper in papers:  # newest first
        for name in dict.fromkeys(paper.tags):
            slug = slugify(name, "tag")
            spellings.setdefault(slug, set()).add(name)
            papers_tagged = tagged.setdefault(slug, [])
            if not papers_tagged or papers_tagged[-1] != paper.slug:  # "LLM" and "llm" on one paper
                papers_tagged.append(paper.slug)
    pages = [
        TagPage(slug=slug, url=f"tags/{slug}.html", name=min(spellings[slug]), papers=tuple(tagged[slug]))
        for slug in spellings
    ]
    return {page.slug: page for page in sorted(pages, key=lambda page: (page.name.casefold(), page.slug))}


def reading_queue(papers: Iterable[PaperPage]) -> dict[str, list[PaperPage]]:
    """The papers by status: `reading` and `to-read` oldest added first, `read` best rated first."""
    by_status: dict[str, list[PaperPage]] = {status: [] for status in STATUSES}
    for paper in papers:
        if paper.status:
            by_status[paper.status].append(paper)

    def oldest_added(paper: PaperPage) -> tuple[Any, ...]:
        return (paper.added is None, paper.added or dt.date.min, paper.title.casefold(), paper.slug)

    for status in ("reading", "to-read", "skipped"):
        by_status[status].sort(key=oldest_added)
    by_status["read"].sort(key=lambda paper: (-(paper.rating or 0), *oldest_added(paper)))
    return by_status


def paper_texts(documents: Iterable[Document]) -> dict[str, tuple[str, str, str]]:
    """The title, abstract and notes of each paper file that makes a page, by slug, as its page shows them."""
    texts = {}
    for document in documents:
        title, abstract = document.meta.get("title"), document.meta.get("abstract")
        if isinstance(title, str) and title.strip():
            texts[document.slug] = (title.strip(), abstract if isinstance(abstract, str) else "", document.body)
    return texts


def _paper(document: Document, topic_slugs: set[str], problems: list[Problem]) -> PaperPage | None:
    meta = document.meta

    def warn(key: str, message: str) -> None:
        problems.append(Problem(display_path(document.path), line_of(document.text, key), message))

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
        upvotes_as_of=_date(meta.get("upvotes_as_of"), warn, "upvotes_as_of"),
        links=tuple(_link(url) for url in _strings(meta.get("links"), "links", warn) if _is_web(url, warn)),
        topics=tuple(slug for slug in topics if slug in topic_slugs),
        sources=_strings(meta.get("sources"), "sources", warn),
        abstract=meta["abstract"] if isinstance(meta.get("abstract"), str) else "",
        notes=document.body,
        status=_status(meta.get("status"), warn),
        rating=_rating(meta.get("rating"), warn),
        tags=tuple(tag for tag in _strings(meta.get("tags"), "tags", warn) if tag.strip()),
        added=_date(meta.get("added"), warn, "added"),
        arxiv=_arxiv(meta.get("arxiv"), warn),
    )


def _date(value: Any, warn: Warn, key: str = "date") -> dt.date | None:
    if value is None or (isinstance(value, dt.date) and not isinstance(value, dt.datetime)):
        return value
    if isinstance(value, dt.datetime):
        return value.date()
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        warn(key, f"'{key}' must be YYYY-MM-DD, not {str(value)!r}; ignored")
        return None


def _status(value: Any, warn: Warn) -> str | None:
    if value is None or value in STATUSES:
        return value
    warn("status", f"'status' must be one of {', '.join(STATUSES)}, not {str(value)!r}; ignored")
    return None


ARXIV_ID = re.compile(r"(?:\d{4}\.\d{4,5}|[a-z-]+(?:\.[A-Z]{2})?/\d{7})(?:v\d+)?")


def _arxiv(value: Any, warn: Warn) -> str | None:
    if value is None:
        return None
    if isinstance(value, float):  # YAML reads `arxiv: 2309.17420` as a number: 4 digits after the dot before 2015
        month = int(value)
        digits = 5 if month >= 1501 else 4
        value = f"{month:04d}.{round((value - month) * 10**digits):0{digits}d}"
    text = str(value).strip().removeprefix("arXiv:").removeprefix("arxiv:")
    if ARXIV_ID.fullmatch(text):
        return text
    warn("arxiv", f"'arxiv' must be an arXiv identifier such as 2309.17425, not {str(value)!r}; ignored")
    return None


def _rating(value: Any, warn: Warn) -> int | None:
    if value is None or (type(value) is int and value in RATINGS):
        return value
    warn("rating", f"'rating' must be a whole number from 1 to 5, not {str(value)!r}; ignored")
    return None


def _count(value: Any, key: str, warn: Warn) -> int | None:
    if value is None or (isinstance(value, int) and not isinstance(value, bool) and value >= 0):
        return value
    warn(key, f"'{key}' must be a whole number; ignored")
    return None


def _strings(value: Any, key: str, warn: Warn) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list):
        return tuple(str(item) for item in value if item is not None and not isinstance(item, (dict, list)))
    warn(key, f"'{key}' must be a list of words, not {str(value)!r}; ignored")
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
