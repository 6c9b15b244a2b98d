"""Shared fixtures: tiny sites built inline, the whole sample site, one browser."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from sitegen.build import Session, Summary, build

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"


class Site:
    """A site folder in a temporary directory: site.yaml, content/, and _site/ after build()."""

    def __init__(self, root: Path) -> None:
        self.root = root
        (root / "content" / "dumps").mkdir(parents=True, exist_ok=True)

    @property
    def config(self) -> Path:
        return self.root / "site.yaml"

    @property
    def out(self) -> Path:
        return self.root / "_site"

    def dump(self, name: str, content: str | bytes) -> Path:
        path = self.root / "content" / "dumps" / name
        path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
        return path

    def write_config(self, text: str) -> None:
        self.config.write_text(text, encoding="utf-8")

    def build(self, session: Session | None = None) -> Summary:
        return build(self.config, self.out, session=session)

    def paper_file(self, slug: str) -> Path:
        return self.root / "content" / "papers" / f"{slug}.md"

    def cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        """Run `python -m sitegen` in the site's folder."""
        return subprocess.run(
            [sys.executable, "-m", "sitegen", *args],
            cwd=self.root,
            capture_output=True,
            text=True,
            timeout=120,
        )


@pytest.fixture
def site(tmp_path: Path) -> Site:
    """An empty site; write dumps and site.yaml, then build()."""
    return Site(tmp_path / "site")


def copy_sample(target: Path) -> Site:
    """The project's own reading list (config and dumps, no generated files) in `target`."""
    sample = Site(target)
    shutil.copy(ROOT / "site.yaml", sample.config)
    for dump in (ROOT / "content" / "dumps").glob("*.txt"):
        shutil.copy(dump, sample.root / "content" / "dumps" / dump.name)
    return sample


def inputs_copy(site: Site, target: Path) -> Site:
    """A site in `target` with the same inputs as `site` (site.yaml, content/, templates/), nothing built."""
    copy = Site(target)
    shutil.copy(site.config, copy.config)
    for folder in ("content", "templates"):
        if (site.root / folder).is_dir():
            shutil.copytree(site.root / folder, copy.root / folder, dirs_exist_ok=True)
    return copy


@pytest.fixture(scope="session")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Site:
    """The sample reading list built once from scratch for the session (treat as read-only)."""
    built = copy_sample(tmp_path_factory.mktemp("sample"))
    built.build()
    return built


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    """One headless Chromium (Debian's) for the whole session."""
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run `make test`, which installs it")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--disable-background-networking"])
        yield browser
        browser.close()
