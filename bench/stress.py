"""Races between sitegen and a user's editor, tried many times with delays spread over the build.

tests/test_guarded.py makes each race certain with a hook; this loops the real thing
(separate processes, random delays, optionally with both cores kept busy) and counts
what was lost. Every count must be 0.

    .venv/bin/python bench/stress.py [--tries N] [--load]
"""

from __future__ import annotations

import argparse
import multiprocessing
import random
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import yaml

CONFIG = "title: Stress\ntopics:\n  - title: Alpha\n    dumps: [alpha.txt]\n"
TITLES = ("First Paper", "Second Paper", "Third Paper")
SLUGS = ("first-paper", "second-paper", "third-paper")


class Site:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.round = 0
        (root / "content" / "dumps").mkdir(parents=True)
        (root / "site.yaml").write_text(CONFIG, encoding="utf-8")
        self.change_dump()
        self.run("build")

    def change_dump(self) -> None:
        """A new abstract for every paper, so that the next build rewrites every paper file."""
        self.round += 1
        abstract = f"Abstract of round {self.round}, long enough to be taken for an abstract. " * 3
        text = "".join(f"{title}\n\n{abstract}\n\n" for title in TITLES)
        (self.root / "content" / "dumps" / "alpha.txt").write_text(text, encoding="utf-8")

    def start(self, *args: str) -> subprocess.Popen[str]:
        command = [sys.executable, "-m", "sitegen", *args]
        return subprocess.Popen(command, cwd=self.root, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def run(self, *args: str) -> None:
        process = self.start(*args)
        out, err = process.communicate(timeout=300)
        if process.returncode:
            raise SystemExit(f"sitegen {' '.join(args)} failed:\n{out}{err}")

    def paper(self, slug: str) -> Path:
        return self.root / "content" / "papers" / f"{slug}.md"

    def page(self, slug: str) -> str:
        return (self.root / "_site" / "papers" / f"{slug}.html").read_text(encoding="utf-8")

    def paper_files(self) -> list[str]:
        return sorted(path.name for path in (self.root / "content" / "papers").glob("*.md"))


def append(path: Path, note: str) -> None:
    with path.open("a", encoding="utf-8") as file:
        file.write(f"\n{note}\n")


def tags(path: Path) -> list[str]:
    return yaml.safe_load(path.read_text(encoding="utf-8").split("---\n")[1]).get("tags") or []


def while_building(site: Site, delay: float, edit: Callable[[], None]) -> None:
    site.change_dump()
    build = site.start("build")
    time.sleep(delay)
    edit()
    out, err = build.communicate(timeout=300)
    if build.returncode:
        raise SystemExit(f"the build failed:\n{out}{err}")


def note_during_a_build(site: Site, delay: float, n: int) -> bool:
    """A: a note appended while a refreshing build runs is in the file, then on the page."""
    slug, note = random.choice(SLUGS), f"Note A{n}, saved during a build."
    while_building(site, delay, lambda: append(site.paper(slug), note))
    kept = note in site.paper(slug).read_text(encoding="utf-8")
    site.run("build")
    return kept and note in site.page(slug) and note in site.paper(slug).read_text(encoding="utf-8")


def note_right_after_a_build(site: Site, delay: float, n: int) -> bool:
    """B: a note appended just after the build replaced the file is shown by the next build."""
    slug, note = random.choice(SLUGS), f"Note B{n}, saved right after a build."
    site.change_dump()
    site.run("build")
    append(site.paper(slug), note)
    site.run("build")
    shown = note in site.page(slug)
    site.change_dump()
    site.run("build")
    return shown and note in site.paper(slug).read_text(encoding="utf-8")


def two_marks_at_once(site: Site, delay: float, n: int) -> bool:
    """C: two `mark --tag` on one file at once both land."""
    slug = random.choice(SLUGS)
    first = site.start("mark", slug, "--tag", f"c{n}a")
    time.sleep(delay / 10)
    second = site.start("mark", slug, "--tag", f"c{n}b")
    for process in (first, second):
        process.communicate(timeout=300)
    return {f"c{n}a", f"c{n}b"} <= set(tags(site.paper(slug)))


def mark_during_a_build(site: Site, delay: float, n: int) -> bool:
    """D: `mark` while a refreshing build runs: the tag lands."""
    slug = random.choice(SLUGS)
    while_building(site, delay, lambda: site.run("mark", slug, "--tag", f"d{n}"))
    return f"d{n}" in tags(site.paper(slug))


def emptied_during_a_build(site: Site, delay: float, n: int) -> bool:
    """E: an editor truncates a paper file, then writes it (with a note), while a build runs."""
    slug, note = random.choice(SLUGS), f"Note E{n}, saved by truncate-then-write."

    def truncate_then_write() -> None:
        path = site.paper(slug)
        text = path.read_text(encoding="utf-8")
        with path.open("w", encoding="utf-8") as file:
            file.flush()
            time.sleep(0.02)
            file.write(f"{text}\n{note}\n")

    while_building(site, delay, truncate_then_write)
    site.run("build")
    return site.paper_files() == sorted(f"{slug}.md" for slug in SLUGS) and note in site.page(slug)


SCENARIOS = {
    "A note saved during a build": note_during_a_build,
    "B note saved right after a build": note_right_after_a_build,
    "C two marks at once": two_marks_at_once,
    "D mark during a build": mark_during_a_build,
    "E file emptied, then written, during a build": emptied_during_a_build,
}


def busy() -> None:
    while True:
        pass


def build_seconds(site: Site) -> float:
    site.change_dump()
    start = time.perf_counter()
    site.run("build")
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tries", type=int, default=20, help="tries of each scenario (default 20)")
    parser.add_argument("--load", action="store_true", help="keep both cores busy meanwhile")
    options = parser.parse_args()
    load = [multiprocessing.Process(target=busy, daemon=True) for _ in range(2 if options.load else 0)]
    for process in load:
        process.start()
    random.seed(15)
    print(f"| scenario | tries | lost |  (delays spread over one build{', under load' if load else ''})")
    print("|---|---:|---:|")
    with tempfile.TemporaryDirectory() as scratch:
        site = Site(Path(scratch) / "site")
        window = build_seconds(site)
        for name, scenario in SCENARIOS.items():
            lost = sum(not scenario(site, random.uniform(0, window), n) for n in range(options.tries))
            print(f"| {name} | {options.tries} | {lost} |", flush=True)
    for process in load:
        process.terminate()


if __name__ == "__main__":
    main()
