"""site.yaml → a frozen SiteConfig.

The file is checked against a small schema on the YAML node tree, so every message
can name the file and the line; a misspelled key gets the closest valid one.
"""

from __future__ import annotations

import datetime as dt
import difflib
import os
import re
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

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
    """Reads typed values off YAML nodes, raising ConfigError at the node's line."""

    def __init__(self, path: Path) -> None:
        self.name = display_path(path)

    def fail(self, node: yaml.Node, message: str) -> ConfigError:
        return ConfigError(message, self.name, node.start_mark.line + 1)

    def mapping(
        self, node: yaml.Node, what: str, allowed: tuple[str, ...], required: tuple[str, ...]
    ) -> dict[str, yaml.Node]:
        if not isinstance(node, yaml.MappingNode):
            raise self.fail(node, f"{what} must be a mapping of keys to values")
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
        for key in required:
            if key not in values:
                raise self.fail(node, f"{what} is missing the required key '{key}'")
        return values

    def string(self, node: yaml.Node, key: str, allow_empty: bool = True) -> str:
        if not isinstance(node, yaml.ScalarNode) or node.tag != "tag:yaml.org,2002:str":
            raise self.fail(node, f"'{key}' must be text")
        if not allow_empty and not node.value.strip():
            raise self.fail(node, f"'{key}' must not be empty")
        return node.value

    def strings(self, node: yaml.Node, key: str) -> tuple[str, ...]:
        if isinstance(node, yaml.ScalarNode) and node.tag == "tag:yaml.org,2002:null":
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


SITE_KEYS = ("title", "description", "base_url", "topics", "search_budget_kb")
TOPIC_KEYS = ("title", "slug", "description", "dumps", "keywords", "captured")


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

    site = check.mapping(root, "site.yaml", SITE_KEYS, required=("title",))
    base_url = None
    if "base_url" in site and not _is_null(site["base_url"]):
        base_url = normalize_base_url(check.string(site["base_url"], "base_url"))
        if base_url is None:
            raise check.fail(site["base_url"], "'base_url' must be an absolute http(s) URL")

    topics: list[Topic] = []
    topics_node = site.get("topics")
    if topics_node is not None and not _is_null(topics_node):
        if not isinstance(topics_node, yaml.SequenceNode):
            raise check.fail(topics_node, "'topics' must be a list of topics (each starting with '- title:')")
        for node in topics_node.value:
            topics.append(_topic(check, node, path.parent / "content" / "dumps", topics))

    budget = site.get("search_budget_kb")
    return SiteConfig(
        search_budget_kb=check.positive_int(budget, "search_budget_kb") if budget is not None else None,
        search_budget_line=budget.start_mark.line + 1 if budget is not None else 0,
        path=path,
        title=check.string(site["title"], "title", allow_empty=False),
        description=check.string(site["description"], "description") if "description" in site else "",
        base_url=base_url,
        topics=tuple(topics),
    )


def normalize_base_url(url: str) -> str | None:
    """The URL with exactly one trailing slash, or None if it is not an absolute http(s) URL."""
    if not re.fullmatch(r"https?://[^\s/]+(/\S*)?", url):
        return None
    return url.rstrip("/") + "/"


def _is_null(node: yaml.Node) -> bool:
    return isinstance(node, yaml.ScalarNode) and node.tag == "tag:yaml.org,2002:null"


def _topic(check: _Checker, node: yaml.Node, dumps_dir: Path, earlier: list[Topic]) -> Topic:
    keys = check.mapping(node, "a topic", TOPIC_KEYS, required=("title",))
    title = check.string(keys["title"], "title", allow_empty=False)
    if "slug" in keys:
        slug = check.string(keys["slug"], "slug")
        if not SLUG.fullmatch(slug):
            raise check.fail(keys["slug"], "'slug' may hold only a-z, 0-9 and single dashes")
    else:
        slug = slugify(title, fallback="topic")
    if any(topic.slug == slug for topic in earlier):
        raise check.fail(keys.get("slug", keys["title"]), f"two topics have the slug '{slug}'; give one a 'slug:'")

    dumps = check.strings(keys["dumps"], "dumps") if "dumps" in keys else ()
    for item in keys["dumps"].value if dumps else []:
        if "/" in item.value or "\\" in item.value or not (dumps_dir / item.value).is_file():
            raise check.fail(item, f"dump file '{item.value}' not found in {display_path(dumps_dir)}")
    captured = check.date(keys["captured"], "captured") if "captured" in keys else None
    for topic in earlier:
        shared = set(topic.dumps) & set(dumps)
        if captured and topic.captured and shared and _disagree(topic.captured, captured):
            raise check.fail(
                keys["captured"],
                f"topic '{topic.title}' gives dump '{min(shared)}' another capture date ({topic.captured})",
            )
    return Topic(
        slug=slug,
        title=title,
        description=check.string(keys["description"], "description") if "description" in keys else "",
        dumps=dumps,
        keywords=check.strings(keys["keywords"], "keywords") if "keywords" in keys else (),
        captured=captured,
    )


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

