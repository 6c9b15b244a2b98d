"""Search in real headless Chromium: the header box, keyboard and mouse, search.html, hostile and non-English text.

Every test runs twice: with the site opened from disk (file://) and served over HTTP under a sub-path, the
way GitHub Pages serves a project site. Every page a test visits must load without console errors, failed
requests, dialogs, or requests outside the site's folder.
"""

from __future__ import annotations

import html
import re
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl, quote, urlsplit

import pytest
from browser_helpers import SUGGESTIONS_RENDERED_FOR, PageProblems, site_base_url, watched_page
from playwright.sync_api import Browser, Locator, Page, expect

if TYPE_CHECKING:
    from conftest import Site

SUB_PATH = "/reading-list/"
ORIGINS = ["file", "http"]
SEARCH_DATA = ("assets/lunr.min.js", "assets/search-store.js", "assets/search-index-0.js")  # the sample's
TEXT_FILE = re.compile(r"assets/search-text-\d+\.js$")
PWNED_FLAG = "window.__pwned"  # what the hostile title sets if any part of it runs

SEARCH_PAGE_RENDERED = """() => {
    const status = document.getElementById("search-status").textContent;
    return !status.startsWith("Loading") && !status.startsWith("Search needs JavaScript")
        && !document.getElementById("search-results").hasAttribute("aria-busy");
}"""
SNIPPETS_IN = """list => !document.querySelector(list + "[aria-busy]")"""  # every excerpt asked for is in
URL_HAS_EXACTLY = """expected => {
    const params = new URLSearchParams(location.search);
    const keys = [...new Set(params.keys())];
    return keys.length === Object.keys(expected).length && keys.every(key => params.get(key) === expected[key]);
}"""
RESULTS_IN = r"""(list, selector) => Array.from(list.querySelectorAll(selector), item => {
    const link = item.querySelector("h3 a");
    const meta = item.querySelector(".meta");
    const excerpt = item.querySelector(".excerpt");
    const texts = elements => Array.from(elements, element => element.textContent);
    return {
        title: link.textContent,
        marks: texts(link.querySelectorAll("mark")),
        href: link.href,
        date: meta.querySelector("span").textContent,
        upvotes: Number((meta.querySelector(".upvotes") || {textContent: "0"}).textContent.replace(/\D/g, "")),
        topics: texts(meta.querySelectorAll("a.chip")),
        has_code: meta.querySelector(".chip.code") !== null,
        excerpt: excerpt ? excerpt.textContent : "",
        excerpt_marks: excerpt ? texts(excerpt.querySelectorAll("mark")) : [],
    };
})"""


@dataclass(frozen=True)
class Result:
    """One search result as the page shows it: the title link's text and marked words, and its meta line."""

    title: str
    marks: list[str]
    href: str
    date: str
    upvotes: int
    topics: list[str]
    has_code: bool
    excerpt: str
    excerpt_marks: list[str]

    @property
    def day(self) -> date:
        """The shown date ("May 4, 2023"); an undated paper counts as the oldest."""
        return date.min if self.date == "Undated" else datetime.strptime(self.date, "%b %d, %Y").date()


@dataclass
class Tab:
    """A page in its own browser context, watched for problems from before its first navigation."""

    page: Page
    problems: PageProblems
    dialogs: list[str]

    def assert_clean(self, base_url: str) -> None:
        """No console or page errors, no failed requests, no dialogs, nothing requested outside the site."""
        self.problems.assert_none()
        assert self.dialogs == []
        assert [url for url in self.problems.requested_urls if not url.startswith(base_url)] == []


# ---------- fixtures: where the site is, and a fresh tab per test ----------


@pytest.fixture(scope="module", params=ORIGINS)
def sample_url(request: pytest.FixtureRequest, sample: Site) -> Iterator[str]:
    """The sample site's base URL, once from disk and once over HTTP under /reading-list/."""
    with site_base_url(sample.out, request.param, SUB_PATH) as base_url:
        yield base_url


@pytest.fixture
def tab(browser: Browser) -> Iterator[Tab]:
    """A new browser context with one watched page; dialogs (alert) are recorded and dismissed."""
    with watched_page(browser) as (page, problems, dialogs):
        yield Tab(page, problems, dialogs)


# ---------- helpers: reading results ----------


def results_in(page: Page, container: str, item_selector: str) -> list[Result]:
    rows = page.locator(container).evaluate(RESULTS_IN, item_selector)
    return [Result(**row) for row in rows]


def titles(results: list[Result]) -> list[str]:
    return [result.title for result in results]


def open_link_and_expect_heading(page: Page, link: Locator, heading: str) -> None:
    """Click the link with the mouse and expect the page it leads to, with `heading` as its h1."""
    target = link.evaluate("a => a.href")
    link.click()
    page.wait_for_url(target)
    expect(page.locator("main h1")).to_have_text(heading)


# ---------- helpers: the header box ----------


def search_input(page: Page) -> Locator:
    return page.locator("#search-input")


def open_home(tab: Tab, base_url: str) -> Page:
    tab.page.goto(base_url + "index.html")
    return tab.page


def suggest(page: Page, query: str) -> list[Result]:
    """Put `query` in the header box in one go (as a paste would) and return the suggested papers."""
    return wait_for_suggestions(page, query, lambda: search_input(page).fill(query))


def wait_for_suggestions(page: Page, query: str, enter_query: Callable[[], None]) -> list[Result]:
    """Call `enter_query`, wait until the list under the box answers `query` (all of it, snippets included),
    return its papers."""
    previous_message = page.evaluate_handle("() => document.querySelector('#search-suggestions .suggestion-message')")
    enter_query()
    page.wait_for_function(SUGGESTIONS_RENDERED_FOR, arg=[query, previous_message])
    page.wait_for_function(SNIPPETS_IN, arg="#search-suggestions .suggestion-list")
    return results_in(page, "#search-suggestions", "li[role=option]:not(.see-all)")


def type_in_header_box(page: Page, query: str) -> list[Result]:
    """Press `/`, type `query` key by key, and return the papers suggested for the whole query."""

    def press_slash_and_type() -> None:
        page.keyboard.press("/")
        page.keyboard.type(query)

    return wait_for_suggestions(page, query, press_slash_and_type)


def suggestion_message(page: Page) -> str:
    return page.locator("#search-suggestions .suggestion-message").inner_text()


# ---------- helpers: search.html ----------


def open_search_page(tab: Tab, base_url: str, query_string: str) -> list[Result]:
    """Open search.html?<query_string> directly and return the results it shows."""
    tab.page.goto(f"{base_url}search.html?{query_string}")
    tab.page.wait_for_function(SEARCH_PAGE_RENDERED)
    return search_page_results(tab.page)


def search_page_results(page: Page) -> list[Result]:
    return results_in(page, "#search-results", "li.result")


def search_status(page: Page) -> str:
    return page.locator("#search-status").inner_text()


def url_parameters(page: Page) -> dict[str, str]:
    return dict(parse_qsl(urlsplit(page.url).query))


def wait_for_url_parameters(page: Page, expected: dict[str, str]) -> list[Result]:
    """search.js rewrites the URL and the results in the same step: wait for the URL and the snippets, then read."""
    page.wait_for_function(URL_HAS_EXACTLY, arg=expected)
    page.wait_for_function(SNIPPETS_IN, arg="#search-results")
    assert url_parameters(page) == expected
    return search_page_results(page)


def status_count(page: Page) -> int:
    match = re.match(r"(\d+) results?\b", search_status(page))
    assert match, f"no count in the status: {search_status(page)!r}"
    return int(match[1])


def assert_is_a_short_message(text: str) -> None:
    """An explanation for the reader: not empty, not a result count, not a stack trace."""
    assert text and "result" not in text and len(text) < 200, text


# ---------- helpers: small sites and the sample's titles ----------

LONG_ABSTRACT = "This abstract is long enough to count as an abstract and says nothing else at all. " * 4


def build_one_topic_site(site: Site, papers: list[tuple[str, str]]) -> None:
    """A site whose one dump has a dated, upvoted paper for each (title, abstract)."""
    site.write_config("title: Small list\ntopics:\n  - title: All\n    dumps: [papers.txt]\n")
    site.dump(
        "papers.txt",
        "".join(
            f"{title}\n\n{abstract}\n\n  • 2 authors\n·\nMay {day}, 2023 {day}\n"
            for day, (title, abstract) in enumerate(papers, start=1)
        ),
    )
    site.build()


def sample_titles(out: Path) -> list[str]:
    """Every paper's title from the h1 of its page: an oracle that does not go through the search data."""
    found = []
    for page in sorted((out / "papers").glob("*.html")):
        match = re.search(r"<h1[^>]*>(.*?)</h1>", page.read_text(encoding="utf-8"), re.S)
        assert match, f"no h1 in {page}"
        found.append(html.unescape(re.sub(r"<[^>]+>", "", match[1])).strip())
    return found


# ---------- 1-3: the header box finds papers by their words, despite a typo, by a prefix ----------


@pytest.mark.parametrize(
    ("query", "title", "marks"),
    [
        ("stitchable", "Stitchable Neural Networks", ["Stitchable"]),
        ("data filtering networks", "Data Filtering Networks", ["Data", "Filtering", "Networks"]),
    ],
)
def test_header_box_shows_the_matching_paper_first_with_its_words_marked(
    tab: Tab, sample_url: str, query: str, title: str, marks: list[str]
) -> None:
    page = open_home(tab, sample_url)
    suggestions = suggest(page, query)
    assert suggestions, f"nothing suggested for {query!r}: {suggestion_message(page)!r}"
    assert (suggestions[0].title, suggestions[0].marks) == (title, marks)
    assert len(suggestions) <= 8
    assert re.fullmatch(r"\d+ results?", suggestion_message(page))
    assert int(suggestion_message(page).split()[0]) >= len(suggestions)
    see_all = page.locator("#search-suggestions .see-all a")
    expect(see_all).to_contain_text("See all")
    assert see_all.evaluate("a => new URL(a.href).searchParams.get('q')") == query
    tab.assert_clean(sample_url)


def test_header_box_finds_papers_despite_a_typo(tab: Tab, sample_url: str) -> None:
    page = open_home(tab, sample_url)
    first = suggest(page, "difusion")[0]
    assert "Diffusion" in first.title.split() and "Diffusion" in first.marks, first

    first = suggest(page, "stichable")[0]
    assert (first.title, first.marks) == ("Stitchable Neural Networks", ["Stitchable"])
    tab.assert_clean(sample_url)


def test_header_box_finds_papers_by_a_prefix(tab: Tab, sample_url: str) -> None:
    page = open_home(tab, sample_url)
    first = suggest(page, "transfor")[0]
    assert "Transformer" in first.title and any(mark.startswith("Transformer") for mark in first.marks), first

    by_title = {result.title: result for result in suggest(page, "stitch")}
    assert "Stitchable Neural Networks" in by_title, list(by_title)
    assert by_title["Stitchable Neural Networks"].marks == ["Stitchable"]
    tab.assert_clean(sample_url)


def test_header_box_says_so_when_nothing_matches(tab: Tab, sample_url: str) -> None:
    """A word that is in no paper lists no paper (rather than every paper) and says so."""
    page = open_home(tab, sample_url)
    assert titles(suggest(page, "qzxv")) == []
    assert suggestion_message(page) == "No papers match \u201cqzxv\u201d."
    tab.assert_clean(sample_url)


# ---------- 4: keyboard alone, mouse alone ----------


def test_keyboard_alone_finds_and_opens_a_paper(tab: Tab, sample_url: str) -> None:
    page = open_home(tab, sample_url)
    box = search_input(page)
    suggestions = type_in_header_box(page, "stitchable")
    expect(box).to_be_focused()
    expect(box).to_have_attribute("aria-expanded", "true")
    assert len(suggestions) >= 2

    options = page.locator("#search-suggestions [role=option]")
    page.keyboard.press("ArrowDown")
    expect(options.nth(0)).to_have_attribute("aria-selected", "true")
    page.keyboard.press("ArrowDown")
    expect(options.nth(1)).to_have_attribute("aria-selected", "true")
    expect(options.nth(0)).to_have_attribute("aria-selected", "false")
    page.keyboard.press("ArrowUp")
    expect(options.nth(0)).to_have_attribute("aria-selected", "true")
    expect(box).to_have_attribute("aria-activedescendant", options.nth(0).get_attribute("id") or "?")

    page.keyboard.press("Enter")
    page.wait_for_url(suggestions[0].href)
    expect(page.locator("main h1")).to_have_text("Stitchable Neural Networks")
    tab.assert_clean(sample_url)


def test_escape_closes_the_list_and_keeps_the_query(tab: Tab, sample_url: str) -> None:
    page = open_home(tab, sample_url)
    type_in_header_box(page, "pruning")
    page.keyboard.press("Escape")
    expect(page.locator("#search-suggestions")).to_be_hidden()
    expect(search_input(page)).to_have_attribute("aria-expanded", "false")
    expect(search_input(page)).to_be_focused()
    assert search_input(page).input_value() == "pruning", "Escape also emptied the search box"
    tab.assert_clean(sample_url)


def test_mouse_alone_opens_a_suggested_paper(tab: Tab, sample_url: str) -> None:
    page = open_home(tab, sample_url)
    search_input(page).click()
    query = "data filtering networks"
    suggestions = wait_for_suggestions(page, query, lambda: page.keyboard.type(query))
    assert suggestions[0].title == "Data Filtering Networks"
    first_link = page.locator("#search-suggestions li[role=option] h3 a").first
    open_link_and_expect_heading(page, first_link, "Data Filtering Networks")
    tab.assert_clean(sample_url)


# ---------- 5: search.html ----------


def test_enter_without_a_selection_opens_the_search_page_with_all_results(tab: Tab, sample_url: str) -> None:
    page = open_home(tab, sample_url)
    type_in_header_box(page, "diffusion")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/search\.html\?q=diffusion$"))
    page.wait_for_function(SEARCH_PAGE_RENDERED)
    results = search_page_results(page)
    expect(search_input(page)).to_have_value("diffusion")
    assert search_status(page) == f"{len(results)} results for \u201cdiffusion\u201d"
    assert len(results) > 8
    assert "Diffusion" in results[0].marks
    with_snippet = [result for result in results if result.excerpt]  # those in view, or nearly
    assert len(with_snippet) >= 3 and all(result.marks or result.excerpt_marks for result in with_snippet)

    search_input(page).fill("pruning")
    pruning = wait_for_url_parameters(page, {"q": "pruning"})
    assert search_status(page) == f"{len(pruning)} results for \u201cpruning\u201d"
    assert pruning and set(titles(pruning)) != set(titles(results))

    page.keyboard.press("ArrowDown")
    expect(page.locator("#search-results li.result h3 a").first).to_be_focused()
    tab.assert_clean(sample_url)


def test_search_page_filters_narrow_the_results_and_show_in_the_url(tab: Tab, sample_url: str) -> None:
    page = tab.page
    every = open_search_page(tab, sample_url, "q=diffusion")
    assert status_count(page) == len(every) > 0

    page.select_option("select[name=topic]", "data-filtering")
    in_topic = wait_for_url_parameters(page, {"q": "diffusion", "topic": "data-filtering"})
    assert 0 < len(in_topic) < len(every)
    assert all("Data filtering and pruning" in result.topics for result in in_topic)
    assert titles(in_topic) == [r.title for r in every if "Data filtering and pruning" in r.topics]
    assert status_count(page) == len(in_topic)

    year = Counter(r.date[-4:] for r in in_topic if r.date != "Undated").most_common(1)[0][0]
    page.select_option("select[name=year]", year)
    in_year = wait_for_url_parameters(page, {"q": "diffusion", "topic": "data-filtering", "year": year})
    assert 0 < len(in_year) < len(in_topic)
    assert titles(in_year) == [r.title for r in in_topic if r.date.endswith(year)]

    page.check("input[name=code]")
    with_code = wait_for_url_parameters(page, {"q": "diffusion", "topic": "data-filtering", "year": year, "code": "1"})
    assert all(result.has_code for result in with_code)
    assert titles(with_code) == [r.title for r in in_year if r.has_code]
    tab.assert_clean(sample_url)


def test_search_page_sorts_by_date_and_by_upvotes(tab: Tab, sample_url: str) -> None:
    page = tab.page
    by_relevance = open_search_page(tab, sample_url, "q=diffusion")

    page.select_option("select[name=sort]", "date")
    by_date = wait_for_url_parameters(page, {"q": "diffusion", "sort": "date"})
    assert sorted(titles(by_date)) == sorted(titles(by_relevance))
    days = [result.day for result in by_date]
    assert days == sorted(days, reverse=True), [result.date for result in by_date]
    assert len(set(days)) > 1

    page.select_option("select[name=sort]", "upvotes")
    by_upvotes = wait_for_url_parameters(page, {"q": "diffusion", "sort": "upvotes"})
    assert sorted(titles(by_upvotes)) == sorted(titles(by_relevance))
    upvotes = [result.upvotes for result in by_upvotes]
    assert upvotes == sorted(upvotes, reverse=True) and len(set(upvotes)) > 1
    tab.assert_clean(sample_url)


def test_back_from_a_paper_returns_to_the_same_filtered_results(tab: Tab, sample_url: str) -> None:
    page = tab.page
    open_search_page(tab, sample_url, "q=diffusion")
    page.select_option("select[name=topic]", "data-filtering")
    page.check("input[name=code]")
    before = wait_for_url_parameters(page, {"q": "diffusion", "topic": "data-filtering", "code": "1"})
    url_before = page.url
    assert before

    open_link_and_expect_heading(page, page.locator("#search-results li.result h3 a").first, before[0].title)
    page.go_back()
    page.wait_for_url(url_before)
    page.wait_for_function(SEARCH_PAGE_RENDERED)
    expect(search_input(page)).to_have_value("diffusion")
    expect(page.locator("select[name=topic]")).to_have_value("data-filtering")
    expect(page.locator("input[name=code]")).to_be_checked()
    assert titles(search_page_results(page)) == titles(before)
    tab.assert_clean(sample_url)


# ---------- 6: advanced lunr syntax ----------


def test_advanced_queries_parse_or_explain_why_not(tab: Tab, sample_url: str, sample: Site) -> None:
    page = open_home(tab, sample_url)
    for unparsable in ("abstract:", "title:"):
        assert suggest(page, unparsable) == [], unparsable
        assert_is_a_short_message(suggestion_message(page))

    with_ulip = {title for title in sample_titles(sample.out) if re.search(r"\bULIP\b", title)}
    assert len(with_ulip) >= 2
    suggested = suggest(page, "title:ulip")
    assert set(titles(suggested)) == with_ulip
    assert all(result.marks == ["ULIP"] for result in suggested)

    assert open_search_page(tab, sample_url, "q=" + quote("abstract:")) == []
    assert_is_a_short_message(search_status(page))
    search_input(page).fill("title:ulip")
    assert set(titles(wait_for_url_parameters(page, {"q": "title:ulip"}))) == with_ulip
    tab.assert_clean(sample_url)


# ---------- 7: a title made of HTML stays text ----------

HOSTILE_TITLE = 'Evil <script>alert(1)</script> <img src=x onerror="window.__pwned = true"> networks'


@pytest.mark.parametrize("origin", ORIGINS)
def test_title_with_html_shows_as_text_and_runs_nothing(tab: Tab, site: Site, origin: str) -> None:
    build_one_topic_site(
        site,
        [(HOSTILE_TITLE, LONG_ABSTRACT + HOSTILE_TITLE), ("A harmless paper on networks", LONG_ABSTRACT)],
    )
    page = tab.page
    with site_base_url(site.out, origin, SUB_PATH) as base_url:
        open_home(tab, base_url)
        assert [(s.title, s.marks) for s in suggest(page, "evil")] == [(HOSTILE_TITLE, ["Evil"])]
        assert page.locator("#search-suggestions img, #search-suggestions script").count() == 0

        results = open_search_page(tab, base_url, "q=" + quote(HOSTILE_TITLE))
        assert HOSTILE_TITLE in search_status(page)
        assert HOSTILE_TITLE in titles(results)
        assert HOSTILE_TITLE in next(r.excerpt for r in results if r.title == HOSTILE_TITLE)
        assert page.locator("#search-page img, #search-page script").count() == 0

        hostile_link = page.locator("#search-results h3 a").nth(titles(results).index(HOSTILE_TITLE))
        open_link_and_expect_heading(page, hostile_link, HOSTILE_TITLE)
        assert HOSTILE_TITLE in page.title()
        assert page.locator("main img, main script").count() == 0
        assert page.evaluate(f"typeof {PWNED_FLAG}") == "undefined"
        tab.assert_clean(base_url)


# ---------- 8: non-English titles ----------

FRENCH = "Réseaux de neurones pour la détection d'objets"
CHINESE = "深度学习的图像分类方法"
ARABIC = "التعلم العميق لتصنيف الصور"
EMOJI = "Brain-inspired learning 🧠 for everyone 🚀"
# query → the one paper it finds, and the words marked in its title
NON_ENGLISH_QUERIES = {
    "réseaux": (FRENCH, ["Réseaux"]),
    "reseaux": (FRENCH, ["Réseaux"]),
    "学习": (CHINESE, ["学习"]),
    "العميق": (ARABIC, ["العميق"]),
    "brain": (EMOJI, ["Brain"]),
}


@pytest.mark.parametrize("origin", ORIGINS)
def test_non_english_words_find_their_papers(tab: Tab, site: Site, origin: str) -> None:
    build_one_topic_site(site, [(title, LONG_ABSTRACT) for title in (FRENCH, CHINESE, ARABIC, EMOJI, "Plain networks")])
    page = tab.page
    with site_base_url(site.out, origin, SUB_PATH) as base_url:
        open_home(tab, base_url)
        for query, expected in NON_ENGLISH_QUERIES.items():
            assert [(s.title, s.marks) for s in suggest(page, query)] == [expected], query

        first_query, *other_queries = NON_ENGLISH_QUERIES
        assert titles(open_search_page(tab, base_url, "q=" + quote(first_query))) == [FRENCH]
        for query in other_queries:
            search_input(page).fill(query)
            assert titles(wait_for_url_parameters(page, {"q": query})) == [NON_ENGLISH_QUERIES[query][0]], query
            assert search_status(page) == f"1 result for \u201c{query}\u201d"

        open_link_and_expect_heading(page, page.locator("#search-results h3 a").first, EMOJI)
        tab.assert_clean(base_url)


# ---------- 9: the search data loads only when it is needed ----------


def test_search_data_loads_only_once_the_box_is_focused(tab: Tab, sample_url: str) -> None:
    page = open_home(tab, sample_url)
    page.wait_for_load_state("networkidle")
    assert page.evaluate("typeof window.sitegenSearch") == "object", "search.js did not run"
    assert [url for url in tab.problems.requested_urls if url.endswith(SEARCH_DATA)] == []
    assert page.evaluate("typeof window.sitegenSearchIndex") == "undefined"

    search_input(page).focus()
    page.wait_for_function("() => window.sitegenSearchIndex && window.sitegenSearchStore && window.lunr")
    requested = {url.removeprefix(sample_url) for url in tab.problems.requested_urls if url.endswith(SEARCH_DATA)}
    assert requested == set(SEARCH_DATA)
    assert [url for url in tab.problems.requested_urls if TEXT_FILE.search(url)] == [], "snippets before results"
    tab.assert_clean(sample_url)


# ---------- 10: snippets come from text files of their own, loaded for the results shown ----------

OKAPI = "Plain networks number 17"


def build_many_text_files_site(site: Site, monkeypatch: pytest.MonkeyPatch) -> None:
    """30 papers in 16 text files; only OKAPI's abstract has the word "okapi", and only its notes "quagga"."""
    monkeypatch.setattr("sitegen.search.TEXT_PAPERS_PER_FILE", 2)
    papers = [(f"Plain networks number {n}", LONG_ABSTRACT) for n in range(30)]
    papers[17] = (OKAPI, LONG_ABSTRACT + "It studies the okapi, a shy relative of the giraffe.")
    build_one_topic_site(site, papers)
    notes = site.paper_file("plain-networks-number-17")
    notes.write_text(notes.read_text(encoding="utf-8") + "\nCompare with the quagga.\n", encoding="utf-8")
    site.build()
    assert len(list(site.out.glob("assets/search-text-*.js"))) == 16


def text_files_requested(tab: Tab) -> list[str]:
    return [url for url in tab.problems.requested_urls if TEXT_FILE.search(url)]


@pytest.mark.parametrize("origin", ORIGINS)
def test_a_word_only_in_an_abstract_or_notes_finds_its_paper_with_a_snippet_from_one_text_file(
    tab: Tab, site: Site, origin: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    build_many_text_files_site(site, monkeypatch)
    page = tab.page
    with site_base_url(site.out, origin, SUB_PATH) as base_url:
        open_home(tab, base_url)
        (shown,) = suggest(page, "okapi")
        assert shown.title == OKAPI
        assert "okapi" in shown.excerpt and shown.excerpt_marks == ["okapi"], shown
        assert len(text_files_requested(tab)) == 1, "more than the one text file of the one result"

        (shown,) = open_search_page(tab, base_url, "q=quagga")
        assert shown.title == OKAPI
        assert shown.excerpt == "Compare with the quagga." and shown.excerpt_marks == ["quagga"], shown
        tab.assert_clean(base_url)


@pytest.mark.parametrize("origin", ORIGINS)
def test_search_page_fills_snippets_as_results_scroll_into_view(
    tab: Tab, site: Site, origin: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    build_many_text_files_site(site, monkeypatch)
    page = tab.page
    page.set_viewport_size({"width": 800, "height": 400})
    with site_base_url(site.out, origin, SUB_PATH) as base_url:
        results = open_search_page(tab, base_url, "q=networks")
        assert len(results) == 30
        assert results[0].excerpt.startswith("This abstract is long enough")
        assert 0 < len(text_files_requested(tab)) < 16

        page.locator("#search-results li.result").last.scroll_into_view_if_needed()
        expect(page.locator("#search-results li.result .excerpt").last).to_contain_text("This abstract is long enough")
        page.wait_for_function(SNIPPETS_IN, arg="#search-results")
        tab.assert_clean(base_url)


RESULTS_MORE_THAN = "n => document.querySelectorAll('#search-results li.result').length > n"


def test_search_page_lists_more_results_as_the_end_comes_into_view(tab: Tab, sample_url: str) -> None:
    page = tab.page
    results = open_search_page(tab, sample_url, "q=model")
    total = status_count(page)
    assert len(results) == 100 < total, "the first hundred results, not all of them at once"
    while len(results) < total:
        page.locator("#search-results li.result").last.scroll_into_view_if_needed()
        page.wait_for_function(RESULTS_MORE_THAN, arg=len(results))
        results = search_page_results(page)
    assert len(results) == total == len(set(titles(results)))
    tab.assert_clean(sample_url)


# ---------- 11: reading state as filters ----------

MARKED = {  # title → what the user put in its front matter
    "Sparse networks one": "status: read\ntags: [LLM]\n",
    "Sparse networks two": "status: to-read\ntags: [llm, vision]\n",
    "Sparse networks three": "status: read\n",
    "Sparse networks four": "",
}


@pytest.mark.parametrize("origin", ORIGINS)
def test_search_page_filters_by_status_and_by_tag(tab: Tab, site: Site, origin: str) -> None:
    build_one_topic_site(site, [(title, LONG_ABSTRACT) for title in MARKED])
    for title, state in MARKED.items():
        path = site.paper_file(title.lower().replace(" ", "-"))
        path.write_text(path.read_text().replace("---\n", "---\n" + state, 1))
    site.build()
    page = tab.page
    with site_base_url(site.out, origin, SUB_PATH) as base_url:
        assert len(open_search_page(tab, base_url, "q=sparse")) == 4
        page.select_option("select[name=status]", "read")
        read = wait_for_url_parameters(page, {"q": "sparse", "status": "read"})
        assert sorted(titles(read)) == ["Sparse networks one", "Sparse networks three"]
        page.select_option("select[name=tag]", "llm")  # "LLM" and "llm" are one tag
        tagged = wait_for_url_parameters(page, {"q": "sparse", "status": "read", "tag": "llm"})
        assert titles(tagged) == ["Sparse networks one"]
        page.select_option("select[name=status]", "")
        assert sorted(titles(wait_for_url_parameters(page, {"q": "sparse", "tag": "llm"}))) == [
            "Sparse networks one", "Sparse networks two"
        ]
        tag_link = page.locator("#search-results a.tag", has_text="#vision")
        expect(tag_link).to_have_attribute("href", re.compile(r"tags/vision\.html$"))
        open_link_and_expect_heading(page, tag_link, "#vision")
        tab.assert_clean(base_url)


# ---------- 12: moving through a list from a paper page ----------


@pytest.mark.parametrize("origin", ORIGINS)
def test_j_and_k_move_through_the_list_the_reader_came_from(tab: Tab, sample: Site, origin: str) -> None:
    page = tab.page
    topic = (sample.root / "content" / "topics" / "data-filtering.md").read_text()
    slugs = re.findall(r"(?m)^- (\S+)$", topic.split("\n---\n", 1)[0])
    with site_base_url(sample.out, origin, SUB_PATH) as base_url:
        page.goto(f"{base_url}topics/data-filtering.html")
        open_link_and_expect_heading(page, page.locator(f'a[href="../papers/{slugs[0]}.html?in=data-filtering"]'),
                                     page.locator(f'a[href="../papers/{slugs[0]}.html?in=data-filtering"]').inner_text())
        page.keyboard.press("j")
        page.wait_for_url(re.compile(rf"papers/{re.escape(slugs[1])}\.html\?in=data-filtering$"))
        page.keyboard.press("ArrowRight")
        page.wait_for_url(re.compile(rf"papers/{re.escape(slugs[2])}\.html\?in=data-filtering$"))
        page.keyboard.press("k")
        page.wait_for_url(re.compile(rf"papers/{re.escape(slugs[1])}\.html\?in=data-filtering$"))

        search_input(page).focus()
        page.keyboard.type("jk")  # typing in the search box moves nowhere
        assert page.url.endswith(f"papers/{slugs[1]}.html?in=data-filtering")
        assert search_input(page).input_value() == "jk"
        page.keyboard.press("Escape")
        page.locator("h1").click()

        page.keyboard.press("?")
        help_box = page.locator("#shortcuts")
        expect(help_box).to_be_visible()
        expect(help_box).to_contain_text("next paper of the list you came from")
        page.keyboard.press("j")  # with the help open, keys do not navigate
        assert page.url.endswith(f"papers/{slugs[1]}.html?in=data-filtering")
        page.keyboard.press("Escape")
        expect(help_box).to_be_hidden()
        tab.assert_clean(base_url)
