"""Atom feeds (the newest papers, and each topic's) and a sitemap: for a site published at base_url.

Feed readers and search engines need absolute addresses, so without base_url there
are none (the build says so).
"""

from __future__ import annotations

import datetime as dt
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable

from .model import PaperPage, Site

FEED_SIZE = 50
ATOM = "http://www.w3.org/2005/Atom"
SITEMAP = "http://www.sitemaps.org/schemas/sitemap/0.9"
NOT_XML = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")  # not allowed in XML 1.0
SUMMARY_CHARS = 600


def feed_files(site: Site, pages: Callable[[], Iterable[str]]) -> list[tuple[str, bytes]]:
    """feed.xml, topics/<slug>.xml and sitemap.xml (of `pages()`, the site's page paths); none without base_url."""
    if not site.base_url:
        return []
    files = [("feed.xml", atom(site, site.title, "feed.xml", "index.html", site.papers))]
    for topic in site.topics:
        papers = [site.by_slug[slug] for slug in topic.papers]
        files.append((feed_path(topic.slug), atom(site, f"{topic.title} · {site.title}", feed_path(topic.slug),
                                                  topic.url, papers)))
    files.append(("sitemap.xml", sitemap(site.base_url, pages())))
    return files


def feed_path(topic_slug: str) -> str:
    return f"topics/{topic_slug}.xml"


def newest_added(papers: Iterable[PaperPage]) -> list[PaperPage]:
    """The FEED_SIZE papers added last (then the newest, then by slug: the same order on every build)."""
    def key(paper: PaperPage) -> tuple[object, ...]:
        return (paper.added or dt.date.min, paper.date or dt.date.min, paper.slug)

    return sorted(papers, key=key, reverse=True)[:FEED_SIZE]


def _text(text: str) -> str:
    return NOT_XML.sub("", text)


def _timestamp(day: dt.date | None) -> str:
    return f"{(day or dt.date(1970, 1, 1)).isoformat()}T00:00:00Z"


def atom(site: Site, title: str, path: str, page: str, papers: Iterable[PaperPage]) -> bytes:
    base = site.base_url or ""
    entries = newest_added(papers)
    feed = ET.Element("feed", xmlns=ATOM)
    ET.SubElement(feed, "title").text = _text(title)
    ET.SubElement(feed, "id").text = base + path
    ET.SubElement(feed, "link", rel="self", href=base + path)
    ET.SubElement(feed, "link", rel="alternate", href=base + page)
    days = [day for day in (p.added or p.date for p in entries) if day]
    ET.SubElement(feed, "updated").text = _timestamp(max(days, default=None))
    ET.SubElement(ET.SubElement(feed, "author"), "name").text = _text(site.title)
    for paper in entries:
        entry = ET.SubElement(feed, "entry")
        ET.SubElement(entry, "title").text = _text(paper.title)
        ET.SubElement(entry, "id").text = base + paper.url
        ET.SubElement(entry, "link", rel="alternate", href=base + paper.url)
        ET.SubElement(entry, "updated").text = _timestamp(paper.added or paper.date)
        if paper.date:
            ET.SubElement(entry, "published").text = _timestamp(paper.date)
        if paper.abstract:
            summary = paper.abstract if len(paper.abstract) <= SUMMARY_CHARS else paper.abstract[:SUMMARY_CHARS] + "…"
            ET.SubElement(entry, "summary").text = _text(summary)
    return ET.tostring(feed, encoding="utf-8", xml_declaration=True) + b"\n"


def sitemap(base_url: str, pages: Iterable[str]) -> bytes:
    urlset = ET.Element("urlset", xmlns=SITEMAP)
    for path in pages:
        if path != "404.html":
            ET.SubElement(ET.SubElement(urlset, "url"), "loc").text = base_url + ("" if path == "index.html" else path)
    return ET.tostring(urlset, encoding="utf-8", xml_declaration=True) + b"\n"
