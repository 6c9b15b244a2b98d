"""The dump parser: real sample dumps in each format, and every hazard of pasted text."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from sitegen.dumps import find_links, parse_dump

DUMPS = Path(__file__).resolve().parent.parent / "content" / "dumps"


def parse_sample(name: str):
    return parse_dump((DUMPS / name).read_bytes(), name)


def by_title(dump, title: str):
    matches = [entry for entry in dump.entries if entry.title == title]
    assert len(matches) == 1, f"{title!r} found {len(matches)} times"
    return matches[0]


def test_format_a_reads_authors_dates_and_upvotes():
    dump = parse_sample("pretrained-models.txt")
    assert len(dump.entries) == 88
    cafa = by_title(dump, "CAFA: Class-Aware Feature Alignment for Test-Time Adaptation")
    assert (cafa.authors, cafa.date, cafa.upvotes) == (6, dt.date(2022, 5, 31), None)
    assert cafa.abstract.startswith("Despite recent advancements in deep learning")
    assert cafa.abstract.endswith("consistently outperforms existing baselines.")
    backbones = by_title(
        dump, "Battle of the Backbones: A Large-Scale Comparison of Pretrained Models across Computer Vision Tasks"
    )
    assert (backbones.authors, backbones.date, backbones.upvotes) == (13, dt.date(2023, 10, 30), 1)


def test_format_a_dates_without_year_take_the_inferred_capture_year():
    dump = parse_sample("network-architectures.txt")
    assert dump.capture_year == 2025  # the latest explicit year in the dump is 2024
    assert dump.has_yearless_dates
    skip = by_title(dump, "Skip a Layer or Loop it? Test-Time Depth Adaptation of Pretrained LLMs")
    assert (skip.authors, skip.date, skip.upvotes) == (3, dt.date(2025, 7, 10), 14)


def test_format_a_links_come_from_the_abstract():
    dump = parse_sample("classification.txt")
    ulip2 = by_title(dump, "ULIP-2: Towards Scalable Multimodal Pre-training For 3D Understanding")
    assert ulip2.links == ("https://github.com/salesforce/ULIP",)  # the abstract has "...ULIP."
    assert (ulip2.authors, ulip2.date) == (10, dt.date(2023, 5, 14))


def test_format_b_title_glued_to_header_and_no_blank_lines():
    dump = parse_sample("self-supervised-pretraining.txt")
    assert len(dump.entries) == 119
    first = dump.entries[0]
    assert first.title == "A Large-Scale Analysis on Contextual Self-Supervised Video Representation Learning"
    assert first.abstract.startswith("Self-supervised learning has emerged")
    assert all(entry.date is None and entry.authors is None for entry in dump.entries)
    assert not dump.problems


def test_format_c_title_abstract_pairs():
    dump = parse_sample("data-filtering.txt")
    assert len(dump.entries) == 69
    assert dump.entries[0].title == "Data Filtering Networks"
    assert dump.entries[1].title == "CNN Filter DB: An Empirical Investigation of Trained Convolutional Filters"
    assert dump.entries[1].links == ("https://github.com/paulgavrikov/cnn-filter-db",)
    assert not dump.problems


def test_every_sample_entry_has_a_short_title_and_a_long_abstract():
    for path in sorted(DUMPS.glob("*.txt")):
        dump = parse_dump(path.read_bytes(), path.name)
        assert not dump.problems, dump.problems
        for entry in dump.entries:
            assert 0 < len(entry.title) < 200 and len(entry.abstract) > 300, entry.title


HAZARDS = (
    "\ufeffnew\r\n\r\nGet trending papers in your email inbox!\r\n\r\nSubscribe\r\n\r\nDaily Papers\r\n\r\n"
    "byAK and the research community\r\n\r\nNov 13\r\n\r\n"
    "A\u00a0Title\twith   odd\u2009spaces\r\n\r\n\r\n\r\n"
    "We propose X.\u00a0Code: https://github.com/a/b.\r\n\r\n"
    "  \u2022 6 authors\r\n\u00b7\r\nOct 30, 2023 1\r\n\r\n"
    "Second Paper\r\n\r\nIts abstract (see https://example.org/p_(x)).\r\n\r\n"
    "\t\u2022 1 author\r\n\u00b7\r\nMay 21 2\r\n"
)


def test_crlf_bom_nbsp_tabs_and_blank_runs():
    dump = parse_dump(HAZARDS.encode(), "h.txt")
    first, second = dump.entries
    assert first.title == "A Title with odd spaces"
    assert first.abstract == "We propose X. Code: https://github.com/a/b."
    assert (first.authors, first.date, first.upvotes) == (6, dt.date(2023, 10, 30), 1)
    assert first.links == ("https://github.com/a/b",)
    assert second.title == "Second Paper"
    assert second.links == ("https://example.org/p_(x)",)
    # "May 21 2": no year, so the capture year (latest explicit 2023, plus one); 2 upvotes.
    assert (second.authors, second.date, second.upvotes) == (1, dt.date(2024, 5, 21), 2)
    assert not dump.problems


def test_old_mac_line_endings():
    dump = parse_dump(b"One\rFirst abstract.\r\rTwo\rSecond abstract.\r", "cr.txt")
    assert [(e.title, e.abstract) for e in dump.entries] == [
        ("One", "First abstract."),
        ("Two", "Second abstract."),
    ]


def test_page_pasted_twice_gives_each_entry_twice_for_the_merge_to_join():
    page = "new\n\nDaily Papers\n\nNov 13\n\nT1\n\nA1\n\nT2\n\nA2\n\n  • 3 authors\n·\nOct 31, 2023\n"
    dump = parse_dump(page + page, "twice.txt")
    assert [e.title for e in dump.entries] == ["T1", "T2", "T1", "T2"]
    assert dump.entries[3].date == dt.date(2023, 10, 31)
    assert dump.entries[2].date is None  # the header line closed the paper: "Nov 13" is the page's date


def test_bytes_that_are_not_utf8_are_replaced_and_reported_with_their_line():
    dump = parse_dump("Title one\n\nabstract\n\nCaf\xe9 paper\n\nabstract \xe9\n".encode("latin-1"), "l1.txt")
    assert [e.title for e in dump.entries] == ["Title one", "Caf\ufffd paper"]
    assert [(p.path, p.line) for p in dump.problems] == [("l1.txt", 5), ("l1.txt", 7)]
    assert all("UTF-8" in p.message for p in dump.problems)


def test_utf16_with_bom_is_read():
    dump = parse_dump("Títle\n\nAbstract.\n".encode("utf-16"), "u16.txt")
    assert [(e.title, e.abstract) for e in dump.entries] == [("Títle", "Abstract.")]


@pytest.mark.parametrize("text", ["", "\n\n\r\n", "\ufeff", "new\n\nSubscribe\n\nDaily Papers\n\nNov 13\n"])
def test_empty_or_header_only_dump_gives_no_papers_and_a_warning(text: str):
    dump = parse_dump(text.encode(), "empty.txt")
    assert dump.entries == ()
    assert [p.message for p in dump.problems] == ["no papers found (empty or header-only dump)"]


def test_paper_without_abstract_is_kept_and_reported():
    long_abstract = "word " * 100
    text = f"T1\n\n{long_abstract}\n\nT2\n\nT3\n\n{long_abstract}\n"
    dump = parse_dump(text, "gap.txt")
    assert [(e.title, bool(e.abstract)) for e in dump.entries] == [("T1", True), ("T2", False), ("T3", True)]
    assert [(p.line, p.message) for p in dump.problems] == [(5, "paper has no abstract")]


def test_abstract_without_title_is_skipped_and_reported():
    long_abstract = "word " * 100
    dump = parse_dump(f"T1\n\nabstract one\n\n·\nMay 1, 2022\n\n{long_abstract}\n\nT2\n\nabstract two\n", "x.txt")
    assert [e.title for e in dump.entries] == ["T1", "T2"]
    assert [(p.line, p.message) for p in dump.problems] == [(8, "text without a title skipped")]


def test_impossible_date_leaves_the_paper_undated_with_a_warning():
    dump = parse_dump("T\n\nA\n\n·\nFeb 30, 2023\n", "d.txt")
    assert dump.entries[0].date is None
    assert dump.problems[0].line == 6


def test_captured_year_from_config_wins_and_build_year_is_last_resort():
    text = "T\n\nA\n\n·\nMar 3\n\nU\n\nB\n\n·\nJan 2, 2019\n"
    assert parse_dump(text, "c.txt", captured=2022).entries[0].date == dt.date(2022, 3, 3)
    assert parse_dump(text, "c.txt").entries[0].date == dt.date(2020, 3, 3)
    only_yearless = parse_dump("T\n\nA\n\n·\nMar 3\n", "c.txt", build_year=2031)
    assert only_yearless.entries[0].date == dt.date(2031, 3, 3)
    assert "build" in only_yearless.capture_year_reason


@pytest.mark.parametrize(
    "text",
    ["\x00\x01\x02", "·\n•\n· 3 authors\nOct 99, 2020 1", "\ud800 lone surrogate", "x" * 100_000, "Subscribe" * 50],
)
def test_never_raises_and_every_title_is_non_empty(text: str):
    dump = parse_dump(text, "junk.txt")
    assert all(entry.title.strip() for entry in dump.entries)


def test_links_keep_balanced_parentheses_and_drop_trailing_punctuation():
    text = "See https://a.org/x, (https://b.org/y) and https://c.org/w_(z). Also http://d.org/."
    assert find_links(text) == ("https://a.org/x", "https://b.org/y", "https://c.org/w_(z)", "http://d.org/")
    assert find_links("javascript:alert(1) ftp://x.org https:// https://a.org/x https://a.org/x") == (
        "https://a.org/x",
    )


def test_windows_1252_metadata_still_reads_as_metadata():
    text = "Alpha\n\nAbstract a.\n\n  • 3 authors\n·\nOct 30, 2023 1\n\nBeta\n\nAbstract b.\n"
    dump = parse_dump(text.encode("cp1252"), "w.txt")
    assert [(e.title, e.authors, e.date, e.upvotes) for e in dump.entries] == [
        ("Alpha", 3, dt.date(2023, 10, 30), 1),
        ("Beta", None, None, None),
    ]
    assert {p.line for p in dump.problems} == {5, 6}


@pytest.mark.parametrize("glued", ["SubscribemPLUG-Owl: Modularization", "Subscribe\u00a0mPLUG-Owl: Modularization"])
def test_header_glued_to_any_title_is_split(glued: str):
    dump = parse_dump(f"Get trending papers in your email inbox!\n{glued}\nWe propose it.\n", "g.txt")
    assert [e.title for e in dump.entries] == ["mPLUG-Owl: Modularization"]


def test_a_bare_date_is_the_pages_not_the_papers():
    dump = parse_dump("Alpha\n\nAbstract a.\n\nNov 13\n\nBeta\n\nAbstract b.\n\n·\nMay 2, 2022\n", "p.txt")
    assert [(e.title, e.date) for e in dump.entries] == [("Alpha", None), ("Beta", dt.date(2022, 5, 2))]


HEADER = "new\n\nGet trending papers in your email inbox!\n\nSubscribe\n\nDaily Papers\n\n"


def upvoted(title: str, count: int, date: str = "Oct 30, 2023") -> str:
    return f"{title}\n\nThe abstract of {title}.\n\n  • 2 authors\n·\n{date} {count}\n\n"


def test_upvotes_are_as_of_the_date_of_the_page_they_were_on():
    text = HEADER + "Nov 13\n\n" + upvoted("Alpha", 42) + "Beta\n\nNo upvotes shown.\n\n  • 1 author\n·\nMay 2, 2022\n"
    dump = parse_dump(text, "a.txt", build_year=2031)
    assert [(e.title, e.upvotes, e.upvotes_as_of) for e in dump.entries] == [
        ("Alpha", 42, dt.date(2024, 11, 13)),  # the year the dump was captured: the latest explicit year plus one
        ("Beta", None, None),  # no upvotes, no date for them
    ]
    assert dump.has_yearless_dates  # so the build says which year "Nov 13" took


def test_each_pasted_page_gives_its_own_date_and_a_page_without_one_gives_none():
    second = HEADER + "Nov 14, 2024\n\n" + upvoted("Beta", 5)
    undated = HEADER + upvoted("Gamma", 7)
    dump = parse_dump(HEADER + "Nov 13\n\n" + upvoted("Alpha", 3) + second + undated, "pages.txt", build_year=2031)
    assert [(e.title, e.upvotes_as_of) for e in dump.entries] == [
        ("Alpha", dt.date(2024, 11, 13)),
        ("Beta", dt.date(2024, 11, 14)),
        ("Gamma", None),  # another page began, and it shows no date: nothing is made up
    ]


def test_a_date_between_papers_starts_a_page():
    dump = parse_dump(upvoted("Alpha", 3) + "Nov 13, 2024\n\n" + upvoted("Beta", 5), "mid.txt")
    assert [e.upvotes_as_of for e in dump.entries] == [None, dt.date(2024, 11, 13)]


def test_a_paper_date_line_without_its_dot_is_not_taken_for_the_pages_date():
    """`May 4, 2022 12` carries upvotes: a paper's date whose `·` line is missing, not the page's."""
    text = HEADER + "Nov 13, 2025\n\nAlpha\n\nAbstract a.\n\nMay 4, 2022 12\n\n" + upvoted("Beta", 7, "May 5, 2022")
    dump = parse_dump(text, "nodot.txt")
    assert dump.entries[-1].title == "Beta"
    assert dump.entries[-1].upvotes_as_of is None


def test_a_dump_without_a_page_date_has_upvotes_without_a_date():
    dump = parse_dump(HEADER + upvoted("Alpha", 42), "nodate.txt")
    assert (dump.entries[0].upvotes, dump.entries[0].upvotes_as_of) == (42, None)


def test_the_day_from_site_yaml_is_when_every_upvote_was_counted():
    text = HEADER + "Nov 13\n\n" + upvoted("Alpha", 42) + HEADER + upvoted("Beta", 1, "May 2")
    day = parse_dump(text, "c.txt", captured=dt.date(2025, 1, 20))
    assert [e.upvotes_as_of for e in day.entries] == [dt.date(2025, 1, 20)] * 2
    assert day.entries[1].date == dt.date(2025, 5, 2)  # its year, as before
    year_only = parse_dump(text, "c.txt", captured=2022)
    assert [e.upvotes_as_of for e in year_only.entries] == [dt.date(2022, 11, 13), None]  # no day is made up


def test_an_impossible_page_date_is_reported_once_and_dates_nothing():
    dump = parse_dump(HEADER + "Feb 30, 2023\n\n" + upvoted("Alpha", 3) + upvoted("Beta", 4), "bad.txt")
    assert [e.upvotes_as_of for e in dump.entries] == [None, None]
    assert [(p.line, p.message) for p in dump.problems] == [
        (9, "not a real date; upvotes under it are left without a date")
    ]


def test_upvotes_in_the_sample_are_as_of_its_page_date():
    dump = parse_sample("pretrained-models.txt")  # "Nov 13" heads the page; the dump shows years up to 2024
    backbones = by_title(
        dump, "Battle of the Backbones: A Large-Scale Comparison of Pretrained Models across Computer Vision Tasks"
    )
    assert (backbones.upvotes, backbones.upvotes_as_of) == (1, dt.date(2025, 11, 13))
    assert {e.upvotes_as_of for e in dump.entries if e.upvotes is not None} == {dt.date(2025, 11, 13)}


def test_links_end_before_unicode_punctuation():
    assert find_links("Code: “https://github.com/a/b”. See https://x.org/y。 or https://z.org/p…") == (
        "https://github.com/a/b",
        "https://x.org/y",
        "https://z.org/p",
    )


def test_a_binary_file_is_skipped_with_one_warning():
    data = bytes(range(256)) * 2000
    dump = parse_dump(data, "photo.txt")
    assert dump.entries == ()
    (problem,) = dump.problems
    assert problem.message.startswith("not a text dump")
