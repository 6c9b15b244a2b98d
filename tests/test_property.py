"""Incremental ≡ cold: after any sequence of edits, a rebuild gives what a cold build of the same inputs gives.

Hypothesis draws sequences of the edits a user makes (notes, every user key, `mark`,
dumps and their papers, topics, keywords, `captured:`, base_url, the site's title,
template and asset overrides with aliases and macros, paper files deleted or written
by hand); after each, the site is rebuilt and compared, byte for byte in `_site/` and
`content/`, with a cold build of a copy of its inputs. `make test` runs a fixed set of
examples (derandomised, so it never flakes); SITEGEN_PROPERTY_EXAMPLES=500 explores more.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import yaml
from conftest import Site, inputs_copy
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sitegen.build import Session
from sitegen.mark import mark

THEME = Path(__file__).parent.parent / "templates"
WORDS = ("diffusion", "data", "filtering", "language", "vision", "robots", "sparse", "attention", "graphs", "music")
EXAMPLES = int(os.environ.get("SITEGEN_PROPERTY_EXAMPLES", "12"))


def words(data: st.DataObject, least: int = 3) -> str:
    return " ".join(data.draw(st.lists(st.sampled_from(WORDS), min_size=least, max_size=12)))


def paper_entry(title: str, abstract: str) -> str:
    return f"{title}\n\n{abstract} " + "and more words to make it an abstract. " * 3 + "\n\n"


class Edited:
    """A site and the inputs it is made of, which the edits change."""

    def __init__(self, root: Path) -> None:
        self.site = Site(root)
        self.config = {
            "title": "Property",
            "topics": [{"title": "Alpha", "dumps": ["alpha.txt"]},
                       {"title": "Beta", "dumps": ["beta.txt"], "keywords": ["diffusion"]}],
        }
        self.dumps = {"alpha.txt": ["Alpha Paper One", "Alpha Paper Two", "Shared Paper"],
                      "beta.txt": ["Beta Paper One", "Shared Paper"]}
        self.abstracts: dict[str, str] = {}
        self.counter = 0
        self.write()

    def write(self) -> None:
        self.site.write_config(yaml.safe_dump(self.config, sort_keys=False))
        folder = self.site.root / "content" / "dumps"
        for old in folder.glob("*.txt"):
            if old.name not in self.dumps:
                old.unlink()
        for name, titles in self.dumps.items():
            self.site.dump(name, "".join(paper_entry(t, self.abstracts.get(t, f"About {t.lower()}.")) for t in titles))

    def paper_files(self) -> list[Path]:
        return sorted((self.site.root / "content" / "papers").glob("*.md"))

    def fresh_title(self) -> str:
        self.counter += 1
        return f"Paper Number {self.counter}"


def some_paper(edited: Edited, data: st.DataObject) -> Path:
    files = edited.paper_files()
    if not files:  # every file deleted: one written by hand
        written_by_hand(edited, data)
        files = edited.paper_files()
    return data.draw(st.sampled_from(files))


def notes(edited: Edited, data: st.DataObject) -> None:
    path = some_paper(edited, data)
    path.write_text(path.read_text(encoding="utf-8") + words(data) + "\n", encoding="utf-8")


USER_VALUES = {
    "status": st.sampled_from(["to-read", "reading", "read", "skipped"]),
    "rating": st.integers(1, 5).map(str),
    "tags": st.lists(st.sampled_from(["clip", "llm", "LLM", "robots"]), max_size=3).map(lambda t: f"[{', '.join(t)}]"),
    "arxiv": st.sampled_from(["'2309.17425'", "'2401.00001'"]),
    "my_own_key": st.sampled_from(["yes", "no"]),
}


def user_key(edited: Edited, data: st.DataObject) -> None:
    path = some_paper(edited, data)
    key = data.draw(st.sampled_from(sorted(USER_VALUES)))
    _, head, body = path.read_text(encoding="utf-8").split("---\n", 2)
    lines = [line for line in head.splitlines(keepends=True) if not line.startswith(f"{key}:")]
    if data.draw(st.booleans()):
        lines.append(f"{key}: {data.draw(USER_VALUES[key])}\n")
    path.write_text("---\n" + "".join(lines) + "---\n" + body, encoding="utf-8")


def marked(edited: Edited, data: st.DataObject) -> None:
    slug = some_paper(edited, data).stem
    status = data.draw(st.sampled_from([None, "read", "reading"]))
    mark(edited.site.config, slug, status=status, tag=tuple(data.draw(st.lists(st.sampled_from(["clip", "new"]),
                                                                                  max_size=2))))


def dump_paper_added(edited: Edited, data: st.DataObject) -> None:
    titles = edited.dumps[data.draw(st.sampled_from(sorted(edited.dumps)))]
    titles.insert(data.draw(st.integers(0, len(titles))), edited.fresh_title())
    edited.write()


def abstract_changed(edited: Edited, data: st.DataObject) -> None:
    title = data.draw(st.sampled_from(sorted({t for titles in edited.dumps.values() for t in titles})))
    edited.abstracts[title] = words(data)
    edited.write()


def dump_paper_removed(edited: Edited, data: st.DataObject) -> None:
    titles = edited.dumps[data.draw(st.sampled_from(sorted(edited.dumps)))]
    if len(titles) > 1:
        titles.pop(data.draw(st.integers(0, len(titles) - 1)))
    edited.write()


def topic_added(edited: Edited, data: st.DataObject) -> None:
    name = f"gamma-{edited.fresh_title().split()[-1]}.txt"
    edited.dumps[name] = [edited.fresh_title(), data.draw(st.sampled_from(["Shared Paper", "Alpha Paper One"]))]
    edited.config["topics"].append({"title": f"Topic {name[:-4]}", "dumps": [name]})
    edited.write()


def topic_renamed(edited: Edited, data: st.DataObject) -> None:
    topic = data.draw(st.sampled_from(edited.config["topics"]))
    topic["title"] = f"{topic['title'].split(' (')[0]} ({words(data, 1)})"
    if data.draw(st.booleans()):
        topic["slug"] = topic["title"].split(" (")[0].lower().replace(" ", "-")  # a title change keeps the page
    edited.write()


def topic_removed(edited: Edited, data: st.DataObject) -> None:
    if len(edited.config["topics"]) > 1:
        topic = edited.config["topics"].pop(data.draw(st.integers(0, len(edited.config["topics"]) - 1)))
        for name in topic["dumps"]:
            edited.dumps.pop(name, None)
    edited.write()


def keywords(edited: Edited, data: st.DataObject) -> None:
    topic = data.draw(st.sampled_from(edited.config["topics"]))
    topic["keywords"] = data.draw(st.lists(st.sampled_from(WORDS), max_size=2))
    edited.write()


def captured(edited: Edited, data: st.DataObject) -> None:
    topic = data.draw(st.sampled_from(edited.config["topics"]))
    topic["captured"] = data.draw(st.sampled_from(["2024-03-01", "2025-11-13", 2023]))
    edited.write()


def site_settings(edited: Edited, data: st.DataObject) -> None:
    edited.config["title"] = f"Property {words(data, 1)}"
    if data.draw(st.booleans()):
        edited.config["base_url"] = "https://example.org/list/"
    else:
        edited.config.pop("base_url", None)
    edited.write()


OVERRIDES = {
    "base.html": lambda text: text.replace(
        "built with sitegen", '{% set s = site %}newest: {{ s.papers[0].title }} ({{ s.papers | length }})'
    ),
    "macros.html": lambda text: text.replace(
        "{{ paper.title }}</a>", "{{ paper.title }}</a> {{ paper.notes | truncate(20) }}"
    ),
    "paper.html": lambda text: text.replace(
        "{% block content %}", '{% block content %}{% from "mine.html" import first %}{{ first(site) }}', 1
    ),
}


def template_override(edited: Edited, data: st.DataObject) -> None:
    folder = edited.site.root / "templates"
    name = data.draw(st.sampled_from([*OVERRIDES, "assets/style.css", None]))
    if name is None:
        shutil.rmtree(folder, ignore_errors=True)
        return
    (folder / "assets").mkdir(parents=True, exist_ok=True)
    (folder / "mine.html").write_text("{% macro first(any) %}{% set f = any.papers | first %}"
                                      "first: {{ f.title }} {{ f.status or '' }}{% endmacro %}")
    if name.endswith(".css"):
        (folder / name).write_text((THEME / name).read_text() + f"\n/* {words(data, 1)} */\n")
    else:
        (folder / name).write_text(OVERRIDES[name]((THEME / name).read_text()))


def paper_file_deleted(edited: Edited, data: st.DataObject) -> None:
    some_paper(edited, data).unlink()


def written_by_hand(edited: Edited, data: st.DataObject) -> None:
    title = data.draw(st.sampled_from(["Hand Written Paper", "Shared Paper", "Alpha Paper Two"]))
    slug = data.draw(st.sampled_from(["hand-written", "mine"]))
    date = data.draw(st.sampled_from(["2020-01-02", "2031-05-06"]))
    text = f"---\ntitle: {title}\ndate: {date}\nabstract: {words(data)}\n---\n{words(data)}\n"
    (edited.site.root / "content" / "papers" / f"{slug}.md").write_text(text, encoding="utf-8")


EDITS = [notes, user_key, marked, dump_paper_added, abstract_changed, dump_paper_removed, topic_added,
         topic_renamed, topic_removed, keywords, captured, site_settings, template_override, paper_file_deleted,
         written_by_hand]


def tree(folder: Path) -> dict[str, bytes]:
    return {path.relative_to(folder).as_posix(): path.read_bytes() for path in folder.rglob("*") if path.is_file()}


def differing(folder: Path, cold: Path) -> list[str]:
    """The files that are not the same in both folders (or are in only one)."""
    mine, theirs = tree(folder), tree(cold)
    return sorted(name for name in mine.keys() | theirs.keys() if mine.get(name) != theirs.get(name))


@settings(max_examples=EXAMPLES, deadline=None, derandomize="SITEGEN_PROPERTY_EXAMPLES" not in os.environ,
          suppress_health_check=[HealthCheck.too_slow], database=None)
@given(st.data())
def test_any_sequence_of_edits_builds_what_a_cold_build_gives(data: st.DataObject) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        edited = Edited(Path(scratch) / "site")
        for _ in range(data.draw(st.integers(0, 2), label="overrides to start with")):
            template_override(edited, data)
        serving = Session()  # as `serve` builds: its caches stay in memory between builds
        edited.site.build(serving)
        for step in range(data.draw(st.integers(1, 5), label="edits")):
            edit = data.draw(st.sampled_from(EDITS), label=f"edit {step}")
            edit(edited, data)
            cold = inputs_copy(edited.site, Path(scratch) / f"cold-{step}")
            edited.site.build(serving if data.draw(st.booleans(), label="as serve builds") else None)
            cold.build()
            for folder in ("_site", "content"):
                assert differing(edited.site.root / folder, cold.root / folder) == [], f"after {edit.__name__}"
