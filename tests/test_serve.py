"""`sitegen serve`: a real server process on a copy of the sample, driven by file edits and a browser."""

from __future__ import annotations

import contextlib
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from browser_helpers import PageProblems, watched_page
from conftest import ROOT, Site, copy_sample
from playwright.sync_api import Browser, expect

MARKER = "/_sitegen/"  # in every URL the live reload uses: the script's and its events'
SLUG = "data-filtering-networks"


class Server:
    """A `python -m sitegen serve` process for a site, and the lines it printed (stdout and stderr together)."""

    def __init__(self, site: Site, *args: str, env: dict[str, str] | None = None) -> None:
        self.site = site
        self.lines: list[str] = []
        self._printed = threading.Condition()
        # Ctrl-C must reach it: a child inherits an ignored SIGINT (as in a shell's background job), not a handler.
        previous = signal.signal(signal.SIGINT, signal.default_int_handler)
        try:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "sitegen", "serve", *args], cwd=site.root, env=env, text=True,
                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True,  # a group of its own
            )
        finally:
            signal.signal(signal.SIGINT, previous)
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            with self._printed:
                self.lines.append(line.rstrip("\n"))
                self._printed.notify_all()

    def wait_for_line(self, wanted: Callable[[str], bool], after: int = 0, timeout: float = 60) -> str:
        """The first line from number `after` on that is `wanted`."""
        with self._printed:
            found = self._printed.wait_for(lambda: next((x for x in self.lines[after:] if wanted(x)), None), timeout)
        assert found, f"no such line in {self.lines}"
        return found

    @property
    def url(self) -> str:
        line = self.wait_for_line(lambda line: line.startswith("serving ") or self.process.poll() is not None)
        assert self.process.poll() is None, self.lines
        return line.split()[3]

    def interrupt(self) -> tuple[int, float]:
        """Ctrl-C, which the terminal sends to the whole process group: the exit status, and how long it took."""
        started = time.monotonic()
        os.killpg(self.process.pid, signal.SIGINT)
        status = self.process.wait(timeout=20)
        seconds = time.monotonic() - started
        self._reader.join(timeout=5)
        return status, seconds

    def kill(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()


@pytest.fixture(scope="module")
def opened(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where the served sample's --open records the URL it was asked to open."""
    return tmp_path_factory.mktemp("browser") / "opened.txt"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, opened: Path) -> Iterator[Server]:
    """The sample reading list served with --open, a recording program standing in for the browser."""
    site = copy_sample(tmp_path_factory.mktemp("served"))
    record = f"import sys, pathlib; pathlib.Path({str(opened)!r}).write_text(sys.argv[1])"
    browser = f"{shlex.quote(sys.executable)} -c {shlex.quote(record)} %s"
    running = Server(site, "--port", "0", "--open", env={**os.environ, "BROWSER": browser})
    yield running
    running.kill()


def assert_no_problems(problems: PageProblems) -> None:
    """No failed request, error response, console or script error; but the event stream, which a reload ends."""
    problems.failed_requests = [
        failed for failed in problems.failed_requests if not failed.endswith("/_sitegen/events: net::ERR_ABORTED")
    ]
    problems.assert_none()


def get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def test_it_prints_the_url_once_built_and_opens_it_in_the_browser(server: Server, opened: Path) -> None:
    url = server.url
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+/", url)
    assert any(line.startswith("built _site/ from 5 dumps") for line in server.lines)
    deadline = time.monotonic() + 10
    while not opened.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert opened.read_text() == url


def test_a_saved_note_shows_in_the_open_page_within_two_seconds(server: Server, browser: Browser) -> None:
    with watched_page(browser) as (page, problems, _):
        page.goto(f"{server.url}papers/{SLUG}.html")
        expect(page.locator("h1")).to_have_text("Data Filtering Networks")
        page.evaluate("window.openedBefore = true")  # gone once the page reloads itself
        note = "Read on the train: the filtering network matters more than its accuracy."
        with server.site.paper_file(SLUG).open("a", encoding="utf-8") as file:
            file.write(f"\n{note}\n")
        expect(page.locator(".notes")).to_contain_text(note, timeout=2000)
        assert page.evaluate("window.openedBefore") is None
        assert_no_problems(problems)


def test_a_failed_build_shows_over_the_page_until_a_good_one(server: Server, browser: Browser) -> None:
    config = server.site.config
    good = config.read_bytes()
    overlay = "#sitegen-build-error"
    with watched_page(browser) as (page, problems, dialogs):
        page.goto(server.url)
        expect(page.locator(".topic-card").first).to_be_visible()
        printed = len(server.lines)
        config.write_bytes(good + b"topics: [unclosed\n")
        expect(page.locator(overlay)).to_contain_text("site.yaml:", timeout=5000)
        expect(page.locator(overlay)).to_contain_text("YAML syntax error")
        assert server.wait_for_line(lambda line: line.startswith("error: site.yaml:"), after=printed)
        expect(page.locator(".topic-card").first).to_be_visible()  # the last good site, under the message

        config.write_bytes(good + b"<img src=x onerror=alert(1)>: 1\n")  # the error names the key: shown as text
        expect(page.locator(overlay)).to_contain_text("unknown key '<img src=x onerror=alert(1)>'", timeout=5000)
        assert page.locator(f"{overlay} img").count() == 0

        config.write_bytes(good)
        expect(page.locator(overlay)).to_have_count(0, timeout=5000)
        assert dialogs == []
        assert_no_problems(problems)


def cpu_seconds(pid: int) -> float:
    """The processor time a process and its ended children have used."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return sum(int(ticks) for ticks in fields[11:15]) / os.sysconf("SC_CLK_TCK")


def test_the_paper_files_a_build_writes_do_not_set_off_another(server: Server) -> None:
    assert get(server.url)[0] == 200
    printed = len(server.lines)
    with (server.site.root / "content" / "dumps" / "data-filtering.txt").open("a", encoding="utf-8") as dump:
        dump.write("\n\nLive Reload Considered Helpful\n\nA page that reloads itself when its source changes.\n")
    built = server.wait_for_line(lambda line: line.startswith("built "), after=printed, timeout=10)
    assert "paper files 1 new" in built
    assert server.site.paper_file("live-reload-considered-helpful").is_file()
    time.sleep(0.5)  # the watcher has seen the files written, and what follows has happened
    used = cpu_seconds(server.process.pid)
    time.sleep(2)
    assert cpu_seconds(server.process.pid) - used < 0.2  # idle: no build after build
    assert [line for line in server.lines[printed:] if not line.startswith("note:")] == [built]


def wait_until_served(url: str, text: str) -> None:
    deadline = time.monotonic() + 5
    while text.encode() not in get(url)[1]:
        assert time.monotonic() < deadline, f"{url} never showed {text!r}"
        time.sleep(0.05)


def test_a_templates_folder_added_while_serving_is_watched_too(server: Server) -> None:
    theme = (ROOT / "templates" / "base.html").read_text(encoding="utf-8")
    assert "built with sitegen" in theme
    url = server.url
    printed = len(server.lines)
    with server.site.paper_file(SLUG).open("a", encoding="utf-8") as file:
        file.write("\nA note, so that the watcher is known to be watching before templates/ is made.\n")
    server.wait_for_line(lambda line: line.startswith("built "), after=printed)
    templates = server.site.root / "templates"
    templates.mkdir()
    try:
        (templates / "base.html").write_text(theme.replace("built with sitegen", "my own footer"), encoding="utf-8")
        wait_until_served(url, "my own footer")
        (templates / "base.html").write_text(theme.replace("built with sitegen", "edited footer"), encoding="utf-8")
        wait_until_served(url, "edited footer")
    finally:
        shutil.rmtree(templates)
    wait_until_served(url, "built with sitegen")


def test_pages_are_served_as_built_with_only_the_script_added(server: Server) -> None:
    out = server.site.out
    status, served = get(f"{server.url}papers/{SLUG}.html")
    assert status == 200
    script = re.search(rb'<script src="/_sitegen/live-reload\.js" data-build="[^"]+"></script>\n', served)
    assert script and served.index(script.group(0)) == served.rindex(b"</body>") - len(script.group(0))
    without = served.replace(script.group(0), b"").replace(b"; connect-src 'self'", b"")
    assert without == (out / "papers" / f"{SLUG}.html").read_bytes()
    assert get(f"{server.url}assets/style.css") == (200, (out / "assets" / "style.css").read_bytes())

    status, missing = get(f"{server.url}papers/no-such-paper.html")
    assert status == 404 and MARKER.encode() in missing  # a page added later still reloads into view

    status, script_file = get(f"{server.url}_sitegen/live-reload.js")
    assert status == 200 and b"EventSource" in script_file
    assert not [path for path in out.rglob("*") if path.is_file() and MARKER.encode() in path.read_bytes()]


def test_a_plain_build_has_no_live_reload_script(sample: Site) -> None:
    pages = list(sample.out.rglob("*.html"))
    assert len(pages) > 300
    assert [page for page in pages if MARKER in page.read_text(encoding="utf-8")] == []


def other_addresses() -> set[str]:
    """Addresses of this machine that are not 127.0.0.1 (another loopback one is always there)."""
    found = {"127.0.0.2"}
    with contextlib.suppress(OSError):  # the machine's name may have no address
        found.update(address[0] for *_, address in socket.getaddrinfo(socket.gethostname(), None, socket.AF_INET))
    return found - {"127.0.0.1"}


def test_it_answers_on_127_0_0_1_only(server: Server) -> None:
    port = int(server.url.rsplit(":", 1)[1].strip("/"))
    assert get(server.url)[0] == 200
    for address in other_addresses():
        with pytest.raises(ConnectionRefusedError), socket.create_connection((address, port), timeout=5):
            pass


@pytest.mark.parametrize("when", ["waiting", "building"])
def test_ctrl_c_stops_it_at_once_and_leaves_no_process(tmp_path: Path, when: str) -> None:
    site = copy_sample(tmp_path / "site")
    running = Server(site, "--port", "0")
    try:
        url = running.url
        with urllib.request.urlopen(f"{url}_sitegen/events", timeout=10) as events:  # an open page's stream
            assert events.readline().startswith(b"data: ")
            if when == "building":
                with site.paper_file(SLUG).open("a", encoding="utf-8") as file:
                    file.write("\nA note saved just before Ctrl-C.\n")
                time.sleep(0.2)  # the watcher has seen it; the build takes longer than this
            status, seconds = running.interrupt()
    finally:
        running.kill()
    assert status == 0
    assert seconds < 3
    assert running.lines[-1] == "stopped"
    assert not any("Traceback" in line for line in running.lines)
    with pytest.raises(ProcessLookupError):  # nothing left in its process group: no build process
        os.killpg(running.process.pid, 0)
    assert (site.out / "index.html").is_file()


def test_a_taken_port_is_a_one_line_error(site: Site) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = site.cli("serve", "--port", str(port))
    assert result.returncode == 1
    assert result.stderr == f"error: port {port} is already in use; choose another with --port\n"
    assert result.stdout == ""
