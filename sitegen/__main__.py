"""The command line: `sitegen build` (or `python -m sitegen build`)."""

from __future__ import annotations

import argparse
import os
import select
import sys
from pathlib import Path

from . import __version__
from .build import build
from .check import check_site
from .config import display_path, load_config, normalize_base_url
from .errors import SitegenError
from .mark import describe, mark
from .model import RATINGS, STATUSES
from .progress import Progress
from .terminal import findings, internal_error

BUILD_EXAMPLES = """examples:
  sitegen build                                # site.yaml here, output in _site/
  sitegen build --config my/site.yaml --out public
  sitegen build --base-url https://me.github.io/reading-list/
"""
MARK_EXAMPLES = """examples:
  sitegen mark data-filtering-networks --status read --rating 4
  sitegen mark "data filtering networks" --tag datasets --tag clip
  sitegen mark data-filtering-networks --untag clip --status to-read
"""
SERVE_EXAMPLES = """examples:
  sitegen serve                                # build, serve _site/ at http://127.0.0.1:8000/, rebuild on changes
  sitegen serve --port 8080 --open             # another port, and open the home page in the browser
"""
CHECK_EXAMPLES = """example:
  sitegen check                                # the site in _site/, exit 1 if anything is wrong
"""
INIT_EXAMPLES = """examples:
  sitegen init my-reading-list                 # a new folder with site.yaml, content/dumps/ and a Pages workflow
  sitegen init                                 # here; files that exist are left alone
"""


def base_url(value: str) -> str:
    url = normalize_base_url(value)
    if url is None:
        raise argparse.ArgumentTypeError(f"not an absolute http(s) URL: {value!r}")
    return url


def add_verb(verbs: argparse._SubParsersAction, name: str, examples: str, summary: str) -> argparse.ArgumentParser:
    """A verb whose --help ends with its examples."""
    return verbs.add_parser(name, help=summary, epilog=examples, formatter_class=argparse.RawDescriptionHelpFormatter)


def parser() -> argparse.ArgumentParser:
    main = argparse.ArgumentParser(
        prog="sitegen",
        description="Publish a research reading list as a static site.",
        epilog="start with `sitegen init my-reading-list`; `sitegen VERB --help` shows examples of each verb",
    )
    main.add_argument("--version", action="version", version=f"sitegen {__version__}")
    verbs = main.add_subparsers(dest="verb", required=True, metavar="VERB")
    init_verb = add_verb(
        verbs, "init", INIT_EXAMPLES,
        "start a new reading list: site.yaml, content/dumps/, .gitignore, a GitHub Pages workflow",
    )
    init_verb.add_argument(
        "folder", nargs="?", type=Path, default=Path("."), help="where (created if missing; default: here)"
    )
    init_verb.add_argument("--debug", action="store_true", help="show a traceback on internal errors")
    init_verb.set_defaults(run=run_init)
    build_verb = add_verb(
        verbs, "build", BUILD_EXAMPLES,
        "turn the dumps into paper pages, topic pages and the site",
    )
    build_verb.add_argument(
        "--quiet", action="store_true", help="print warnings and the summary only (no progress, no notes)"
    )
    build_verb.set_defaults(run=run_build)
    check_verb = add_verb(
        verbs, "check", CHECK_EXAMPLES,
        "check a built site: broken links, missing assets, links out of the site, duplicate ids",
    )
    check_verb.set_defaults(run=run_check)
    mark_verb = add_verb(
        verbs, "mark", MARK_EXAMPLES,
        "set a paper's status, rating or tags in its file (nothing else in it changes)",
    )
    mark_verb.add_argument("query", help="the paper's slug, or words of its title")
    mark_verb.add_argument("--status", choices=STATUSES, help="where the paper is in your reading")
    mark_verb.add_argument("--rating", type=int, choices=RATINGS, help="how good it was, 1 to 5")
    mark_verb.add_argument("--tag", action="append", default=[], help="add a tag (repeat for several)")
    mark_verb.add_argument("--untag", action="append", default=[], help="remove a tag (repeat for several)")
    mark_verb.add_argument("--config", type=Path, default=Path("site.yaml"), help="the site's config")
    mark_verb.add_argument("--debug", action="store_true", help="show a traceback on internal errors")
    mark_verb.set_defaults(run=run_mark)
    serve_verb = add_serve_verb(verbs)
    for verb in (build_verb, serve_verb):
        verb.add_argument("--no-check", action="store_true", help="skip checking the built site's links and ids")
    for verb in (build_verb, check_verb, serve_verb):
        verb.add_argument(
            "--base-url", type=base_url, help="absolute URL of the published site (overrides site.yaml's base_url)"
        )
        verb.add_argument(
            "--config", type=Path, default=Path("site.yaml"), help="the site's config (default: site.yaml)"
        )
        verb.add_argument("--out", type=Path, help="the site's output folder (default: _site next to the config)")
    for verb, debug in ((build_verb, ""), (check_verb, ""), (serve_verb, ", and what the watcher sees")):
        verb.add_argument("--debug", action="store_true", help=f"show a traceback on internal errors{debug}")
    return main


def port_number(value: str) -> int:
    if not value.isdigit() or int(value) > 65535:
        raise argparse.ArgumentTypeError(f"not a port number (0 to 65535): {value!r}")
    return int(value)


def add_serve_verb(verbs: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """The serve verb with its own options; parser() adds those it shares with build and check."""
    serve_verb = add_verb(
        verbs, "serve", SERVE_EXAMPLES,
        "build, serve the site on this computer, and rebuild and reload the pages on every change",
    )
    serve_verb.add_argument("--port", type=port_number, default=8000, help="the port (default: 8000; 0: any free one)")
    serve_verb.add_argument("--open", action="store_true", help="open the home page in the browser")
    serve_verb.set_defaults(run=run_serve)
    return serve_verb


def run_build(args: argparse.Namespace, out: Path) -> int:
    progress = None if args.quiet else Progress(sys.stderr)
    summary = build(args.config, out, args.base_url, check=not args.no_check, progress=progress)
    for line in findings(summary, notes=not args.quiet):
        print(line)
    print(summary.line(out))
    return 0


def run_check(args: argparse.Namespace, out: Path) -> int:
    config = load_config(args.config)
    if not out.is_dir():
        raise SitegenError("no built site here; run `python -m sitegen build` first", display_path(out))
    problems = check_site(out, args.base_url or config.base_url)
    for problem in problems:
        print(f"problem: {problem}")
    pages = sum(1 for _ in out.rglob("*.html"))
    print(f"checked {pages} pages in {display_path(out)}/: {len(problems) or 'no'} problems")
    return 1 if problems else 0


def run_mark(args: argparse.Namespace, out: Path) -> int:
    if args.status is None and args.rating is None and not args.tag and not args.untag:
        raise SitegenError("say what to set: --status, --rating, --tag or --untag")
    print(describe(mark(args.config, args.query, args.status, args.rating, tuple(args.tag), tuple(args.untag))))
    return 0


def run_init(args: argparse.Namespace, out: Path) -> int:
    from .starter import init, installed_from, report  # here: importlib.metadata would slow every other command

    print(report(init(args.folder, installed_from())))
    return 0


def run_serve(args: argparse.Namespace, out: Path) -> int:
    from .serve import serve  # here: the watcher's libraries would slow every other command's start

    serve(args.config, out, args.port, args.base_url, not args.no_check, args.open, args.debug)
    return 0


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    out = getattr(args, "out", None) or getattr(args, "config", Path("site.yaml")).parent / "_site"  # init has none
    try:
        status = args.run(args, out)
        sys.stdout.flush()  # a reader that went away shows here, not as Python exits
        return status
    except SitegenError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted; the previous site is unchanged", file=sys.stderr)
        return 130
    except Exception as error:  # a bug: say so plainly, keep the traceback for --debug
        if not (isinstance(error, BrokenPipeError) and _reader_gone()):
            print(f"error: {internal_error(error, args.debug)}", file=sys.stderr)
        return 1


def _reader_gone() -> bool:
    """Whether stdout's reader went away (`sitegen build | head`); then it is pointed at nothing, for a quiet exit."""
    try:
        poller = select.poll()
        poller.register(sys.stdout.fileno(), select.POLLOUT)
        gone = any(events & select.POLLERR for _, events in poller.poll(0))  # a pipe with no reader
    except (OSError, ValueError):  # no file descriptor to ask about
        return False
    if gone:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # else Python reports it again at exit
    return gone


if __name__ == "__main__":
    sys.exit(main())
