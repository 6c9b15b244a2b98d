"""The command line: `python -m sitegen build`."""

from __future__ import annotations

import argparse
import sys
import traceback
from pathlib import Path

from . import __version__
from .build import build
from .config import normalize_base_url
from .errors import SitegenError

EXAMPLES = """example:
  python -m sitegen build                      # site.yaml here, output in _site/
  python -m sitegen build --config my/site.yaml --out public
  python -m sitegen build --base-url https://me.github.io/reading-list/
"""


def base_url(value: str) -> str:
    url = normalize_base_url(value)
    if url is None:
        raise argparse.ArgumentTypeError(f"not an absolute http(s) URL: {value!r}")
    return url


def parser() -> argparse.ArgumentParser:
    main = argparse.ArgumentParser(prog="sitegen", description="Publish a research reading list as a static site.")
    main.add_argument("--version", action="version", version=f"sitegen {__version__}")
    verbs = main.add_subparsers(dest="verb", required=True, metavar="VERB")
    build_verb = verbs.add_parser(
        "build",
        help="turn the dumps into paper pages, topic pages and the site",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    build_verb.add_argument(
        "--config", type=Path, default=Path("site.yaml"), help="the site's config (default: site.yaml)"
    )
    build_verb.add_argument("--out", type=Path, help="output folder (default: _site next to the config)")
    build_verb.add_argument(
        "--base-url", type=base_url, help="absolute URL of the published site (overrides site.yaml's base_url)"
    )
    build_verb.add_argument("--debug", action="store_true", help="show a traceback on errors")
    return main


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    out = args.out if args.out is not None else args.config.parent / "_site"
    try:
        summary = build(args.config, out, args.base_url)
    except SitegenError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted; the previous site is unchanged", file=sys.stderr)
        return 130
    except Exception as error:  # a bug: say so plainly, keep the traceback for --debug
        if args.debug:
            traceback.print_exc()
        print(f"error: internal error ({type(error).__name__}: {error}); rerun with --debug", file=sys.stderr)
        return 1
    for note in summary.notes:
        print(f"note: {note}")
    for problem in summary.problems:
        print(f"warning: {problem}")
    print(summary.line(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
