"""The `sitegen` command as `pip install .` makes it: it carries its theme and lunr.js and builds a site."""

from __future__ import annotations

import base64
import hashlib
import importlib.util
import io
import json
import os
import shutil
import subprocess
import sys
import sysconfig
import tarfile
from pathlib import Path
from types import ModuleType

import pytest
from conftest import ROOT, copy_sample

from sitegen import __version__
from sitegen.__main__ import parser

VERBS = tuple(parser()._subparsers._group_actions[0].choices)  # argparse has no public list of subcommands


def _run(*command: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    result = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=180)
    assert result.returncode == 0, f"{command}: {result.stdout}{result.stderr}"
    return result


@pytest.fixture(scope="module")
def venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh virtual environment with sitegen installed by `pip install .` from a copy of this working tree.

    Only sitegen itself is installed: its dependencies (pinned, and installed in the
    environment running the tests) are made visible with a .pth file, so the test takes
    seconds and needs no network. node_modules/lunr comes along as in a developer's
    checkout (without it the build downloads the locked tarball, tested below).
    """
    work = tmp_path_factory.mktemp("install")
    source = work / "source"
    listed = _run("git", "ls-files", "--cached", "--others", "--exclude-standard", "-z", cwd=ROOT).stdout
    for name in filter(None, listed.split("\0")):
        if (ROOT / name).is_file():
            (source / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, source / name)
    if (ROOT / "node_modules" / "lunr").is_dir():
        shutil.copytree(ROOT / "node_modules" / "lunr", source / "node_modules" / "lunr")
    env = work / "venv"
    _run(sys.executable, "-m", "venv", "--without-pip", env, cwd=work)
    python = env / "bin" / "python"
    purelib = _run(python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))", cwd=work).stdout.strip()
    dependencies = dict.fromkeys([sysconfig.get_path("purelib"), sysconfig.get_path("platlib")])
    (Path(purelib) / "test_dependencies.pth").write_text("\n".join(dependencies) + "\n", encoding="utf-8")
    _run(sys.executable, "-m", "pip", "--python", python, "install", "--quiet", "--no-deps", source, cwd=work)
    return env


def test_installed_command_reports_its_version_and_verbs(venv: Path, tmp_path: Path):
    sitegen = venv / "bin" / "sitegen"
    assert _run(sitegen, "--version", cwd=tmp_path).stdout == f"sitegen {__version__}\n"
    help_text = _run(sitegen, "--help", cwd=tmp_path).stdout
    assert all(verb in help_text for verb in VERBS)


def test_installed_package_carries_the_theme_and_lunrjs(venv: Path, tmp_path: Path):
    where = "from sitegen import render, search; print(render.DEFAULT_THEME, search.LUNR_DIR)"
    theme, lunr = map(Path, _run(venv / "bin" / "python", "-c", where, cwd=tmp_path).stdout.split())
    assert theme.is_relative_to(venv.resolve()) and lunr.is_relative_to(venv.resolve())
    assert _files(theme) == _files(ROOT / "templates")
    assert (lunr / "lunr.min.js").stat().st_size > 10_000 and "MIT" in (lunr / "LICENSE").read_text()


def _files(folder: Path) -> set[Path]:
    return {path.relative_to(folder) for path in folder.rglob("*") if path.is_file()}


def test_installed_command_builds_the_sample(venv: Path, tmp_path: Path):
    sample = copy_sample(tmp_path / "sample")

    result = _run(venv / "bin" / "sitegen", "build", cwd=sample.root)

    assert "346 papers" in result.stdout
    out = sample.out
    for asset in ("index.html", "search.html", "assets/lunr.min.js", "assets/lunr.LICENSE.txt", "assets/search.js",
                  "assets/search-store.js", "assets/style.css"):
        assert (out / asset).is_file(), asset
    page = (out / "papers" / "data-filtering-networks.html").read_text(encoding="utf-8")
    assert "<h1" in page and "Data Filtering Networks" in page and 'href="../assets/style.css"' in page


def test_installed_command_starts_a_reading_list(venv: Path, tmp_path: Path):
    _run(venv / "bin" / "sitegen", "init", "list", cwd=tmp_path)

    made = _files(tmp_path / "list")
    assert {Path("site.yaml"), Path("content/dumps/README.md"), Path(".github/workflows/pages.yml")} <= made
    _run(venv / "bin" / "sitegen", "build", cwd=tmp_path / "list")
    assert (tmp_path / "list" / "_site" / "index.html").is_file()


@pytest.mark.parametrize("verb", VERBS)
def test_every_verb_has_help_with_an_example(verb: str, capsys: pytest.CaptureFixture[str]):
    with pytest.raises(SystemExit) as exit_:
        parser().parse_args([verb, "--help"])
    assert exit_.value.code == 0
    shown = capsys.readouterr().out
    assert "example" in shown and f"\n  sitegen {verb}" in shown and "python -m" not in shown


# setup.py's build hook: lunr.js from node_modules/ when npm installed the locked version, else npm's tarball.


@pytest.fixture
def setup_py() -> ModuleType:
    spec = importlib.util.spec_from_file_location("sitegen_setup", ROOT / "setup.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # setup() itself runs only as __main__
    return module


def _tarball(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for name, content in files.items():
            info = tarfile.TarInfo(f"package/{name}")
            info.size = len(content)
            archive.addfile(info, io.BytesIO(content))
    return buffer.getvalue()


def _integrity(content: bytes) -> str:
    return "sha512-" + base64.b64encode(hashlib.sha512(content).digest()).decode()


LUNR = {"lunr.min.js": b"/* lunr */", "LICENSE": b"MIT licence", "package.json": b"{}"}


def _checkout(root: Path, integrity: str, installed_version: str | None) -> Path:
    lock = {"packages": {"node_modules/lunr": {"version": "2.3.9", "integrity": integrity}}}
    (root / "package-lock.json").write_text(json.dumps(lock), encoding="utf-8")
    if installed_version:
        (root / "node_modules" / "lunr").mkdir(parents=True)
        (root / "node_modules" / "lunr" / "package.json").write_text(json.dumps({"version": installed_version}))
        (root / "node_modules" / "lunr" / "lunr.min.js").write_bytes(b"/* from npm ci */")
        (root / "node_modules" / "lunr" / "LICENSE").write_bytes(b"MIT")
    return root


@pytest.mark.parametrize("installed_version", [None, "2.3.8"])
def test_without_the_locked_lunr_installed_the_build_fetches_the_locked_tarball(
    setup_py: ModuleType, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, installed_version: str | None
):
    tarball = _tarball(LUNR)
    fetched = []

    def urlopen(url: str, timeout: float) -> io.BytesIO:
        fetched.append(url)
        return io.BytesIO(tarball)

    monkeypatch.setattr(setup_py.urllib.request, "urlopen", urlopen)
    root = _checkout(tmp_path, _integrity(tarball), installed_version)

    assert setup_py.lunr_files(root) == {"lunr.min.js": b"/* lunr */", "LICENSE": b"MIT licence"}
    assert fetched == ["https://registry.npmjs.org/lunr/-/lunr-2.3.9.tgz"]


def test_the_locked_lunr_from_npm_ci_is_used_as_is(setup_py: ModuleType, monkeypatch: pytest.MonkeyPatch, tmp_path):
    monkeypatch.setattr(setup_py.urllib.request, "urlopen", lambda *_, **__: pytest.fail("fetched"))
    root = _checkout(tmp_path, _integrity(b"whatever"), "2.3.9")

    assert setup_py.lunr_files(root) == {"lunr.min.js": b"/* from npm ci */", "LICENSE": b"MIT"}


def test_a_tarball_that_does_not_match_the_lock_is_refused(setup_py: ModuleType):
    tarball = _tarball(LUNR)
    tampered = _tarball({**LUNR, "lunr.min.js": b"/* lunr */ steal()"})

    assert setup_py.files_from_tarball(tarball, _integrity(tarball))["lunr.min.js"] == b"/* lunr */"
    with pytest.raises(RuntimeError, match="does not match package-lock.json"):
        setup_py.files_from_tarball(tampered, _integrity(tarball))
