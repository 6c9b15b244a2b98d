"""content/*.md: read documents, refresh the machine's front-matter keys, save atomically.

A document's front matter belongs to the machine only for a fixed set of keys; every
other key and the whole body are the user's. Refreshing rewrites just the lines of
the machine's keys, so the user's keys keep their exact bytes (comments, quoting,
order), and the body is never touched. A file whose front matter cannot be read is
never rewritten.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from functools import cached_property
from pathlib import Path
from typing import Any

import yaml

from .cache import Cache, file_status
from .config import display_path
from .errors import Problem, SitegenError
from .papers import Paper

Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
Dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)

FRONT_MATTER = re.compile(r"\A\ufeff?---[ \t]*\r?\n(.*?)^(?:---|\.\.\.)[ \t]*(?:\r?\n|\Z)", re.DOTALL | re.MULTILINE)


@dataclass(frozen=True)
class Document:
    """A Markdown file with YAML front matter; `text` is what belongs on disk."""

    file: str  # its path: a string, which 10,000 cached documents load much faster than Path objects
    meta: Mapping[str, Any]
    body: str
    text: str
    on_disk: str | None  # the text as read; None for a file not yet written

    @property
    def path(self) -> Path:
        return Path(self.file)

    @cached_property
    def slug(self) -> str:
        return os.path.splitext(os.path.basename(self.file))[0]

    @property
    def changed(self) -> bool:
        return self.text != self.on_disk


@dataclass(frozen=True)
class Loaded:
    documents: tuple[Document, ...]
    problems: tuple[Problem, ...]
    unreadable: frozenset[str]  # slugs of files that exist but cannot be read
    as_cached: frozenset[str] = frozenset()  # slugs of files unchanged since the cache saw them


def dump_yaml(values: Mapping[str, Any]) -> str:
    """YAML text for the values, through the YAML library so any string round-trips.

    A long list of plain words (a topic's thousands of slugs) is written the way the
    library writes it, without its (slow) help; the other keys go through it together.
    """
    if not values:
        return "{}\n"
    parts: list[str] = []
    others: dict[str, Any] = {}
    for key, value in values.items():
        plain = _plain_list(key, value)
        if plain is None:
            others[key] = value
            continue
        if others:
            parts.append(_library_yaml(others))
            others = {}
        parts.append(plain)
    if others:
        parts.append(_library_yaml(others))
    return "".join(parts)


LONG_LIST = 20  # shorter lists are not worth a call of their own to the library


def _library_yaml(values: Mapping[str, Any]) -> str:
    return yaml.dump(dict(values), Dumper=Dumper, allow_unicode=True, sort_keys=False, default_flow_style=False)


PLAIN_WORD = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*\Z")
_resolver = yaml.resolver.Resolver()


def _plain_list(key: str, value: Any) -> str | None:
    """`key:` and `- word` lines, for a long list of words YAML reads back as the same strings.

    (A key of 128 characters or more PyYAML writes as `? key`: not here.)
    """
    if not isinstance(value, list) or len(value) < LONG_LIST or len(key) >= 128:
        return None
    if not all(type(item) is str for item in value):
        return None
    for word in (key, *value):
        if not PLAIN_WORD.match(word) or _resolver.resolve(yaml.ScalarNode, word, (True, False)) != _STRING:
            return None
    return f"{key}:\n" + "".join(f"- {item}\n" for item in value)


_STRING = "tag:yaml.org,2002:str"


def parse(path: Path, text: str) -> Document | Problem:
    """Split a file into front matter values and body; a Problem if it cannot be read."""
    name = display_path(path)
    if not text.lstrip("\ufeff").startswith("---"):
        return Document(str(path), {}, text, text, text)
    match = FRONT_MATTER.match(text)
    if not match:
        return Problem(name, 1, "front matter has no closing '---' line; the file is left as it is")
    try:
        meta = yaml.load(match.group(1), Loader=Loader)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = mark.line + 2 if mark else 1
        problem = getattr(error, "problem", None) or str(error)
        return Problem(name, line, f"front matter is not valid YAML ({problem}); the file is left as it is")
    except Exception as error:  # valid YAML, impossible value: a date 2024-13-01, a bad !!int
        line = _line_of_bad_value(match.group(1))
        return Problem(name, line, f"front matter has a value YAML cannot read ({error}); the file is left as it is")
    if meta is None:
        meta = {}
    if not isinstance(meta, dict):
        return Problem(name, 2, "front matter must be a mapping of keys to values; the file is left as it is")
    return Document(str(path), meta, text[match.end():], text, text)


def _line_of_bad_value(head: str) -> int:
    """The file line of the first top-level value that cannot be constructed (1 if unknown)."""
    root = yaml.compose(head, Loader=Loader)
    for _, value in root.value if isinstance(root, yaml.MappingNode) else []:
        try:
            yaml.SafeLoader("").construct_object(value, deep=True)
        except Exception:
            return value.start_mark.line + 2
    return 1


def load(directory: Path, cache: Cache | None = None) -> Loaded:
    """Every *.md file of a directory, in name order; files unchanged since `cache` saw them are not re-read."""
    documents, problems, unreadable, as_cached = [], [], set(), set()
    folder = str(directory)  # plain strings: this runs over every file on every build
    for name in sorted(name for name in os.listdir(folder) if name.endswith(".md")) if directory.is_dir() else []:
        path = os.path.join(folder, name)
        key = _cache_key(path)
        result = cache.get(key) if cache else None
        if result is None:
            result = _read(Path(path))
            if cache:
                cache.put(key, result)
        else:
            as_cached.add(name.removesuffix(".md"))
        if isinstance(result, Problem):
            problems.append(result)
            unreadable.add(name.removesuffix(".md"))
        else:
            documents.append(result)
    return Loaded(tuple(documents), tuple(problems), frozenset(unreadable), frozenset(as_cached))


def _cache_key(path: str | Path) -> tuple[str, str, int, int]:
    """The file, and the working directory its problems are shown from, as the file is now."""
    return (os.getcwd(), str(path), *file_status(path))


def _read(path: Path) -> Document | Problem:
    try:
        text = path.read_bytes().decode("utf-8")
    except (OSError, UnicodeDecodeError) as error:
        return Problem(display_path(path), 0, f"cannot read the file: {error}")
    return parse(path, text)


def refresh(document: Document | None, path: str | Path, fresh: Mapping[str, Any]) -> Document:
    """The document with the machine's keys set to `fresh`; the same object if nothing changes."""
    if document is None:
        return Document(str(path), dict(fresh), "", f"---\n{dump_yaml(fresh)}---\n", None)
    if all(key in document.meta and _same(document.meta[key], value) for key, value in fresh.items()):
        return document
    front_matter = FRONT_MATTER.match(document.text)
    head = front_matter.group(1) if front_matter else ""
    new_head = _splice(head, fresh)
    text = f"---\n{new_head}---\n{document.body}"
    if front_matter:
        start, end = front_matter.span(1)
        text = document.text[:start] + new_head + document.text[end:]
    return replace(document, meta={**document.meta, **fresh}, text=text)


def _same(old: Any, new: Any) -> bool:
    return type(old) is type(new) and old == new


def _splice(head: str, fresh: Mapping[str, Any]) -> str:
    """Replace the lines of the keys in `fresh` inside front matter text; keep all others."""
    lines = head.splitlines(keepends=True)
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"
    spans = _key_spans(head, lines)
    if spans is None:  # a layout the splice cannot follow: write the values afresh
        values = {**(yaml.load(head, Loader=Loader) or {}), **fresh}
        return dump_yaml(values)
    newline = "\r\n" if "\r\n" in head else "\n"
    # A key the file lacks goes after the one before it in `fresh` (a new machine key
    # among the machine's), or at the end when none before it is there.
    present = {key for key, _, _ in spans}
    after: dict[str | None, dict[str, Any]] = {}
    anchor = None
    for key, value in fresh.items():
        if key in present:
            anchor = key
        else:
            after.setdefault(anchor, {})[key] = value
    out: list[str] = []
    done: set[str] = set()
    position = 0
    for key, start, end in spans:
        if key not in fresh:
            continue
        out += lines[position:start]
        if key not in done:
            out.append(dump_yaml({key: fresh[key], **after.get(key, {})}).replace("\n", newline))
            done.add(key)
        position = end
    out += lines[position:]
    if None in after:
        out.append(dump_yaml(after[None]).replace("\n", newline))
    return "".join(out)


def _key_spans(head: str, lines: list[str]) -> list[tuple[str, int, int]] | None:
    """(key, first line, line after the value) for each top-level key, or None.

    Read from the parser's events, not a composed tree: a topic file lists thousands
    of papers. Comment and blank lines after a value are left out of its span: they
    are the user's.
    """
    events = [event for event in yaml.parse(head, Loader=Loader) if not isinstance(event, _DOCUMENT_EVENTS)]
    if not events:
        return []
    if not isinstance(events[0], yaml.MappingStartEvent) or events[0].flow_style:
        return None
    values = []  # (key, first event of its value, last event of its value)
    position = 1
    while not isinstance(events[position], yaml.MappingEndEvent):
        key, first, depth = events[position], position + 1, 0
        if not isinstance(key, yaml.ScalarEvent) or key.start_mark.column != 0:
            return None
        for position in range(first, len(events)):
            depth += isinstance(events[position], yaml.CollectionStartEvent)
            depth -= isinstance(events[position], yaml.CollectionEndEvent)
            if depth == 0:
                break
        values.append((key, events[first], events[position]))
        position += 1
    spans = []
    for key, first, last in values:
        start = key.start_mark.line
        end = max(last.end_mark.line + (1 if last.end_mark.column else 0), start + 1)
        block_scalar = isinstance(first, yaml.ScalarEvent) and first.style in ("|", ">")
        while not block_scalar and end > start + 1 and lines[end - 1].strip()[:1] in ("", "#"):
            end -= 1
        spans.append((key.value, start, end))
    for (_, _, end), (_, start, _) in zip(spans, spans[1:], strict=False):
        if end > start:
            return None
    return spans


_DOCUMENT_EVENTS = (yaml.StreamStartEvent, yaml.StreamEndEvent, yaml.DocumentStartEvent, yaml.DocumentEndEvent)


def remove_leftovers(directory: Path) -> None:
    """Delete the temporary files of writes that a killed build left unfinished."""
    for leftover in directory.glob(".*.md.*.tmp") if directory.is_dir() else []:
        leftover.unlink(missing_ok=True)


class Saving:
    """Writes every changed document atomically, on two threads from start() on.

    Creating a file is mostly the kernel's work, so the writes overlap what the
    caller computes meanwhile. They start no later than the end of the `with` block,
    and all of them are done (or their first error raised) when it ends, even if the
    block failed: the content is brought up to date whatever happens to the output.
    """

    def __init__(self, documents: Iterable[Document], cache: Cache | None = None) -> None:
        self.changed = [document for document in documents if document.changed]
        self.paths = [document.path for document in self.changed]
        self._cache = cache
        self._pool = ThreadPoolExecutor(WRITERS)
        self._results: Iterator[None] | None = None

    def start(self) -> None:
        if self._results is None:
            self._results = self._pool.map(lambda document: write_atomic(document.path, document.text), self.changed)

    def __enter__(self) -> Saving:
        return self

    def __exit__(self, *exception: object) -> None:
        self.start()
        with self._pool:
            for _ in self._results or ():
                pass
        if self._cache:  # the next build need not read back what it just wrote
            for document in self.changed:
                self._cache.put(_cache_key(document.file), replace(document, on_disk=document.text))


WRITERS = 2


def _mode_for(path: Path) -> int:
    try:
        return path.stat().st_mode & 0o7777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def write_atomic(path: Path, text: str) -> None:
    """Write through a temporary file in the same directory, then rename over the target."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as error:
        raise SitegenError(f"cannot write the file: {error.strerror}", display_path(path)) from None
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as file:
            file.write(text)
        os.chmod(temporary, _mode_for(path))  # mkstemp makes 0600; keep what the file had
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def paper_front_matter(paper: Paper, slug: str) -> dict[str, Any]:
    """The machine's keys of a paper file, in the order they are written."""
    return {
        "title": paper.title,
        "slug": slug,
        "date": paper.date,
        "authors": paper.authors,
        "upvotes": paper.upvotes,
        "upvotes_as_of": paper.upvotes_as_of,
        "links": list(paper.links),
        "topics": list(paper.topics),
        "sources": list(paper.sources),
        "abstract": paper.abstract,
    }


def topic_front_matter(title: str, slug: str, description: str, papers: Iterable[str]) -> dict[str, Any]:
    """The machine's keys of a topic file."""
    return {"title": title, "slug": slug, "description": description, "papers": list(papers)}
