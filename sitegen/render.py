"""Site → HTML pages through one Jinja environment.

The environment autoescapes, fails on undefined names, and looks in the site's own
`templates/` before the default theme, so a site overrides a template by giving a
file of the same name. Markdown (abstracts, notes, topic introductions) is converted
with raw HTML switched off and links limited to safe schemes.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import multiprocessing
import os
import re
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import quote, quote_plus, urlsplit
from xml.etree.ElementTree import Element

import jinja2
import markdown
from markupsafe import Markup

from .config import SiteConfig, display_path
from .dumps import URL, strip_trailing_punctuation
from .errors import SitegenError
from .export import bibtex_entry
from .incremental import Fingerprints, Group, Reads, digest
from .model import PaperPage, Site, reading_queue
from .processes import frozen_for_forking, start_child

PACKAGE = Path(__file__).resolve().parent
# An installed sitegen carries the theme inside the package (setup.py copies it there); a checkout has templates/.
DEFAULT_THEME = PACKAGE / "theme" if (PACKAGE / "theme").is_dir() else PACKAGE.parent / "templates"
RECENT_PAPERS = 12
EXCERPT_CHARS = 280
USER_SCHEMES = ("http", "https", "mailto", "")  # the user's own notes may link anywhere on the site
C0_AND_SPACE = "".join(map(chr, range(0x21)))  # browsers strip these around a URL...
TABS_AND_NEWLINES = re.compile(r"[\t\n\r]")  # ...and drop these anywhere in it


class _SafeMarkup(markdown.treeprocessors.Treeprocessor):
    """Make Markdown's output safe and fit for the pages' Content-Security-Policy.

    Links keep only safe schemes, judged on the URL as a browser reads it (character
    references decoded, tabs and newlines gone: `&#106;avascript:` is `javascript:`);
    images become links, so nothing loads from another host; table alignment becomes
    a class, since the policy allows no inline style.
    """

    def __init__(self, md: markdown.Markdown, schemes: tuple[str, ...]) -> None:
        super().__init__(md)
        self.schemes = schemes

    def run(self, root: Element) -> None:
        for element in root.iter():
            if element.tag == "img":
                source, alt = element.get("src", ""), element.get("alt", "") or "image"
                element.tag, element.text = "a", alt
                element.attrib.clear()
                element.set("href", source)
            alignment = re.search(r"text-align:\s*(left|right|center)", element.attrib.pop("style", ""))
            if alignment:
                element.set("class", f"align-{alignment.group(1)}")
            if element.tag != "a" or "href" not in element.attrib:
                continue
            href = element.get("href", "").replace(markdown.util.AMP_SUBSTITUTE, "&")  # e-mail autolinks
            url = TABS_AND_NEWLINES.sub("", html.unescape(href).strip(C0_AND_SPACE))
            if not _is_safe(url, self.schemes):
                element.attrib.pop("href")
            elif urlsplit(url).scheme:
                element.set("href", href_of(url))
                element.set("rel", "noopener")
            else:
                element.set("href", url)


def href_of(url: str) -> str:
    """The URL with characters that are not allowed in an href (`{`, `|`, spaces…) percent-encoded."""
    return quote(url, safe=":/?#[]@!$&'()*+,;=%~")


def _is_safe(url: str, schemes: tuple[str, ...]) -> bool:
    url = url.replace("\\", "/")  # browsers read "/\\host" as "//host"
    try:
        scheme = urlsplit(url).scheme.lower()
    except ValueError:
        return False
    return scheme in schemes and not url.startswith("//")


class _BareUrls(markdown.inlinepatterns.InlineProcessor):
    """Make the plain http(s) URLs of notes clickable."""

    def handleMatch(self, match: re.Match[str], data: str) -> tuple[Element, int, int]:  # noqa: N802
        url = strip_trailing_punctuation(match.group(0))
        link = Element("a", href=url)
        link.text = url
        return link, match.start(0), match.start(0) + len(url)


class _NoRawHtml(markdown.extensions.Extension):
    def __init__(self, schemes: tuple[str, ...]) -> None:
        super().__init__()
        self.schemes = schemes

    def extendMarkdown(self, md: markdown.Markdown) -> None:  # noqa: N802 (the library's name)
        md.preprocessors.deregister("html_block")
        md.inlinePatterns.deregister("html")
        md.inlinePatterns.register(_BareUrls(f"(?i){URL.pattern}", md), "bare_urls", 5)
        md.treeprocessors.register(_SafeMarkup(md, self.schemes), "safe_markup", 0)


PARAGRAPH_BREAK = re.compile(r"\n[ \t\f\v\r\u00a0]*\n\s*")


def plain_text(text: str) -> Markup:
    """Text from the dumps as HTML: paragraphs at blank lines, its http(s) URLs clickable, nothing else.

    Abstracts are not Markdown: `# ` or `*` in them is what the authors wrote.
    """
    if not text.strip():
        return Markup("")
    paragraphs = []
    for paragraph in PARAGRAPH_BREAK.split(text.strip()):
        parts, position = [], 0
        for match in URL.finditer(paragraph):
            url = strip_trailing_punctuation(match.group(0))
            parts += [html.escape(paragraph[position:match.start()]),
                      f'<a href="{html.escape(href_of(url))}" rel="noopener">{html.escape(url)}</a>']
            position = match.start() + len(url)
        parts.append(html.escape(paragraph[position:]))
        paragraphs.append(f"<p>{''.join(parts)}</p>")
    return Markup("\n".join(paragraphs))


class Markdown:
    """Markdown → HTML Markup; raw HTML in the source shows as text; links only to `schemes`."""

    def __init__(self, schemes: tuple[str, ...] = USER_SCHEMES) -> None:
        self._md = markdown.Markdown(extensions=[_NoRawHtml(schemes), "fenced_code", "tables", "sane_lists"])

    def __call__(self, text: str) -> Markup:
        html = self._md.reset().convert(text)
        return Markup(html)


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


@dataclass(frozen=True)
class Page:
    template: str
    path: str
    root: str  # from the page back to the site root: "", "../", or base_url for 404.html
    context: Mapping[str, Any]
    listed: int = 0  # how many papers the page lists: most of what rendering it costs


def plan_pages(site: Site, cite_keys: Mapping[str, str]) -> list[Page]:
    """Every page of the site, with what its template is given besides `site` (related papers: see fill_related)."""

    def page(template: str, path: str, root: str | None = None, listed: int = 0, **context: object) -> Page:
        return Page(template, path, "../" * path.count("/") if root is None else root, context, listed=listed)

    years = _by_year(site.papers)
    queue = reading_queue(site.papers)
    neighbours = _neighbours(site)
    return [
        Page("index.html", "index.html", "", {"recent": site.papers[:RECENT_PAPERS]}, RECENT_PAPERS),
        page("papers.html", "papers.html", listed=len(site.papers), years=years),
        page("search.html", "search.html", years=[year for year, _ in years if year.isdigit()], tags=site.tags),
        *(page("paper.html", f"papers/{paper.slug}.html", paper=paper, cite_key=cite_keys[paper.slug],
               newer=neighbours[paper.slug][0], older=neighbours[paper.slug][1], lists=neighbours[paper.slug][2],
               related=[])
          for paper in site.papers),
        *(
            Page("topic.html", topic.url, "../", {"topic": topic}, len(topic.papers))
            for topic in site.topics
        ),
        page("reading.html", "reading.html", listed=sum(map(len, queue.values())), queue=queue),
        *(
            Page("tag.html", tag.url, "../", {"tag": tag}, len(tag.papers))
            for tag in site.tags
        ),
        # GitHub Pages serves 404.html at any depth: only absolute links work there.
        page("404.html", "404.html", root=site.base_url or ""),
    ]


def fill_related(pages: list[Page], site: Site, related: Mapping[str, list[str]]) -> None:
    """Fill in each paper page's related papers (`related`: by slug), in place: a new page per paper costs more."""
    by_slug = site.by_slug
    for page in pages:
        if page.template == "paper.html":
            page.context["related"].extend([by_slug[slug] for slug in related[page.context["paper"].slug]])


def given_digest(page: Page) -> bytes:
    """The digest of what a page is given besides the site (its papers by identity: their fields are reads)."""
    return digest((page.template, page.path, page.root, page.context))


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


def _neighbours(site: Site) -> dict[str, tuple[str, str, str]]:
    """For each paper: the pages before and after it in all papers, and as JSON in every list it is in.

    The JSON maps a list ("" for all papers, else a topic's slug) to [previous, next]:
    one string per page, which its digest takes in at once.
    """
    listings = {"": [paper.slug for paper in site.papers], **{topic.slug: list(topic.papers) for topic in site.topics}}
    found: dict[str, dict[str, tuple[str, str]]] = {paper.slug: {} for paper in site.papers}
    for listing, slugs in listings.items():
        urls = [site.by_slug[slug].url.removeprefix("papers/") for slug in slugs]
        for number, slug in enumerate(slugs):
            after = urls[number + 1] if number + 1 < len(urls) else ""
            found[slug][listing] = (urls[number - 1] if number else "", after)
    encode = json.JSONEncoder(ensure_ascii=False).encode  # made once: json.dumps with options makes one a call
    return {slug: (*lists[""], encode(lists)) for slug, lists in found.items()}


def _by_year(papers: tuple[PaperPage, ...]) -> list[tuple[str, list[PaperPage]]]:
    groups: dict[str, list[PaperPage]] = {}
    for paper in papers:  # already newest first, undated last
        groups.setdefault(str(paper.year) if paper.year else "Undated", []).append(paper)
    return list(groups.items())


def asset_dirs(config: SiteConfig) -> list[Path]:
    """The theme's assets, then the site's own, which win file by file."""
    return list(dict.fromkeys([DEFAULT_THEME / "assets", config.templates_dir / "assets"]))


def search_script(config: SiteConfig) -> bytes:
    """search.js as the site will have it (a site may override the theme's)."""
    for folder in reversed(asset_dirs(config)):
        if (folder / "search.js").is_file():
            return (folder / "search.js").read_bytes()
    return b""
