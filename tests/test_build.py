"""The whole sample reading list, built end to end."""

from __future__ import annotations

import datetime as dt
import filecmp
import os
import re
import subprocess
import sys
from pathlib import Path

import bibtexparser
import yaml
from conftest import Site, copy_sample
from markupsafe import escape

from sitegen.check import check_site, references


def front_matter(path: Path) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8").split("---\n")[1])


def test_every_sample_paper_has_a_page(sample: Site):
    sources = sorted(p.stem for p in (sample.root / "content" / "papers").glob("*.md"))
    pages = sorted(p.stem for p in (sample.out / "papers").glob("*.html"))
    assert len(sources) == 346
    assert pages == sources
    for slug in sources[:20]:
        title = front_matter(sample.paper_file(slug))["title"]
        html = (sample.out / "papers" / f"{slug}.html").read_text()
        assert f"<h1>{escape(title)}</h1>" in html


def test_each_topic_page_lists_exactly_its_papers(sample: Site):
    config = yaml.safe_load(sample.config.read_text())
    papers = {p.stem: front_matter(p) for p in (sample.root / "content" / "papers").glob("*.md")}
    for topic in config["topics"]:
        slug = topic["slug"]
        expected = {s for s, meta in papers.items() if slug in meta["topics"]}
        if topic.get("dumps"):
            assert expected == {s for s, meta in papers.items() if set(topic["dumps"]) & set(meta["sources"])}
        listed = [
            link.removeprefix("../papers/").removesuffix(f".html?in={slug}")
            for link in anchor_links(sample.out / "topics" / f"{slug}.html")
            if link.startswith("../papers/")
        ]
        assert sorted(listed) == sorted(expected) and len(listed) == len(expected), slug
        assert listed == front_matter(sample.root / "content" / "topics" / f"{slug}.md")["papers"]
        dates = [papers[s]["date"] for s in listed if papers[s]["date"]]
        assert dates == sorted(dates, reverse=True), f"{slug} is not newest first"


def test_keyword_topic_takes_papers_from_every_dump(sample: Site):
    diffusion = front_matter(sample.root / "content" / "topics" / "diffusion.md")["papers"]
    sources = {s for slug in diffusion for s in front_matter(sample.paper_file(slug))["sources"]}
    assert len(diffusion) > 10 and len(sources) >= 3
    for slug in diffusion:
        meta = front_matter(sample.paper_file(slug))
        assert re.search(r"\bdiffusion\b", meta["title"] + " " + meta["abstract"], re.IGNORECASE)


def test_no_broken_root_relative_or_directory_links(sample: Site):
    assert check_site(sample.out) == []
    pages = list(sample.out.rglob("*.html"))
    assert len(pages) == 346 + 6 + 5  # papers, topics, index/papers/search/reading/404


def test_home_page_shows_topics_with_counts_and_recent_papers(sample: Site):
    html = (sample.out / "index.html").read_text()
    assert "Data filtering and pruning" in html and "69 papers" in html
    assert html.count('class="paper-item"') == 12


def test_all_papers_page_groups_by_year(sample: Site):
    html = (sample.out / "papers.html").read_text()
    years = re.findall(r'<h2 id="y-(\w+)">', html)
    numeric = [int(y) for y in years if y.isdigit()]
    assert numeric == sorted(numeric, reverse=True) and years[-1] == "Undated"
    assert html.count('class="paper-item"') == 346


def test_upvotes_show_the_day_they_were_counted_on_the_paper_page_and_on_hover_in_lists(sample: Site):
    # pretrained-models.txt is headed "Nov 13"; the dates in it show years up to 2024, so it was saved in 2025.
    slug = "representation-alignment-for-generation-training-diffusion-transformers-is"
    meta = front_matter(sample.paper_file(slug))
    assert meta["sources"] == ["pretrained-models.txt"]
    assert (meta["upvotes"], meta["upvotes_as_of"]) == (2, dt.date(2025, 11, 13))
    page = (sample.out / "papers" / f"{slug}.html").read_text()
    assert '▲ 2 upvotes as of <time datetime="2025-11-13">Nov 13, 2025</time>' in page
    topic = (sample.out / "topics" / "pretrained-models.html").read_text()
    assert '<span class="upvotes" title="Upvotes on Hugging Face as of Nov 13, 2025">▲ 2</span>' in topic
    (cited,) = [entry for entry in bibtexparser.parse_string((sample.out / "export" / "papers.bib").read_text()).entries
                if entry["title"] == "{" + meta["title"] + "}"]
    assert cited["note"] == "2 upvotes on Hugging Face as of 2025-11-13"
    papers = [front_matter(path) for path in (sample.root / "content" / "papers").glob("*.md")]
    # Every dump with upvotes is headed by a date; a paper without upvotes gets no date for them.
    assert all((meta["upvotes"] is None) == (meta["upvotes_as_of"] is None) for meta in papers)
    assert sum(meta["upvotes_as_of"] is not None for meta in papers) == 18


def test_site_is_ready_for_github_pages(sample: Site):
    assert (sample.out / ".nojekyll").exists()
    assert (sample.out / "404.html").exists()
    assert len(list((sample.out / "assets").glob("*.css"))) == 1


def test_second_build_is_byte_identical(sample: Site, tmp_path: Path):
    again = copy_sample(tmp_path / "again")
    again.build()
    again.build()  # a rebuild over existing content files
    comparison = filecmp.dircmp(sample.out, again.out)
    assert_same_tree(comparison)


def assert_same_tree(comparison: filecmp.dircmp) -> None:
    assert not comparison.left_only and not comparison.right_only, (comparison.left_only, comparison.right_only)
    _, mismatch, errors = filecmp.cmpfiles(comparison.left, comparison.right, comparison.common_files, shallow=False)
    assert not mismatch and not errors, mismatch
    for sub in comparison.subdirs.values():
        assert_same_tree(sub)


def anchor_links(page: Path) -> list[str]:
    """The hrefs of a page's <a> elements, in order."""
    found, _ = references(page.read_text(encoding="utf-8"))
    return [reference.url for reference in found if reference.tag == "a"]


def test_a_reader_that_goes_away_ends_the_command_quietly(tmp_path: Path):
    """`sitegen build | head -1`: the build is done; no internal error, no traceback."""
    site = copy_sample(tmp_path / "site")
    reader, writer = os.pipe()
    os.close(reader)  # gone before the build prints its summary
    done = subprocess.run([sys.executable, "-m", "sitegen", "build"], cwd=site.root, stdout=writer,
                          stderr=subprocess.PIPE, text=True, timeout=300)
    os.close(writer)
    assert done.returncode == 1
    shown = [line for line in done.stderr.splitlines() if not PROGRESS_LINE.fullmatch(line)]  # a slow build's
    assert shown == []
    assert (site.out / "index.html").is_file()


PROGRESS_LINE = re.compile(r"\d+ s: [a-z ]+(\.\.\.|: \d+ of \d+)")
