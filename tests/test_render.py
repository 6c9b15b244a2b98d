"""Rendering and publishing: template overrides, clear template errors, a failed build changes nothing."""

from __future__ import annotations

import re
import shutil

import pytest
from conftest import Site

from sitegen.errors import SitegenError

ABSTRACT = "An abstract that is long enough. " * 12


@pytest.fixture
def small(site: Site) -> Site:
    site.write_config("title: Small <list>\ndescription: Mine & yours\ntopics:\n  - title: All\n    dumps: [d.txt]\n")
    site.dump("d.txt", f"First Paper\n\n{ABSTRACT}\n\nSecond Paper\n\n{ABSTRACT}\n")
    return site


def test_site_title_is_escaped_everywhere(small: Site):
    small.build()
    for page in small.out.rglob("*.html"):
        html = page.read_text()
        assert "Small <list>" not in html and "Small &lt;list&gt;" in html, page


def test_a_site_template_overrides_the_default_theme(small: Site):
    (small.root / "templates" / "assets").mkdir(parents=True)
    (small.root / "templates" / "paper.html").write_text(
        '{% extends "base.html" %}{% block content %}<p class="mine">{{ paper.title }}</p>{% endblock %}'
    )
    (small.root / "templates" / "assets" / "extra.css").write_text("p { color: red }")
    small.build()
    html = (small.out / "papers" / "first-paper.html").read_text()
    assert '<p class="mine">First Paper</p>' in html
    assert 'href="../assets/style.css"' in html  # base.html still comes from the default theme
    assert (small.out / "assets" / "extra.css").exists() and (small.out / "assets" / "style.css").exists()


def test_a_site_macros_file_written_before_upvotes_had_a_date_still_works(small: Site):
    (small.root / "templates").mkdir()
    (small.root / "templates" / "macros.html").write_text(
        '{% macro paper_meta(paper, root, site) %}<p class="mine">{{ paper.upvotes }}</p>{% endmacro %}\n'
        '{% macro paper_item(paper, root, site, with_excerpt=true, listing="") %}'
        '<li><a href="{{ root }}{{ paper.url }}">{{ paper.title }}</a></li>{% endmacro %}\n'
    )
    small.build()
    assert '<p class="mine">' in (small.out / "papers" / "first-paper.html").read_text()


def test_template_syntax_error_names_file_and_line_and_keeps_the_previous_site(small: Site):
    small.build()
    before = {p: p.read_bytes() for p in small.out.rglob("*") if p.is_file()}
    (small.root / "templates").mkdir()
    (small.root / "templates" / "topic.html").write_text("line one\n{% for x in %}\n")
    result = small.cli("build")
    assert result.returncode == 1
    assert result.stderr.startswith("error: templates/topic.html:2: template syntax error")
    assert "Traceback" not in result.stderr
    assert {p: p.read_bytes() for p in small.out.rglob("*") if p.is_file()} == before
    names = sorted(p.name for p in small.root.iterdir())
    assert names == [".sitegen-cache", "_site", "content", "site.yaml", "templates"]


def test_output_that_sitegen_did_not_write_is_never_replaced(small: Site):
    small.out.mkdir()
    (small.out / "precious.txt").write_text("keep me")
    with pytest.raises(SitegenError, match="not empty and was not written by sitegen"):
        small.build()
    assert (small.out / "precious.txt").read_text() == "keep me"
    result = small.cli("build", "--out", ".")
    assert result.returncode == 1 and "replace the site's own folder" in result.stderr


def test_pages_use_only_relative_links_and_404_uses_base_url(small: Site):
    small.write_config(small.config.read_text() + "base_url: https://me.github.io/list\n")
    small.build()
    paper = (small.out / "papers" / "first-paper.html").read_text()
    assert 'href="../index.html"' in paper and 'href="../assets/style.css"' in paper
    assert '<link rel="canonical" href="https://me.github.io/list/papers/first-paper.html">' in paper
    not_found = (small.out / "404.html").read_text()
    assert 'href="https://me.github.io/list/assets/style.css"' in not_found


def test_markdown_links_are_safe_and_nothing_loads_from_another_host(small: Site):
    small.build()
    path = small.paper_file("first-paper")
    path.write_text(
        path.read_text()
        + "[bad](javascript:alert(1)) ![pic](https://tracker.example/p.png) see https://github.com/me/code.\n"
        + '<img src="x" onerror="alert(1)">\n'
    )
    small.build()
    html = (small.out / "papers" / "first-paper.html").read_text()
    assert "javascript:" not in html and "<img" not in html and not re.search(r"<[^>]*onerror", html)
    assert '&lt;img src="x" onerror="alert(1)"&gt;' in html  # shown as text
    assert '<a href="https://tracker.example/p.png" rel="noopener">pic</a>' in html
    assert '<a href="https://github.com/me/code" rel="noopener">https://github.com/me/code</a>.' in html


def test_base_url_from_the_command_line_overrides_site_yaml(small: Site):
    result = small.cli("build", "--base-url", "https://me.github.io/other")
    assert result.returncode == 0, result.stderr
    assert 'href="https://me.github.io/other/index.html"' in (small.out / "404.html").read_text()
    result = small.cli("build", "--base-url", "me.github.io")
    assert result.returncode == 2 and "not an absolute http(s) URL" in result.stderr


def test_search_budget_warns_with_file_and_line(small: Site):
    small.write_config(small.config.read_text() + "search_budget_kb: 1\n")
    summary = small.build()
    (problem,) = summary.problems
    assert problem.path.endswith("site.yaml") and problem.line == 6
    assert "over the budget of 1 KB" in problem.message
    assert summary.search.gzip > 1024


def test_missing_lunrjs_stops_the_build_with_what_to_do(small: Site, monkeypatch: pytest.MonkeyPatch, tmp_path):
    small.build()
    before = (small.out / "index.html").read_bytes()
    monkeypatch.setattr("sitegen.search.LUNR_DIR", tmp_path / "nowhere")
    with pytest.raises(SitegenError, match=r"lunr.js is missing; run `npm ci`"):
        small.build()
    assert (small.out / "index.html").read_bytes() == before


@pytest.mark.parametrize(
    ("template", "message"),
    [
        ("line one\n{{ paper.no_such_key }}\n", "template error: UndefinedError"),
        ("line one\n{{ 1 / 0 }}\n", "template error: ZeroDivisionError"),
    ],
)
def test_template_error_at_render_time_names_file_and_line(small: Site, template: str, message: str):
    (small.root / "templates").mkdir()
    (small.root / "templates" / "paper.html").write_text(template)
    result = small.cli("build")
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert result.stderr.startswith(f"error: templates/paper.html:2: {message}"), result.stderr


def test_rendering_on_several_cores_gives_the_same_site_and_the_same_errors(small: Site, monkeypatch, tmp_path):
    small.build()
    sequential = {p.relative_to(small.out): p.read_bytes() for p in small.out.rglob("*") if p.is_file()}
    monkeypatch.setattr("sitegen.render.PAGES_PER_WORKER", 1)
    monkeypatch.setattr("sitegen.render.BATCH", 2)
    monkeypatch.setattr("os.cpu_count", lambda: 2)
    shutil.rmtree(small.root / ".sitegen-cache")
    small.build()
    assert {p.relative_to(small.out): p.read_bytes() for p in small.out.rglob("*") if p.is_file()} == sequential
    (small.root / "templates").mkdir()
    (small.root / "templates" / "topic.html").write_text("line one\n{{ 1 / 0 }}\n")
    with pytest.raises(SitegenError, match=r"templates/topic.html:2: template error: ZeroDivisionError"):
        small.build()


def test_a_folder_with_only_a_nojekyll_is_not_taken_for_a_site(small: Site):
    docs = small.root / "docs"
    docs.mkdir()
    (docs / ".nojekyll").write_text("")
    (docs / "guide.md").write_text("mine")
    result = small.cli("build", "--out", "docs")
    assert result.returncode == 1 and "was not written by sitegen" in result.stderr
    assert (docs / "guide.md").read_text() == "mine"


def test_a_symlinked_output_is_built_where_it_points(small: Site, tmp_path):
    target = tmp_path / "elsewhere"
    (small.root / "pub").symlink_to(target, target_is_directory=True)
    assert small.cli("build", "--out", "pub").returncode == 0
    assert (small.root / "pub").is_symlink() and (target / "index.html").exists()
    assert small.cli("build", "--out", "pub").returncode == 0


def test_check_takes_the_base_url_the_build_was_given(small: Site):
    assert small.cli("build", "--base-url", "https://me.github.io/rl/").returncode == 0
    assert small.cli("check", "--base-url", "https://me.github.io/rl/").returncode == 0


def test_an_abstract_is_shown_as_the_authors_wrote_it_with_its_urls_clickable(site: Site):
    abstract = (
        "# Not a heading: *stars* and <b>tags</b> stay text. " * 4
        + "Code at https://github.com/org/repo. See also (https://x.org/p?a=1&b=2)."
    )
    site.write_config("title: T\ntopics:\n  - title: All\n    dumps: [d.txt]\n")
    site.dump("d.txt", f"First Paper\n\n{abstract}\n")
    site.build()
    html = (site.out / "papers" / "first-paper.html").read_text()
    section = html[html.index('<div class="abstract">'):]
    section = section[:section.index("</div>")]
    assert "<h1>" not in section and "<em>" not in section and "<b>" not in section
    assert "# Not a heading: *stars* and &lt;b&gt;tags&lt;/b&gt; stay text." in section
    assert '<a href="https://github.com/org/repo" rel="noopener">https://github.com/org/repo</a>.' in section
    assert '<a href="https://x.org/p?a=1&amp;b=2" rel="noopener">https://x.org/p?a=1&amp;b=2</a>).' in section


def test_without_an_atomic_exchange_the_new_site_replaces_the_old_and_nothing_is_left_beside_it(
    small: Site, monkeypatch
):
    small.build()
    (small.out / "index.html").write_text("stale")
    monkeypatch.setattr("sitegen.publish._exchange", lambda first, second: False)
    small.build()
    assert "stale" not in (small.out / "index.html").read_text()
    assert [path.name for path in small.out.parent.iterdir() if path.name.startswith(f".{small.out.name}.")] == []


def test_a_site_asset_named_like_a_search_file_loses_to_the_generated_one(small: Site):
    (small.root / "templates" / "assets").mkdir(parents=True)
    (small.root / "templates" / "assets" / "search-store.js").write_text("mine")
    for _ in range(2):  # cold, then incremental
        small.build()
        assert (small.out / "assets" / "search-store.js").read_text().startswith("window.sitegenSearchStore")
