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
from email.message import Message
from pathlib import Path

import pytest
from browser_helpers import PageProblems, watch, watched_page
from conftest import ROOT, Site, copy_sample
from playwright.sync_api import Browser, expect

from sitegen.serve.http import connections_to_self_allowed, with_live_reload

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
    """The sample reading list served with --open and --debug (which names the files that set off each build).

    A program that records the URL and then stays open, as a browser in the terminal (lynx)
    does, stands in for the browser: the tests that follow see the server rebuild meanwhile.
    """
    site = copy_sample(tmp_path_factory.mktemp("served"))
    record = f"import sys, pathlib, time; pathlib.Path({str(opened)!r}).write_text(sys.argv[1]); time.sleep(600)"
    browser = f"{shlex.quote(sys.executable)} -c {shlex.quote(record)} %s"
    running = Server(site, "--port", "0", "--open", "--debug", env={**os.environ, "BROWSER": browser})
    yield running
    running.kill()  # the "browser" too: it is in the server's process group


def assert_no_problems(problems: PageProblems) -> None:
    """No failed request, error response, console or script error; but the event stream, which a reload ends."""
    problems.failed_requests = [
        failed for failed in problems.failed_requests if not failed.endswith("/_sitegen/events: net::ERR_ABORTED")
    ]
    problems.assert_none()


def fetch(url: str, method: str = "GET", host: str | None = None) -> tuple[int, Message, bytes]:
    """The status, headers and body of a request (with another Host header, if `host`)."""
    request = urllib.request.Request(url, method=method, headers={"Host": host} if host else {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


def get(url: str) -> tuple[int, bytes]:
    status, _, body = fetch(url)
    return status, body


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
        with page.expect_event("load", timeout=10_000):  # told as it happens: no polling adds to the time
            with server.site.paper_file(SLUG).open("a", encoding="utf-8") as file:
                file.write(f"\n{note}\n")
            saved = time.monotonic()
        seconds = time.monotonic() - saved
        assert note in page.locator(".notes").inner_text()  # the reload is the one the note set off
        assert seconds < 2
        assert page.evaluate("window.openedBefore") is None
        assert_no_problems(problems)


def test_every_open_tab_loads_and_reloads(server: Server, browser: Browser) -> None:
    """A browser opens six connections to a server at most: the tabs' build events must not take them all."""
    tabs, slugs = 8, [SLUG, "dinov2-learning-robust-visual-features-without-supervision"]
    context = browser.new_context()
    try:
        pages = [context.new_page() for _ in range(tabs)]
        problems = [watch(page) for page in pages]
        for number, page in enumerate(pages):
            page.goto(f"{server.url}papers/{slugs[number % 2]}.html", timeout=10_000)
            expect(page.locator("h1")).to_be_visible()
        for page in pages:
            page.evaluate("window.openedBefore = true")
        note = "Eight tabs open, and every one reloads."
        with server.site.paper_file(SLUG).open("a", encoding="utf-8") as file:
            file.write(f"\n{note}\n")
        for number, page in enumerate(pages):
            if number % 2 == 0:
                expect(page.locator(".notes")).to_contain_text(note, timeout=10_000)
            else:
                page.wait_for_function("window.openedBefore === undefined", timeout=10_000)
        for found in problems:
            assert_no_problems(found)
    finally:
        context.close()


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
        error = server.wait_for_line(lambda line: line.startswith("error: site.yaml:"), after=printed)
        expect(page.locator(".topic-card").first).to_be_visible()  # the last good site, under the message

        config.write_bytes(good + b"topics: [unclosed\n")  # saved again as it was: the same error, said once
        server.wait_for_line(lambda line: line == "changed: site.yaml", after=server.lines.index(error))

        config.write_bytes(good + b"<img src=x onerror=alert(1)>: 1\n")  # the error names the key: shown as text
        expect(page.locator(overlay)).to_contain_text("unknown key '<img src=x onerror=alert(1)>'", timeout=5000)
        assert page.locator(f"{overlay} img").count() == 0
        server.wait_for_line(lambda line: line.startswith("error: site.yaml:") and "unknown key" in line, after=printed)
        assert server.lines[printed:].count(error) == 1

        config.write_bytes(good)
        expect(page.locator(overlay)).to_have_count(0, timeout=5000)
        assert dialogs == []
        assert_no_problems(problems)


def test_the_files_a_build_writes_set_off_no_rebuild(server: Server) -> None:
    printed = len(server.lines)
    with (server.site.root / "content" / "dumps" / "data-filtering.txt").open("a", encoding="utf-8") as dump:
        dump.write("\n\nLive Reload Considered Helpful\n\nA page that reloads itself when its source changes.\n")
    built = server.wait_for_line(lambda line: line.startswith("built "), after=printed, timeout=10)
    assert "paper files 1 new" in built
    assert server.site.paper_file("live-reload-considered-helpful").is_file()
    # A file saved after that build: once the watcher names it, it has passed on every change made before it.
    with server.site.paper_file(SLUG).open("a", encoding="utf-8") as file:
        file.write("\nSaved after the build.\n")
    saved = server.wait_for_line(lambda line: f"content/papers/{SLUG}.md" in line, after=server.lines.index(built))
    between = server.lines[server.lines.index(built) + 1:server.lines.index(saved)]
    # The paper and topic files the build wrote may come back from the watcher once, and the build then finds
    # nothing to do, and says nothing: no summary, no reload, and no build after that.
    assert len(between) <= 1 and all(line.startswith("changed: content/") for line in between), between
    server.wait_for_line(lambda line: line.startswith("built "), after=server.lines.index(saved))


def test_a_deleted_output_folder_is_built_again(server: Server) -> None:
    printed = len(server.lines)
    shutil.rmtree(server.site.out)
    built = server.wait_for_line(lambda line: line.startswith("built "), after=printed, timeout=20)
    assert "changed: _site" in server.lines[printed:server.lines.index(built)]
    assert int(re.search(r"(\d+) pages written", built).group(1)) > 300  # all of them
    assert get(server.url)[0] == 200
    assert get(f"{server.url}papers/{SLUG}.html")[0] == 200


def test_a_missing_page_shows_once_a_build_makes_it(server: Server, browser: Browser) -> None:
    title = "Sparrows Seen From The Served Site"
    with watched_page(browser) as (page, _, _):
        response = page.goto(f"{server.url}papers/sparrows-seen-from-the-served-site.html")
        assert response and response.status == 404
        expect(page.locator("h1")).to_have_text("Page not found")  # the site's 404.html, as on GitHub Pages
        with (server.site.root / "content" / "dumps" / "classification.txt").open("a", encoding="utf-8") as dump:
            dump.write(f"\n\n{title}\n\nWe count sparrows from a window.\n")
        expect(page.locator("h1")).to_have_text(title, timeout=10_000)


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
    status, headers, served = fetch(f"{server.url}papers/{SLUG}.html")
    assert status == 200
    assert headers["Content-Type"] == "text/html"  # the page says its encoding itself: <meta charset>
    script = re.search(rb'<script src="/_sitegen/live-reload\.js" data-build="[^"]+"></script>\n', served)
    assert script and served.index(script.group(0)) == served.rindex(b"</body>") - len(script.group(0))
    without = served.replace(script.group(0), b"").replace(b"; connect-src 'self'", b"")
    assert without == (out / "papers" / f"{SLUG}.html").read_bytes()
    assert get(f"{server.url}assets/style.css") == (200, (out / "assets" / "style.css").read_bytes())
    status, head, body = fetch(f"{server.url}papers/{SLUG}.html", "HEAD")
    assert (status, head["Content-Type"], head["Content-Length"], body) == (200, "text/html", str(len(served)), b"")

    status, script_file = get(f"{server.url}_sitegen/live-reload.js")
    assert status == 200 and b"EventSource" in script_file
    status, headers, body = fetch(f"{server.url}_sitegen/live-reload.js", "HEAD")
    assert (status, headers["Content-Length"], body) == (200, str(len(script_file)), b"")
    status, headers, body = fetch(f"{server.url}_sitegen/events", "HEAD")
    assert (status, headers["Content-Type"], body) == (200, "text/event-stream", b"")
    assert not [path for path in out.rglob("*") if path.is_file() and MARKER.encode() in path.read_bytes()]


@pytest.mark.parametrize("missing", ["papers/no-such-paper.html", "assets/", "no/such/folder/", "assets/nothing.css"])
def test_what_is_not_there_is_the_sites_404_page_that_reloads(server: Server, missing: str) -> None:
    status, headers, body = fetch(f"{server.url}{missing}")
    assert (status, headers["Content-Type"]) == (404, "text/html")  # a folder without index.html too: no listing
    script = re.search(rb'<script src="/_sitegen/live-reload\.js" data-build="[^"]+"></script>\n', body)
    assert script  # the page reloads into view once a build makes it
    without = body.replace(script.group(0), b"").replace(b"; connect-src 'self'", b"")
    assert without == (server.site.out / "404.html").read_bytes()
    assert fetch(f"{server.url}{missing}", "HEAD")[::2] == (404, b"")


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


def test_it_answers_only_to_its_own_names(server: Server) -> None:
    """A web page whose host name its owner points at 127.0.0.1 (DNS rebinding) must not read the site."""
    port = int(server.url.rsplit(":", 1)[1].strip("/"))
    for host in (f"127.0.0.1:{port}", f"localhost:{port}", f"LocalHost:{port}"):
        assert fetch(server.url, host=host)[0] == 200
    for host in (f"attacker.example:{port}", "attacker.example", f"127.0.0.1.attacker.example:{port}",
                 f"127.0.0.1:{port + 1}"):
        for path in ("", f"papers/{SLUG}.html", "_sitegen/events", "no-such-page.html"):
            status, _, body = fetch(f"{server.url}{path}", host=host)
            assert status == 403 and b"Data Filtering" not in body and MARKER.encode() not in body


@pytest.mark.parametrize("when", ["waiting", "building"])
def test_ctrl_c_stops_it_at_once_and_leaves_no_process(tmp_path: Path, when: str) -> None:
    site = copy_sample(tmp_path / "site")
    running = Server(site, "--port", "0", "--debug")
    try:
        url = running.url
        with urllib.request.urlopen(f"{url}_sitegen/events", timeout=10) as events:  # an open page's stream
            assert events.readline().startswith(b"data: ")
            if when == "building":
                running.wait_for_line(lambda line: line == "watching for changes")
                with site.paper_file(SLUG).open("a", encoding="utf-8") as file:
                    file.write("\nA note saved just before Ctrl-C.\n")
                running.wait_for_line(lambda line: line.startswith("changed: "))  # the build starts
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
    site.write_config("title: Taken\n")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = site.cli("serve", "--port", str(port))
    assert result.returncode == 1
    assert result.stderr == f"error: port {port} is already in use; choose another with --port\n"
    assert result.stdout == ""


def test_without_a_config_it_stops_with_the_error_build_gives(site: Site) -> None:
    result = site.cli("serve", "--port", "0")
    assert (result.returncode, result.stdout) == (1, "")
    assert result.stderr == site.cli("build").stderr == (
        "error: site.yaml: config file not found (use --config to name another)\n"
    )


def save_whole(path: Path, text: str) -> None:
    new = path.with_name(path.name + ".new")
    new.write_text(text, encoding="utf-8")
    new.replace(path)


def test_a_broken_config_at_the_start_is_said_once_and_served_until_fixed(site: Site) -> None:
    site.dump("birds.txt", "Sparrow Counting\n\nWe count sparrows.\n")
    site.write_config("title: Birds\ntopics: [unclosed\n")
    running = Server(site, "--port", "0", "--debug")
    try:
        url = running.url  # serving, though there is nothing built yet
        status, body = get(url)
        assert status == 404 and MARKER.encode() in body  # the page that shows the error, and reloads when fixed
        running.wait_for_line(lambda line: line == "watching for changes")
        # Saved whole (as editors do), so that no build reads a half-written file.
        save_whole(site.config, "title: Birds\ntopics: [unclosed\n")  # the same error again
        running.wait_for_line(lambda line: line == "changed: site.yaml")
        save_whole(site.config, "title: Birds\ntopics: [{title: Birds, dumps: [birds.txt]}]\n")
        running.wait_for_line(lambda line: line.startswith("built "))
        assert b"Sparrow Counting" in get(url)[1]
    finally:
        running.kill()
    errors = [line for line in running.lines if line.startswith("error: ")]
    assert errors == ["error: site.yaml:3: YAML syntax error: expected ',' or ']', but got '<stream end>'"]


@pytest.mark.parametrize(
    ("policy", "served"),
    [
        ("default-src 'none'; script-src 'self'", "default-src 'none'; script-src 'self'; connect-src 'self'"),
        ("default-src 'none'; script-src 'self';", "default-src 'none'; script-src 'self'; connect-src 'self'"),
        ("default-src https:", "default-src https:; connect-src https: 'self'"),  # connect-src falls back to it
        ("default-src 'self'", "default-src 'self'"),
        ("script-src 'self'", "script-src 'self'"),  # nothing limits connections
        ("connect-src https://x.example; default-src 'none'",
         "connect-src https://x.example 'self'; default-src 'none'"),
        ("default-src 'none';  CONNECT-SRC 'none' ; img-src 'self'",  # names in any case; 'none' goes
         "default-src 'none';  connect-src 'self' ; img-src 'self'"),
        ("connect-src 'none'; connect-src 'self'", "connect-src 'self'; connect-src 'self'"),  # the first one counts
        ("connect-src 'SELF' https://api.example", "connect-src 'SELF' https://api.example"),
        ("", ""),
    ],
)
def test_a_page_policy_gains_connections_to_its_own_server_only(policy: str, served: str) -> None:
    assert connections_to_self_allowed(policy) == served


@pytest.mark.parametrize(
    ("meta", "served"),
    [
        ("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'\">",
         "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; connect-src 'self'\">"),
        ("<meta content=\"default-src 'none'\" http-equiv=\"content-security-policy\">",
         "<meta content=\"default-src 'none'; connect-src 'self'\" http-equiv=\"content-security-policy\">"),
        ("<META CONTENT='default-src &#39;none&#39;' HTTP-EQUIV='Content-Security-Policy' />",
         "<META content=\"default-src 'none'; connect-src 'self'\" HTTP-EQUIV='Content-Security-Policy' />"),
        ("<meta http-equiv=Content-Security-Policy content=default-src\n>",  # no sources: as 'none'
         "<meta http-equiv=Content-Security-Policy content=\"default-src; connect-src 'self'\"\n>"),
        ("<meta\nhttp-equiv = \"Content-Security-Policy\"\ncontent = \"connect-src 'none' &quot;x&quot;\">",
         "<meta\nhttp-equiv = \"Content-Security-Policy\"\ncontent=\"connect-src &quot;x&quot; 'self'\">"),
        ("<meta name=\"description\" content=\"default-src 'none'\">", None),
        ("<meta http-equiv=\"refresh\" content=\"default-src 'none'\">", None),
        ("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'self'\">", None),
    ],
)
def test_the_served_policy_allows_the_build_events_however_the_tag_is_written(meta: str, served: str | None) -> None:
    page = f"<!DOCTYPE html><html><head>{meta}<title>x</title></head><body><p>x</p></body></html>".encode()
    script = f'<script src="{MARKER}live-reload.js" data-build="b1"></script>\n'.encode()
    expected = page.replace(meta.encode(), (served or meta).encode()).replace(b"</body>", script + b"</body>")
    assert with_live_reload(page, "b1") == expected
