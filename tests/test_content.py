"""The Markdown layer: machine keys refreshed, the user's keys and notes kept byte for byte."""

from __future__ import annotations

import datetime as dt

import pytest
import yaml
from conftest import Site

CONFIG = """title: Test list
topics:
  - title: Alpha
    dumps: [alpha.txt]
  - title: Beta
    dumps: [beta.txt]
  - title: Gamma rays
    slug: gamma
    keywords: [gamma, "x-ray"]
"""

LONG = "This abstract is long enough to be an abstract and nothing else. " * 6


def paper(title: str, abstract: str = LONG, meta: str = "") -> str:
    return f"{title}\n\n{abstract}\n\n{meta}\n"


def meta_of(path) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8").split("---\n")[1])


@pytest.fixture
def listing(site: Site) -> Site:
    site.write_config(CONFIG)
    site.dump("alpha.txt", paper("Shared Paper", meta="  • 3 authors\n·\nMay 4, 2022 7") + paper("Alpha Only"))
    site.dump("beta.txt", paper("Shared paper.") + paper("Beta about X-Ray vision"))
    site.build()
    return site


def test_front_matter_has_exactly_the_machine_keys_and_an_empty_body(listing: Site):
    text = listing.paper_file("shared-paper").read_text()
    assert text.endswith("---\n") and text.count("---\n") == 2
    assert list(meta_of(listing.paper_file("shared-paper"))) == [
        "title", "slug", "date", "authors", "upvotes", "upvotes_as_of", "links", "topics", "sources", "abstract",
        "added",
    ]


def test_same_paper_in_two_dumps_is_one_file_with_both_topics(listing: Site):
    papers = sorted(p.name for p in (listing.root / "content" / "papers").glob("*.md"))
    assert papers == ["alpha-only.md", "beta-about-x-ray-vision.md", "shared-paper.md"]
    meta = meta_of(listing.paper_file("shared-paper"))
    assert meta["topics"] == ["alpha", "beta"]
    assert meta["sources"] == ["alpha.txt", "beta.txt"]
    assert (meta["date"], meta["authors"], meta["upvotes"]) == (dt.date(2022, 5, 4), 3, 7)
    assert meta_of(listing.paper_file("beta-about-x-ray-vision"))["topics"] == ["beta", "gamma"]


def page_of(date: str, title: str, upvotes: int) -> str:
    """A Daily Papers page headed by its date, showing one paper with its upvotes."""
    return f"Daily Papers\n\n{date}\n\n" + paper(title, meta=f"  • 2 authors\n·\nMay 4, 2022 {upvotes}")


UPVOTED_PAGES = [page_of("Nov 13, 2024", "Shared", 7), page_of("Nov 1, 2024", "Shared", 12),
                 page_of("Dec 1, 2024", "Shared", 12)]


@pytest.mark.parametrize("turn", range(len(UPVOTED_PAGES)))
def test_upvotes_are_the_most_any_dump_shows_as_of_that_dumps_day_whatever_the_files_are_called(
    site: Site, turn: int
):
    names = ["a.txt", "b.txt", "c.txt"]
    site.write_config("title: T\ntopics:\n  - title: All\n    dumps: [a.txt, b.txt, c.txt]\n")
    for name, text in zip(names, UPVOTED_PAGES[turn:] + UPVOTED_PAGES[:turn], strict=True):
        site.dump(name, text)
    site.build()
    meta = meta_of(site.paper_file("shared"))
    assert (meta["upvotes"], meta["upvotes_as_of"]) == (12, dt.date(2024, 12, 1))  # of two twelves, the later
    assert "upvotes_as_of: 2024-12-01\n" in site.paper_file("shared").read_text()  # a YAML date, unquoted


@pytest.mark.parametrize(("captured", "as_of"), [("2025-01-20", dt.date(2025, 1, 20)), ("2025", dt.date(2025, 11, 13))])
def test_the_day_site_yaml_gives_wins_over_the_page_date(site: Site, captured: str, as_of: dt.date):
    site.write_config(f"title: T\ntopics:\n  - title: All\n    dumps: [d.txt]\n    captured: {captured}\n")
    site.dump("d.txt", page_of("Nov 13", "Counted", 42))
    site.build()
    assert meta_of(site.paper_file("counted"))["upvotes_as_of"] == as_of  # a year alone gives the page date its year
    html = (site.out / "papers" / "counted.html").read_text()
    assert f'42 upvotes as of <time datetime="{as_of.isoformat()}">' in html


def test_a_file_from_before_gets_the_day_after_its_upvotes_and_nothing_else_changes(site: Site):
    site.write_config("title: T\ntopics:\n  - title: All\n    dumps: [d.txt]\n")
    site.dump("d.txt", page_of("Nov 13, 2024", "Counted", 42))
    site.build()
    path = site.paper_file("counted")
    current = path.read_text()
    assert "\nupvotes: 42\nupvotes_as_of: 2024-11-13\nlinks: []\n" in current
    older = annotate_text(current.replace("upvotes_as_of: 2024-11-13\n", ""))
    path.write_text(older)
    site.build()
    assert path.read_text() == older.replace("upvotes: 42\n", "upvotes: 42\nupvotes_as_of: 2024-11-13\n")


def test_a_bad_upvotes_date_is_a_warning_with_its_line_and_the_upvotes_still_show(site: Site):
    site.write_config("title: T\n")
    path = site.paper_file("mine")
    path.parent.mkdir(parents=True)
    path.write_text("---\ntitle: Mine\nupvotes: 42\nupvotes_as_of: last week\n---\n")
    summary = site.build()
    assert [(p.line, p.message) for p in summary.problems if p.path.endswith("mine.md")] == [
        (4, "'upvotes_as_of' must be YYYY-MM-DD, not 'last week'; ignored")
    ]
    html = (site.out / "papers" / "mine.html").read_text()
    assert "▲ 42 upvotes</span>" in html and "as of" not in html


HOSTILE = [
    'He said "hi": it\'s a test --- really',
    "---",
    "...",
    "null",
    "- not a list",
    "# not a comment",
    "key: value",
    "2022-01-01",
    "yes",
    "{{ config }} {% if x %}",
    "<script>alert(1)</script> & <b>bold</b>",
    "*stars* and [a link](javascript:alert(1))",
    "Emoji 🧠 and math 𝐱 and ﬁ ligature",
    "\u202eright-to-left override",
    "trailing backslash \\",
    "'single' \"double\" `back`",
]


@pytest.mark.parametrize("title", HOSTILE)
def test_hostile_titles_round_trip_through_yaml_and_are_escaped_in_html(site: Site, title: str):
    site.write_config("title: T\ntopics:\n  - title: All\n    dumps: [d.txt]\n")
    site.dump("d.txt", paper(title, abstract=f"Abstract with {title} inside. <i>raw</i>"))
    site.build()
    (path,) = (site.root / "content" / "papers").glob("*.md")
    meta = meta_of(path)
    assert meta["title"] == title.replace("\u202e", "")  # direction overrides are dropped by the parser
    html = (site.out / "papers" / f"{path.stem}.html").read_text()
    assert "<script>alert" not in html and "<b>bold" not in html and "<i>raw" not in html
    assert "&lt;i&gt;raw&lt;/i&gt;" in html  # raw HTML in an abstract shows as text
    assert 'href="javascript' not in html


NOTES = "My notes with **bold**, a <tag>, trailing spaces   \n\n---\nnot front matter\n\n\n"
USER_KEYS = "# my own comment\nstatus: read   # finished it\nrating: 4\ntags: [ml, 'data']\n"


def annotate(path) -> str:
    """Add user keys in the middle of the front matter and notes in the body, as a user would."""
    text = annotate_text(path.read_text())
    path.write_bytes(text.encode())
    return text


def annotate_text(text: str) -> str:
    return text.replace("upvotes:", USER_KEYS + "upvotes:", 1) + NOTES


def test_user_keys_and_notes_survive_a_rebuild_byte_for_byte(listing: Site):
    path = listing.paper_file("shared-paper")
    annotated = annotate(path)
    listing.build()
    assert path.read_text() == annotated
    html = (listing.out / "papers" / "shared-paper.html").read_text()
    assert "<strong>bold</strong>" in html and "&lt;tag&gt;" in html
    assert ">read<" in html and "Rating: 4" in html and "#ml" in html


def test_changed_abstract_and_date_refresh_only_the_machine_keys(listing: Site):
    path = listing.paper_file("shared-paper")
    annotated = annotate(path)
    listing.dump("alpha.txt", paper("Shared Paper", abstract="A new abstract. " * 30, meta="·\nJun 1, 2023"))
    listing.build()
    text = path.read_text()
    assert USER_KEYS in text and text.endswith("---\n" + NOTES)
    meta = meta_of(path)
    assert meta["abstract"].startswith("A new abstract.") and meta["date"] == dt.date(2023, 6, 1)
    assert (meta["status"], meta["rating"], meta["tags"]) == ("read", 4, ["ml", "data"])
    assert text != annotated


def test_vanished_paper_keeps_its_file_and_page(listing: Site):
    path = listing.paper_file("alpha-only")
    annotate(path)
    before = path.read_bytes()
    listing.dump("alpha.txt", paper("Shared Paper", meta="  • 3 authors\n·\nMay 4, 2022 7"))
    listing.build()
    assert path.read_bytes() == before
    assert (listing.out / "papers" / "alpha-only.html").exists()


def test_slugs_stay_the_same_when_colliding_papers_are_added(listing: Site):
    before = {p.name: p.read_bytes() for p in (listing.root / "content" / "papers").glob("*.md")}
    # "Shared Paper!" has a new identity but the same slug as "Shared Paper", and sorts first.
    listing.dump("beta.txt", paper("Shared paper.") + paper("Beta about X-Ray vision") + paper("Shared Paper!"))
    listing.dump("gamma.txt", paper("A Gamma Paper"))
    listing.build()
    after = {p.name: p.read_bytes() for p in (listing.root / "content" / "papers").glob("*.md")}
    assert {name: after[name] for name in before} == before
    new = sorted(set(after) - set(before))
    assert len(new) == 2 and "a-gamma-paper.md" in new
    (collided,) = [name for name in new if name != "a-gamma-paper.md"]
    assert collided.startswith("shared-paper-")
    assert meta_of(listing.paper_file(collided.removesuffix(".md")))["title"] == "Shared Paper!"


def test_collisions_are_resolved_from_titles_not_input_order(tmp_path):
    def slugs(order: list[str]) -> dict[str, str]:
        site = Site(tmp_path / "-".join(str(len(t)) for t in order))
        site.write_config("title: T\n")
        for index, title in enumerate(order):
            site.dump(f"{index}.txt", paper(title))
        site.build()
        return {meta_of(p)["title"]: p.stem for p in (site.root / "content" / "papers").glob("*.md")}

    titles = ["Go Wider!", "Go wider?", "Go Wider: Part 2"]
    assert slugs(titles) == slugs(list(reversed(titles)))


def test_topic_introduction_is_kept_and_shown(listing: Site):
    path = listing.root / "content" / "topics" / "alpha.md"
    assert meta_of(path)["papers"] == ["shared-paper", "alpha-only"]
    path.write_text(path.read_text() + "Why I collect *these* papers.\n")
    before = path.read_bytes()
    listing.build()
    assert path.read_bytes() == before
    assert "Why I collect <em>these</em> papers." in (listing.out / "topics" / "alpha.html").read_text()


def test_hand_written_paper_is_published(listing: Site):
    path = listing.paper_file("my-own-find")
    path.write_text("---\ntitle: My own find\ndate: 2024-02-03\ntopics: [beta]\n---\nRead this *soon*.\n")
    before = path.read_bytes()
    listing.build()
    assert path.read_bytes() == before
    html = (listing.out / "papers" / "my-own-find.html").read_text()
    assert "My own find" in html and "<em>soon</em>" in html
    assert "my-own-find.html" in (listing.out / "topics" / "beta.html").read_text()


@pytest.mark.parametrize(
    "broken",
    ["---\ntitle: [unclosed\n---\nnotes\n", "---\ntitle: no closing line\nnotes\n", "---\n- a list\n---\n"],
)
def test_broken_front_matter_is_reported_and_never_rewritten(listing: Site, broken: str):
    path = listing.paper_file("shared-paper")
    path.write_text(broken)
    summary = listing.build()
    assert path.read_text() == broken
    assert any(p.path.endswith("shared-paper.md") for p in summary.problems)
    assert not list((listing.root / "content" / "papers").glob("shared-paper-*.md"))  # no second copy


@pytest.mark.parametrize("value", ["reviewed: 2024-13-01", "count: !!int abc"])
def test_impossible_values_are_reported_with_their_line_and_never_rewritten(listing: Site, value: str):
    path = listing.paper_file("shared-paper")
    text = path.read_text().replace("upvotes:", f"{value}\nupvotes:", 1)
    path.write_text(text)
    summary = listing.build()
    assert path.read_text() == text
    (problem,) = [p for p in summary.problems if "YAML cannot read" in p.message]
    assert problem.path.endswith("shared-paper.md")
    assert problem.line == text.splitlines().index(value) + 1


def test_tab_in_user_key_and_crlf_survive_a_refresh(listing: Site):
    path = listing.paper_file("shared-paper")
    text = path.read_text().replace("upvotes:", "status:\tread\nupvotes:", 1).replace("\n", "\r\n") + "Notes\r\n"
    path.write_bytes(text.encode())
    listing.dump("alpha.txt", paper("Shared Paper", abstract="A changed abstract. " * 20))
    listing.build()
    after = path.read_bytes().decode()
    assert "status:\tread\r\n" in after and after.endswith("---\r\nNotes\r\n")
    assert "\n" not in after.replace("\r\n", "")
    assert meta_of_text(after)["abstract"].startswith("A changed abstract.")


def meta_of_text(text: str) -> dict:
    return yaml.safe_load(text.replace("\r\n", "\n").split("---\n")[1].replace("\t", " "))


def test_a_new_paper_never_gets_a_second_file_beside_a_broken_one(listing: Site):
    listing.dump("beta.txt", paper("Shared paper.") + paper("Beta about X-Ray vision") + paper("Shared Paper!"))
    listing.build()
    (collided,) = (listing.root / "content" / "papers").glob("shared-paper-*.md")
    collided.write_text("---\ntitle: [broken\n---\n")
    summary = listing.build()
    names = {p.name for p in (listing.root / "content" / "papers").glob("shared-paper*.md")}
    assert names == {"shared-paper.md", collided.name}
    assert any("waits until this file is repaired" in p.message for p in summary.problems)


def test_renaming_a_dump_keeps_the_papers_files_and_notes(listing: Site):
    path = listing.paper_file("alpha-only")
    annotated = annotate(path)
    (listing.root / "content" / "dumps" / "alpha.txt").rename(listing.root / "content" / "dumps" / "first.txt")
    listing.write_config(CONFIG.replace("[alpha.txt]", "[first.txt]"))
    listing.build()
    text = path.read_text()
    assert text.endswith(NOTES) and USER_KEYS in text
    assert meta_of(path)["sources"] == ["first.txt"]
    assert text.replace("- first.txt", "- alpha.txt") == annotated


def test_rewritten_files_keep_their_permissions(listing: Site):
    path = listing.paper_file("shared-paper")
    path.chmod(0o664)
    listing.dump("alpha.txt", paper("Shared Paper", abstract="Changed again. " * 30))
    listing.build()
    assert path.stat().st_mode & 0o777 == 0o664
    assert listing.paper_file("alpha-only").stat().st_mode & 0o777 == 0o644  # new files: the umask's default


def test_lists_of_words_are_written_exactly_as_the_yaml_library_writes_them():
    import random

    import yaml

    from sitegen.store import Dumper, dump_yaml

    words = ["a", "1", "1.5", "yes", "Off", "null", "x-y", "a.b", "1e5", "0x1f", "1_000", "2024-01-02", "~", "NaN",
             "010", "a" * 100, "+1", "data-filtering.txt"]
    rng = random.Random(5)
    for _ in range(2000):
        pool = rng.choice([words, ["a", "x-y", "a.b", "slug-2024", "data-filtering.txt"]])  # plain: written directly
        values = {rng.choice(["papers", "1", "yes"]): [rng.choice(pool) for _ in range(rng.choice([0, 3, 25, 40]))]}
        written = dump_yaml(values)
        assert written == yaml.dump(values, Dumper=Dumper, allow_unicode=True, sort_keys=False,
                                    default_flow_style=False)
        assert yaml.safe_load(written) == values
