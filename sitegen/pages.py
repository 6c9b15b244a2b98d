"""Which pages the site has, and what each page's template is given besides the site."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .incremental import digest
from .model import PaperPage, Site, reading_queue

RECENT_PAPERS = 12


@dataclass(frozen=True)
class Page:
    template: str
    path: str
    root: str  # from the page back to the site root: "", "../", or base_url for 404.html
    context: Mapping[str, Any]
    listed: int = 0  # how many papers the page lists: most of what rendering it costs


def plan_pages(site: Site, cite_keys: Mapping[str, str]) -> list[Page]:
    """Every page of the site, with what its template is given besides `site` (related papers: see fill_related)."""

    def page(template: str, path: str, root: str | None = None, listed: int = 0, **context: object) -> Page:
        return Page(template, path, "../" * path.count("/") if root is None else root, context, listed=listed)

    years = _by_year(site.papers)
    queue = reading_queue(site.papers)
    neighbours = _neighbours(site)
    return [
        Page("index.html", "index.html", "", {"recent": site.papers[:RECENT_PAPERS]}, RECENT_PAPERS),
        page("papers.html", "papers.html", listed=len(site.papers), years=years),
        page("search.html", "search.html", years=[year for year, _ in years if year.isdigit()], tags=site.tags),
        *(page("paper.html", f"papers/{paper.slug}.html", paper=paper, cite_key=cite_keys[paper.slug],
               newer=neighbours[paper.slug][0], older=neighbours[paper.slug][1], lists=neighbours[paper.slug][2],
               related=[])
          for paper in site.papers),
        *(
            Page("topic.html", topic.url, "../", {"topic": topic}, len(topic.papers))
            for topic in site.topics
        ),
        page("reading.html", "reading.html", listed=sum(map(len, queue.values())), queue=queue),
        *(
            Page("tag.html", tag.url, "../", {"tag": tag}, len(tag.papers))
            for tag in site.tags
        ),
        # GitHub Pages serves 404.html at any depth: only absolute links work there.
        page("404.html", "404.html", root=site.base_url or ""),
    ]


def fill_related(pages: list[Page], site: Site, related: Mapping[str, list[str]]) -> None:
    """Fill in each paper page's related papers (`related`: by slug), in place: a new page per paper costs more."""
    by_slug = site.by_slug
    for page in pages:
        if page.template == "paper.html":
            page.context["related"].extend([by_slug[slug] for slug in related[page.context["paper"].slug]])


def given_digest(page: Page) -> bytes:
    """The digest of what a page is given besides the site (its papers by identity: their fields are reads)."""
    return digest((page.template, page.path, page.root, page.context))


def _neighbours(site: Site) -> dict[str, tuple[str, str, str]]:
    """For each paper: the pages before and after it in all papers, and as JSON in every list it is in.

    The JSON maps a list ("" for all papers, else a topic's slug) to [previous, next]:
    one string per page, which its digest takes in at once.
    """
    listings = {"": [paper.slug for paper in site.papers], **{topic.slug: list(topic.papers) for topic in site.topics}}
    found: dict[str, dict[str, tuple[str, str]]] = {paper.slug: {} for paper in site.papers}
    for listing, slugs in listings.items():
        urls = [site.by_slug[slug].url.removeprefix("papers/") for slug in slugs]
        for number, slug in enumerate(slugs):
            after = urls[number + 1] if number + 1 < len(urls) else ""
            found[slug][listing] = (urls[number - 1] if number else "", after)
    encode = json.JSONEncoder(ensure_ascii=False).encode  # made once: json.dumps with options makes one a call
    return {slug: (*lists[""], encode(lists)) for slug, lists in found.items()}


def _by_year(papers: tuple[PaperPage, ...]) -> list[tuple[str, list[PaperPage]]]:
    groups: dict[str, list[PaperPage]] = {}
    for paper in papers:  # already newest first, undated last
        groups.setdefault(str(paper.year) if paper.year else "Undated", []).append(paper)
    return list(groups.items())
