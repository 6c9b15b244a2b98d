"""The orchestrator: read → merge → refresh content → model → render → publish."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import posixpath
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import nullcontext
from dataclasses import dataclass, fields, replace
from functools import partial
from importlib.util import find_spec
from pathlib import Path

import jinja2
import lunr
import markdown
import yaml

from . import search as search_module
from . import store
from .cache import CODE_VERSION, FOLDER, Cache, file_status
from .check import PageFacts, check_again, page_facts, shared
from .config import SiteConfig, capture_dates, display_path, load_config
from .content import refresh_papers, refresh_topics
from .dumps import Dump, parse_dump
from .errors import Problem
from .export import citation_keys, export_files, paper_parts
from .feeds import feed_files
from .incremental import Fingerprints, Group
from .lock import site_lock
from .model import Site, build_site, listed_digests, paper_texts
from .pages import Page, fill_related, given_digest, plan_pages
from .papers import Merged, merge
from .processes import given_later, in_background, no_garbage_collection
from .progress import Progress
from .publish import carry_over, remove_leftovers, removing, staged, write_files
from .render import DEFAULT_THEME, asset_dirs, rendering, search_script, template_sources
from .search import Payload, loads_first, lunr_files, payload, search_files


@dataclass(frozen=True)
class Summary:
    dumps: int
    entries: int
    papers: int
    duplicates: int
    new: int
    updated: int
    pages: int
    search: Payload
    notes: tuple[str, ...]
    problems: tuple[Problem, ...]
    seconds: float
    unchanged: bool = False  # nothing changed since the last build: nothing was read or written

    def line(self, out: Path) -> str:
        if self.unchanged:
            return (
                f"nothing changed since the last build: {display_path(out)}/ is up to date "
                f"({plural(self.papers, 'paper')}; {plural(len(self.problems), 'warning')}); {self.seconds:.2f} s"
            )
        return (
            f"built {display_path(out)}/ from {plural(self.dumps, 'dump')}: "
            f"{plural(self.entries, 'entry', 'entries')}, "
            f"{plural(self.papers, 'paper')} ({self.duplicates} duplicates merged); "
            f"paper files {self.new} new, {self.updated} updated; {plural(self.pages, 'page')} written; "
            f"search {self.search}; "
            f"{plural(len(self.problems), 'warning')}; {self.seconds:.2f} s"
        )


def plural(count: int, one: str, many: str = "") -> str:
    return f"{count} {one if count == 1 else many or one + 's'}"


def build(
    config_path: Path, out: Path, base_url: str | None = None, check: bool = True, progress: Progress | None = None,
    session: Session | None = None,
) -> Summary:
    """Run the whole pipeline; raises SitegenError for input the user must fix.

    `base_url` overrides site.yaml's (the Pages workflow knows the published address);
    `check` checks the built site's links, assets and ids; `progress` shows how far a
    long build is. When no input has changed since the last build and its output is
    intact, nothing is read or written. `session`: what a process that builds again and
    again (serve) keeps in memory between its builds.
    """
    started = time.perf_counter()
    config = load_config(config_path)
    if base_url:
        config = replace(config, base_url=base_url)
    with site_lock(config.root):
        session = session or Session()
        last = session.cache(config.root, "last-build")
        looked_at = time.time_ns()
        before = inputs_state(config, out, check)
        if _as_last_left(last, before) and last.get("output") == _files_state(out):
            summary = last.get("summary")
            last.save()  # with the racy inputs it settled
            return replace(summary, pages=0, unchanged=True, seconds=time.perf_counter() - started)
        racy = _racy(before, looked_at)
        progress = progress or Progress()
        try:
            with no_garbage_collection():
                summary, saved = _build(config, out, check, started, progress, session)
        finally:
            progress.close()
        _record_inputs(last, before, racy, saved)
        last.put("output", _files_state(out))
        last.put("summary", summary)
        last.save()
    return summary


def _as_last_left(last: Cache, inputs: dict[str, object]) -> bool:
    """Whether the inputs are what the last build read, or wrote: then its output is theirs.

    An input that changed within a clock tick of being looked at may look unchanged, so
    the status of such a file is trusted only once its bytes are seen to be the same.
    A file found so long enough after it changed is recorded as settled (by the next save).
    """
    recorded, racy = last.get("inputs"), last.get("racy")
    if recorded != inputs or racy is None:
        return False
    looked_at = time.time_ns()
    for path, digest in racy.items():
        if digest is None or store.file_digest(path) != digest:
            return False
    settled = {path for path in racy if looked_at - inputs[path][1] > store.RACY_NS}  # type: ignore[index]
    if settled:
        last.put("racy", {path: digest for path, digest in racy.items() if path not in settled})
    return True


def _racy(inputs: dict[str, object], looked_at: int) -> dict[str, bytes | None]:
    """The digest of each input that changed within a clock tick of being looked at: its status is not enough."""
    return {
        path: store.file_digest(path) for path, status in inputs.items()
        if path != SETTINGS and looked_at - status[1] <= store.RACY_NS  # type: ignore[index]
    }


def _record_inputs(
    last: Cache, before: dict[str, object], racy: dict[str, bytes | None], saved: list[store.Saved]
) -> None:
    """Record the inputs as the build read them (`racy`: see _racy()), a file it wrote as it wrote it.

    A file the user changed since it was read gets a status no file has, so the next
    build reads it again.
    """
    inputs, racy = dict(before), dict(racy)
    for entry in saved:
        path = str(entry.document.path.absolute())
        if not entry.as_read:
            inputs[path] = UNREAD
        elif entry.identity is not None:
            inputs[path] = entry.identity[:2]
            racy[path] = store.text_digest(entry.document.text)
    last.put("inputs", inputs)
    last.put("racy", racy)


SETTINGS = "settings"  # the key of inputs_state() that names no file
UNREAD = (-2, -2)  # the status of no file: a file the build did not read as it is now


@dataclass(frozen=True)
class Caches:
    """What one build keeps in .sitegen-cache/ for the next.

    Each is saved by the process that uses it: the search, related and checked caches
    by processes of their own, the documents cache once the paper files are written.
    """

    dumps: Cache
    merged: Cache
    documents: Cache
    search: Cache
    output: Cache
    related: Cache
    checked: Cache

    @classmethod
    def open(cls, site_root: Path, session: Session | None = None) -> Caches:
        session = session or Session()
        return cls(*(session.cache(site_root, part.name) for part in fields(cls)))


SHARDS = {"dumps": 16, "documents": 256, "search": 64, "output": 64}  # the caches an edit changes a little of


class Session:
    """The caches as this process's last build left them, for its next build (serve builds again and again).

    A cache that this process read and saved is read again from memory, not from disk,
    unless another process wrote it meanwhile.
    """

    def __init__(self) -> None:
        self._caches: dict[tuple[Path, str], Cache] = {}

    def cache(self, site_root: Path, name: str) -> Cache:
        found = self._caches.get((site_root, name))
        if found is None:
            found = self._caches[site_root, name] = Cache(site_root, name, SHARDS.get(name, 1))
            return found
        return found.again()


def _build(
    config: SiteConfig, out: Path, check: bool, started: float, progress: Progress, session: Session
) -> tuple[Summary, list[store.Saved]]:
    """The whole pipeline; returns the summary and what became of each content file it wrote."""
    remove_leftovers(out)
    for leftover in (config.root / FOLDER).glob(".*.tmp"):  # a cache file a killed build did not finish
        leftover.unlink(missing_ok=True)
    store.remove_leftovers(config.papers_dir)
    store.remove_leftovers(config.topics_dir)
    caches = Caches.open(config.root, session)
    with given_later(partial(related_lists, caches.related)) as (give_papers, related):
        progress.stage("reading the dumps")
        dumps, merged, as_before = read_and_merge(config, caches)
        progress.stage("reading the paper files")
        papers = refresh_papers(config, merged, caches.documents, as_before)
        give_papers(paper_texts(papers.documents))
        topics = store.load(config.topics_dir, caches.documents)
        site = build_site(config, papers.documents, topics.documents)
        topic_changes, topic_problems = refresh_topics(config, site, topics)
        with store.Saving(papers.changes + topic_changes, caches.documents) as content:
            pages, search_payload, output_problems = write_output(
                config, site, related, out, caches, check, content.start, progress
            )
    caches.documents.save()  # with the files just written, which the next build need not parse
    return _summary(
        dumps, merged, papers.new, papers.updated, pages, search_payload, config,
        [p for dump in dumps for p in dump.problems] + papers.problems + list(topics.problems) + topic_problems
        + list(site.problems) + content.problems + budget_problems(config, search_payload) + output_problems,
        started,
    ), content.saved


def _summary(
    dumps: list[Dump], merged: Merged, new: int, updated: int, pages: int, search_payload: Payload,
    config: SiteConfig, problems: list[Problem], started: float,
) -> Summary:
    return Summary(
        dumps=len(dumps),
        entries=merged.entries,
        papers=len(merged.papers),
        duplicates=merged.duplicates,
        new=new,
        updated=updated,
        pages=pages,
        search=search_payload,
        notes=capture_notes(config, dumps) + (() if config.base_url else (NO_FEEDS,)),
        problems=tuple(sorted(problems)),
        seconds=time.perf_counter() - started,
    )


def related_lists(cache: Cache, papers: Callable[[], dict[str, tuple[str, str, str]]]) -> dict[str, list[str]]:
    """Each paper's related papers, by slug (`papers` gives their texts); saves the cache of their words.

    Runs in a process of its own, started before the site is read: importing NumPy and
    SciPy (0.2 s, and never for a no-change build) and reading the cache overlap that.
    """
    from .related import related_papers

    cache.get("words")
    texts = papers()
    slugs = list(texts)
    found = related_papers(list(texts.values()), cache)
    cache.save()
    return {slug: [slugs[number] for number in numbers] for slug, numbers in zip(slugs, found, strict=True)}


def write_output(
    config: SiteConfig, site: Site, related: Callable[[], Mapping[str, list[str]]], out: Path, caches: Caches,
    check: bool, once_forked: Callable[[], None], progress: Progress,
) -> tuple[int, Payload, list[Problem]]:
    """Render the pages whose inputs changed, carry the others over, write search, swap the new output in, check it.

    The search files are made in a process of their own meanwhile, and the check runs in
    one while the caches are saved. `related()` gives each paper's related papers, by
    slug. `once_forked` runs once the render workers are forked: threads may start then
    (the check's process, forked later, takes none of the locks they use). Returns the
    number of pages rendered, the search payload and the check's problems.
    """
    library = lunr_files()
    loaded_too = [content for path, content in library if loads_first(path)] + [search_script(config)]
    cite_keys = citation_keys(site.papers)
    listed = listed_digests(site.papers)
    with staged(out, config.root) as staging:
        write_files(staging, library, asset_dirs(config), out)  # before the search files, which win a name clash
        generated = partial(write_generated, site, caches.search, staging, out, loaded_too, cite_keys, listed)
        with in_background(generated) as search_payload:
            planned = plan_pages(site, cite_keys)
            fingerprints = Fingerprints(site, listed, template_sources(config))
            fill_related(planned, site, related())
            given = {page.path: given_digest(page) for page in planned}
            fresh, recorded = _kept(planned, given, fingerprints, out, caches.output)
            kept = list(recorded)
            for folder in {posixpath.dirname(page.path) for page in fresh}:
                (staging / folder).mkdir(parents=True, exist_ok=True)
            with rendering(fingerprints, config, fresh, partial(_write_page, staging, config.base_url)) as rendered:
                once_forked()
                carry_over(staging, out, kept)
                seen: dict[object, object] = {}
                progress.stage("rendering pages", len(fresh))
                for path, (page_facts_, size, mtime), reads in rendered:
                    shown = hashlib.sha1(given[path] + b"".join(group[3] for group in reads)).hexdigest()
                    recorded[path] = (given[path], reads, shown, shared(page_facts_, seen), size, mtime)
                    progress.advance()
            progress.stage("writing the search index and exports")
            searched = search_payload()
    facts = {path: entry[3] for path, entry in recorded.items()}
    keys = {path: entry[2] for path, entry in recorded.items()}
    checking = (
        in_background(partial(check_output, out, config.base_url, facts, keys, caches.checked)) if check
        else nullcontext(list)
    )
    with checking as problems, removing(staging):  # the check in a process of its own; the previous output
        for path, entry in recorded.items():
            caches.output.put(path, entry)
        for cache in (caches.dumps, caches.merged, caches.output):  # meanwhile
            cache.save()
        if check:
            progress.stage("checking the site")
        return len(fresh), searched, problems()


def check_output(
    out: Path, base_url: str | None, facts: Mapping[str, PageFacts], keys: Mapping[str, str], cache: Cache
) -> list[Problem]:
    """The output's problems, judging again only the pages that may have changed since the last check."""
    checked = check_again(out, base_url, facts, keys, cache.get("checked"))
    cache.put("checked", checked)
    cache.save()
    return checked.found()


def _kept(
    planned: list[Page], given: dict[str, bytes], fingerprints: Fingerprints, out: Path, cache: Cache
) -> tuple[list[Page], dict[str, OutputEntry]]:
    """The pages to render, and the cache's entries of the pages kept as they are.

    A page is kept when what it is given (`given`), what it read of the site, and its
    file in the output are all as the cache recorded them.
    """
    recorded: dict[str, OutputEntry] = {}
    folder = str(out)
    for path, key in given.items():
        entry = cache.get(path)
        if (entry and entry[0] == key and entry[4:] == file_status(os.path.join(folder, path))
                and fingerprints.unchanged(entry[1])):
            recorded[path] = entry
    return [page for page in planned if page.path not in recorded], recorded


# A page as the output cache knows it: what it was given, what it read, the digest of both
# (the check's key), what the check needs of it, and its file's size and modification time.
OutputEntry = tuple[bytes, tuple[Group, ...], str, PageFacts, int, int]


def write_generated(
    site: Site, cache: Cache, staging: Path, out: Path, loaded_too: list[bytes], cite_keys: Mapping[str, str],
    listed: Mapping[str, bytes],
) -> Payload:
    """Write what is made from the whole site into the staged output: search, exports, feeds; save the search cache.

    Returns the size of what search loads before it answers, `loaded_too` (lunr.js,
    search.js) included. `listed` are the papers' listed_digests. Runs while the pages
    are planned, so it plans them again for the sitemap, which only a site with a
    base_url has.
    """
    files = search_files(site, cache, listed)
    with ThreadPoolExecutor(1) as thread:  # compressing (to measure) runs outside the GIL, beside the exports
        measured = thread.submit(payload, [content for path, content in files if loads_first(path)] + loaded_too, cache)
        feeds = feed_files(site, partial(page_paths, site, cite_keys))
        write_files(staging, files + _exports(site, cite_keys, listed, cache) + feeds, [], out)
    cache.save()
    return measured.result()


def _exports(
    site: Site, cite_keys: Mapping[str, str], listed: Mapping[str, bytes], cache: Cache
) -> list[tuple[str, bytes]]:
    """The export files, from each paper's parts (making all of them takes 0.3 s at 10,000 papers).

    A paper's parts are cached by all they show: every field but the notes, its citation
    key and its topics' titles.
    """
    titles = {topic.slug: topic.title for topic in site.topics}
    parts = {}
    for paper in site.papers:
        topic_titles = tuple(titles[slug] for slug in paper.topics)
        key = ("export", listed[paper.slug], cite_keys[paper.slug], topic_titles)
        found = cache.get(key)
        if found is None:
            found = paper_parts(paper, cite_keys[paper.slug], topic_titles)
            cache.put(key, found)
        parts[paper.slug] = found
    return export_files(site, parts)


def page_paths(site: Site, cite_keys: Mapping[str, str]) -> list[str]:
    return [page.path for page in plan_pages(site, cite_keys)]


def _write_page(staging: Path, base_url: str | None, path: str, html: str) -> tuple[PageFacts, int, int]:
    """Write one page; return what the check needs of it, and its size and time as written."""
    target = staging / path
    target.write_text(html, encoding="utf-8")
    return (page_facts(html, base_url), *file_status(target))


def inputs_state(config: SiteConfig, out: Path, check: bool) -> dict[str, object]:
    """Everything a build reads: its settings, and every input file's size and modification time."""
    state: dict[str, object] = {
        SETTINGS: (CODE_VERSION, LIBRARIES, os.getcwd(), str(out.absolute()), check, config.base_url,
                     dt.date.today().year, hashlib.sha1(config.path.read_bytes()).hexdigest()),
    }
    folders = [
        config.dumps_dir, config.papers_dir, config.topics_dir, config.templates_dir, DEFAULT_THEME,
        search_module.LUNR_DIR,
    ]
    for folder in folders:
        state.update(_tree_status(str(folder.absolute())))
    return state


# What the output depends on; NumPy and SciPy (related papers) by their installed files: importing them takes 0.2 s.
LIBRARIES = (jinja2.__version__, markdown.__version__, yaml.__version__, lunr.__VERSION__,
             *(file_status(getattr(find_spec(name), "origin", None) or "") for name in ("numpy", "scipy")))


def _files_state(folder: Path) -> list[tuple[str, int, int]]:
    """What a folder holds, by size and modification time: a touched or deleted file shows."""
    prefix = len(str(folder.absolute())) + 1
    return sorted((path[prefix:], *status) for path, status in _tree_status(str(folder.absolute())).items())


def _tree_status(folder: str) -> dict[str, tuple[int, int]]:
    """Every file under `folder` (plain strings: this runs on every build) with its status."""
    found = {}
    for directory, _, names in os.walk(folder):  # a file added or removed shows in the listing itself
        for name in names:
            path = os.path.join(directory, name)
            found[path] = file_status(path)
    return found


def read_and_merge(config: SiteConfig, caches: Caches) -> tuple[list[Dump], Merged, bool]:
    """The dumps (their entries left out) and their papers merged; the last build's when no dump changed.

    Also tells whether they are the last build's. Otherwise the papers that only
    unchanged dumps show are taken from the last build's merge, when the topics are the same.
    """
    captured = capture_dates(config)
    listed = {config.dumps_dir / name for topic in config.topics for name in topic.dumps}
    keys = [
        (path, (display_path(path), file_status(path), captured.get(path.name), dt.date.today().year))
        for path in sorted(set(config.dumps_dir.glob("*.txt")) | listed)
    ]
    merged_key = (tuple(key for _, key in keys), repr(config.topics))
    last = caches.merged.get("last")  # (merged_key, dumps, merged) of the last build
    if last is not None and last[0] == merged_key:
        return (*last[1:], True)
    dumps = read_dumps(keys, captured, caches.dumps)
    earlier, unchanged = {}, frozenset[str]()
    if last is not None and last[0][1] == merged_key[1]:
        earlier = {paper.identity: paper for paper in last[2].papers}
        unchanged_keys = set(last[0][0])
        unchanged = frozenset(path.name for path, key in keys if key in unchanged_keys)
    found = ([replace(dump, entries=()) for dump in dumps], merge(dumps, config, earlier, unchanged))
    caches.merged.put("last", (merged_key, *found))
    return (*found, False)


def read_dumps(
    keys: Sequence[tuple[Path, tuple[object, ...]]], captured: dict[str, dt.date | int], cache: Cache
) -> list[Dump]:
    """Parse every dump (unless `cache` has it by its key), completing dates from what site.yaml says of it."""
    dumps = []
    for path, key in keys:
        dump = cache.get(key)
        if dump is None:
            shown = display_path(path)
            try:
                with path.open("rb") as file:
                    dump = parse_dump(file, path.name, captured=captured.get(path.name))
            except OSError as error:
                problem = Problem(shown, 0, f"cannot read the dump: {error.strerror}")
                dumps.append(Dump(path.name, (), (problem,), 0, "", False))
                continue
            dump = replace(dump, problems=tuple(replace(p, path=shown) for p in dump.problems))
            cache.put(key, dump)
        dumps.append(dump)
    return dumps


NO_FEEDS = "no feeds or sitemap: they need the site's address (base_url in site.yaml, or --base-url)"


def capture_notes(config: SiteConfig, dumps: list[Dump]) -> tuple[str, ...]:
    """Which year dates without a year took, for each dump that has such dates."""
    return tuple(
        f"{display_path(config.dumps_dir / dump.name)}: dates without a year use {dump.capture_year} "
        f"({dump.capture_year_reason})"
        for dump in dumps
        if dump.has_yearless_dates
    )


def budget_problems(config: SiteConfig, search: Payload) -> list[Problem]:
    """A warning when what search loads passes site.yaml's search_budget_kb (gzip)."""
    if config.search_budget_kb is None or search.gzip <= config.search_budget_kb * 1024:
        return []
    message = (
        f"search loads {search.gzip / 1024:.0f} KB gzip, over the budget of {config.search_budget_kb} KB "
        "(search_budget_kb)"
    )
    return [Problem(display_path(config.path), config.search_budget_line, message)]
