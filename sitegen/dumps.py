"""Dump parser: the text of a saved Daily Papers page in, paper entries out.

Pure: no files, no YAML, no HTML. It never raises on any input; what it cannot read
it reports as a Problem and moves on.

The three formats of real dumps (DESIGN.md) reduce to one line grammar. After
header noise and metadata lines are set aside, the text lines alternate title,
abstract, title, abstract; blank lines carry no meaning. Metadata (`• N authors`,
`·`, a date with an optional upvote count) belongs to the paper before it. A bare
date is the page's: the day its upvotes were counted, for every paper under it.
"""

from __future__ import annotations

import codecs
import datetime as dt
import io
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import BinaryIO
from urllib.parse import urlsplit

from .errors import Problem

MAX_TITLE = 300  # longer text lines are abstracts (real titles stay under 200)
BINARY_SHARE = 0.1  # a dump with more unreadable characters than this is not text

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
BIDI_CONTROLS = re.compile(r"[\u202a-\u202e\u2066-\u2069]")  # can make a title read backwards
# U+FFFD: a Windows-1252 "•", "·" or non-breaking space read as UTF-8 (reported as such).
AUTHORS = re.compile(r"(?:[•·*\-\ufffd]\s*)?(\d{1,6})\s+authors?", re.IGNORECASE)
SEPARATOR = re.compile(r"[·•\ufffd]")
DATE = re.compile(
    r"(?P<month>[A-Za-z]{3,9})\.?\s+(?P<day>\d{1,2})"
    r"(?:(?:,\s*|\s+)(?P<year>(?:19|20)\d\d)(?!\d))?"
    r"(?:\s+(?P<upvotes>\d{1,7}))?"
)
URL = re.compile(r"https?://[!#-&(-;=?-_a-~]+", re.IGNORECASE)  # printable ASCII but quotes, <, >, `
CLOSERS = {")": "(", "]": "[", "}": "{"}


@dataclass(frozen=True)
class Entry:
    """One paper as a dump shows it."""

    title: str
    abstract: str
    authors: int | None
    date: dt.date | None
    upvotes: int | None
    upvotes_as_of: dt.date | None  # the day the upvotes were counted, if the dump or site.yaml tells
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


class _Tally:
    """Counts characters, and unreadable ones (U+FFFD, NUL), of the lines passing through."""

    def __init__(self) -> None:
        self.characters = self.unreadable = 0

    def count(self, lines: Iterable[tuple[int, str]]) -> Iterator[tuple[int, str]]:
        for number, line in lines:
            self.characters += len(line)
            self.unreadable += line.count("\ufffd") + line.count("\x00")
            yield number, line


class _Report:
    """Collects a dump's problems; past a hundred it only counts them (a binary file has thousands)."""

    LIMIT = 100

    def __init__(self, name: str) -> None:
        self.name = name
        self.shown: list[Problem] = []
        self.hidden = 0

    def __call__(self, line: int, message: str) -> None:
        if len(self.shown) < self.LIMIT:
            self.shown.append(Problem(self.name, line, message))
        else:
            self.hidden += 1

    def problems(self) -> tuple[Problem, ...]:
        more = [Problem(self.name, 0, f"{self.hidden} more problems not shown")] if self.hidden else []
        return tuple(sorted(self.shown) + more)


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
    page: _Date | None = None  # the date of the page the paper was on


def read_lines(source: bytes | str | BinaryIO, on_bad_line: Callable[[int], None]) -> Iterator[tuple[int, str]]:
    """(line number, text) of a dump, one line at a time, whatever its line endings.

    Bytes are UTF-8 (with or without a BOM) or, after a UTF-16 BOM, UTF-16. Bytes that
    are not valid become U+FFFD and their line is passed to `on_bad_line`. A file is
    read line by line, so memory does not grow with its size.
    """
    if isinstance(source, str):
        yield from _split_endings(enumerate(source.split("\n"), start=1))
        return
    if isinstance(source, bytes):
        source = io.BytesIO(source)
    head = source.read(2)
    source.seek(0)
    if head in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE):
        text = io.TextIOWrapper(source, encoding="utf-16", errors="replace", newline="\n")
        yield from _split_endings(enumerate((line.removesuffix("\n") for line in text), start=1))
        return

    def decoded() -> Iterator[tuple[int, str]]:
        for number, raw in enumerate(source, start=1):
            raw = raw.removesuffix(b"\n")
            try:
                yield number, raw.decode("utf-8")
            except UnicodeDecodeError:
                on_bad_line(number)
                yield number, raw.decode("utf-8", errors="replace")

    yield from _split_endings(decoded())


def _split_endings(lines: Iterable[tuple[int, str]]) -> Iterator[tuple[int, str]]:
    """Split lines again at lone CRs (old Mac files), counting each piece as a line."""
    offset = 0
    for number, line in lines:
        pieces = line.split("\r")
        if len(pieces) > 1 and pieces[-1] == "":
            pieces.pop()  # the CR of a CRLF ending
        for piece in pieces:
            yield number + offset, piece
            offset += 1
        offset -= 1


def clean_line(line: str) -> str:
    """Collapse every kind of space and control character into single spaces; drop direction overrides."""
    line = BIDI_CONTROLS.sub("", SURROGATES.sub("\ufffd", line))
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
    open_count = {closer: url.count(opener) for closer, opener in CLOSERS.items()}
    close_count = {closer: url.count(closer) for closer in CLOSERS}
    end = len(url)
    while end and url[end - 1] in ".,;:!?'\")]}*":
        last = url[end - 1]
        if last in CLOSERS:
            if open_count[last] >= close_count[last]:
                break
            close_count[last] -= 1
        end -= 1
    return url[:end]


def _parse_date(text: str, line: int) -> _Date | None:
    match = DATE.fullmatch(text.replace("\ufffd", " "))
    if not match or match["month"].lower() not in MONTHS:
        return None
    year = int(match["year"]) if match["year"] else None
    upvotes = int(match["upvotes"]) if match["upvotes"] else None
    return _Date(MONTHS[match["month"].lower()], int(match["day"]), year, upvotes, line)


def _unglue(line: str, after_header: bool) -> tuple[bool, str]:
    """Split a header word glued to a title; returns (had_header, rest)."""
    if after_header:
        for word in GLUED_HEADERS:
            rest = line[len(word):].lstrip()
            if line.startswith(word) and rest:
                return True, rest
    return False, line


def _drafts(lines: Iterable[tuple[int, str]], report: _Report) -> Iterator[_Draft]:
    """Run the line grammar, yielding each paper as soon as it is complete."""
    current: _Draft | None = None
    tentative = False  # the current abstract is short enough to be a title instead
    after_header = True
    after_metadata = False  # the line before was "·" or "• N authors"
    page: _Date | None = None  # the date of the page being read
    on_page = False  # a paper has been read since the page began

    for number, raw in lines:
        line = clean_line(raw)
        if not line:
            continue
        if line.casefold() in HEADER_LINES:
            if current:
                yield current
            current, after_header, after_metadata = None, True, False
            if on_page:  # the header of another pasted page, whose date is still to come
                page, on_page = None, False
            continue
        glued, line = _unglue(line, after_header)
        if glued and current:
            yield current
            current = None
        if glued and on_page:
            page, on_page = None, False
        after_header = glued

        date = _parse_date(line, number)
        if date and not after_metadata:
            # A paper's date follows its "·" (or authors) line; a bare date is the page's.
            if current:
                yield current
            current, tentative = None, False
            page, on_page = (date if date.upvotes is None else None), False  # a count: a paper's date, not the page's
            continue
        after_metadata = bool(AUTHORS.fullmatch(line) or SEPARATOR.fullmatch(line))
        if date or after_metadata:
            if current is None:
                continue  # stray metadata between pages: noise
            if not current.abstract and not current.has_metadata:
                report(current.line, "paper has no abstract")
            tentative = False
            current.has_metadata = True
            authors = AUTHORS.fullmatch(line)
            if authors:
                current.authors = int(authors[1])
            elif date:
                if current.date:
                    report(number, f"second date line ignored: {line!r}")
                else:
                    current.date = date
            continue

        if current is None:
            if len(line) > MAX_TITLE:
                report(number, "text without a title skipped")
                continue
            current = _Draft(title=line, line=number, page=page)
            on_page = True
        elif not current.abstract and not current.has_metadata:
            current.abstract, current.abstract_line = line, number
            tentative = len(line) <= MAX_TITLE
        elif tentative and len(line) > MAX_TITLE:
            # The "abstract" was the next paper's title: the paper before had none.
            title, title_line = current.abstract, current.abstract_line
            current.abstract = ""
            report(current.line, "paper has no abstract")
            yield current
            current = _Draft(title=title, line=title_line, abstract=line, abstract_line=number, page=page)
            tentative = False
        else:
            yield current
            if len(line) > MAX_TITLE:
                report(number, "text without a title skipped")
                current = None
            else:
                current = _Draft(title=line, line=number, page=page)
            tentative = False
    if current:
        if not current.abstract and not current.has_metadata:
            report(current.line, "paper has no abstract")
        yield current


def _capture_year(
    explicit_years: list[int], captured: dt.date | int | None, build_year: int
) -> tuple[int, str]:
    captured_year = captured.year if isinstance(captured, dt.date) else captured
    if captured_year is not None:
        return captured_year, "captured date in site.yaml"
    if explicit_years:
        latest = max(explicit_years)
        year = min(latest + 1, build_year)
        return year, f"inferred: the latest explicit year is {latest}"
    return build_year, "the build's year (no explicit years in the dump)"


def parse_dump(
    source: bytes | str | BinaryIO,
    name: str,
    captured: dt.date | int | None = None,
    build_year: int | None = None,
) -> Dump:
    """Parse one dump: its bytes, its text, or a binary file open for reading.

    `name` is used in problems. `captured` is when site.yaml says the dump was saved:
    a day, which is then when every paper's upvotes were counted, or only a year.
    Otherwise the upvotes were counted on the date of the page a paper was on, if the
    page shows one.
    """
    build_year = build_year or dt.date.today().year
    report = _Report(name)

    def bad_line(number: int) -> None:
        report(number, "bytes that are not UTF-8 replaced by �")

    tally = _Tally()
    drafts = list(_drafts(tally.count(read_lines(source, bad_line)), report))
    binary = tally.unreadable > BINARY_SHARE * tally.characters
    if binary:
        share = round(100 * tally.unreadable / tally.characters)
        report = _Report(name)  # one clear message instead of a warning for every line
        report(0, f"not a text dump ({share}% of its characters are unreadable); nothing is read from it")
        drafts = []
    explicit_years = [d.date.year for d in drafts if d.date and d.date.year]
    year, reason = _capture_year(explicit_years, captured, build_year)
    pages: dict[int, dt.date | None] = {}  # page dates by line, each resolved (and reported) once
    yearless_pages = False

    def counted_on(draft: _Draft) -> dt.date | None:
        nonlocal yearless_pages
        if draft.date is None or draft.date.upvotes is None:
            return None
        if isinstance(captured, dt.date):
            return captured
        page = draft.page
        if page is None:
            return None
        if page.line not in pages:
            pages[page.line] = _resolve_date(page, year, report, "upvotes under it are left without a date")
            yearless_pages |= page.year is None
        return pages[page.line]

    entries = []
    for draft in drafts:
        entries.append(
            Entry(
                title=draft.title,
                abstract=draft.abstract,
                authors=draft.authors,
                date=_resolve_date(draft.date, year, report, "the paper is left undated"),
                upvotes=draft.date.upvotes if draft.date else None,
                upvotes_as_of=counted_on(draft),
                links=find_links(draft.abstract),
                line=draft.line,
            )
        )
    if not entries and not binary:
        report(0, "no papers found (empty or header-only dump)")
    return Dump(
        name=name,
        entries=tuple(entries),
        problems=report.problems(),
        capture_year=year,
        capture_year_reason=reason,
        has_yearless_dates=yearless_pages or any(d.date and d.date.year is None for d in drafts),
    )


def _resolve_date(date: _Date | None, year: int, report: _Report, otherwise: str) -> dt.date | None:
    if date is None:
        return None
    try:
        return dt.date(date.year or year, date.month, date.day)
    except ValueError:
        report(date.line, f"not a real date; {otherwise}")
        return None
