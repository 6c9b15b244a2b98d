"""Bad site.yaml: one message naming the file and line, exit status 1, never a traceback."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from conftest import Site

from sitegen.build import NO_FEEDS
from sitegen.config import SITE_SCHEMA, TOPIC_SCHEMA, SiteConfig, Topic, load_config
from sitegen.errors import ConfigError

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


# ---------- the schema: one table per mapping drives what is accepted and suggested ----------


def config_error(folder: Path, text: str) -> str:
    (folder / "site.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as raised:
        load_config(folder / "site.yaml")
    return str(raised.value)


@pytest.mark.parametrize("key", [key.name for key in SITE_SCHEMA])
def test_a_site_key_misspelled_is_told_its_name(tmp_path: Path, key: str):
    assert f"unknown key '{key[:-1]}' in site.yaml; did you mean '{key}'?" in config_error(
        tmp_path, f"title: X\n{key[:-1]}: 1\n"
    )


@pytest.mark.parametrize("key", [key.name for key in TOPIC_SCHEMA])
def test_a_topic_key_misspelled_is_told_its_name(tmp_path: Path, key: str):
    assert f"unknown key '{key[:-1]}' in a topic; did you mean '{key}'?" in config_error(
        tmp_path, f"title: X\ntopics:\n  - title: A\n    {key[:-1]}: 1\n"
    )


def test_a_key_far_from_every_other_is_told_the_valid_ones(tmp_path: Path):
    valid = ", ".join(key.name for key in SITE_SCHEMA)
    assert config_error(tmp_path, "title: X\nzzz: 1\n").endswith(f"unknown key 'zzz' in site.yaml; valid keys: {valid}")


def test_the_required_keys_are_the_schemas(tmp_path: Path):
    assert [key.name for key in SITE_SCHEMA if key.required] == ["title"]
    assert [key.name for key in TOPIC_SCHEMA if key.required] == ["title"]
    assert "a topic is missing the required key 'title'" in config_error(tmp_path, "title: X\ntopics:\n  - slug: a\n")


def test_each_key_fills_the_field_of_its_name_and_an_absent_one_its_default(tmp_path: Path):
    assert {field.name for field in dataclasses.fields(SiteConfig)} == {key.name for key in SITE_SCHEMA} | {
        "path",
        "search_budget_line",
    }
    assert {field.name for field in dataclasses.fields(Topic)} == {key.name for key in TOPIC_SCHEMA}
    (tmp_path / "site.yaml").write_text("title: X\ntopics:\n  - title: Alpha Beta\n", encoding="utf-8")
    config = load_config(tmp_path / "site.yaml")
    for key in SITE_SCHEMA:
        if not key.required and key.name != "topics":
            assert getattr(config, key.name) == key.default, key.name
    (topic,) = config.topics
    for key in TOPIC_SCHEMA:
        if not key.required and key.name != "slug":
            assert getattr(topic, key.name) == key.default, key.name
    assert topic.slug == "alpha-beta"  # the slug's default is made from the title
