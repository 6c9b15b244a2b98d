"""Rebuilds: nothing changed means nothing written; any change gives what a cold build gives."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from conftest import Site, copy_sample, inputs_copy

THEME = Path(__file__).parent.parent / "templates"


def snapshot(folder: Path) -> dict[str, tuple[int, bytes]]:
    return {
        path.relative_to(folder).as_posix(): (path.stat().st_mtime_ns, path.read_bytes())
        for path in folder.rglob("*")
        if path.is_file() and ".sitegen-cache" not in path.parts
    }


def test_a_rebuild_with_nothing_changed_writes_nothing(tmp_path: Path):
    site = copy_sample(tmp_path / "site")
    first = site.build()
    before = snapshot(site.root)
    again = site.build()
    assert again.unchanged and again.pages == 0
    assert (again.papers, again.problems, again.notes) == (first.papers, first.problems, first.notes)
    assert snapshot(site.root) == before


def test_a_touched_or_deleted_output_file_is_rebuilt(tmp_path: Path):
    site = copy_sample(tmp_path / "site")
    site.build()
    (site.out / "index.html").write_text("broken")
    assert not site.build().unchanged
    assert "<!doctype html>" in (site.out / "index.html").read_text()
    (site.out / "papers.html").unlink()
    assert not site.build().unchanged and (site.out / "papers.html").exists()


def test_edits_give_exactly_what_a_cold_build_of_the_same_inputs_gives(tmp_path: Path):
    site = copy_sample(tmp_path / "site")
    site.build()
    notes = site.paper_file("data-filtering-networks")
    notes.write_text(notes.read_text() + "Read this one first.\n")
    assert not site.build().unchanged
    more = "".join(f"New Paper Number {n}\n\nAn abstract about diffusion number {n}. " * 1 + "\n\n" for n in range(10))
    site.dump("data-filtering.txt", (site.root / "content/dumps/data-filtering.txt").read_text() + "\n" + more)
    summary = site.build()
    assert summary.new == 10
    assert summary.pages < 70  # the new papers' pages, the lists they join and the papers they are related to: not 366
    assert_as_cold(site, tmp_path / "cold")


def assert_as_cold(site: Site, scratch: Path) -> None:
    """The site's output is, file for file and byte for byte, what a cold build of the same inputs gives."""
    cold = inputs_copy(site, scratch)
    cold.build()
    assert {k: v for k, (_, v) in snapshot(cold.out).items()} == {k: v for k, (_, v) in snapshot(site.out).items()}


RELATED = re.compile(rb'<ol class="related-list">.*?</ol>', re.S)


def test_a_notes_edit_rewrites_only_the_pages_that_show_the_paper(tmp_path: Path):
    """Its own page, and the pages whose related papers its new words change."""
    site = copy_sample(tmp_path / "site")
    site.build()
    before = snapshot(site.out)
    notes = site.paper_file("data-filtering-networks")
    notes.write_text(notes.read_text() + "Read this one first.\n")
    summary = site.build()
    after = snapshot(site.out)
    rewritten = {path for path in after if after[path][0] != before.get(path, (None,))[0]}
    assert "papers/data-filtering-networks.html" in rewritten
    assert "Read this one first." in (site.out / "papers/data-filtering-networks.html").read_text()
    pages = sorted(p for p in rewritten if p.endswith(".html"))
    assert summary.pages == len(pages) < 6
    for page in set(pages) - {"papers/data-filtering-networks.html"}:
        assert page.startswith("papers/")
        assert RELATED.sub(b"", before[page][1]) == RELATED.sub(b"", after[page][1])
        assert RELATED.findall(before[page][1]) != RELATED.findall(after[page][1])
    others = sorted(p for p in rewritten if not p.endswith(".html") and not p.startswith("."))  # the rest: carried over
    assert [re.sub(r"\d+", "N", p) for p in others] == ["assets/search-index-N.js", "assets/search-text-N.js"], others



def test_a_template_edit_renders_the_pages_that_load_it_and_an_asset_edit_none(tmp_path: Path):
    site = copy_sample(tmp_path / "site")
    site.build()
    theme = site.root / "templates"
    (theme / "assets").mkdir(parents=True)
    (theme / "assets" / "style.css").write_text((THEME / "assets/style.css").read_text() + "\n/* mine */\n")
    assert site.build().pages == 0
    assert (site.out / "assets/style.css").read_text().endswith("/* mine */\n")
    (theme / "macros.html").write_text((THEME / "macros.html").read_text() + "\n")
    before = snapshot(site.out)
    rendered = site.build().pages
    after = snapshot(site.out)
    rewritten = {path for path in after if path.endswith(".html") and after[path][0] != before[path][0]}
    assert rendered == len(rewritten) == len(list(site.out.rglob("*.html"))) - 2
    assert {"404.html", "search.html"}.isdisjoint(rewritten)  # their templates do not import macros.html
    (theme / "base.html").write_text((THEME / "base.html").read_text() + "\n")
    assert site.build().pages == len(list(site.out.rglob("*.html")))


def test_an_override_that_lists_notes_keeps_the_lists_current(tmp_path: Path):
    site = copy_sample(tmp_path / "site")
    theme = site.root / "templates"
    theme.mkdir()
    macros = (Path(__file__).parent.parent / "templates/macros.html").read_text()
    listed_with_notes = macros.replace("{{ paper.title }}</a>", "{{ paper.title }}</a> {{ paper.notes }}")
    (theme / "macros.html").write_text(listed_with_notes)
    site.build()
    notes = site.paper_file("data-filtering-networks")
    notes.write_text(notes.read_text() + "Read this one first.\n")
    site.build()
    assert "Read this one first." in (site.out / "papers.html").read_text()


def test_an_override_that_shows_other_papers_on_every_page_keeps_them_current(tmp_path: Path):
    site = copy_sample(tmp_path / "site")
    with_footer(site, "newest: {{ site.papers[0].title }}")
    site.build()
    site.paper_file("from-the-future").write_text("---\ntitle: From the future\ndate: 2030-01-01\n---\n")
    site.build()
    assert "newest: From the future" in (site.out / "papers" / "data-filtering-networks.html").read_text()


def test_an_edit_saved_while_a_build_runs_is_published_by_the_next(tmp_path: Path, monkeypatch):
    import sitegen.build

    site = copy_sample(tmp_path / "site")
    site.build()
    notes = site.paper_file("data-filtering-networks")
    original = sitegen.build.write_output

    def write_then_edit(*args, **kwargs):
        written = original(*args, **kwargs)
        notes.write_text(notes.read_text() + "Saved during the build.\n")
        return written

    monkeypatch.setattr(sitegen.build, "write_output", write_then_edit)
    (site.out / "index.html").write_text("stale")  # so that the build runs
    site.build()
    monkeypatch.setattr(sitegen.build, "write_output", original)
    assert not site.build().unchanged
    assert "Saved during the build." in (site.out / "papers/data-filtering-networks.html").read_text()
    assert site.build().unchanged


def test_templates_that_reach_the_site_through_aliases_macros_and_includes_stay_exact(tmp_path: Path):
    """What a page shows is what its render read, however the template got there."""
    site = copy_sample(tmp_path / "site")
    footer = '{% set s = site %}{% from "mine.html" import count %}newest: {{ s.papers[0].title }} {{ count(site) }}'
    theme = with_footer(site, footer + '{% include "extra.html" %}')
    (theme / "mine.html").write_text("{% macro count(any) %}{{ any.papers | length }} papers{% endmacro %}")
    (theme / "extra.html").write_text(
        "{% set t = site %}{% set first = t.by_slug.get('data-filtering-networks') %}"
        "{% if first %} first note: {{ first.notes | striptags | truncate(30) }}{% endif %}"
    )
    site.build()
    site.paper_file("from-the-future").write_text("---\ntitle: From the future\ndate: 2030-01-01\n---\n")
    notes = site.paper_file("data-filtering-networks")
    notes.write_text(notes.read_text() + "Read this one first.\n")
    site.build()
    page = (site.out / "papers" / "ul2-unifying-language-learning-paradigms.html").read_text()
    assert "newest: From the future 347 papers" in page and "first note: Read this one first." in page
    assert_as_cold(site, tmp_path / "cold")


def test_a_copy_of_the_whole_theme_renders_a_notes_edit_as_few_pages_as_the_theme_itself(tmp_path: Path):
    counts = []
    for copied in (False, True):
        site = copy_sample(tmp_path / f"site-{copied}")
        if copied:
            shutil.copytree(THEME, site.root / "templates")
        site.build()
        notes = site.paper_file("data-filtering-networks")
        notes.write_text(notes.read_text() + "Read this one first.\n")
        counts.append(site.build().pages)
        assert_as_cold(site, tmp_path / f"cold-{copied}")
    assert counts[0] == counts[1] < 6


def test_a_template_that_appears_where_an_include_looked_for_it_renders_its_pages_again(tmp_path: Path):
    """`{% include [a, b] %}` read both names: once `a` exists, the pages that looked for it show it."""
    site = copy_sample(tmp_path / "site")
    theme = with_footer(site, '{% include ["footer-mine.html", "footer-default.html"] %}')
    (theme / "footer-default.html").write_text("default footer")
    site.build()
    assert "default footer" in (site.out / "index.html").read_text()
    (theme / "footer-mine.html").write_text("my footer")
    assert site.build().pages == len(list(site.out.rglob("*.html")))
    assert "my footer" in (site.out / "search.html").read_text()
    (theme / "footer-mine.html").unlink()
    site.build()
    assert "default footer" in (site.out / "papers" / "data-filtering-networks.html").read_text()


def with_footer(site: Site, footer: str) -> Path:
    """The site's own templates/ with the theme's base.html, its footer text replaced by `footer`."""
    theme = site.root / "templates"
    theme.mkdir()
    (theme / "base.html").write_text((THEME / "base.html").read_text().replace("built with sitegen", footer))
    return theme
