"""Pages → HTML through one Jinja environment, on every core.

The environment autoescapes, fails on undefined names, and looks in the site's own
`templates/` before the default theme, so a site overrides a template by giving a
file of the same name. What the user wrote becomes HTML through markup.py's filters.
"""

from __future__ import annotations

import datetime as dt
import multiprocessing
import os
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import quote_plus

import jinja2

from .config import SiteConfig, display_path
from .errors import SitegenError
from .export import bibtex_entry
from .incremental import Fingerprints, Group, Reads
from .markup import Markdown, href_of, plain_text
from .pages import Page
from .processes import frozen_for_forking, start_child

PACKAGE = Path(__file__).resolve().parent
# An installed sitegen carries the theme inside the package (setup.py copies it there); a checkout has templates/.
DEFAULT_THEME = PACKAGE / "theme" if (PACKAGE / "theme").is_dir() else PACKAGE.parent / "templates"
EXCERPT_CHARS = 280


def long_date(value: dt.date | None) -> str:
    return f"{value:%b} {value.day}, {value.year}" if value else ""


def excerpt(text: str, limit: int = EXCERPT_CHARS) -> str:
    """The start of a text, cut at a word boundary."""
    if len(text) <= limit:
        return text
    return text[:limit].rsplit(" ", 1)[0].rstrip(",;:.") + "…"


def lookup_links(title: str) -> list[tuple[str, str]]:
    """Where to look the paper up by its title."""
    query = quote_plus(title)
    return [
        ("arXiv", f"https://arxiv.org/search/?query={query}&searchtype=title"),
        ("Hugging Face", f"https://huggingface.co/papers?q={query}"),
        ("Semantic Scholar", f"https://www.semanticscholar.org/search?q={query}"),
    ]


class _Environment(jinja2.Environment):
    """Jinja's environment, noting each template a render loads (`extends`, `include`, `import`) in its reads."""

    reads: Reads | None = None

    def get_template(self, name: Any, parent: str | None = None, globals: Any = None) -> jinja2.Template:  # noqa: A002
        self._note([name], parent)
        return super().get_template(name, parent, globals)

    def select_template(self, names: Any, parent: str | None = None, globals: Any = None) -> jinja2.Template:  # noqa: A002
        if not isinstance(names, jinja2.Undefined):  # which Jinja reports
            names = list(names)
            self._note(names, parent)
        return super().select_template(names, parent, globals)

    def _note(self, names: list[Any], parent: str | None) -> None:
        if self.reads is not None:
            for name in names:
                if isinstance(name, str):
                    self.reads.note_template(self.join_path(name, parent) if parent else name)


def _loader(config: SiteConfig) -> jinja2.FileSystemLoader:
    """The site's own templates first, then the default theme's."""
    return jinja2.FileSystemLoader([str(folder) for folder in dict.fromkeys([config.templates_dir, DEFAULT_THEME])])


def environment(config: SiteConfig) -> _Environment:
    env = _Environment(
        loader=_loader(config),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,  # a build's templates do not change under it: no stat of each at every render
    )
    env.filters.update(
        markdown=Markdown(), plain_text=plain_text, long_date=long_date, excerpt=excerpt, href=href_of,
        bibtex=bibtex_entry,
    )
    env.globals.update(lookup_links=lookup_links)
    return env


def template_sources(config: SiteConfig) -> Callable[[str], str | None]:
    """The text each template name loads (None for a name that loads nothing): what a page that loaded it read."""
    loader = _loader(config)
    env = jinja2.Environment(loader=loader)

    def source(name: str) -> str | None:
        try:
            return loader.get_source(env, name)[0]
        except jinja2.TemplateNotFound:
            return None

    return source


@contextmanager
def rendering(
    fingerprints: Fingerprints, config: SiteConfig, pages: list[Page], finish: Callable[[str, str], T]
) -> Iterator[Iterator[tuple[str, T, tuple[Group, ...]]]]:
    """Start rendering the pages; the block gets (path, finish(path, html), what the page read) for each, in any order.

    `finish` runs where the page was rendered (writing it, reading facts from it), so
    the HTML itself never travels between processes. Many pages render on every core,
    while the block may do other work; a few render in this process as the block reads them.
    """
    env = environment(config)
    workers = min(os.cpu_count() or 1, int(sum(map(_cost, pages)) // PAGES_PER_WORKER))
    if workers < 2:
        yield ((path, finish(path, html), reads) for path, html, reads in _render_batch(fingerprints, env, pages))
        return
    _compile_all(env, {page.template for page in pages})
    global _job  # forked workers inherit it, templates compiled: nothing to pickle or compile again
    _job = (fingerprints, env, pages, finish)
    try:
        with ProcessPoolExecutor(workers, multiprocessing.get_context("fork"), start_child, (os.getpid(),)) as pool:
            with frozen_for_forking():  # the workers are forked at the first batch sent
                finished_batches = pool.map(_render_numbers, _batches(pages))
            yield (item for finished in finished_batches for item in finished)
    finally:
        _job = None


T = TypeVar("T")
PAGES_PER_WORKER = 500  # below this many pages' worth of work, starting processes costs more than it saves
BATCH = 64  # pages' worth of work sent to a worker at a time
LIST_ITEM_COST = 0.1  # a paper in a list costs about a tenth of a paper's own page
_job: tuple[Fingerprints, _Environment, list[Page], Callable[[str, str], Any]] | None = None


def _cost(page: Page) -> float:
    return 1 + page.listed * LIST_ITEM_COST


def _batches(pages: list[Page]) -> list[list[int]]:
    """Page numbers in batches of about BATCH pages' worth, costliest first so no worker is left with a long list."""
    batches: list[list[int]] = [[]]
    cost = 0.0
    for number, page in enumerate(pages):
        if cost >= BATCH:
            batches.append([])
            cost = 0.0
        batches[-1].append(number)
        cost += _cost(page)
    return sorted(batches, key=lambda batch: -sum(_cost(pages[n]) for n in batch))


def _compile_all(env: jinja2.Environment, names: set[str]) -> None:
    """Compile the templates before forking; a syntax error is reported like any other."""
    try:
        for name in sorted(names):
            env.get_template(name)
    except jinja2.TemplateSyntaxError as error:
        raise _syntax_error(error) from None


def _render_numbers(numbers: list[int]) -> list[tuple[str, Any, tuple[Group, ...]]]:
    fingerprints, env, pages, finish = _job  # type: ignore[misc]
    rendered = _render_batch(fingerprints, env, [pages[n] for n in numbers])
    return [(path, finish(path, html), reads) for path, html, reads in rendered]


def _render_batch(
    fingerprints: Fingerprints, env: _Environment, pages: list[Page]
) -> Iterator[tuple[str, str, tuple[Group, ...]]]:
    """Render each page from views of the site that note what it reads (see incremental)."""
    try:
        for page in pages:
            reads = env.reads = Reads(fingerprints)
            template = env.get_template(page.template)
            context = {name: reads.view(value) for name, value in page.context.items()}
            html = template.render(site=reads.view(fingerprints.site), root=page.root, path=page.path, **context)
            yield page.path, html, reads.recorded()
    except jinja2.TemplateSyntaxError as error:
        raise _syntax_error(error) from None
    except Exception as error:
        place = _template_frame(error)
        if place is None:
            raise
        raise SitegenError(f"template error: {type(error).__name__}: {error}", *place) from None


def _syntax_error(error: jinja2.TemplateSyntaxError) -> SitegenError:
    name = display_path(Path(error.filename)) if error.filename else error.name or "template"
    return SitegenError(f"template syntax error: {error.message}", name, error.lineno)


def _template_frame(error: Exception) -> tuple[str, int] | None:
    """The template file and line where rendering failed (Jinja puts them in the traceback)."""
    place = None
    frame = error.__traceback__
    while frame:
        filename = frame.tb_frame.f_code.co_filename
        if filename.endswith(".html") and Path(filename).is_file():
            place = (display_path(Path(filename)), frame.tb_lineno)
        frame = frame.tb_next
    return place


def asset_dirs(config: SiteConfig) -> list[Path]:
    """The theme's assets, then the site's own, which win file by file."""
    return list(dict.fromkeys([DEFAULT_THEME / "assets", config.templates_dir / "assets"]))


def search_script(config: SiteConfig) -> bytes:
    """search.js as the site will have it (a site may override the theme's)."""
    for folder in reversed(asset_dirs(config)):
        if (folder / "search.js").is_file():
            return (folder / "search.js").read_bytes()
    return b""
