"""Helpers shared by the browser tests: watch a page for problems, serve a folder under a sub-path."""

from __future__ import annotations

import functools
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from playwright.sync_api import Browser, ConsoleMessage, Dialog, Page, Request, Response


@dataclass
class PageProblems:
    """Failed loads, HTTP errors, console and script errors seen on a page, and every URL it asked for."""

    failed_requests: list[str] = field(default_factory=list)
    error_responses: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    requested_urls: list[str] = field(default_factory=list)

    def assert_none(self) -> None:
        assert self.failed_requests == []
        assert self.error_responses == []
        assert self.console_errors == []
        assert self.page_errors == []


def watch(page: Page) -> PageProblems:
    problems = PageProblems()

    def on_request_failed(request: Request) -> None:
        # Chromium fetches the icon after the load event, and a navigation away aborts it;
        # a missing icon still shows (a 404, or net::ERR_FILE_NOT_FOUND from disk).
        if not (request.url.endswith("/favicon.svg") and request.failure == "net::ERR_ABORTED"):
            problems.failed_requests.append(f"{request.url}: {request.failure}")

    def on_response(response: Response) -> None:
        if response.status >= 400:
            problems.error_responses.append(f"{response.status} {response.url}")

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            problems.console_errors.append(f"{message.text} ({message.location.get('url')})")

    page.on("requestfailed", on_request_failed)
    page.on("response", on_response)
    page.on("console", on_console)
    page.on("pageerror", lambda error: problems.page_errors.append(str(error)))
    page.on("request", lambda request: problems.requested_urls.append(request.url))
    return problems


@dataclass
class ServedSite:
    """A folder served over HTTP at `url` (under a sub-path), with the server's own log of requests."""

    url: str
    requests: list[tuple[str, int]]


@contextmanager
def serve_folder(folder: Path, sub_path: str) -> Iterator[ServedSite]:
    """`folder` as `sub_path` (like "/repo/") of a local HTTP server, the way GitHub Pages serves a project site.

    Everything outside `sub_path` is a 404, so a link that escapes the sub-path shows in the log.
    """
    requests: list[tuple[str, int]] = []

    class LoggingHandler(SimpleHTTPRequestHandler):
        def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
            requests.append((self.path, int(code)))

        def log_message(self, *args: object) -> None:
            pass  # keep the test output quiet; log_request above records what matters

    with tempfile.TemporaryDirectory(prefix="server-root-") as server_root:
        mount = Path(server_root, sub_path.strip("/"))
        mount.parent.mkdir(parents=True, exist_ok=True)
        mount.symlink_to(folder.resolve(), target_is_directory=True)
        handler = functools.partial(LoggingHandler, directory=server_root)
        server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        thread.start()
        try:
            yield ServedSite(f"http://127.0.0.1:{server.server_address[1]}{sub_path}", requests)
        finally:
            server.shutdown()
            server.server_close()
            thread.join()


def wait_for_favicon_request(served: ServedSite, timeout: float = 5.0) -> None:
    """Chromium fetches the icon on its own after load; wait for it so the request checks see it."""
    deadline = time.monotonic() + timeout
    while not any(path.rsplit("/", 1)[-1].startswith("favicon.") for path, _ in served.requests):
        assert time.monotonic() < deadline, f"the browser asked for no favicon: {served.requests}"
        time.sleep(0.05)


@contextmanager
def site_base_url(out: Path, origin: str, sub_path: str) -> Iterator[str]:
    """The URL of a built site's folder, ending in "/": on disk ("file"), or served under `sub_path`."""
    if origin == "file":
        yield out.as_uri() + "/"
    else:
        with serve_folder(out, sub_path) as served:
            yield served.url


@contextmanager
def watched_page(browser: Browser) -> Iterator[tuple[Page, PageProblems, list[str]]]:
    """A page in a new browser context, watched from the start; dialogs (alert) are recorded and dismissed."""
    context = browser.new_context()
    try:
        page = context.new_page()
        dialogs: list[str] = []

        def on_dialog(dialog: Dialog) -> None:
            dialogs.append(f"{dialog.type}: {dialog.message}")
            dialog.dismiss()

        page.on("dialog", on_dialog)
        yield page, watch(page), dialogs
    finally:
        context.close()


# search.js renders the list 15 ms after the last input event, once the search data has loaded, and builds a
# new .suggestion-message element each time: a different element with the right "See all" link is the answer.
SUGGESTIONS_RENDERED_FOR = """([query, previousMessage]) => {
    const popup = document.getElementById("search-suggestions");
    const message = popup.querySelector(".suggestion-message");
    if (popup.hidden || !message || message === previousMessage || message.textContent.startsWith("Loading")) {
        return false;
    }
    const seeAll = popup.querySelector(".see-all a");
    return !seeAll || new URL(seeAll.href).searchParams.get("q") === query;
}"""
