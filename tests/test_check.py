"""`sitegen check` and the check after every build: what a broken site looks like."""

from __future__ import annotations

import pytest
from conftest import Site

from sitegen.check import Checked, PageFacts, check_again, check_site, page_facts

ABSTRACT = "An abstract that is long enough to be one. " * 8


@pytest.fixture
def built(site: Site) -> Site:
    site.write_config("title: T\ntopics:\n  - title: All\n    dumps: [d.txt]\n")
    site.dump("d.txt", f"First Paper\n\n{ABSTRACT}\n\nSecond Paper\n\n{ABSTRACT}\n")
    site.build()
    return site


def plant(site: Site, html: str) -> None:
    page = site.out / "papers" / "first-paper.html"
    page.write_text(page.read_text().replace("</main>", html + "\n</main>"))


@pytest.mark.parametrize(
    ("html", "message"),
    [
        ('<a href="missing.html">x</a>', "missing page missing.html"),
        ('<img src="../assets/none.png" alt="">', "missing asset ../assets/none.png"),
        ('<a href="/index.html">x</a>', "root-relative link /index.html"),
        ('<a href="../../elsewhere.html">x</a>', "points outside the site"),
        ('<a href="../topics/">x</a>', "names a folder"),
        ('<a href="../papers.html#nope">x</a>', "names an anchor that does not exist"),
        ('<script src="https://cdn.example/x.js"></script>', "loads https://cdn.example/x.js from another host"),
        ('<a href="javascript:alert(1)">x</a>', "link with the scheme 'javascript'"),
        ('<p id="main">twice</p>', "duplicate id 'main'"),
    ],
)
def test_each_kind_of_problem_is_found_with_its_page_and_line(built: Site, html: str, message: str):
    plant(built, html)
    problems = check_site(built.out)
    assert len(problems) == 1, problems
    (problem,) = problems
    assert problem.path.endswith("papers/first-paper.html") and message in problem.message
    lines = (built.out / "papers" / "first-paper.html").read_text().splitlines()
    assert html.split(">")[0] in lines[problem.line - 1]


def test_check_command_exits_1_and_the_build_reports_as_warnings(built: Site):
    assert built.cli("check").returncode == 0
    plant(built, '<a href="missing.html">x</a>')
    result = built.cli("check")
    assert result.returncode == 1 and "missing page missing.html" in result.stdout
    template = built.root / "templates"
    template.mkdir()
    (template / "paper.html").write_text(
        '{% extends "base.html" %}{% block content %}<a href="/abs.html">x</a>{% endblock %}'
    )
    result = built.cli("build")
    assert result.returncode == 0
    assert result.stdout.count("root-relative link /abs.html") == 2
    assert built.cli("build", "--no-check").stdout.count("root-relative") == 0


def test_check_without_a_built_site_says_what_to_do(site: Site):
    site.write_config("title: T\n")
    result = site.cli("check")
    assert result.returncode == 1 and "run `python -m sitegen build` first" in result.stderr


def test_a_link_to_another_site_is_fine_but_one_into_this_site_by_its_address_is_checked(built: Site):
    plant(built, '<a href="https://example.org/elsewhere.html">x</a>')
    assert check_site(built.out, "https://me.example/list/") == []
    plant(built, '<a href="https://me.example/list/missing.html">x</a>')
    problems = check_site(built.out, "https://me.example/list/")
    assert [problem.message for problem in problems] == ["missing page https://me.example/list/missing.html"]


def test_a_check_after_an_earlier_one_finds_what_a_full_check_finds(tmp_path):
    """The build's check judges again only changed pages; files, folders or ids gone since make it judge all."""
    site = tmp_path / "site"
    site.mkdir()
    pages = {
        "a.html": '<a href="b.html#x">b</a><a href="c.html">c</a>',
        "b.html": '<p id="x">x</p><a href="d.html">d</a>',
        "d.html": "<p>d</p>",
    }

    def build(changed: dict[str, str | None]) -> tuple[dict[str, PageFacts], dict[str, str]]:
        for name, html in changed.items():
            if html is None:
                del pages[name]
                (site / name).unlink()
            else:
                pages[name] = html
                (site / name).write_text(html)
        return {name: page_facts(html) for name, html in pages.items()}, dict(pages)  # the page itself as its digest

    def messages(checked: Checked) -> list[str]:
        return [problem.message for problem in checked.found()]

    last = check_again(site, None, *build(dict(pages)))
    assert messages(last) == ["missing page c.html"]
    steps = [
        ({"c.html": "<p>c</p>"}, []),  # a new file mends a page that did not change
        ({"b.html": '<p id="y">y</p><a href="d.html">d</a>'}, ["link b.html#x names an anchor that does not exist"]),
        ({"d.html": None}, ["link b.html#x names an anchor that does not exist", "missing page d.html"]),
        ({"a.html": "<p>a</p>"}, ["missing page d.html"]),
    ]
    for changed, expected in steps:
        facts, keys = build(changed)
        again = check_again(site, None, facts, keys, last)
        assert messages(again) == expected == messages(check_again(site, None, facts, keys))
        last = again
