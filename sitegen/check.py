"""Check a built site before it ships: links, assets, ids.

Pages are read with a regular expression rather than a full HTML parser: sitegen
writes every attribute double-quoted, and this keeps the check fast enough to run
after every build of thousands of pages. A build extracts each page's facts while
rendering it (and keeps them for pages it does not render again); the check then
judges each distinct link once, and reads a page again only to report its lines.
"""

from __future__ import annotations

import html
import os
import posixpath
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import cast
from urllib.parse import unquote, urlsplit

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
    loads: bool  # the browser fetches it with the page (a script, an image, a stylesheet)


def references(text: str) -> tuple[list[Reference], list[tuple[str, int]]]:
    """The href/src references and the ids (with their offsets) of one page."""
    found = [Reference(tag, url, offset, loads) for tag, url, offset, loads in _links(text)]
    ids = [(html.unescape(match.group(1)), match.start()) for match in ID.finditer(text)]
    return found, ids


def _links(text: str) -> Iterator[tuple[str, str, int, bool]]:
    for match in LINK.finditer(text):
        tag, url = match.group(1).lower(), match.group(2)
        if tag == "link":
            rel = REL.search(match.group(0))
            loads = not (rel and set(rel.group(1).lower().split()) & NOT_LOADED_RELS)
        else:
            loads = tag in LOADED
        yield tag, html.unescape(url) if "&" in url else url, match.start(), loads


# What the check needs of a page: its distinct (url, loads) references, its distinct ids,
# and whether an id repeats. Plain tuples and strings: cheap to keep and to cache.
PageFacts = tuple[tuple[tuple[str, bool], ...], tuple[str, ...], bool]


def page_facts(text: str, base_url: str | None = None) -> PageFacts:
    ids = [html.unescape(identifier) for identifier in ID.findall(text)]
    distinct = tuple(dict.fromkeys(ids))
    links = tuple(dict.fromkeys(
        (url, loads) for _, url, _, loads in _links(text) if not _out_to_the_web(url, loads, base_url)
    ))
    return links, distinct, len(distinct) != len(ids)


def _out_to_the_web(url: str, loads: bool, base_url: str | None) -> bool:
    """A plain link to another site, which nothing on this one can break: most links, left out of the facts."""
    return (
        url.startswith(("https://", "http://")) and not loads and "[" not in url
        and not (base_url and url.startswith(base_url))
    )


def shared(facts: PageFacts, seen: dict[object, object]) -> PageFacts:
    """The same facts made of objects seen before: pages that link the same pages hold those links once.

    `seen` maps each object to itself (to an equal one, of the same type), so these are facts still.
    """
    links, ids, repeated = facts
    return cast(PageFacts, (
        tuple(seen.setdefault(link, link) for link in links), tuple(seen.setdefault(i, i) for i in ids), repeated
    ))


def check_site(site: Path, base_url: str | None = None) -> list[Problem]:
    """Every problem in a built site: broken or escaping links, missing assets, duplicate ids."""
    return check_again(site, base_url).found()


@dataclass(frozen=True)
class Checked:
    """What a check found, and what the next one needs to judge again only the pages that may have changed."""

    where: tuple[str, str, str | None]  # the site, the folder problems are shown from, the base_url
    files: frozenset[str]
    folders: frozenset[str]
    keys: Mapping[str, str]  # each page's digest as the build gave it: the same digest, the same page
    ids: Mapping[str, tuple[str, ...]]
    problems: Mapping[str, list[Problem]]  # the pages with problems, and theirs

    def found(self) -> list[Problem]:
        return [problem for name in sorted(self.problems) for problem in self.problems[name]]


def check_again(
    site: Path,
    base_url: str | None = None,
    facts: Mapping[str, PageFacts] | None = None,
    keys: Mapping[str, str] | None = None,
    last: Checked | None = None,
) -> Checked:
    """Check the site, judging only the pages that may have changed since `last`, a check of an earlier build.

    `facts` holds pages already read (by name in the site, by page_facts() with the same
    base_url), and `keys` their digests; other pages are read and judged here. A page
    whose digest is as `last` saw it and that had no problem still has none, unless a
    file, a folder or an id went since: only that could break one of its links, so then
    all are judged.
    """
    site = site.absolute()
    files: set[str] = set()
    folders: set[str] = set()
    for directory, subdirectories, names in os.walk(site):
        relative = os.path.relpath(directory, site).replace(os.sep, "/")
        prefix = "" if relative == "." else relative + "/"
        folders.update(prefix + name for name in subdirectories)
        files.update(prefix + name for name in names)
    pages = dict(facts or {})
    for name in files:
        if name.endswith(".html") and name not in pages:
            pages[name] = page_facts((site / name).read_text(encoding="utf-8"), base_url)
    keys = keys or {}
    ids = {name: facts[1] for name, facts in pages.items()}
    where = (str(site), os.getcwd(), base_url)
    judged = set(pages)
    if last and last.where == where and _only_gained(last, files, folders, ids):
        judged = {name for name in pages if name not in keys or last.keys.get(name) != keys[name]}
        judged.update(name for name in last.problems if name in pages)  # a new file may have mended them
    problems = find_problems(
        pages, sorted(judged), ids, files, folders, base_url, lambda name: (site / name).read_text(encoding="utf-8"),
        lambda name: display_path(site / name),
    )
    return Checked(where, frozenset(files), frozenset(folders), dict(keys), ids, problems)


def _only_gained(last: Checked, files: set[str], folders: set[str], ids: Mapping[str, tuple[str, ...]]) -> bool:
    """Whether the site kept every file, folder and id `last` saw: a link that was fine then still is."""
    return last.files <= files and last.folders <= folders and all(
        ids.get(name) == before or set(before) <= set(ids.get(name, ())) for name, before in last.ids.items()
    )


def find_problems(
    pages: Mapping[str, PageFacts],
    judged: Iterable[str],
    ids: Mapping[str, tuple[str, ...]],
    files: set[str],
    folders: set[str],
    base_url: str | None,
    read: Callable[[str], str],
    shown: Callable[[str], str],
) -> dict[str, list[Problem]]:
    """The problems of the `judged` pages, by page (those with any only).

    Each distinct link of each folder is judged once; only the pages with a problem are read again.
    """
    by_folder: dict[str, set[tuple[str, bool]]] = {}
    for name in judged:
        by_folder.setdefault(posixpath.dirname(name), set()).update(pages[name][0])
    bad: dict[str, set[tuple[str, bool]]] = {}
    to_itself: dict[str, set[tuple[str, bool]]] = {}  # "#x", "?q": judged page by page
    for folder, links in by_folder.items():
        bad[folder], to_itself[folder] = set(), set()
        reachable = _reachable(folder, files) if len(links) * 4 > len(files) else set()  # worth it for many links
        for link in links:
            if _names_its_page(link[0]):
                to_itself[folder].add(link)
            elif not _plainly_fine(link[0], reachable) and _problem(
                posixpath.join(folder, "_"), *link, files, folders, ids, base_url
            ):
                bad[folder].add(link)
    problems = {}
    for name in judged:
        page_links, _, repeated_ids = pages[name]
        folder = posixpath.dirname(name)
        own = to_itself[folder].intersection(page_links)
        own_bad = any(_problem(name, *link, files, folders, ids, base_url) for link in own)
        if repeated_ids or not bad[folder].isdisjoint(page_links) or own_bad:
            found = _page_problems(name, read(name), shown(name), files, folders, ids, base_url)
            if found:
                problems[name] = found
    return problems


def _reachable(folder: str, files: set[str]) -> set[str]:
    """Every file of the site as a plain relative URL from a page in `folder` (up to the root and down, or down).

    Names that a URL would read otherwise (`%20`, `#`, `:`…) are left to the full judgement.
    """
    up = "../" * (folder.count("/") + 1) if folder else ""
    plain = [name for name in files if not UNPLAIN.search(name)]
    urls = {up + name for name in plain}
    if folder:
        inside = len(folder) + 1
        urls.update(name[inside:] for name in plain if name.startswith(folder + "/"))
    return urls


UNPLAIN = re.compile(r"[:#%&\\?]")


def _plainly_fine(url: str, reachable: set[str]) -> bool:
    """The common case, decided quickly: a plain relative path to a file, with a plain query or none."""
    path, _, query = url.partition("?")
    return path in reachable and (not query or query.replace("=", "").replace("-", "").replace("_", "").isalnum())


def _names_its_page(url: str) -> bool:
    return url.startswith(("#", "?")) or url == ""


def _page_problems(
    name: str, text: str, shown: str, files: set[str], folders: set[str], ids: Mapping[str, tuple[str, ...]],
    base_url: str | None,
) -> list[Problem]:
    """Each problem of one page, with its line."""
    found, page_ids = references(text)
    problems = []

    def report(offset: int, message: str) -> None:
        problems.append(Problem(shown, text.count("\n", 0, offset) + 1, message))

    seen: set[str] = set()
    for identifier, offset in page_ids:
        if identifier in seen:
            report(offset, f"duplicate id '{identifier}'")
        seen.add(identifier)
    for reference in found:
        message = _problem(name, reference.url, reference.loads, files, folders, ids, base_url)
        if message:
            report(reference.offset, message)
    return problems


def _problem(
    page: str,
    url: str,
    loads: bool,
    files: set[str],
    folders: set[str],
    ids: Mapping[str, tuple[str, ...]],
    base_url: str | None,
) -> str | None:
    shown = url
    if base_url and url.startswith(base_url):
        url = "/" + url[len(base_url):]  # an absolute link into the site itself (404.html)
        root = ""
    else:
        root = posixpath.dirname(page)
    try:
        parts = urlsplit(url)
    except ValueError:
        return f"unreadable URL {shown!r}"
    if parts.scheme or parts.netloc:
        if loads:
            return f"loads {shown} from another host"
        if parts.scheme.lower() not in ("http", "https", "mailto"):
            return f"link with the scheme '{parts.scheme}': {shown}"
        return None
    if url.startswith("/") and root:
        return f"root-relative link {shown} (breaks from disk and under a sub-path)"
    target = posixpath.normpath(posixpath.join(root, unquote(parts.path))) if parts.path else page
    if target == ".." or target.startswith("../"):
        return f"link {shown} points outside the site"
    target = target.lstrip("/")
    if parts.path.endswith("/") or target in folders or target == ".":
        return f"link {shown} names a folder, not a file (breaks from disk)"
    if target not in files:
        return f"missing {'asset' if loads else 'page'} {shown}"
    if parts.fragment and target in ids and unquote(parts.fragment) not in ids[target]:
        return f"link {shown} names an anchor that does not exist"
    return None
