"""Packaging hook: an installed sitegen carries its default theme and lunr.js.

In the repository the theme is `templates/` and lunr.js comes from `npm ci`, both beside
the package, which is where an editable install (`make build`) reads them. A regular
install (`pip install .`, `pip install git+URL`) has nothing beside the package, so
build_py copies them into it: `templates/` to `sitegen/theme/`, and lunr.min.js with its
licence to `sitegen/lunr/`, from node_modules/ when `npm ci` installed the version
package-lock.json pins, else from that version's npm tarball, checked against the lock's
sha512 (so a machine without npm can install sitegen).
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import shutil
import tarfile
import urllib.request
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
LUNR_FILES = ("lunr.min.js", "LICENSE")
TARBALL_URL = "https://registry.npmjs.org/lunr/-/lunr-{version}.tgz"


def locked_lunr(lock_path: Path) -> tuple[str, str]:
    """The lunr version package-lock.json pins, and its integrity (`sha512-<base64>`)."""
    entry = json.loads(lock_path.read_text(encoding="utf-8"))["packages"]["node_modules/lunr"]
    return entry["version"], entry["integrity"]


def files_from_tarball(tarball: bytes, integrity: str) -> dict[str, bytes]:
    """lunr's files out of its npm tarball, once the tarball matches the lock's integrity."""
    algorithm, _, expected = integrity.partition("-")
    if algorithm != "sha512" or base64.b64encode(hashlib.sha512(tarball).digest()).decode() != expected:
        raise RuntimeError(f"the lunr tarball does not match package-lock.json's integrity {integrity}")
    with tarfile.open(fileobj=io.BytesIO(tarball), mode="r:gz") as archive:
        return {name: archive.extractfile(f"package/{name}").read() for name in LUNR_FILES}


def lunr_files(root: Path) -> dict[str, bytes]:
    """lunr.min.js and LICENSE at the locked version: from node_modules/ if npm installed it, else from npm."""
    version, integrity = locked_lunr(root / "package-lock.json")
    installed = root / "node_modules" / "lunr"
    try:
        if json.loads((installed / "package.json").read_text(encoding="utf-8"))["version"] == version:
            return {name: (installed / name).read_bytes() for name in LUNR_FILES}
    except (OSError, ValueError, KeyError):
        pass  # not installed, or not as locked: fetch the locked version
    url = TARBALL_URL.format(version=version)
    try:
        with urllib.request.urlopen(url, timeout=60) as response:
            tarball = response.read()
    except OSError as error:
        raise RuntimeError(f"cannot download lunr.js from {url} ({error}); run `npm ci` first, or retry") from None
    return files_from_tarball(tarball, integrity)


class BuildWithAssets(build_py):
    def run(self) -> None:
        super().run()
        if self.editable_mode:  # the package stays in the repository, beside templates/ and node_modules/
            return
        package = Path(self.build_lib) / "sitegen"
        shutil.rmtree(package / "theme", ignore_errors=True)  # a theme file deleted since the last build goes too
        shutil.copytree(ROOT / "templates", package / "theme")
        (package / "lunr").mkdir(exist_ok=True)
        for name, content in lunr_files(ROOT).items():
            (package / "lunr" / name).write_bytes(content)


if __name__ == "__main__":  # as setuptools runs it; tests import the functions above
    setup(cmdclass={"build_py": BuildWithAssets})
