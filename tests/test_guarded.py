"""The user's files are the truth: no edit is lost to a build or to `mark`, whenever it lands.

Each race is made certain with a hook at the moment it is about: an edit saved after
the build read the file and before it wrote it, one saved within the clock tick of
the build's write, a `mark` that starts while a build holds the lock.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from conftest import Site

import sitegen.build
import sitegen.store
from sitegen.lock import site_lock

CONFIG = "title: Guarded\ntopics:\n  - title: Alpha\n    dumps: [alpha.txt]\n"
LONG = "An abstract long enough to be taken for one, and nothing else besides. " * 4
NOTE = "My note, saved while sitegen ran.\n"


def dump(abstract: str = LONG) -> str:
    return "".join(f"{title}\n\n{abstract}\n\n" for title in ("First Paper", "Second Paper", "Third Paper"))


@pytest.fixture
def three(site: Site) -> Site:
    """A three-paper site whose next build refreshes every paper file (its dump changes)."""
    site.write_config(CONFIG)
    site.dump("alpha.txt", dump())
    site.build()
    site.dump("alpha.txt", dump("A changed abstract, which every paper file takes in. " * 4))
    return site


def meta(path: Path) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8").split("---\n")[1])


def page(site: Site, slug: str) -> str:
    return (site.out / "papers" / f"{slug}.html").read_text(encoding="utf-8")


def test_a_note_saved_after_the_build_read_the_file_is_kept_and_the_refresh_made_on_it(three: Site, monkeypatch):
    path = three.paper_file("first-paper")
    original = sitegen.build.build_site

    def save_a_note_then_go_on(*args, **kwargs):
        with path.open("a", encoding="utf-8") as file:  # after the file was read, before it is written
            file.write(NOTE)
        return original(*args, **kwargs)

    monkeypatch.setattr(sitegen.build, "build_site", save_a_note_then_go_on)
    three.build()
    monkeypatch.setattr(sitegen.build, "build_site", original)
    assert path.read_text().endswith("---\n" + NOTE)
    assert meta(path)["abstract"].startswith("A changed abstract")
    assert not three.build().unchanged  # the page was made from the text before the note
    assert NOTE.strip() in page(three, "first-paper")
    assert three.build().unchanged and path.read_text().endswith(NOTE)


def test_a_note_saved_while_the_file_is_being_written_is_kept(three: Site, monkeypatch):
    path = three.paper_file("second-paper")
    original = sitegen.store.tempfile.mkstemp
    saved = []

    def mkstemp_then_save_a_note(*args, **kwargs):
        made = original(*args, **kwargs)
        if not saved and kwargs.get("prefix") == ".second-paper.md.":
            saved.append(True)  # after the compare, before the rename
            with path.open("a", encoding="utf-8") as file:
                file.write(NOTE)
        return made

    monkeypatch.setattr(sitegen.store.tempfile, "mkstemp", mkstemp_then_save_a_note)
    three.build()
    assert saved and path.read_text().endswith("---\n" + NOTE)
    assert meta(path)["abstract"].startswith("A changed abstract")


def test_an_edit_in_the_same_clock_tick_as_the_builds_write_is_seen(three: Site, monkeypatch):
    """Same size, same inode, same modification time: only the bytes tell (a racily clean file)."""
    path = three.paper_file("third-paper")
    original = sitegen.store.Saving.__exit__

    def write_then_edit_in_place(self, *exception):
        original(self, *exception)
        status = path.stat()
        text = path.read_text()
        with path.open("r+", encoding="utf-8") as file:  # in place: the inode stays
            file.write(text.replace("title: Third Paper", "title: Third Papes", 1))
        os.utime(path, ns=(status.st_atime_ns, status.st_mtime_ns))

    monkeypatch.setattr(sitegen.store.Saving, "__exit__", write_then_edit_in_place)
    three.build()
    monkeypatch.setattr(sitegen.store.Saving, "__exit__", original)
    assert not three.build().unchanged
    assert "Third Papes" in page(three, "third-paper")


def test_a_file_emptied_while_an_editor_saves_it_keeps_its_paper(three: Site):
    path = three.paper_file("first-paper")
    kept = path.read_text() + NOTE
    path.write_text("")  # an editor truncates, then writes
    summary = three.build()
    assert path.read_text() == ""
    assert any(p.path.endswith("first-paper.md") and "empty" in p.message for p in summary.problems)
    assert sorted(p.name for p in path.parent.glob("*.md")) == ["first-paper.md", "second-paper.md", "third-paper.md"]
    path.write_text(kept)
    three.build()
    assert path.read_text().endswith("---\n" + NOTE) and meta(path)["abstract"].startswith("A changed abstract")
    assert sorted(p.name for p in path.parent.glob("*.md")) == ["first-paper.md", "second-paper.md", "third-paper.md"]


def test_a_hand_written_value_is_never_replaced_and_the_dumps_fill_only_what_it_lacks(site: Site):
    site.write_config(CONFIG)
    path = site.paper_file("first-paper")
    path.parent.mkdir(parents=True)
    hand = "---\ntitle: First paper\nabstract: My own summary.\ndate: 2023-04-05\nstatus: read\n---\nMy notes.\n"
    path.write_text(hand)
    site.dump("alpha.txt", dump())
    summary = site.build()
    values = meta(path)
    assert (values["abstract"], str(values["date"])) == ("My own summary.", "2023-04-05")
    assert values["title"] == "First paper"
    assert values["pinned"] == ["title", "date", "abstract"] and values["topics"] == ["alpha"]
    assert path.read_text().startswith(hand.split("---\nMy notes")[0]) and path.read_text().endswith("---\nMy notes.\n")
    (warning,) = [p for p in summary.problems if p.path.endswith("first-paper.md")]
    assert warning.line == 3 and "'abstract' was written by hand" in warning.message
    site.dump("alpha.txt", dump("Yet another abstract from the dumps, which must not win over the hand. " * 3))
    site.build()
    assert meta(path)["abstract"] == "My own summary." and "My own summary." in page(site, "first-paper")


@pytest.mark.parametrize("front_matter", [
    "  title: Indented Paper\n  status: read\n",
    "{title: Flow Paper, status: read}\n",
    "title: &t Anchored Paper\nalias: *t\n",
])
def test_mark_refuses_a_front_matter_it_cannot_splice_exactly_and_leaves_it_alone(site: Site, front_matter: str):
    site.write_config("title: T\n")
    path = site.paper_file("odd")
    path.parent.mkdir(parents=True)
    text = f"---\n# my comment\n{front_matter}---\nnotes\n"
    path.write_text(text)
    result = site.cli("mark", "odd", "--tag", "x")
    assert result.returncode == 1 and result.stderr.count("\n") == 1, result.stderr
    assert result.stderr.startswith("error: content/papers/odd.md: cannot change these keys")
    assert path.read_text() == text


def test_a_build_leaves_a_front_matter_it_cannot_splice_exactly_as_it_is(three: Site):
    path = three.paper_file("first-paper")
    values = meta(path)
    indented = "---\n" + "".join(f"  {line}\n" for line in yaml.safe_dump(values).splitlines()) + "---\nnotes\n"
    path.write_text(indented)
    summary = three.build()
    assert path.read_text() == indented
    assert any(p.path.endswith("first-paper.md") and "left as it is" in p.message for p in summary.problems)


def start_mark(site: Site, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "sitegen", "mark", *args], cwd=site.root, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def wait_until_waiting(process: subprocess.Popen[str]) -> None:
    assert process.stderr is not None
    assert "waiting for another sitegen command" in process.stderr.readline()


def test_two_marks_at_once_keep_both_tags(three: Site):
    with site_lock(three.root):  # both start, read nothing until they hold the lock, then take turns
        marks = [start_mark(three, "first-paper", "--tag", tag) for tag in ("one", "two")]
        for process in marks:
            wait_until_waiting(process)
    for process in marks:
        assert process.wait(timeout=60) == 0, process.communicate()
    assert sorted(meta(three.paper_file("first-paper"))["tags"]) == ["one", "two"]


def test_a_mark_during_a_refreshing_build_waits_and_keeps_both(three: Site, monkeypatch):
    path = three.paper_file("first-paper")
    original = sitegen.build.build_site
    marks = []

    def mark_while_building(*args, **kwargs):
        marks.append(start_mark(three, "first-paper", "--tag", "during"))
        wait_until_waiting(marks[0])  # it waits for the build's lock
        return original(*args, **kwargs)

    monkeypatch.setattr(sitegen.build, "build_site", mark_while_building)
    three.build()
    assert marks[0].wait(timeout=60) == 0, marks[0].communicate()
    assert meta(path)["tags"] == ["during"] and meta(path)["abstract"].startswith("A changed abstract")
