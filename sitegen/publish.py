"""Write the site into a temporary directory beside the output, then swap it in.

The swap is one atomic exchange of the two directories (Linux renameat2), so a build
that fails or is killed at any moment leaves the previous site complete.
"""

from __future__ import annotations

import ctypes
import errno
import os
import shutil
import tempfile
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from .config import display_path
from .errors import SitegenError

MARKER = ".sitegen"  # every output sitegen writes has it: the proof that it may replace the folder
NO_JEKYLL = ".nojekyll"  # GitHub Pages: serve the files as they are


@contextmanager
def staged(out: Path, protected: Path) -> Iterator[Path]:
    """A fresh folder to write the whole site into; swapped in for `out` when the block ends well.

    `protected` is the site's own directory: an output there or above it is refused,
    as is a non-empty directory that sitegen did not write. Files of the current
    output are carried over with carry_over(). After the swap, the previous output is
    in the folder the block was given: remove it with removing().
    """
    out = _real(out)
    _check_output(out, protected.absolute())
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent))
    except OSError as error:
        raise SitegenError(
            f"cannot create the output folder ({error.strerror}); choose another --out", display_path(out)
        ) from None
    try:
        staging.chmod(0o755)
        yield staging
        (staging / NO_JEKYLL).write_bytes(b"")
        (staging / MARKER).write_text("Written by sitegen, which replaces this folder on every build.\n")
        _swap(staging, out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def write_files(staging: Path, files: Iterable[tuple[str, bytes]], asset_dirs: Iterable[Path], out: Path) -> None:
    """The asset folders, later ones winning, then generated files (path in the site, content), which win over assets.

    A generated file whose bytes the current output already has is carried over (a hard link).
    """
    for folder in asset_dirs:
        if folder.is_dir():
            shutil.copytree(folder, staging / "assets", dirs_exist_ok=True)
    for relative, content in files:
        (staging / relative).parent.mkdir(parents=True, exist_ok=True)
        (staging / relative).unlink(missing_ok=True)
        if _holds(out / relative, content):
            os.link(out / relative, staging / relative)
        else:
            (staging / relative).write_bytes(content)


def _holds(path: Path, content: bytes) -> bool:
    try:
        return path.stat().st_size == len(content) and path.read_bytes() == content
    except OSError:
        return False


def carry_over(staging: Path, out: Path, relatives: Iterable[str]) -> None:
    """Files of the current output, unchanged, as hard links: nothing is copied."""
    source = str(_real(out))
    target = str(staging)
    made = set()
    for relative in relatives:
        folder = os.path.dirname(relative)
        if folder not in made:
            os.makedirs(os.path.join(target, folder), exist_ok=True)
            made.add(folder)
        os.link(os.path.join(source, relative), os.path.join(target, relative))


def _real(out: Path) -> Path:
    """The output folder itself: where a symlinked output points."""
    return out.resolve() if out.is_symlink() else out.absolute()


def _check_output(out: Path, protected: Path) -> None:
    name = display_path(out)
    if out == protected or out in protected.parents:
        raise SitegenError("the output would replace the site's own folder; choose another --out", name)
    if out.exists() and not out.is_dir():
        raise SitegenError("the output exists and is not a folder; choose another --out", name)
    written_by_sitegen = (out / MARKER).exists() or (out / "assets" / "lunr.min.js").exists()  # or an older one
    if out.is_dir() and any(out.iterdir()) and not written_by_sitegen:
        raise SitegenError(
            "the output folder is not empty and was not written by sitegen; "
            "remove it or choose another --out",
            name,
        )


@contextmanager
def removing(folder: Path) -> Iterator[None]:
    """Delete a folder on a thread while the block runs (its 10,000 files take a tenth of a second)."""
    thread = threading.Thread(target=shutil.rmtree, args=(folder, True))
    thread.start()
    try:
        yield
    finally:
        thread.join()


def _swap(staging: Path, out: Path) -> None:
    """Put `staging` in the place of `out`; the previous `out`, if any, ends up at `staging`."""
    if not out.exists():
        os.replace(staging, out)
    elif not _exchange(staging, out):  # no atomic exchange here: two renames, with a short window between them
        old = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent))
        os.replace(out, old / out.name)
        os.replace(staging, out)
        os.replace(old / out.name, staging)
        old.rmdir()


_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def _exchange(first: Path, second: Path) -> bool:
    """Swap two directories atomically; False where the system cannot."""
    renameat2 = getattr(ctypes.CDLL(None, use_errno=True), "renameat2", None)
    if renameat2 is None:
        return False
    result = renameat2(_AT_FDCWD, os.fsencode(first), _AT_FDCWD, os.fsencode(second), _RENAME_EXCHANGE)
    if result == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP):
        return False
    raise OSError(code, os.strerror(code), str(second))


def remove_leftovers(out: Path) -> None:
    """Delete temporary folders that a killed build left beside the output."""
    for leftover in out.absolute().parent.glob(f".{out.name}.*.tmp"):
        shutil.rmtree(leftover, ignore_errors=True)
