"""Take the README's screenshots of the sample reading list, into docs/screenshots/.

Builds the sample (this repository's site.yaml and content/, copied to a temporary
folder, with one paper annotated the way a reader would) and photographs, from file://
URLs in headless Chromium, its home page, that paper's page and the results of a search
typed into the home page's box: light and dark, at desktop and phone width.

It needs Playwright and Debian's Chromium, which `make test` installs; then run
`.venv/bin/python docs/screenshots.py` and commit the PNGs it writes.
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from playwright.sync_api import Browser, Page, sync_playwright

from sitegen.build import build
from sitegen.mark import mark

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
PAPER = "data-filtering-networks"
QUERY = "data filtering"
SCHEMES = ("light", "dark")


@dataclass(frozen=True)
class Screen:
    name: str
    width: int
    height: int
    phone: bool


# The theme's column is 54rem wide, so 1024 pixels show the desktop layout with little margin. A phone's
# screen is drawn at one device pixel per CSS pixel: twice that makes every PNG three times larger.
SCREENS = (Screen("desktop", 1024, 640, phone=False), Screen("phone", 390, 844, phone=True))
PAGES = {"home": "index.html", "paper": f"papers/{PAPER}.html", "search": "index.html"}  # name: file


def screenshot_names() -> list[str]:
    """The file names this script writes, e.g. `paper-dark-phone.png`."""
    return [f"{page}-{scheme}-{screen.name}.png" for page in PAGES for scheme in SCHEMES for screen in SCREENS]


def build_sample(folder: Path) -> Path:
    """The sample reading list with one paper annotated, built in `folder`; returns the site's folder."""
    shutil.copy(ROOT / "site.yaml", folder / "site.yaml")
    for part in ("dumps", "papers", "topics"):
        shutil.copytree(ROOT / "content" / part, folder / "content" / part)
    config = folder / "site.yaml"
    mark(config, PAPER, status="read", rating=4, tag=("datasets", "clip"))
    build(config, folder / "_site")
    return folder / "_site"


def show_search_results(page: Page, query: str) -> None:
    """Type `query` into the header's search box and wait until the results under it answer all of it."""
    page.locator("#search-input").fill(query)
    page.wait_for_function(
        """query => {
            const popup = document.getElementById("search-suggestions");
            const seeAll = popup.querySelector(".see-all a");
            return !popup.hidden && seeAll && new URL(seeAll.href).searchParams.get("q") === query
                && !popup.querySelector("[aria-busy]");
        }""",
        arg=query,
    )


def take_screenshots(browser: Browser, site: Path, out: Path) -> list[Path]:
    """Every page in every scheme on every screen, clipped to the screen, as PNGs in `out`."""
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for scheme in SCHEMES:
        for screen in SCREENS:
            context = browser.new_context(
                viewport={"width": screen.width, "height": screen.height},
                color_scheme=scheme,
                is_mobile=screen.phone,
                has_touch=screen.phone,
            )
            page = context.new_page()
            for name, file in PAGES.items():
                page.goto((site / file).as_uri())
                if name == "search":
                    show_search_results(page, QUERY)
                path = out / f"{name}-{scheme}-{screen.name}.png"
                page.screenshot(path=path, animations="disabled", caret="hide")
                written.append(path)
            context.close()
    return written


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="sitegen-screenshots-") as folder, sync_playwright() as playwright:
        site = build_sample(Path(folder))
        browser = playwright.chromium.launch(executable_path=CHROMIUM)
        try:
            for path in take_screenshots(browser, site, OUT):
                print(f"{path.relative_to(ROOT)}: {path.stat().st_size // 1024} KB")
        finally:
            browser.close()


if __name__ == "__main__":
    main()
