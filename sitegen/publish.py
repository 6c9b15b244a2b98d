"""Write the site into a temporary directory beside the output, then swap it in.

A build that fails before the swap leaves the previous site exactly as it was.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterable
from pathlib import Path

from .config import display_path
from .errors import SitegenError

MARKER = ".nojekyll"  # every site sitegen writes has it (GitHub Pages needs it too)


def publish(
    pages: Iterable[tuple[str, str]],
    files: Iterable[tuple[str, bytes]],
    asset_dirs: Iterable[Path],
    out: Path,
    protected: Path,
) -> int:
    """Write pages, other generated files and asset folders to `out`; returns the number of pages.

    `protected` is the site's own directory: an output there or above it is refused,
    as is a non-empty directory that sitegen did not write.
    """
    out = out.absolute()
    _check_output(out, protected.absolute())
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent))
    except OSError as error:
        raise SitegenError(f"cannot write the output: {error.strerror}", display_path(out)) from None
    try:
        staging.chmod(0o755)
        count = 0
        for relative, html in pages:
            target = staging / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(html, encoding="utf-8")
            count += 1
        for folder in asset_dirs:
            if folder.is_dir():
                shutil.copytree(folder, staging / "assets", dirs_exist_ok=True)
        for relative, content in files:
            (staging / relative).parent.mkdir(parents=True, exist_ok=True)
            (staging / relative).write_bytes(content)
        (staging / MARKER).write_bytes(b"")
        _swap(staging, out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return count


def _check_output(out: Path, protected: Path) -> None:
    name = display_path(out)
    if out == protected or out in protected.parents:
        raise SitegenError("the output would replace the site's own folder; choose another --out", name)
    if out.exists() and not out.is_dir():
        raise SitegenError("the output exists and is not a folder; choose another --out", name)
    if out.is_dir() and any(out.iterdir()) and not (out / MARKER).exists():
        raise SitegenError(
            "the output folder is not empty and was not written by sitegen; "
            "remove it or choose another --out",
            name,
        )


def _swap(staging: Path, out: Path) -> None:
    old = None
    if out.exists():
        old = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".old", dir=out.parent))
        os.replace(out, old / out.name)
    try:
        os.replace(staging, out)
    except OSError:
        if old:
            os.replace(old / out.name, out)
        raise
    if old:
        shutil.rmtree(old, ignore_errors=True)
