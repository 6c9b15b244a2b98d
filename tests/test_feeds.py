"""Atom feeds and a sitemap for a published site: they parse, and every link in them is a built page."""

from __future__ import annotations

import csv
import re
import xml.etree.ElementTree as ET

import feedparser
from conftest import Site

from sitegen.build import NO_FEEDS

BASE = "https://me.example/reading-list/"
ABSTRACT = "An abstract that is long enough to be one, about feeds & <entities>. " * 5
TITLES = ["Feeds <b>bold</b> & \"quoted\" networks", "Control\x0bcharacters\x01 in a title", "Plain diffusion"]


def build_published(site: Site) -> Site:
    topic = "  - title: All <things>\n    slug: all\n    dumps: [d.txt]\n"
    site.write_config(f"title: Feeds & things\nbase_url: {BASE}\ntopics:\n{topic}")
    site.dump("d.txt", "".join(f"{title}\n\n{ABSTRACT}\n\n" for title in TITLES))
    site.build()
    return site


def shown_titles(site: Site) -> list[str]:
    """The papers' titles as the site has them, less the characters XML cannot hold."""
    with (site.out / "export" / "papers.csv").open(newline="", encoding="utf-8") as file:
        titles = [re.sub(r"[\x00-\x08\x0b\x0c\x0e-\x1f]", "", row["title"]) for row in csv.DictReader(file)]
    assert "Feeds <b>bold</b> & \"quoted\" networks" in titles and len(titles) == len(TITLES)
    return sorted(titles)


def local_page(site: Site, url: str) -> str:
    assert url.startswith(BASE), url
    path = url.removeprefix(BASE) or "index.html"
    assert (site.out / path).is_file(), url
    return path


def test_the_feeds_parse_and_every_link_is_absolute_and_a_built_page(site: Site):
    build_published(site)
    for feed_path in ("feed.xml", "topics/all.xml"):
        feed = feedparser.parse((site.out / feed_path).read_bytes())
        assert not feed.bozo, feed.get("bozo_exception")
        assert sorted(entry.title for entry in feed.entries) == shown_titles(site)
        assert all(local_page(site, entry.link).startswith("papers/") for entry in feed.entries)
        assert local_page(site, feed.feed.link) in ("index.html", "topics/all.html")
    home = (site.out / "index.html").read_text()
    assert f'type="application/atom+xml" title="Feeds &amp; things: newest papers" href="{BASE}feed.xml">' in home
    assert f'href="{BASE}topics/all.xml"' in (site.out / "topics" / "all.html").read_text()


def test_the_sitemap_lists_every_page_but_404(site: Site):
    build_published(site)
    root = ET.parse(site.out / "sitemap.xml").getroot()
    listed = {local_page(site, loc.text) for loc in root.iter("{http://www.sitemaps.org/schemas/sitemap/0.9}loc")}
    built = {path.relative_to(site.out).as_posix() for path in site.out.rglob("*.html")}
    assert listed == built - {"404.html"}


def test_without_base_url_there_are_no_feeds_and_the_build_says_so_once(site: Site):
    site.write_config("title: T\ntopics:\n  - title: All\n    dumps: [d.txt]\n")
    site.dump("d.txt", f"Plain diffusion\n\n{ABSTRACT}\n\n")
    summary = site.build()
    assert summary.notes.count(NO_FEEDS) == 1
    assert not (site.out / "feed.xml").exists() and not (site.out / "sitemap.xml").exists()
    assert "application/atom+xml" not in (site.out / "index.html").read_text()
