"""`sitegen init`: a new reading list that builds, and never a file written over."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from sitegen import starter
from sitegen.config import SITE_KEYS, TOPIC_KEYS, load_config
from sitegen.starter import git_source, init, report

NEW_FILES = ("site.yaml", "content/dumps/README.md", ".gitignore", ".github/workflows/pages.yml")
COMMIT = "0123456789abcdef0123456789abcdef01234567"
# A page of Daily Papers as it pastes (format A), with a paper the sample reading list does not have.
NEW_DUMP = """new

Get trending papers in your email inbox!

Subscribe

Daily Papers

byAK and the research community

Nov 13

Sparrow Counting With Tiny Diffusion Transformers

We count sparrows in city parks with a diffusion transformer small enough to run on a phone.

  • 4 authors
·
Nov 12, 2025 7
"""


def sitegen(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "sitegen", *args], cwd=cwd, capture_output=True, text=True, timeout=120
    )


def test_init_makes_a_new_folder_with_every_starter_file_and_says_what_next(tmp_path: Path):
    result = sitegen("init", "my list", cwd=tmp_path)

    assert result.returncode == 0, result.stderr
    folder = tmp_path / "my list"
    for target in NEW_FILES:
        assert (folder / target).is_file()
        assert f"created my list/{target}\n" in result.stdout
    assert "left alone" not in result.stdout
    assert "cd 'my list'" in result.stdout
    assert "sitegen build" in result.stdout and "sitegen serve" in result.stdout
    assert "replace the PLACEHOLDER in .github/workflows/pages.yml" in result.stdout
    config = load_config(folder / "site.yaml")
    assert [(topic.slug, topic.dumps) for topic in config.topics] == [("diffusion-models", ())]


def test_the_starter_config_explains_every_key_sitegen_reads():
    lines = (starter.STARTER_FILES / "site.yaml").read_text(encoding="utf-8").splitlines()
    for key in SITE_KEYS + TOPIC_KEYS:
        number = next((n for n, line in enumerate(lines) if re.match(rf"[ #-]*{key}:", line)), None)
        assert number is not None, f"{key} is not in the starter site.yaml"
        line, before = lines[number], lines[number - 1]
        assert " # " in line or before.lstrip().startswith("#"), f"{key} has no comment"


def test_existing_files_are_left_byte_for_byte_and_named(tmp_path: Path):
    mine = b"# my own list\r\ntitle: Mine\r\n"
    (tmp_path / "site.yaml").write_bytes(mine)

    result = sitegen("init", cwd=tmp_path)

    assert result.returncode == 0, result.stderr
    assert (tmp_path / "site.yaml").read_bytes() == mine
    assert "left alone site.yaml (it exists)\n" in result.stdout
    for target in NEW_FILES[1:]:
        assert f"created {target}\n" in result.stdout
    assert "cd " not in result.stdout  # already there


def test_an_initialised_site_builds_a_dump_added_to_its_topic(tmp_path: Path):
    folder = tmp_path / "list"
    init(folder)
    (folder / "content" / "dumps" / "sparrows.txt").write_text(NEW_DUMP, encoding="utf-8")
    config = folder / "site.yaml"
    text = config.read_text(encoding="utf-8")
    assert text.count("dumps: []") == 1
    config.write_text(text.replace("dumps: []", "dumps: [sparrows.txt]"), encoding="utf-8")

    result = sitegen("build", cwd=folder)

    assert result.returncode == 0, result.stdout + result.stderr
    page = folder / "_site" / "papers" / "sparrow-counting-with-tiny-diffusion-transformers.html"
    assert "Sparrow Counting With Tiny Diffusion Transformers" in page.read_text(encoding="utf-8")
    topic = (folder / "_site" / "topics" / "diffusion-models.html").read_text(encoding="utf-8")
    assert "../papers/sparrow-counting-with-tiny-diffusion-transformers.html" in topic
    ignored = (folder / ".gitignore").read_text(encoding="utf-8").splitlines()
    made_by_the_build = {path.name for path in folder.iterdir()} - {"site.yaml", "content", ".gitignore", ".github"}
    assert made_by_the_build and all(f"{name}/" in ignored for name in made_by_the_build)


def test_git_ignores_what_builds_leave_and_keeps_what_the_user_writes(tmp_path: Path):
    init(tmp_path)
    subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True)
    left = ["_site/index.html", ".sitegen-cache/dumps.pickle", "._site.k2j3x.tmp/index.html",  # a stopped build's
            "content/papers/.a-paper.md.x7q_1.tmp", "content/topics/.birds.md.a1b2.tmp"]
    kept = ["site.yaml", "content/papers/a-paper.md", "content/dumps/birds.txt", "templates/base.html",
            ".github/workflows/pages.yml", ".gitignore"]
    for name in left + kept:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).touch()

    result = subprocess.run(["git", "check-ignore", *left, *kept], cwd=tmp_path, capture_output=True, text=True)

    assert result.stdout.splitlines() == left


@pytest.mark.parametrize("source", [None, f"https://github.com/someone/sitegen@{COMMIT}"])
def test_the_next_steps_name_the_branch_the_workflow_publishes(tmp_path: Path, source: str | None):
    started = init(tmp_path, source)
    workflow = yaml.safe_load((tmp_path / ".github" / "workflows" / "pages.yml").read_text(encoding="utf-8"))

    (branch,) = workflow[True]["push"]["branches"]  # YAML 1.1 reads the key `on` as true
    assert f"push to GitHub on the branch {branch} " in report(started)


def _steps(workflow: dict) -> list[dict]:
    return [step for job in workflow["jobs"].values() for step in job["steps"]]


def test_the_workflow_builds_with_the_pages_address_and_deploys_with_the_official_actions(tmp_path: Path):
    init(tmp_path)
    workflow = yaml.safe_load((tmp_path / ".github" / "workflows" / "pages.yml").read_text(encoding="utf-8"))

    actions = [step["uses"].split("@")[0] for step in _steps(workflow) if "uses" in step]
    assert {"actions/configure-pages", "actions/upload-pages-artifact", "actions/deploy-pages"} <= set(actions)
    runs = [step["run"] for step in _steps(workflow) if "run" in step]
    assert 'pip install "sitegen @ git+https://github.com/OWNER/sitegen"' in runs
    assert 'sitegen build --base-url "${{ steps.pages.outputs.base_url }}/"' in runs
    upload = next(step for step in _steps(workflow) if step.get("uses", "").startswith("actions/upload-pages-artifact"))
    assert upload["with"]["path"] == "_site"


def test_the_workflow_installs_sitegen_from_the_repository_it_came_from(tmp_path: Path):
    started = init(tmp_path, f"https://github.com/someone/sitegen@{COMMIT}")

    text = (tmp_path / ".github" / "workflows" / "pages.yml").read_text(encoding="utf-8")
    runs = [step.get("run") for step in _steps(yaml.safe_load(text))]
    assert f'pip install "sitegen @ git+https://github.com/someone/sitegen@{COMMIT}"' in runs
    assert "OWNER" not in text and "PLACEHOLDER" not in report(started)


@pytest.mark.parametrize(
    ("direct_url", "source"),
    [
        (f'{{"url": "https://github.com/a/sitegen.git", "vcs_info": {{"vcs": "git", "commit_id": "{COMMIT}"}}}}',
         f"https://github.com/a/sitegen.git@{COMMIT}"),
        ('{"url": "file:///home/me/sitegen", "dir_info": {"editable": true}}', None),  # a checkout
        (f'{{"url": "https://x.io/a\\"; rm -rf ~", "vcs_info": {{"vcs": "git", "commit_id": "{COMMIT}"}}}}', None),
        (f'{{"url": "https://tok@github.com/a/b", "vcs_info": {{"vcs": "git", "commit_id": "{COMMIT}"}}}}', None),
        ('{"url": "https://hg.example/a", "vcs_info": {"vcs": "hg", "commit_id": "abc"}}', None),
        ("not json", None),
        (None, None),  # installed without a direct URL (from an index)
    ],
)
def test_the_workflow_names_only_a_plain_public_git_source(direct_url: str | None, source: str | None):
    assert git_source(direct_url) == source


def test_init_into_a_file_says_so(tmp_path: Path):
    (tmp_path / "taken").write_text("a file", encoding="utf-8")

    result = sitegen("init", "taken", cwd=tmp_path)

    assert result.returncode == 1
    assert result.stderr.startswith("error: ") and "taken" in result.stderr and "Traceback" not in result.stderr
    assert (tmp_path / "taken").read_text(encoding="utf-8") == "a file"
