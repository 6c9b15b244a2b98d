"""`sitegen mark`: set a paper's reading state in its file, changing nothing else."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import store
from .config import display_path, load_config
from .errors import SitegenError
from .lock import site_lock
from .text import normalize_title


@dataclass(frozen=True)
class Marked:
    path: Path
    changes: dict[str, tuple[Any, Any]]  # key → (before, after)


def mark(
    config_path: Path, query: str, status: str | None = None, rating: int | None = None,
    tag: tuple[str, ...] = (), untag: tuple[str, ...] = (),
) -> Marked:
    """Set the keys given in the one paper file that `query` names (a slug, or words of its title).

    Under the site's lock, so no build writes the file meanwhile. Only the lines of
    those keys change; the file is replaced only if it still holds what was read (if an
    editor saved it meanwhile, the change is made on what it saved), or not at all when
    nothing changes. Raises SitegenError when no paper or several papers match, or when
    the keys cannot be changed without rewriting the rest of the front matter.
    """
    config = load_config(config_path)
    with site_lock(config.root):
        document = find_paper(store.load(config.papers_dir), query)
        changes: dict[str, tuple[Any, Any]] = {}

        def marked(document: store.Document) -> store.Document | None:
            fresh = _wanted(document.meta, status, rating, tag, untag)
            changes.clear()
            changes.update({key: (document.meta.get(key), value) for key, value in fresh.items()})
            return store.refresh(document, document.path, fresh)

        changed = marked(document)
        if changed is None:
            raise SitegenError(CANNOT_SPLICE, display_path(document.path))
        saved = store.save(store.Change(changed, marked)) if changed.changed else None
        if saved and saved.problem:
            raise SitegenError(saved.problem.message, saved.problem.path)
    return Marked(document.path, changes)


CANNOT_SPLICE = (
    "cannot change these keys without rewriting the rest of the front matter (it is indented or in flow style, "
    "or uses anchors); the file is left as it is: write its keys one per line, or edit it by hand"
)


def _wanted(
    meta: Mapping[str, Any], status: str | None, rating: int | None, tag: tuple[str, ...], untag: tuple[str, ...]
) -> dict[str, Any]:
    """The keys to set, and their values, that are not already so."""
    wanted: dict[str, Any] = {}
    if status is not None:
        wanted["status"] = status
    if rating is not None:
        wanted["rating"] = rating
    if tag or untag:
        old = meta.get("tags")
        tags = [old] if isinstance(old, str) else [str(t) for t in old] if isinstance(old, list) else []
        wanted["tags"] = [t for t in dict.fromkeys(tags + list(tag)) if t not in untag]
    return {key: value for key, value in wanted.items() if key not in meta or meta[key] != value}


def find_paper(loaded: store.Loaded, query: str) -> store.Document:
    """The paper whose slug is `query`, or the only one whose title has all of its words."""
    by_slug = {document.slug: document for document in loaded.documents}
    if query in by_slug:
        return by_slug[query]
    words = _words(query)
    found = [
        document for document in loaded.documents
        if isinstance(document.meta.get("title"), str) and words <= _words(document.meta["title"])
    ]
    if query in loaded.unreadable:
        raise SitegenError(f"the paper file for '{query}' cannot be read; repair its front matter first")
    if not words or not found:
        raise SitegenError(f"no paper matches '{query}' (give a slug, or words of a title)")
    if len(found) > 1:
        shown = "\n".join(f"  {d.slug}: {d.meta['title']}" for d in found[:20])
        more = f"\n  … and {len(found) - 20} more" if len(found) > 20 else ""
        raise SitegenError(f"{len(found)} papers match '{query}'; give one of these slugs:\n{shown}{more}")
    return found[0]


def _words(text: str) -> set[str]:
    return set(re.findall(r"\w+", normalize_title(text)))


def describe(marked: Marked) -> str:
    """What changed, one line: `content/papers/x.md: status: to-read → read; tags: (none) → llm, vision`."""
    if not marked.changes:
        return f"{display_path(marked.path)}: already so; nothing changed"
    changes = "; ".join(f"{key}: {_shown(before)} → {_shown(after)}" for key, (before, after) in marked.changes.items())
    return f"{display_path(marked.path)}: {changes}"


def _shown(value: Any) -> str:
    if isinstance(value, list):
        return ", ".join(map(str, value)) or "(none)"
    return "(none)" if value is None else str(value)
