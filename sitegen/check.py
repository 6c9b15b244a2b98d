"""Check a built site before it ships: links, assets, ids.

Reads the pages back from disk with a regular expression rather than a full HTML
parser: sitegen writes every attribute double-quoted, and this keeps the check fast
enough to run after every build of thousands of pages.
"""

from __future__ import annotations

import html
import posixpath
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

from .cache import Cache, file_status
from .config import display_path
from .errors import Problem

LINK = re.compile(r'<([a-zA-Z][a-zA-Z0-9]*)\b[^>]*?\s(?:href|src)="([^"]*)"[^>]*>')
ID = re.compile(r'<[^>]*?\sid="([^"]*)"')
REL = re.compile(r'\srel="([^"]*)"')
LOADED = {"script", "img", "iframe", "source", "video", "audio", "embed"}  # and <link>, but for a few rels
NOT_LOADED_RELS = {"canonical", "alternate", "next", "prev", "author", "license"}


@dataclass(frozen=True)
class Reference:
    tag: str
    url: str
    offset: int
    rel: frozenset[str] = frozenset()

    @property
    def loads(self) -> bool:
        """True when the browser fetches it with the page (a script, an image, a stylesheet)."""
        return self.tag in LOADED or (self.tag == "link" and not self.rel & NOT_LOADED_RELS)


def references(text: str) -> tuple[list[Reference], list[tuple[str, int]]]:
    """The href/src references and the ids (with their offsets) of one page."""
    found = []
    for match in LINK.finditer(text):
        tag, url = match.group(1).lower(), match.group(2)
        rel = REL.search(match.group(0)) if tag == "link" else None
        rels = frozenset(rel.group(1).lower().split()) if rel else frozenset()
        found.append(Reference(tag, html.unescape(url) if "&" in url else url, match.start(), rels))
    ids = [(html.unescape(match.group(1)), match.start()) for match in ID.finditer(text)]
    return found, ids


def check_site(site: Path, base_url: str | None = None, cache: Cache | None = None) -> list[Problem]:
    """Every problem in a built site: broken or escaping links, missing assets, duplicate ids.

    With a cache, a page whose size and time are unchanged is not read again.
    """
    site = site.absolute()
    parsed = {}
    for path in site.rglob("*.html"):
        name = path.relative_to(site).as_posix()
        key = (name, *file_status(path))
        found = cache.get(key) if cache else None
        if found is None:
            found = references(path.read_text(encoding="utf-8"))
            if cache:
                cache.put(key, found)
        parsed[name] = found
    ids = {name: {identifier for identifier, _ in found[1]} for name, found in parsed.items()}
    files = {path.relative_to(site).as_posix() for path in site.rglob("*") if path.is_file()}
    folders = {path.relative_to(site).as_posix() for path in site.rglob("*") if path.is_dir()}
    problems = []
    verdicts: dict[tuple[str, str, bool], str | None] = {}
    for name, (found, page_ids) in sorted(parsed.items()):

        def report(offset: int, message: str, page: str = name) -> None:
            line = (site / page).read_text(encoding="utf-8").count("\n", 0, offset) + 1
            problems.append(Problem(display_path(site / page), line, message))

        seen: set[str] = set()
        for identifier, offset in page_ids:
            if identifier in seen:
                report(offset, f"duplicate id '{identifier}'")
            seen.add(identifier)
        folder = posixpath.dirname(name)
        for reference in found:
            key = (folder, reference.url, reference.loads)  # most links repeat from page to page
            if key not in verdicts:
                verdicts[key] = _problem(name, reference, files, folders, ids, base_url)
            if verdicts[key]:
                report(reference.offset, verdicts[key])
    return problems


def _problem(
    page: str,
    reference: Reference,
    files: set[str],
    folders: set[str],
    ids: dict[str, set[str]],
    base_url: str | None,
) -> str | None:
    url = reference.url
    if base_url and url.startswith(base_url):
        url = "/" + url[len(base_url):]  # an absolute link into the site itself (404.html)
        root = ""
    else:
        root = posixpath.dirname(page)
    try:
        parts = urlsplit(url)
    except ValueError:
        return f"unreadable URL {reference.url!r}"
    if parts.scheme or parts.netloc:
        if reference.loads:
            return f"loads {reference.url} from another host"
        if parts.scheme.lower() not in ("http", "https", "mailto"):
            return f"link with the scheme '{parts.scheme}': {reference.url}"
        return None
    if url.startswith("/") and root:
        return f"root-relative link {reference.url} (breaks from disk and under a sub-path)"
    target = posixpath.normpath(posixpath.join(root, unquote(parts.path))) if parts.path else page
    if target == ".." or target.startswith("../"):
        return f"link {reference.url} points outside the site"
    target = target.lstrip("/")
    if parts.path.endswith("/") or target in folders or target == ".":
        return f"link {reference.url} names a folder, not a file (breaks from disk)"
    if target not in files:
        return f"missing {'asset' if reference.loads else 'page'} {reference.url}"
    if parts.fragment and target in ids and unquote(parts.fragment) not in ids[target]:
        return f"link {reference.url} names an anchor that does not exist"
    return None
