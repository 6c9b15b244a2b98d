"""Reading state kept in the paper files: status, rating, tags, the queue, and when each paper was added."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from conftest import Site

ABSTRACT = "An abstract that is long enough to be one, about reading lists. " * 6
TITLES = ["Paper Reading Now", "Paper Queued Early", "Paper Queued Late", "Paper Read Well", "Paper Read Best",
          "Paper Skipped", "Paper Never Marked", "Paper Badly Marked"]
STATE = {
    "paper-reading-now": "status: reading\n",
    "paper-queued-early": "status: to-read\n",
    "paper-queued-late": "status: to-read\n",
    "paper-read-well": "status: read\nrating: 4\ntags: [LLM, vision]\n",
    "paper-read-best": "status: read\nrating: 5\ntags: [llm]\n",
    "paper-skipped": "status: skipped\n",
    "paper-badly-marked": "status: done\nrating: 7\ntags: 3\n",
}


@pytest.fixture
def marked(site: Site) -> Site:
    site.write_config("title: T\ntopics:\n  - title: All\n    dumps: [d.txt]\n")
    site.dump("d.txt", "".join(f"{title}\n\n{ABSTRACT}\n\n" for title in TITLES))
    site.build()
    for slug, state in STATE.items():
        path = site.paper_file(slug)
        path.write_text(path.read_text().replace("---\n", "---\n" + state, 1))
    early = site.paper_file("paper-queued-early")
    early.write_text(re.sub(r"(?m)^added: .*$", "added: 2020-01-01", early.read_text()))
    return site


def listed(html: str, heading_id: str) -> list[str]:
    section = html.split(f'id="{heading_id}"', 1)[1].split("</section>", 1)[0]
    return re.findall(r'<h3><a href="papers/([^"]+)\.html"', section)


def test_the_queue_lists_reading_then_to_read_oldest_first_and_read_papers_by_rating(marked: Site):
    marked.build()
    html = (marked.out / "reading.html").read_text()
    assert listed(html, "queue-reading") == ["paper-reading-now"]
    assert listed(html, "queue-to-read") == ["paper-queued-early", "paper-queued-late"]
    assert listed(html, "queue-read") == ["paper-read-best", "paper-read-well"]
    assert "1 reading · 2 to read · 2 read · 1 skipped" in html
    assert 'href="reading.html"' in (marked.out / "index.html").read_text()
    assert 'href="../reading.html"' in (marked.out / "papers" / "paper-never-marked.html").read_text()


def test_a_bad_value_is_a_warning_with_file_line_and_the_allowed_values_and_the_page_still_builds(marked: Site):
    problems = {(problem.line, problem.message) for problem in marked.build().problems
                if problem.path.endswith("paper-badly-marked.md")}
    assert problems == {
        (2, "'status' must be one of to-read, reading, read, skipped, not 'done'; ignored"),
        (3, "'rating' must be a whole number from 1 to 5, not '7'; ignored"),
        (4, "'tags' must be a list of words, not '3'; ignored"),
    }
    assert (marked.out / "papers" / "paper-badly-marked.html").exists()


def test_each_tag_has_a_page_and_paper_pages_link_to_it(marked: Site):
    marked.build()
    llm = (marked.out / "tags" / "llm.html").read_text()  # "LLM" and "llm" are one tag
    assert re.findall(r'<h3><a href="\.\./papers/([^"]+)\.html"', llm) == ["paper-read-best", "paper-read-well"]
    assert re.findall(r'href="\.\./papers/([^"]+)\.html"', (marked.out / "tags" / "vision.html").read_text()) == [
        "paper-read-well"
    ]
    page = (marked.out / "papers" / "paper-read-well.html").read_text()
    assert 'href="../tags/llm.html">#LLM</a>' in page and 'href="../tags/vision.html">#vision</a>' in page
    assert "★★★★☆" in page


def test_added_is_recorded_once_and_then_left_as_the_user_has_it(site: Site):
    site.write_config("title: T\ntopics:\n  - title: All\n    dumps: [d.txt]\n")
    site.dump("d.txt", f"First Paper\n\n{ABSTRACT}\n\n")
    site.build()
    path = site.paper_file("first-paper")
    assert f"\nadded: {dt.date.today().isoformat()}\n" in path.read_text()
    path.write_text(path.read_text().replace(f"added: {dt.date.today().isoformat()}", "added: 2019-05-06  # mine"))
    before = path.read_bytes()
    site.dump("d.txt", f"First Paper\n\n{ABSTRACT} More.\n\n")  # the abstract is refreshed, added is not
    site.build()
    assert "added: 2019-05-06  # mine\n" in path.read_text() and path.read_bytes() != before
