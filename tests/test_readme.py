"""The README against the code: its configuration reference, its paper keys, its screenshots.

A key added to site.yaml's schema without documentation, or documented but gone, fails
here; so does an example that does not load, or one that loads and changes nothing.
"""

from __future__ import annotations

import dataclasses
import functools
import importlib.util
import re
import struct
import sys
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING

import yaml

from sitegen import store
from sitegen.config import SITE_KEYS, TOPIC_KEYS, SiteConfig, Topic, load_config
from sitegen.model import PaperPage, build_site

if TYPE_CHECKING:
    from playwright.sync_api import Browser

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
PLACEHOLDER = "Placeholder not used by any example"
MAX_PNG_BYTES = 150 * 1024


def reference_table(heading: str) -> dict[str, str]:
    """The rows of the table under the README heading `heading`: each `key` and its example (as YAML text)."""
    section = re.search(rf"^#+ {re.escape(heading)}\n(.*?)(?=^#)", README, re.MULTILINE | re.DOTALL)
    assert section, f"README has no section '{heading}'"
    lines = [line for line in section.group(1).splitlines() if line.startswith("|")]
    header = [cell.strip() for cell in lines[0].strip("|").split("|")]
    rows = {}
    for line in lines[2:]:
        cells = dict(zip(header, (cell.strip() for cell in line.strip("|").split("|")), strict=True))
        key, example = cells["key"].strip("`"), cells["example"]
        assert example.startswith("`") and example.endswith("`"), f"the example of '{key}' is not `code`"
        assert key not in rows, f"'{key}' is documented twice"
        rows[key] = example.strip("`")
    return rows


SITE_EXAMPLES = reference_table("site.yaml")
TOPIC_EXAMPLES = reference_table("A topic (an item of `topics`)")
PAPER_EXAMPLES = reference_table("A paper file (`content/papers/<slug>.md`)")


def load(folder: Path, text: str) -> SiteConfig:
    """site.yaml with `text` in `folder`, with every dump file it names."""
    dumps = folder / "content" / "dumps"
    dumps.mkdir(parents=True, exist_ok=True)
    for topic in yaml.safe_load(text).get("topics") or []:
        for name in topic.get("dumps") or []:
            (dumps / name).write_text("", encoding="utf-8")
    (folder / "site.yaml").write_text(text, encoding="utf-8")
    return load_config(folder / "site.yaml")


def topic_yaml(keys: dict[str, str]) -> str:
    """One item of `topics`, with these keys and values (YAML text)."""
    return "  - " + "    ".join(f"{key}: {value}\n" for key, value in keys.items())


def test_the_reference_lists_exactly_the_keys_site_yaml_accepts() -> None:
    assert set(SITE_EXAMPLES) == set(SITE_KEYS)
    assert set(TOPIC_EXAMPLES) == set(TOPIC_KEYS)


def test_each_site_example_loads_and_changes_the_config(tmp_path: Path) -> None:
    plain = load(tmp_path, f"title: {PLACEHOLDER}\n")
    for key, example in SITE_EXAMPLES.items():
        title = "" if key == "title" else f"title: {PLACEHOLDER}\n"
        assert load(tmp_path, f"{title}{key}: {example}\n") != plain, f"the example of '{key}' changes nothing"


def test_each_topic_example_loads_and_changes_the_topic(tmp_path: Path) -> None:
    def topic(keys: dict[str, str]) -> Topic:
        return load(tmp_path, f"title: Site\ntopics:\n{topic_yaml(keys)}").topics[0]

    plain = topic({"title": PLACEHOLDER})
    for key, example in TOPIC_EXAMPLES.items():
        assert topic({"title": PLACEHOLDER, key: example}) != plain, f"the example of '{key}' changes nothing"


def test_all_examples_load_together(tmp_path: Path) -> None:
    """A site.yaml made of every example: the site's keys, and a topic with every topic key."""
    site_keys = "".join(f"{key}: {example}\n" for key, example in SITE_EXAMPLES.items() if key != "topics")
    config = load(tmp_path, f"{site_keys}topics:\n{topic_yaml(TOPIC_EXAMPLES)}")
    assert [topic.title for topic in config.topics] == [yaml.safe_load(TOPIC_EXAMPLES["title"])]


def test_the_paper_keys_are_the_fields_a_paper_file_gives() -> None:
    """Every key of a paper's page that comes from its file is documented (the slug is the file's name)."""
    from_the_file = {field.name for field in dataclasses.fields(PaperPage)} - {"url", "notes"}
    assert set(PAPER_EXAMPLES) == from_the_file


def test_a_paper_file_made_of_the_examples_is_read_as_written(tmp_path: Path) -> None:
    examples = {key: yaml.safe_load(f"{key}: {example}")[key] for key, example in PAPER_EXAMPLES.items()}
    topics = "".join(topic_yaml({"title": slug, "slug": slug}) for slug in examples["topics"])
    config = load(tmp_path, f"title: Site\ntopics:\n{topics}")
    papers = tmp_path / "content" / "papers"
    papers.mkdir(parents=True)
    front_matter = "".join(f"{key}: {example}\n" for key, example in PAPER_EXAMPLES.items())
    (papers / f"{examples['slug']}.md").write_text(f"---\n{front_matter}---\nNotes.\n", encoding="utf-8")

    site = build_site(config, store.load(papers).documents, [])

    assert site.problems == ()
    (paper,) = site.papers
    for key, example in examples.items():
        value = getattr(paper, key)
        read = tuple(link.url for link in value) if key == "links" else value
        assert read == (tuple(example) if isinstance(example, list) else example), f"'{key}' is not read as written"


# ---------- screenshots ----------


@functools.cache
def screenshots_script() -> ModuleType:
    """docs/screenshots.py as a module (it is a script, not part of the package)."""
    spec = importlib.util.spec_from_file_location("screenshots", ROOT / "docs" / "screenshots.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclass looks its module up
    spec.loader.exec_module(module)
    return module


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path.name} is not a PNG"
    return struct.unpack(">II", data[16:24])


def test_the_readme_shows_every_screenshot_the_script_takes_and_each_is_in_docs() -> None:
    script = screenshots_script()
    linked = set(re.findall(r"docs/screenshots/([\w.-]+\.png)", README))
    assert linked == set(script.screenshot_names())
    for name in linked:
        assert (ROOT / "docs" / "screenshots" / name).is_file(), f"docs/screenshots/{name} is missing"


def test_the_committed_screenshots_are_small_and_of_their_screen() -> None:
    script = screenshots_script()
    screens = {screen.name: screen for screen in script.SCREENS}
    for name in script.screenshot_names():
        path = ROOT / "docs" / "screenshots" / name
        screen = screens[name.removesuffix(".png").rsplit("-", 1)[1]]
        assert png_size(path) == (screen.width, screen.height), name
        assert path.stat().st_size < MAX_PNG_BYTES, name


def test_the_script_takes_the_screenshots(tmp_path: Path, browser: Browser) -> None:
    """The whole script but the writing into docs/ (a build of the sample and twelve screenshots: seconds)."""
    script = screenshots_script()
    (tmp_path / "site").mkdir()
    site = script.build_sample(tmp_path / "site")
    written = script.take_screenshots(browser, site, tmp_path / "shots")

    assert sorted(path.name for path in written) == sorted(script.screenshot_names())
    for path in written:
        assert path.stat().st_size < MAX_PNG_BYTES, path.name
    for page in script.PAGES:
        for screen in script.SCREENS:
            light, dark = (tmp_path / "shots" / f"{page}-{scheme}-{screen.name}.png" for scheme in ("light", "dark"))
            assert light.read_bytes() != dark.read_bytes(), f"{page} on a {screen.name} is the same light and dark"
