"""Dump parser: the text of a saved Daily Papers page in, paper entries out.

Pure: no files, no YAML, no HTML. It never raises on any input; what it cannot read
it reports as a Problem and moves on.

The three formats of real dumps (DESIGN.md) reduce to one line grammar. After
header noise and metadata lines are set aside, the text lines alternate title,
abstract, title, abstract; blank lines carry no meaning. Metadata (`• N authors`,
`·`, a date with an optional upvote count) belongs to the paper before it.
"""

from __future__ import annotations

import codecs
import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from .errors import Problem

MAX_TITLE = 300  # longer text lines are abstracts (real titles stay under 200)

HEADER_LINES = frozenset(
    line.casefold()
    for line in (
        "new",
        "Get trending papers in your email inbox!",
        "Get trending papers in your email inbox once a day!",
        "Subscribe",
        "Daily Papers",
        "byAK and the research community",
    )
)
# Header words that a copy-paste can glue to the first title ("SubscribeA Large-Scale ...").
GLUED_HEADERS = ("Subscribe", "Daily Papers", "byAK and the research community")

MONTHS = {
    name: number
    for number, names in enumerate(
        [
            ("jan", "january"), ("feb", "february"), ("mar", "march"), ("apr", "april"),
            ("may",), ("jun", "june"), ("jul", "july"), ("aug", "august"),
            ("sep", "sept", "september"), ("oct", "october"), ("nov", "november"),
            ("dec", "december"),
        ],
        start=1,
    )
    for name in names
}

SPACES = re.compile(r"[\s\x00-\x1f\x7f-\x9f\u200b-\u200d\u2060\ufeff]+")
SURROGATES = re.compile(r"[\ud800-\udfff]")
AUTHORS = re.compile(r"(?:[•·*-]\s*)?(\d{1,6})\s+authors?", re.IGNORECASE)
SEPARATOR = re.compile(r"[·•]")
DATE = re.compile(
    r"(?P<month>[A-Za-z]{3,9})\.?\s+(?P<day>\d{1,2})"
    r"(?:(?:,\s*|\s+)(?P<year>(?:19|20)\d\d)(?!\d))?"
    r"(?:\s+(?P<upvotes>\d{1,7}))?"
)
URL = re.compile(r"https?://[^\s<>\"'`]+", re.IGNORECASE)
CLOSERS = {")": "(", "]": "[", "}": "{"}


@dataclass(frozen=True)
class Entry:
    """One paper as a dump shows it."""

    title: str
    abstract: str
    authors: int | None
    date: dt.date | None
    upvotes: int | None
    links: tuple[str, ...]
    line: int


@dataclass(frozen=True)
class Dump:
    """The parse of one dump: its entries, its problems and the year used for dates."""

    name: str
    entries: tuple[Entry, ...]
    problems: tuple[Problem, ...]
    capture_year: int
    capture_year_reason: str
    has_yearless_dates: bool


@dataclass
class _Date:
    month: int
    day: int
    year: int | None
    upvotes: int | None
    line: int


@dataclass
class _Draft:
    title: str
    line: int
    abstract: str = ""
    abstract_line: int = 0
    authors: int | None = None
    date: _Date | None = None
    has_metadata: bool = False
    problems: list[str] = field(default_factory=list)


def decode(data: bytes) -> tuple[str, list[int]]:
    """Decode dump bytes: UTF-8 (BOM or not), UTF-16 when it has a BOM.

    Invalid bytes become U+FFFD; the returned list holds the (1-based) lines where
    that happened.
    """
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16", errors="replace"), []
    try:
        return data.decode("utf-8-sig"), []
    except UnicodeDecodeError:
        pass
    bad_lines = []
    lines = []
    for number, raw in enumerate(data.split(b"\n"), start=1):
        try:
            lines.append(raw.decode("utf-8"))
        except UnicodeDecodeError:
            lines.append(raw.decode("utf-8", errors="replace"))
            bad_lines.append(number)
    text = "\n".join(lines)
    return text.removeprefix("\ufeff"), bad_lines


def clean_line(line: str) -> str:
    """Collapse every kind of space and control character into single spaces."""
    line = SURROGATES.sub("\ufffd", line)
    return SPACES.sub(" ", line).strip()


def find_links(text: str) -> tuple[str, ...]:
    """The http(s) URLs in text, in order, without trailing punctuation or repeats."""
    links: list[str] = []
    for match in URL.finditer(text):
        url = strip_trailing_punctuation(match.group())
        try:
            host = urlsplit(url).hostname
        except ValueError:
            continue
        if host and url not in links:
            links.append(url)
    return tuple(links)


def strip_trailing_punctuation(url: str) -> str:
    """Drop sentence punctuation after a URL; keep a closing bracket that the URL opened."""
    while url and url[-1] in ".,;:!?'\")]}*":
        last = url[-1]
        if last in CLOSERS and url.count(CLOSERS[last]) >= url.count(last):
            break
        url = url[:-1]
    return url


def _parse_date(text: str, line: int) -> _Date | None:
    match = DATE.fullmatch(text)
    if not match or match["month"].lower() not in MONTHS:
        return None
    year = int(match["year"]) if match["year"] else None
    upvotes = int(match["upvotes"]) if match["upvotes"] else None
    return _Date(MONTHS[match["month"].lower()], int(match["day"]), year, upvotes, line)


def _lines(text: str) -> Iterator[tuple[int, str]]:
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    for number, line in enumerate(text.split("\n"), start=1):
        yield number, clean_line(line)


def _unglue(line: str, after_header: bool) -> tuple[bool, str]:
    """Split a header word glued to a title; returns (had_header, rest)."""
    if after_header:
        for word in GLUED_HEADERS:
            rest = line[len(word):]
            if line.startswith(word) and (rest[:1].isupper() or rest[:1].isdigit()):
                return True, rest
    return False, line


def _drafts(text: str, problems: list[Problem], name: str) -> Iterator[_Draft]:
    """Run the line grammar, yielding each paper as soon as it is complete."""
    current: _Draft | None = None
    tentative = False  # the current abstract is short enough to be a title instead
    after_header = True

    for number, line in _lines(text):
        if not line:
            continue
        if line.casefold() in HEADER_LINES:
            if current:
                yield current
            current, after_header = None, True
            continue
        glued, line = _unglue(line, after_header)
        if glued and current:
            yield current
            current = None
        after_header = glued

        date = _parse_date(line, number)
        if date or AUTHORS.fullmatch(line) or SEPARATOR.fullmatch(line):
            if current is None:
                continue  # a page date or stray metadata between pages: noise
            if not current.abstract and not current.has_metadata:
                current.problems.append("paper has no abstract")
            tentative = False
            current.has_metadata = True
            authors = AUTHORS.fullmatch(line)
            if authors:
                current.authors = int(authors[1])
            elif date:
                if current.date:
                    problems.append(Problem(name, number, f"second date line ignored: {line!r}"))
                else:
                    current.date = date
            continue

        if current is None:
            if len(line) > MAX_TITLE:
                problems.append(Problem(name, number, "text without a title skipped"))
                continue
            current = _Draft(title=line, line=number)
        elif not current.abstract and not current.has_metadata:
            current.abstract, current.abstract_line = line, number
            tentative = len(line) <= MAX_TITLE
        elif tentative and len(line) > MAX_TITLE:
            # The "abstract" was the next paper's title: the paper before had none.
            title, title_line = current.abstract, current.abstract_line
            current.abstract = ""
            current.problems.append("paper has no abstract")
            yield current
            current = _Draft(title=title, line=title_line, abstract=line, abstract_line=number)
            tentative = False
        else:
            yield current
            if len(line) > MAX_TITLE:
                problems.append(Problem(name, number, "text without a title skipped"))
                current = None
            else:
                current = _Draft(title=line, line=number)
            tentative = False
    if current:
        if not current.abstract and not current.has_metadata:
            current.problems.append("paper has no abstract")
        yield current


def _capture_year(
    explicit_years: list[int], captured_year: int | None, build_year: int
) -> tuple[int, str]:
    if captured_year is not None:
        return captured_year, "captured date in site.yaml"
    if explicit_years:
        latest = max(explicit_years)
        year = min(latest + 1, build_year)
        return year, f"inferred: the latest explicit year is {latest}"
    return build_year, "the build's year (no explicit years in the dump)"


def parse_dump(
    data: bytes | str,
    name: str,
    captured_year: int | None = None,
    build_year: int | None = None,
) -> Dump:
    """Parse one dump. `name` is used in problems; `captured_year` comes from site.yaml."""
    build_year = build_year or dt.date.today().year
    problems: list[Problem] = []
    if isinstance(data, bytes):
        text, bad_lines = decode(data)
        problems += [Problem(name, n, "bytes that are not UTF-8 replaced by �") for n in bad_lines]
    else:
        text = data

    drafts = list(_drafts(text, problems, name))
    explicit_years = [d.date.year for d in drafts if d.date and d.date.year]
    year, reason = _capture_year(explicit_years, captured_year, build_year)

    entries = []
    for draft in drafts:
        problems += [Problem(name, draft.line, message) for message in draft.problems]
        entries.append(
            Entry(
                title=draft.title,
                abstract=draft.abstract,
                authors=draft.authors,
                date=_resolve_date(draft.date, year, problems, name),
                upvotes=draft.date.upvotes if draft.date else None,
                links=find_links(draft.abstract),
                line=draft.line,
            )
        )
    if not entries:
        problems.append(Problem(name, 0, "no papers found (empty or header-only dump)"))
    return Dump(
        name=name,
        entries=tuple(entries),
        problems=tuple(sorted(problems)),
        capture_year=year,
        capture_year_reason=reason,
        has_yearless_dates=any(d.date and d.date.year is None for d in drafts),
    )


def _resolve_date(date: _Date | None, year: int, problems: list[Problem], name: str) -> dt.date | None:
    if date is None:
        return None
    try:
        return dt.date(date.year or year, date.month, date.day)
    except ValueError:
        problems.append(Problem(name, date.line, "not a real date; the paper is left undated"))
        return None
