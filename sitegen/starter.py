"""`sitegen init`: a new reading list's first files, never written over existing ones."""

from __future__ import annotations

import json
import re
import shlex
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from .config import display_path
from .errors import SitegenError

STARTER_FILES = Path(__file__).resolve().parent / "starter_files"
FILES = (  # (the file in the package, where it goes in the new reading list)
    ("site.yaml", "site.yaml"),
    ("dumps-README.md", "content/dumps/README.md"),
    ("gitignore", ".gitignore"),
    ("pages.yml", ".github/workflows/pages.yml"),
)
WORKFLOW = ".github/workflows/pages.yml"
# The workflow's install step as shipped; replaced when sitegen knows the git repository it came from.
PLACEHOLDER_STEP = """\
        # PLACEHOLDER: replace OWNER/sitegen with the GitHub repository sitegen comes from (add @tag to pin a version).
        run: pip install "sitegen @ git+https://github.com/OWNER/sitegen"
"""
KNOWN_STEP = """\
        # The repository and commit `sitegen init` was installed from; change the commit to upgrade.
        run: pip install "sitegen @ git+{source}"
"""


@dataclass(frozen=True)
class Started:
    folder: Path
    files: dict[str, bool]  # each starter file's place in the folder → created (True) or left alone (False)
    sitegen_source: str | None  # the git URL the workflow installs sitegen from, if known


def init(folder: Path, sitegen_source: str | None = None) -> Started:
    """Write the starter files into `folder` (created if missing), leaving every file that exists as it is.

    `sitegen_source` (`https://…@commit`) goes into the Pages workflow's install step;
    without it the step keeps a placeholder for the user to fill in.
    """
    files: dict[str, bool] = {}
    for name, target in FILES:
        text = (STARTER_FILES / name).read_text(encoding="utf-8")
        if target == WORKFLOW and sitegen_source:
            text = text.replace(PLACEHOLDER_STEP, KNOWN_STEP.format(source=sitegen_source))
        files[target] = _create(folder / target, text)
    return Started(folder, files, sitegen_source)


def _create(path: Path, text: str) -> bool:
    """Write a new file; False if something is already at `path`."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise SitegenError(f"cannot create the folder ({error.strerror})", display_path(path.parent)) from None
    try:
        handle = path.open("x", encoding="utf-8", newline="")  # "x": fails on any existing file, link or folder
    except FileExistsError:
        return False
    except OSError as error:
        raise SitegenError(f"cannot create the file ({error.strerror})", display_path(path)) from None
    try:
        with handle:
            handle.write(text)
    except OSError as error:
        path.unlink()  # not half a file, which the next init would leave alone
        raise SitegenError(f"cannot write the file ({error.strerror})", display_path(path)) from None
    return True


def installed_from() -> str | None:
    """The git repository and commit pip installed sitegen from, if it did (`pip install git+https://…`)."""
    try:
        return git_source(metadata.distribution("sitegen").read_text("direct_url.json"))
    except metadata.PackageNotFoundError:
        return None


def git_source(direct_url: str | None) -> str | None:
    """`https://host/repo@commit` from a PEP 610 direct_url.json, if it records a public git repository."""
    try:
        record = json.loads(direct_url or "{}")
        url, vcs, commit = record["url"], record["vcs_info"]["vcs"], record["vcs_info"]["commit_id"]
    except (ValueError, KeyError, TypeError):
        return None
    # It goes into a shell command in the workflow: only plain URLs (no credentials, quotes or spaces).
    if vcs != "git" or not re.fullmatch(r"https://[\w.-]+(/[\w.~%-]+)+", str(url)):
        return None
    if not re.fullmatch(r"[0-9a-f]{40}", str(commit)):
        return None
    return f"{url}@{commit}"


def report(started: Started) -> str:
    """Which files were created and which left alone, then what to do next."""
    lines = [
        f"created {display_path(started.folder / target)}" if created
        else f"left alone {display_path(started.folder / target)} (it exists)"
        for target, created in started.files.items()
    ]
    lines += ["", "next:"]
    if started.folder.resolve() != Path.cwd().resolve():
        lines.append(f"  cd {shlex.quote(display_path(started.folder))}")
    lines += [
        "  1. save a Daily Papers page as a dump in content/dumps/ (content/dumps/README.md says how),",
        "     and add its file name to a topic's dumps: in site.yaml",
        "  2. sitegen build    # your papers' files in content/papers/, the site in _site/",
        "  3. sitegen serve    # to look at the site (or open _site/index.html)",
    ]
    if started.files[WORKFLOW] and not started.sitegen_source:
        lines.append(f"  4. to publish it: replace the PLACEHOLDER in {WORKFLOW} (where to get sitegen),")
        lines.append("     push to GitHub on the branch main (the workflow publishes that branch only;")
    else:
        lines.append("  4. to publish it: push to GitHub on the branch main (the workflow publishes that branch only;")
    lines.append("     `git branch -M main` renames yours), and set Settings → Pages → Source to GitHub Actions")
    return "\n".join(lines)
