"""The built sample site in real headless Chromium: from disk, under a sub-path, dark mode, phone width."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urljoin, urlsplit

import pytest
from browser_helpers import ServedSite, serve_folder, wait_for_favicon_request, watch
from playwright.sync_api import Browser, Page, expect

if TYPE_CHECKING:
    from conftest import Site

SUB_PATH = "/repo/"
PHONE = {"width": 375, "height": 740}


def assert_stylesheet_applied(page: Page) -> None:
    """Only style.css makes the header sticky; the browser default is `static`."""
    position = page.locator(".site-header").evaluate("header => getComputedStyle(header).position")
    assert position == "sticky", f"style.css not applied on {page.url}"


def click_and_expect_page(page: Page, link_selector: str, heading: str | None = None) -> None:
    """Click the first matching link with the mouse; expect its target to load, styled, with `heading` as h1."""
    link = page.locator(link_selector).first
    target = urljoin(page.url, link.get_attribute("href") or "")
    link.click()
    page.wait_for_url(target)  # waits for the load event too, so the stylesheet has been applied
    if heading is not None:
        expect(page.locator("main h1")).to_have_text(heading)
    assert_stylesheet_applied(page)


def click_through_site(page: Page, home_url: str) -> None:
    """Home → a topic card → a paper on it → "All papers" → home again via the brand link."""
    expect(page).to_have_url(home_url)
    assert_stylesheet_applied(page)
    home_heading = page.locator("main h1").inner_text()

    topic_title = page.locator(".topic-card .topic-title").first.inner_text()
    click_and_expect_page(page, ".topic-card a", topic_title)

    paper_title = page.locator(".paper-item h3 a").first.inner_text()
    click_and_expect_page(page, ".paper-item h3 a", paper_title)

    click_and_expect_page(page, ".site-nav a:text-is('All papers')", "All papers")
    assert urlsplit(page.url).path.endswith("/papers.html")

    click_and_expect_page(page, ".site-header .brand", home_heading)
    expect(page).to_have_url(home_url)


def background_and_text_luminance(page: Page) -> tuple[float, float]:
    colours = page.locator("body").evaluate(
        "body => [getComputedStyle(body).backgroundColor, getComputedStyle(body).color]"
    )
    background, text = (relative_luminance(colour) for colour in colours)
    return background, text


def relative_luminance(css_colour: str) -> float:
    """WCAG relative luminance of an opaque `rgb(r, g, b)` computed colour."""
    match = re.fullmatch(r"rgba?\((\d+), (\d+), (\d+)(?:, ([\d.]+))?\)", css_colour)
    assert match, f"unexpected computed colour {css_colour!r}"
    assert match[4] is None or float(match[4]) == 1, f"{css_colour!r} is see-through"

    def linear(channel: str) -> float:
        value = int(channel) / 255
        return value / 12.92 if value <= 0.04045 else ((value + 0.055) / 1.055) ** 2.4

    red, green, blue = (linear(match[index]) for index in (1, 2, 3))
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


def assert_no_horizontal_scroll(page: Page) -> None:
    scroll_width, inner_width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert scroll_width <= inner_width, f"{page.url} scrolls sideways: {scroll_width}px wide in {inner_width}px"


@pytest.fixture
def served_site(sample: Site) -> Iterator[ServedSite]:
    """`sample.out` as `/repo/` of a local HTTP server, the way GitHub Pages serves a project site."""
    with serve_folder(sample.out, SUB_PATH) as served:
        yield served


def test_site_opened_from_disk_is_styled_and_clicks_through_without_errors(sample: Site, browser: Browser) -> None:
    context = browser.new_context()
    try:
        page = context.new_page()
        problems = watch(page)
        home_url = (sample.out / "index.html").as_uri()
        page.goto(home_url)
        click_through_site(page, home_url)
        problems.assert_none()
        assert all(url.startswith(sample.out.as_uri() + "/") for url in problems.requested_urls)
    finally:
        context.close()


def test_site_served_under_a_sub_path_keeps_every_request_inside_it(served_site: ServedSite, browser: Browser) -> None:
    context = browser.new_context()
    try:
        page = context.new_page()
        problems = watch(page)
        home_url = served_site.url + "index.html"
        page.goto(home_url)
        click_through_site(page, home_url)
        wait_for_favicon_request(served_site)
        problems.assert_none()
    finally:
        context.close()
    requested_paths = [path for path, _ in served_site.requests]
    assert "/favicon.ico" not in requested_paths
    assert [path for path in requested_paths if not path.startswith(SUB_PATH)] == []
    assert [(path, code) for path, code in served_site.requests if code >= 400] == []


@pytest.mark.parametrize("color_scheme", ["dark", "light"])
def test_body_background_follows_the_preferred_colour_scheme(
    served_site: ServedSite, browser: Browser, color_scheme: str
) -> None:
    context = browser.new_context(color_scheme=color_scheme)
    try:
        page = context.new_page()
        page.goto(served_site.url + "index.html")
        assert_stylesheet_applied(page)
        background, text = background_and_text_luminance(page)
    finally:
        context.close()
    if color_scheme == "dark":
        assert background < 0.1, f"dark scheme, but the background's luminance is {background:.3f}"
    else:
        assert background > 0.8, f"light scheme, but the background's luminance is {background:.3f}"
    contrast = (max(background, text) + 0.05) / (min(background, text) + 0.05)
    assert contrast >= 4.5, f"text contrast {contrast:.1f}:1 is below WCAG AA"


def paper_with_longest_word(out: Path) -> Path:
    """The paper page whose text has the longest unbreakable run of characters: the likeliest to overflow."""

    def longest_word(page: Path) -> int:
        text = re.sub(r"<[^>]*>", " ", page.read_text(encoding="utf-8"))
        return max(len(word) for word in text.split())

    return max(sorted((out / "papers").glob("*.html")), key=longest_word)


def test_phone_width_has_no_horizontal_scrolling(sample: Site, browser: Browser) -> None:
    context = browser.new_context(viewport=PHONE)
    try:
        page = context.new_page()
        for path in (sample.out / "index.html", paper_with_longest_word(sample.out)):
            page.goto(path.as_uri())
            assert_stylesheet_applied(page)
            assert page.evaluate("window.innerWidth") == PHONE["width"]
            assert_no_horizontal_scroll(page)
    finally:
        context.close()
