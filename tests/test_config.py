"""Bad site.yaml: one message naming the file and line, exit status 1, never a traceback."""

from __future__ import annotations

import pytest
from conftest import Site

from sitegen.build import NO_FEEDS

GOOD_TOPIC = "  - title: Alpha\n    dumps: [a.txt]\n"


@pytest.mark.parametrize(
    ("config", "line", "message"),
    [
        ("titel: X\n", 1, "unknown key 'titel' in site.yaml; did you mean 'title'?"),
        ("title: X\ntopics:\n  - title: Alpha\n    dump: [a.txt]\n", 4, "did you mean 'dumps'?"),
        ("title: X\ntopics:\n  - title: Alpha\n    keywrds: [a]\n", 4, "did you mean 'keywords'?"),
        ("title: X\ndescription: [1, 2]\n", 2, "'description' must be text"),
        ("title: X\ntopics: alpha\n", 2, "'topics' must be a list"),
        ("title: X\ntopics:\n  - title: Alpha\n    dumps: a.txt\n", 4, "'dumps' must be a list"),
        ("title: X\ntopics:\n  - title: Alpha\n    dumps: [missing.txt]\n", 4, "dump file 'missing.txt' not found"),
        ("title: X\ntopics:\n" + GOOD_TOPIC + GOOD_TOPIC, 5, "two topics have the slug 'alpha'"),
        ("title: X\ntopics:\n  - title: A\n    slug: Bad Slug\n", 4, "'slug' may hold only"),
        ("title: X\ntopics:\n  - title: A\n    captured: last year\n", 4, "'captured' must be a date"),
        (
            "title: X\ntopics:\n" + GOOD_TOPIC + "    captured: 2025-11-13\n  - title: B\n    dumps: [a.txt]\n"
            "    captured: 2025-11-14\n",
            8,
            "topic 'Alpha' gives dump 'a.txt' another capture date (2025-11-13)",
        ),
        ("title: X\nbase_url: not a url\n", 2, "'base_url' must be an absolute http(s) URL"),
        ("title: X\ntitle: Y\n", 2, "key 'title' appears twice"),
        ("title: X\ntopics:\n  - title: A\n   dumps: [a.txt]\n", 4, "YAML syntax error"),
        ("title: 'unclosed\n", 2, "YAML syntax error"),
        ("description: no title\n", 1, "missing the required key 'title'"),
        ("- just\n- a list\n", 1, "must be a mapping"),
    ],
)
def test_bad_config_gives_one_clear_line_and_exit_1(site: Site, config: str, line: int, message: str):
    site.dump("a.txt", "T\n\nAbstract.\n")
    site.write_config(config)
    result = site.cli("build")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    (error,) = result.stderr.strip().splitlines()
    assert error.startswith(f"error: site.yaml:{line}: "), error
    assert message in error
    assert not site.out.exists()


def test_missing_and_empty_config(site: Site):
    result = site.cli("build")
    assert result.returncode == 1 and "site.yaml: config file not found" in result.stderr
    site.write_config("")
    result = site.cli("build")
    assert result.returncode == 1 and "site.yaml: the config file is empty" in result.stderr


def test_bad_usage_exits_2(site: Site):
    assert site.cli("biuld").returncode == 2
    assert site.cli("build", "--nope").returncode == 2


def test_good_config_builds_and_prints_one_summary_line(site: Site):
    abstract = "Abstract. " * 40
    site.dump("a.txt", f"new\n\nT\n\n{abstract}\n\n·\nOct 3\n\nU\n\n{abstract}\n\n·\nMay 1, 2021\n")
    site.dump("empty.txt", "")
    site.write_config("title: X\ntopics:\n" + GOOD_TOPIC)
    result = site.cli("build")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    assert lines[0] == (
        "note: content/dumps/a.txt: dates without a year use 2022 (inferred: the latest explicit year is 2021)"
    )
    assert lines[1] == f"note: {NO_FEEDS}"
    assert lines[2] == "warning: content/dumps/empty.txt: no papers found (empty or header-only dump)"
    assert lines[3].startswith("built _site/ from 2 dumps: 2 entries, 2 papers (0 duplicates merged); ")
    assert "paper files 2 new, 0 updated" in lines[3] and "1 warning;" in lines[3]
    assert len(lines) == 4
