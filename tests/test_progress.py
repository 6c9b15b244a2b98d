"""A long build shows its stage and how far it is: a bar on a terminal, plain lines elsewhere, nothing with --quiet."""

from __future__ import annotations

import io
import os
import pty
import re
import subprocess
import sys

from conftest import Site

from sitegen.progress import EVERY, Progress

ABSTRACT = "An abstract that is long enough to be one. " * 8
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")  # all but tab and newline
# The build as `sitegen build` runs it, with progress from the first second rather than after two.
BUILD = "import sys, sitegen.progress as p; p.DELAY = 0; import sitegen.__main__ as m; sys.exit(m.main(sys.argv[1:]))"


def small_site(site: Site) -> Site:
    site.write_config("title: T\ntopics:\n  - title: All\n    dumps: [d.txt]\n")
    site.dump("d.txt", "".join(f"Paper Number {n}\n\n{ABSTRACT}\n\n" for n in range(1, 4)))
    return site


def run_build(site: Site, *args: str, terminal: bool, **environment: str) -> tuple[str, str]:
    """Run the build with stderr on a pseudo-terminal or a pipe; return its stdout and stderr."""
    command = [sys.executable, "-c", BUILD, "build", *args]
    env = {**os.environ, "COLUMNS": "100", "TERM": "xterm", **environment}
    if not terminal:
        done = subprocess.run(command, cwd=site.root, env=env, capture_output=True, text=True, timeout=120, check=True)
        return done.stdout, done.stderr
    leader, follower = pty.openpty()
    with subprocess.Popen(
        command, cwd=site.root, env=env, stdout=subprocess.PIPE, stderr=follower, text=True
    ) as process:
        os.close(follower)
        stdout = process.stdout.read()
        stderr = b""
        while True:
            try:
                chunk = os.read(leader, 4096)
            except OSError:  # the terminal closed with the build
                break
            if not chunk:
                break
            stderr += chunk
        assert process.wait(timeout=120) == 0
    os.close(leader)
    return stdout, stderr.decode()


def test_on_a_terminal_one_line_is_redrawn_and_erased_and_the_summary_stays_one_line(site: Site):
    stdout, stderr = run_build(small_site(site), terminal=True)
    assert "rendering pages [" in stderr and "\r\x1b[K" in stderr
    assert stderr.endswith("\r\x1b[K")  # nothing of it is left on the screen
    assert "\n" not in stderr.replace("\r\n", "")
    assert [line for line in stdout.splitlines() if not line.startswith("note: ")] == [stdout.splitlines()[-1]]
    assert stdout.splitlines()[-1].startswith("built _site/")


def test_elsewhere_each_stage_is_a_plain_line_without_control_characters(site: Site):
    stdout, stderr = run_build(small_site(site), terminal=False)
    stages = [line.split(": ", 1)[1] for line in stderr.splitlines()]
    assert stages[:2] == ["reading the dumps...", "reading the paper files..."]
    assert any(re.fullmatch(r"rendering pages: 0 of \d+", stage) for stage in stages)
    assert stages[-1] == "checking the site..."
    assert not CONTROL.search(stderr + stdout)


def test_a_narrow_terminal_gets_lines_that_fit_and_a_dumb_one_plain_lines(site: Site):
    _, stderr = run_build(small_site(site), terminal=True, COLUMNS="30")
    drawn = [line for line in stderr.split("\r\x1b[K") if line]
    assert drawn and all(len(line) < 30 for line in drawn) and any(len(line) == 29 for line in drawn)
    _, stderr = run_build(site, "--out", "_site_dumb", terminal=True, TERM="dumb")
    assert not CONTROL.search(stderr.replace("\r\n", "\n")) and "checking the site..." in stderr


def test_quiet_prints_the_summary_only(site: Site):
    stdout, stderr = run_build(small_site(site), "--quiet", terminal=True)
    assert stderr == ""
    assert stdout.splitlines() == [stdout.strip()] and stdout.startswith("built _site/")


def test_a_quick_build_shows_nothing_and_a_long_stage_shows_now_and_then():
    now = [0.0]
    stream = io.StringIO()
    progress = Progress(stream, clock=lambda: now[0])
    progress.stage("reading the dumps")
    now[0] = 2.5
    progress.stage("rendering pages", 1000)
    for _ in range(1000):
        now[0] += 0.01  # ten seconds of rendering
        progress.advance()
    progress.close()
    lines = stream.getvalue().splitlines()
    assert lines[0] == "2 s: rendering pages: 0 of 1000"
    assert 10 / EVERY <= len(lines) <= 10 / EVERY + 1  # the stage's start, then one every EVERY seconds
    assert lines[-1].endswith(" of 1000")
