"""site.yaml → a frozen SiteConfig.

The file is checked on the YAML node tree, so every message can name the file and the
line. One table per mapping, SITE_SCHEMA and TOPIC_SCHEMA, says which keys there are,
how each value is read and what it defaults to: it alone decides which keys are
accepted, which one a misspelled key is told it meant, and what the README must list.
"""

from __future__ import annotations

import datetime as dt
import difflib
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import yaml

from .errors import ConfigError
from .text import slugify

SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")


@dataclass(frozen=True)
class Topic:
    slug: str
    title: str
    description: str
    dumps: tuple[str, ...]
    keywords: tuple[str, ...]
    captured: dt.date | int | None  # when its dumps were saved: the day, or only the year


@dataclass(frozen=True)
class SiteConfig:
    path: Path
    title: str
    description: str
    base_url: str | None
    topics: tuple[Topic, ...]
    search_budget_kb: int | None = None
    search_budget_line: int = 0

    @cached_property
    def root(self) -> Path:
        """The directory of site.yaml: every path in the config is relative to it."""
        return self.path.parent

    @cached_property
    def dumps_dir(self) -> Path:
        return self.root / "content" / "dumps"

    @cached_property
    def papers_dir(self) -> Path:
        return self.root / "content" / "papers"

    @cached_property
    def topics_dir(self) -> Path:
        return self.root / "content" / "topics"

    @cached_property
    def templates_dir(self) -> Path:
        """A site's own templates, which override the default theme's."""
        return self.root / "templates"


def display_path(path: Path) -> str:
    """The path as the user would type it: relative to the working directory if inside it."""
    try:
        relative = os.path.relpath(path)
    except ValueError:
        return str(path)
    return str(path) if relative.startswith("..") else relative


class _Checker:
    """Reads typed values off YAML nodes, raising ConfigError at the node's line.

    Each reader takes the node and the key's name, as a Key's `read` does.
    """

    def __init__(self, path: Path) -> None:
        self.name = display_path(path)
        self.dumps_dir = path.parent / "content" / "dumps"

    def fail(self, node: yaml.Node, message: str) -> ConfigError:
        return ConfigError(message, self.name, node.start_mark.line + 1)

    def mapping(self, node: yaml.Node, what: str, schema: tuple[Key, ...]) -> dict[str, yaml.Node]:
        """The value node of each key, once every key is known, none twice and the required ones there."""
        if not isinstance(node, yaml.MappingNode):
            raise self.fail(node, f"{what} must be a mapping of keys to values")
        allowed = [key.name for key in schema]
        values: dict[str, yaml.Node] = {}
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else None
            if key not in allowed:
                close = difflib.get_close_matches(str(key), allowed, n=1)
                hint = f"; did you mean '{close[0]}'?" if close else f"; valid keys: {', '.join(allowed)}"
                raise self.fail(key_node, f"unknown key '{key}' in {what}{hint}")
            if key in values:
                raise self.fail(key_node, f"key '{key}' appears twice in {what}")
            values[key] = value_node
        for key in schema:
            if key.required and key.name not in values:
                raise self.fail(node, f"{what} is missing the required key '{key.name}'")
        return values

    def section(
        self, node: yaml.Node, what: str, schema: tuple[Key, ...]
    ) -> tuple[dict[str, Any], dict[str, yaml.Node]]:
        """Each key of the schema with its value (read, or its default), and the nodes of the keys given."""
        nodes = self.mapping(node, what, schema)
        values = {key.name: key.read(self, nodes[key.name], key.name) if key.name in nodes else key.default
                  for key in schema}
        return values, nodes

    def string(self, node: yaml.Node, key: str, allow_empty: bool = True) -> str:
        if not isinstance(node, yaml.ScalarNode) or node.tag != "tag:yaml.org,2002:str":
            raise self.fail(node, f"'{key}' must be text")
        if not allow_empty and not node.value.strip():
            raise self.fail(node, f"'{key}' must not be empty")
        return node.value

    def text(self, node: yaml.Node, key: str) -> str:
        return self.string(node, key, allow_empty=False)

    def strings(self, node: yaml.Node, key: str) -> tuple[str, ...]:
        if _is_null(node):
            return ()
        if not isinstance(node, yaml.SequenceNode):
            raise self.fail(node, f"'{key}' must be a list, e.g. {key}: [first, second]")
        return tuple(self.string(item, key, allow_empty=False) for item in node.value)

    def positive_int(self, node: yaml.Node, key: str) -> int:
        if not isinstance(node, yaml.ScalarNode) or node.tag != "tag:yaml.org,2002:int" or int(node.value) <= 0:
            raise self.fail(node, f"'{key}' must be a whole number above 0")
        return int(node.value)

    def date(self, node: yaml.Node, key: str) -> dt.date | int:
        """A day (YYYY-MM-DD), or only a year (YYYY) as a number: no day is made up for it."""
        if isinstance(node, yaml.ScalarNode):
            value = yaml.SafeLoader.construct_scalar(yaml.SafeLoader(""), node)
            if node.tag == "tag:yaml.org,2002:timestamp" or re.fullmatch(r"\d{4}-\d\d-\d\d", value):
                try:
                    return dt.date.fromisoformat(value[:10])
                except ValueError:
                    pass
            if re.fullmatch(r"\d{4}", value):
                return int(value)
        raise self.fail(node, f"'{key}' must be a date (YYYY-MM-DD) or a year")

    def base_url(self, node: yaml.Node, key: str) -> str | None:
        if _is_null(node):
            return None
        url = normalize_base_url(self.string(node, key))
        if url is None:
            raise self.fail(node, f"'{key}' must be an absolute http(s) URL")
        return url

    def slug(self, node: yaml.Node, key: str) -> str:
        slug = self.string(node, key)
        if not SLUG.fullmatch(slug):
            raise self.fail(node, f"'{key}' may hold only a-z, 0-9 and single dashes")
        return slug

    def dump_files(self, node: yaml.Node, key: str) -> tuple[str, ...]:
        names = self.strings(node, key)
        for item in node.value if names else []:
            if "/" in item.value or "\\" in item.value or not (self.dumps_dir / item.value).is_file():
                raise self.fail(item, f"dump file '{item.value}' not found in {display_path(self.dumps_dir)}")
        return names

    def topics(self, node: yaml.Node, key: str) -> tuple[Topic, ...]:
        if _is_null(node):
            return ()
        if not isinstance(node, yaml.SequenceNode):
            raise self.fail(node, f"'{key}' must be a list of topics (each starting with '- title:')")
        topics: list[Topic] = []
        for item in node.value:
            topics.append(_topic(self, item, topics))
        return tuple(topics)


@dataclass(frozen=True)
class Key:
    """A key of site.yaml, or of a topic: how its value is read, and what the README's reference says of it."""

    name: str  # also the name of the SiteConfig or Topic field it fills
    read: Callable[[_Checker, yaml.Node, str], Any]  # the value, checked; ConfigError at its line if it is wrong
    kind: str  # the README's "type" for it
    required: bool = False
    default: Any = None  # the value when the key is absent


# The keys site.yaml accepts, in the README's order. Only these are accepted, only these are
# suggested for a misspelled key, and the README documents exactly these (tests/test_docs.py).
SITE_SCHEMA = (
    Key("title", _Checker.text, "text", required=True),
    Key("description", _Checker.string, "text", default=""),
    Key("base_url", _Checker.base_url, "absolute http(s) URL"),
    Key("topics", _Checker.topics, "list of topics", default=()),
    Key("search_budget_kb", _Checker.positive_int, "whole number above 0"),
)
TOPIC_SCHEMA = (
    Key("title", _Checker.text, "text", required=True),
    Key("slug", _Checker.slug, "a-z, 0-9 and single dashes"),  # None: made from the title
    Key("description", _Checker.string, "text", default=""),
    Key("dumps", _Checker.dump_files, "list of file names in `content/dumps/`", default=()),
    Key("keywords", _Checker.strings, "list of words or phrases", default=()),
    Key("captured", _Checker.date, "date (YYYY-MM-DD) or year"),
)
SITE_KEYS = tuple(key.name for key in SITE_SCHEMA)
TOPIC_KEYS = tuple(key.name for key in TOPIC_SCHEMA)


def load_config(path: Path) -> SiteConfig:
    """Read and check site.yaml; raise ConfigError naming the file and line."""
    check = _Checker(path)
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except FileNotFoundError:
        raise ConfigError("config file not found (use --config to name another)", check.name) from None
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(f"cannot read the config file: {error}", check.name) from None
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark else 0
        raise ConfigError(f"YAML syntax error: {error.problem}", check.name, line) from None
    if root is None:
        raise ConfigError("the config file is empty; it needs at least 'title'", check.name)

    values, nodes = check.section(root, "site.yaml", SITE_SCHEMA)
    budget = nodes.get("search_budget_kb")
    return SiteConfig(path=path, search_budget_line=budget.start_mark.line + 1 if budget is not None else 0, **values)


def normalize_base_url(url: str) -> str | None:
    """The URL with exactly one trailing slash, or None if it is not an absolute http(s) URL."""
    if not re.fullmatch(r"https?://[^\s/]+(/\S*)?", url):
        return None
    return url.rstrip("/") + "/"


def _is_null(node: yaml.Node) -> bool:
    return isinstance(node, yaml.ScalarNode) and node.tag == "tag:yaml.org,2002:null"


def _topic(check: _Checker, node: yaml.Node, earlier: list[Topic]) -> Topic:
    """One topic: its keys, then what it must agree on with the topics before it."""
    values, nodes = check.section(node, "a topic", TOPIC_SCHEMA)
    if values["slug"] is None:
        values["slug"] = slugify(values["title"], fallback="topic")
    slug = values["slug"]
    if any(topic.slug == slug for topic in earlier):
        raise check.fail(nodes.get("slug", nodes["title"]), f"two topics have the slug '{slug}'; give one a 'slug:'")
    captured = values["captured"]
    for topic in earlier:
        shared = set(topic.dumps) & set(values["dumps"])
        if captured and topic.captured and shared and _disagree(topic.captured, captured):
            raise check.fail(
                nodes["captured"],
                f"topic '{topic.title}' gives dump '{min(shared)}' another capture date ({topic.captured})",
            )
    return Topic(**values)


def _year(captured: dt.date | int) -> int:
    return captured.year if isinstance(captured, dt.date) else captured


def _disagree(one: dt.date | int, other: dt.date | int) -> bool:
    """Two capture dates that cannot both be right: other years, or other days."""
    both_days = isinstance(one, dt.date) and isinstance(other, dt.date)
    return _year(one) != _year(other) or (both_days and one != other)


def capture_dates(config: SiteConfig) -> dict[str, dt.date | int]:
    """When site.yaml says each dump was saved (through the topics that list it): the day if given, else the year."""
    dates: dict[str, dt.date | int] = {}
    for topic in config.topics:
        if topic.captured:
            for name in topic.dumps:
                if not isinstance(dates.get(name), dt.date):
                    dates[name] = topic.captured
    return dates


def dump_topics(config: SiteConfig) -> dict[str, tuple[str, ...]]:
    """Topic slugs by dump file name, in config order."""
    topics: dict[str, tuple[str, ...]] = {}
    for topic in config.topics:
        for name in topic.dumps:
            topics[name] = topics.get(name, ()) + (topic.slug,)
    return topics

