"""Citations and exports: BibTeX, CSV and CSL-JSON that other tools read back, and a Cite button."""

from __future__ import annotations

import csv
import json
import re

import bibtexparser
import pytest
from bibtexparser.middlewares import LatexDecodingMiddleware
from browser_helpers import watched_page
from conftest import Site

ABSTRACT = "An abstract that is long enough to be one, about citing papers well. " * 5
HOSTILE_TITLES = [
    "Braces {and} 100% of Q&A_pairs for $5 #1",
    "Closing } brace alone, and a \\backslash",
    "Diffusion Models Beat GANs",
    "Diffusion models beat everything else",  # the same key word and year: told apart
]


@pytest.fixture
def cited(site: Site) -> Site:
    site.write_config("title: T\ntopics:\n  - title: All\n    dumps: [d.txt]\n")
    site.dump("d.txt", "Daily Papers\n\nNov 13\n\n" + "".join(  # a page of 2024: its dates show years up to 2023
        f"{title}\n\n{ABSTRACT}\n\n  • 2 authors\n·\nMay {day}, 2023 {day * 10}\n"
        for day, title in enumerate(HOSTILE_TITLES, start=1)
    ))
    site.build()
    path = site.paper_file("diffusion-models-beat-gans")
    path.write_text(path.read_text().replace("---\n", "---\narxiv: '2105.05233'\nstatus: read\ntags: [gan]\n", 1))
    site.build()
    return site


def parsed_bib(path) -> list:
    library = bibtexparser.parse_string(path.read_text(), append_middleware=[LatexDecodingMiddleware()])
    assert library.failed_blocks == []
    return library.entries


def test_papers_bib_parses_into_one_entry_per_paper_with_unique_keys_and_the_titles_intact(cited: Site):
    entries = parsed_bib(cited.out / "export" / "papers.bib")
    assert sorted(entry["title"] for entry in entries) == sorted(HOSTILE_TITLES)
    keys = [entry.key for entry in entries]
    assert len(set(keys)) == len(keys) == len(HOSTILE_TITLES)
    by_title = {entry["title"]: entry for entry in entries}
    assert {by_title[t].key for t in HOSTILE_TITLES[2:]} == {"diffusion2023", "diffusion2023b"}
    gans = by_title["Diffusion Models Beat GANs"]
    assert gans["url"] == "https://arxiv.org/abs/2105.05233" and gans["year"] == "2023"
    assert gans["note"] == "30 upvotes on Hugging Face as of 2024-11-13"
    assert by_title[HOSTILE_TITLES[0]]["url"].startswith("https://huggingface.co/papers?q=Braces+")
    assert {field.key for entry in entries for field in entry.fields} <= {"title", "year", "url", "note"}
    topic = parsed_bib(cited.out / "export" / "topics" / "all.bib")
    assert sorted(entry.key for entry in topic) == sorted(keys)


def test_csv_and_csl_json_hold_every_paper_with_the_reading_state(cited: Site):
    with (cited.out / "export" / "papers.csv").open(newline="", encoding="utf-8") as file:
        rows = list(csv.DictReader(file))
    assert sorted(row["title"] for row in rows) == sorted(HOSTILE_TITLES)
    gans = next(row for row in rows if row["title"] == "Diffusion Models Beat GANs")
    assert (gans["status"], gans["tags"], gans["upvotes"], gans["date"]) == ("read", "gan", "30", "2023-05-03")
    assert gans["upvotes_as_of"] == "2024-11-13"
    items = json.loads((cited.out / "export" / "papers.json").read_text())
    assert sorted(item["title"] for item in items) == sorted(HOSTILE_TITLES)
    assert all(item["type"] == "article" and item["URL"].startswith("https://") for item in items)
    assert {item["id"] for item in items} == {row["key"] for row in rows}
    assert next(item for item in items if item["title"] == gans["title"])["note"] == (
        "30 upvotes on Hugging Face as of 2024-11-13"
    )
    home = (cited.out / "index.html").read_text()
    assert all(f'href="export/papers.{kind}"' in home for kind in ("bib", "csv", "json"))


@pytest.mark.parametrize("clipboard", ["allowed", "refused"])
def test_the_cite_button_puts_the_entry_where_the_user_can_copy_it_from_disk(cited: Site, browser, clipboard: str):
    entry = next(e for e in parsed_bib(cited.out / "export" / "papers.bib") if e["title"] == HOSTILE_TITLES[0])
    page_path = cited.out / "papers" / "braces-and-100-of-q-a-pairs-for-5-1.html"
    with watched_page(browser) as (page, problems, dialogs):
        if clipboard == "refused":
            page.add_init_script("navigator.clipboard.writeText = () => Promise.reject(new Error('refused'))")
        page.goto(page_path.as_uri())
        shown = page.locator("#cite-text").inner_text()
        assert shown.startswith(f"@misc{{{entry.key},") and r"\{and\} 100\% of Q\&A\_pairs for \$5 \#1" in shown
        page.get_by_role("button", name="Copy BibTeX").click()
        page.wait_for_function("document.getElementById('cite-status').textContent !== ''")
        status = page.locator("#cite-status").inner_text()
        if clipboard == "allowed":
            assert status == "Copied to the clipboard."
            page.context.grant_permissions(["clipboard-read"])
            copied = page.evaluate("navigator.clipboard.readText()")
        else:
            assert status.startswith("Selected: press Ctrl+C")
            copied = page.evaluate("window.getSelection().toString()")
        assert copied.strip() == shown.strip()
        problems.assert_none()
        assert dialogs == []


def test_a_topic_page_links_its_bibtex(cited: Site):
    assert re.search(r'href="\.\./export/topics/all\.bib"', (cited.out / "topics" / "all.html").read_text())


def test_citation_keys_stay_unique_when_a_suffixed_key_is_another_papers_own():
    import datetime as dt

    from sitegen.export import citation_keys
    from sitegen.model import PaperPage

    def paper(slug: str, title: str) -> PaperPage:
        return PaperPage(slug, f"papers/{slug}.html", title, None, None, None, None, (), (), (), "", "", None, None, (),
                         dt.date(2026, 1, 1), None)

    keys = citation_keys([paper("data-a", "Data"), paper("data-b", "Data"), paper("datab", "Datab")])
    assert keys == {"data-a": "data", "data-b": "datab", "datab": "databb"}


def test_upvotes_without_a_known_day_are_cited_without_one():
    import datetime as dt

    from sitegen.export import bibtex_entry
    from sitegen.model import PaperPage

    def paper(upvotes: int | None, as_of: dt.date | None) -> PaperPage:
        return PaperPage("p", "papers/p.html", "P", None, None, upvotes, as_of, (), (), (), "", "", None, None, (),
                         None, None)

    assert "note = {1 upvote on Hugging Face}" in bibtex_entry(paper(1, None), "p")
    assert "note = {7 upvotes on Hugging Face as of 2025-11-13}" in bibtex_entry(paper(7, dt.date(2025, 11, 13)), "p")
    assert "note" not in bibtex_entry(paper(None, None), "p")
