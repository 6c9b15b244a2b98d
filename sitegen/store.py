"""content/*.md: read documents, splice the machine's front-matter keys, write by compare-and-swap.

A document's front matter belongs to the machine only for a fixed set of keys; every
other key and the whole body are the user's. Refreshing rewrites just the lines of
the machine's keys, so the user's keys keep their exact bytes (comments, quoting,
order), and the body is never touched; a front matter that cannot be spliced so is
not rewritten at all, and neither is a file that cannot be read. A file is replaced
only if it still holds exactly what was read: a change the user saved meanwhile is
read, and the splice made again on it.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from functools import cached_property
from pathlib import Path
from typing import Any

import yaml

from .cache import Cache
from .config import display_path
from .errors import Problem, SitegenError
from .papers import Paper

Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
Dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)

FRONT_MATTER = re.compile(r"\A\ufeff?---[ \t]*\r?\n(.*?)^(?:---|\.\.\.)[ \t]*(?:\r?\n|\Z)", re.DOTALL | re.MULTILINE)
PINNED = "pinned"  # the user's list of machine keys that are theirs: never refreshed


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
    as_cached: frozenset[str] = frozenset()  # slugs of files that hold what the cache saw in them


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
    """Split a file into front matter values and body; a Problem if it cannot be read.

    An empty file is one an editor is writing (it truncates first), or a write a crash
    cut short: never taken for a paper without front matter.
    """
    name = display_path(path)
    if not text.strip():
        return Problem(name, 0, "the file is empty; it is left as it is (give it front matter, or delete it)")
    if not text.lstrip("\ufeff").startswith("---"):
        return Document(str(path), {}, text, text, text)
    match = FRONT_MATTER.match(text)
    if not match:
        return Problem(name, 1, "front matter has no closing '---' line; the file is left as it is")
    meta = _meta(name, match.group(1))
    if isinstance(meta, Problem):
        return meta
    return Document(str(path), meta, text[match.end():], text, text)


def _meta(name: str, head: str) -> dict[str, Any] | Problem:
    try:
        meta = yaml.load(head, Loader=Loader)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = mark.line + 2 if mark else 1
        problem = getattr(error, "problem", None) or str(error)
        return Problem(name, line, f"front matter is not valid YAML ({problem}); the file is left as it is")
    except Exception as error:  # valid YAML, impossible value: a date 2024-13-01, a bad !!int
        line = _line_of_bad_value(head)
        return Problem(name, line, f"front matter has a value YAML cannot read ({error}); the file is left as it is")
    if meta is None:
        return {}
    if not isinstance(meta, dict):
        return Problem(name, 2, "front matter must be a mapping of keys to values; the file is left as it is")
    return meta


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
    """Every *.md file of a directory, in name order; a file `cache` saw with these very bytes is not parsed again.

    The cache remembers each file's digest as read. The file's identity (size, time,
    inode) vouches for that digest only when it was read well after it last changed:
    a change within a clock tick of the read could leave the identity as it was (Git's
    "racily clean" files), so such a file is read again and its bytes compared.
    """
    documents, problems, unreadable, as_cached = [], [], set(), set()
    folder = str(directory)  # plain strings: this runs over every file on every build
    cwd = os.getcwd()  # problems name files as seen from it
    for name in sorted(name for name in os.listdir(folder) if name.endswith(".md")) if directory.is_dir() else []:
        path, slug = os.path.join(folder, name), name[:-3]
        entry = cache.get((cwd, path)) if cache else None  # (identity, read at, digest, document or problem)
        if entry is not None and entry[0] == file_identity(path) and entry[1] - entry[0][1] > RACY_NS:
            result = entry[3]
            as_cached.add(slug)
        else:
            read_at = time.time_ns()
            data, identity = _read_bytes(path)
            digest = hashlib.sha1(data).digest() if data is not None else None
            if entry is not None and digest is not None and entry[2] == digest:
                result = entry[3]
                as_cached.add(slug)
            else:
                result = _parse_bytes(Path(path), data)
            if cache:
                cache.put((cwd, path), (identity, read_at, digest, result))
        if isinstance(result, Problem):
            problems.append(result)
            unreadable.add(slug)
        else:
            documents.append(result)
    return Loaded(tuple(documents), tuple(problems), frozenset(unreadable), frozenset(as_cached))


RACY_NS = 2_000_000_000  # longer than any file system's clock tick (FAT's is 2 s)
Identity = tuple[int, int, int]


def file_identity(path: str | os.PathLike[str]) -> Identity:
    """Size, modification time and inode: a write in place or a rename over the file changes one of them."""
    try:
        status = os.stat(path)
    except OSError:
        return (-1, -1, -1)
    return (status.st_size, status.st_mtime_ns, status.st_ino)


def _read_bytes(path: str | Path) -> tuple[bytes | None, Identity]:
    """The file's bytes and the identity of the file they came from; None if it cannot be read."""
    try:
        with open(path, "rb") as file:
            status = os.fstat(file.fileno())
            return file.read(), (status.st_size, status.st_mtime_ns, status.st_ino)
    except OSError:
        return None, (-1, -1, -1)


def file_digest(path: str | Path) -> bytes | None:
    """The digest of the file's bytes; None if it cannot be read."""
    data = _read_bytes(path)[0]
    return None if data is None else hashlib.sha1(data).digest()


def text_digest(text: str) -> bytes:
    """The digest of the bytes a file holding `text` has (as file_digest() gives it)."""
    return hashlib.sha1(text.encode("utf-8", "surrogatepass")).digest()


def _parse_bytes(path: Path, data: bytes | None) -> Document | Problem:
    if data is None:
        return Problem(display_path(path), 0, "cannot read the file")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        return Problem(display_path(path), 0, f"cannot read the file: {error}")
    return parse(path, text)


def refresh(document: Document | None, path: str | Path, fresh: Mapping[str, Any]) -> Document | None:
    """The document with the machine's keys but its `pinned` ones set to `fresh`; the same object if none changes.

    None when the change cannot be spliced into the front matter byte-exactly (it is
    indented or in flow style, uses anchors, or would not read back as these values).
    """
    if document is None:
        return Document(str(path), dict(fresh), "", f"---\n{dump_yaml(fresh)}---\n", None)
    pinned = document.meta.get(PINNED)
    if isinstance(pinned, list):
        fresh = {key: value for key, value in fresh.items() if key not in pinned}
    if all(key in document.meta and _same(document.meta[key], value) for key, value in fresh.items()):
        return document
    front_matter = FRONT_MATTER.match(document.text)
    head = front_matter.group(1) if front_matter else ""
    new_head = _splice(head, fresh)
    wanted = {**document.meta, **fresh}
    if new_head is None or _meta("", new_head) != wanted:
        return None
    text = f"---\n{new_head}---\n{document.body}"
    if front_matter:
        start, end = front_matter.span(1)
        text = document.text[:start] + new_head + document.text[end:]
    return replace(document, meta=wanted, text=text)


def line_of(text: str, key: str) -> int:
    """The line of a top-level key in a file's text (0 if it is not there)."""
    return next((number for number, line in enumerate(text.splitlines(), 1) if line.startswith(f"{key}:")), 0)


def _same(old: Any, new: Any) -> bool:
    return type(old) is type(new) and old == new


def _splice(head: str, fresh: Mapping[str, Any]) -> str | None:
    """Replace the lines of the keys in `fresh` inside front matter text, keeping all others; None if it cannot."""
    lines = head.splitlines(keepends=True)
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"
    spans = _key_spans(head, lines)
    if spans is None:
        return None
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
    """(key, first line, line after the value) for each top-level key, or None for a layout it cannot follow.

    Read from the parser's events, not a composed tree: a topic file lists thousands
    of papers. Comment and blank lines after a value are left out of its span: they
    are the user's.
    """
    events = [event for event in yaml.parse(head, Loader=Loader) if not isinstance(event, _DOCUMENT_EVENTS)]
    if not events:
        return []
    if not isinstance(events[0], yaml.MappingStartEvent) or events[0].flow_style:
        return None
    if any(isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None) for event in events):
        return None  # a key spliced out could take an anchor that another key's alias needs
    values: list[tuple[yaml.ScalarEvent, yaml.Event, yaml.Event]] = []  # (key, first, last event of its value)
    position = 1
    while not isinstance(events[position], yaml.MappingEndEvent):
        key, first, depth = events[position], position + 1, 0
        if not isinstance(key, yaml.ScalarEvent) or key.start_mark is None or key.start_mark.column != 0:
            return None
        for position in range(first, len(events)):
            depth += isinstance(events[position], yaml.CollectionStartEvent)
            depth -= isinstance(events[position], yaml.CollectionEndEvent)
            if depth == 0:
                break
        values.append((key, events[first], events[position]))
        position += 1
    spans = []
    for key, opening, closing in values:
        if key.start_mark is None or closing.end_mark is None:  # never: the parser marks every event it reads
            return None
        start = key.start_mark.line
        end = max(closing.end_mark.line + (1 if closing.end_mark.column else 0), start + 1)
        block_scalar = isinstance(opening, yaml.ScalarEvent) and opening.style in ("|", ">")
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


@dataclass(frozen=True)
class Change:
    """A file to write: `document` (its `on_disk` what was read), and `again`, which makes the same change
    to the document the file holds if the user saved it meanwhile (None: it cannot be made there)."""

    document: Document
    again: Callable[[Document], Document | None]


@dataclass(frozen=True)
class Saved:
    document: Document  # as the file holds it now (or as it was found, when it was left alone)
    identity: Identity | None  # of the file written; None when nothing was written
    as_read: bool  # the file held what was read: what it holds now is just `document` as the caller made it
    problem: Problem | None = None


ATTEMPTS = 5  # a file that changes more often than this while it is written is left to the next build


def save(change: Change) -> Saved:
    """Write the change by compare-and-swap: replace the file only if it still holds what was read.

    If it changed meanwhile, the change is made again on what it holds now. A file
    deleted meanwhile stays deleted; one that now cannot be read, or cannot take the
    change byte-exactly, is left as it is, with a Problem saying so.
    """
    document = change.document
    path = document.path
    expected = None if document.on_disk is None else document.on_disk.encode("utf-8", "surrogatepass")
    as_read = True
    for _ in range(ATTEMPTS):
        found = _read_bytes(path)[0] if os.path.lexists(path) else None
        if found != expected:
            as_read = False
            if found is None:
                return Saved(document, None, False)  # deleted meanwhile: the next build decides
            parsed = _parse_bytes(path, found)
            redone = None if isinstance(parsed, Problem) else change.again(parsed)
            if redone is None:
                message = "changed while sitegen was updating it, and cannot take the update now; left as it is"
                return Saved(document, None, False, Problem(display_path(path), 0, message))
            document, expected = redone, found
            if not document.changed:
                return Saved(document, None, False)
            continue
        identity = _replace_if_unchanged(path, document.text, expected)
        if identity is not None:
            return Saved(replace(document, on_disk=document.text), identity, as_read)
        as_read = False
    return Saved(document, None, False, Problem(display_path(path), 0, "kept changing while sitegen was updating "
                                                "it; left as it is for the next build"))


def _replace_if_unchanged(path: Path, text: str, expected: bytes | None) -> Identity | None:
    """Put `text` in the file if it still holds `expected` (None: if it does not exist); the new file's identity.

    The text is written beside the file first (and flushed to the disk when it replaces
    a file, which holds the user's bytes), then compared again just before the rename.
    """
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as error:
        raise SitegenError(f"cannot write the file: {error.strerror}", display_path(path)) from None
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as file:
            file.write(text)
            file.flush()
            if expected is not None:
                os.fsync(file.fileno())
            os.fchmod(file.fileno(), _mode_for(path))  # mkstemp makes 0600; keep what the file had
            status = os.fstat(file.fileno())
        if expected is None and _created(temporary, path):
            return (status.st_size, status.st_mtime_ns, status.st_ino)
        if (_read_bytes(path)[0] if os.path.lexists(path) else None) != expected:
            os.unlink(temporary)
            return None
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return (status.st_size, status.st_mtime_ns, status.st_ino)


def _created(temporary: str, path: Path) -> bool:
    """Link the new file into place if no file is there (atomically); False if it could not, for any reason."""
    try:
        os.link(temporary, path)
    except OSError:  # a file there now, or a file system without hard links: compared and renamed instead
        return False
    os.unlink(temporary)
    return True


class Saving:
    """Saves every change (see save()), on two threads from start() on.

    Creating a file is mostly the kernel's work, so the writes overlap what the
    caller computes meanwhile. They start no later than the end of the `with` block,
    and all of them are done (or their first error raised) when it ends, even if the
    block failed: the content is brought up to date whatever happens to the output.
    `cache` then knows each file written as what it now holds; `saved` tells, for
    each, what happened.
    """

    def __init__(self, changes: Iterable[Change], cache: Cache | None = None) -> None:
        self.changes = [change for change in changes if change.document.changed]
        self.saved: list[Saved] = []
        self._cache = cache
        self._pool = ThreadPoolExecutor(WRITERS)
        self._results: Iterator[Saved] | None = None

    def start(self) -> None:
        if self._results is None:
            self._results = self._pool.map(save, self.changes)

    def __enter__(self) -> Saving:
        return self

    def __exit__(self, *exception: object) -> None:
        self.start()
        with self._pool:
            self.saved = list(self._results or ())
        written_at, cwd = time.time_ns(), os.getcwd()
        for saved in self.saved:
            if self._cache and saved.identity is not None:  # the next build need not parse what was just written
                entry = (saved.identity, written_at, text_digest(saved.document.text), saved.document)
                self._cache.put((cwd, saved.document.file), entry)

    @property
    def problems(self) -> list[Problem]:
        return [saved.problem for saved in self.saved if saved.problem]


WRITERS = 2


def _mode_for(path: Path) -> int:
    try:
        return path.stat().st_mode & 0o7777
    except OSError:
        return 0o666 & ~_UMASK


_UMASK = os.umask(0)  # read once: setting it back and forth on two writing threads could race
os.umask(_UMASK)


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
