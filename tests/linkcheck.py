"""A link checker for a built site: every internal href/src must name an existing file."""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

RESOURCE_TAGS = {"link", "script", "img", "iframe", "source", "video", "audio"}


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.urls: list[tuple[str, str]] = []  # (tag, url)
        self.ids: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in ("href", "src") and value is not None:
                self.urls.append((tag, value))
            if name == "id" and value:
                self.ids.add(value)


def _parse(path: Path) -> _Collector:
    collector = _Collector()
    collector.feed(path.read_text(encoding="utf-8"))
    return collector


def check_links(site: Path, skip: frozenset[str] = frozenset({"404.html"})) -> list[str]:
    """Every problem found, as 'page: message'; an empty list means the site is sound."""
    problems: list[str] = []
    site = site.resolve()
    parsed = {page: _parse(page) for page in site.rglob("*.html")}
    for page, collector in sorted(parsed.items()):
        name = page.relative_to(site).as_posix()
        if name in skip:
            continue
        for tag, url in collector.urls:
            parts = urlsplit(url)
            if parts.scheme or parts.netloc:
                if tag in RESOURCE_TAGS:
                    problems.append(f"{name}: loads {url} from another host")
                elif parts.scheme not in ("http", "https", "mailto"):
                    problems.append(f"{name}: link with scheme {parts.scheme!r}: {url}")
                continue
            if url.startswith("/"):
                problems.append(f"{name}: root-relative link {url}")
                continue
            target = (page.parent / unquote(parts.path)).resolve() if parts.path else page
            if parts.path.endswith("/") or target.is_dir():
                problems.append(f"{name}: directory link {url}")
            elif not target.is_file():
                problems.append(f"{name}: broken link {url}")
            elif parts.fragment and target.suffix == ".html":
                ids = parsed[target].ids if target in parsed else _parse(target).ids
                if unquote(parts.fragment) not in ids:
                    problems.append(f"{name}: missing anchor {url}")
    return problems


def internal_links(page: Path) -> list[str]:
    """The internal hrefs of anchors on one page, in order."""
    return [url for tag, url in _parse(page).urls if tag == "a" and not urlsplit(url).scheme]
