"""`sitegen serve`: build, serve the output on 127.0.0.1, rebuild on every change, reload the open pages.

The served copy of each page, and only it, gets a script that listens to the server's
build events (server-sent events) and reloads the page after a good build, or shows a
failed build's error over it; the files in the output stay as a plain build writes them.
The server answers as GitHub Pages does where a site can tell (no folder listings, the
site's 404.html for a missing file). Builds run on the main thread, between batches of
changes from the watcher (Ctrl-C lands there, and a build's processes end with the
thread that started them); the server answers on threads of its own, from the last good
output, which a build swaps in whole.
"""

from __future__ import annotations

import errno
import html
import io
import json
import os
import re
import secrets
import sys
import threading
import webbrowser
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass
from http import HTTPStatus
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import watchfiles

from .build import build
from .config import display_path, load_config
from .errors import SitegenError
from .progress import Progress
from .terminal import findings, internal_error

HOST = "127.0.0.1"
SCRIPT_PATH = "/_sitegen/live-reload.js"
EVENTS_PATH = "/_sitegen/events"
KEEP_ALIVE_SECONDS = 15  # an event stream whose page has gone is noticed (and its thread ends) on the next write

# Reloads the page after a good build (one whose id differs from the page's), shows a failed build's error
# over it (as text), and hides it again when the next build finds nothing to change. Only one tab of the
# site holds an event stream, and passes what it hears on to the others: a browser opens at most six
# connections to a server, and a stream holds one for as long as its page is open.
LIVE_RELOAD_JS = b"""\
// sitegen serve: live reload. Served by `sitegen serve` only; never part of a built site.
(() => {
  "use strict";
  const loaded = document.currentScript.dataset.build;
  const tabs = new BroadcastChannel("sitegen-live-reload");
  let events = null;  // the stream, in the one tab that listens
  let latest = null;  // what it said last
  let overlay = null;
  let reloading = false;  // then the page is going: a second reload would cut the first short

  function showError(text) {
    if (!overlay) {
      overlay = document.createElement("div");
      overlay.id = "sitegen-build-error";
      overlay.setAttribute("role", "alert");
      Object.assign(overlay.style, {
        position: "fixed", top: "1rem", left: "1rem", right: "1rem", maxHeight: "80vh", overflow: "auto",
        zIndex: "2147483647", padding: "1rem 1.25rem", background: "#fff5f5", color: "#5c0000",
        border: "2px solid #c00", borderRadius: "6px", boxShadow: "0 4px 24px rgba(0, 0, 0, 0.3)",
        font: "14px/1.5 system-ui, sans-serif", textAlign: "left",
      });
      const title = document.createElement("strong");
      title.textContent = "The build failed; this page is from the last good build.";
      const message = document.createElement("pre");
      Object.assign(message.style, { margin: "0.5rem 0 0", whiteSpace: "pre-wrap", font: "13px/1.5 monospace" });
      overlay.append(title, message);
      document.body.append(overlay);
    }
    overlay.lastChild.textContent = text;
  }

  function show(state) {
    if (reloading) {
      return;
    } else if (state.error !== null) {
      showError(state.error);
    } else if (state.build !== loaded) {
      reloading = true;
      if (events) events.close();
      location.reload();
    } else if (overlay) {
      overlay.remove();
      overlay = null;
    }
  }

  tabs.onmessage = ({ data }) => {
    if (data === "ask") {
      if (latest) tabs.postMessage(latest);  // a tab just opened: the listening one answers
    } else {
      show(data);
    }
  };
  // The tab that gets the lock listens until it goes (the lock goes with it); then the next waiting tab does.
  navigator.locks.request("sitegen-live-reload", () => reloading ? null : new Promise(() => {
    events = new EventSource("/_sitegen/events");  // it sends the state at once, then every change
    events.onmessage = (message) => {
      latest = JSON.parse(message.data);
      tabs.postMessage(latest);
      show(latest);
    };
  }));
  tabs.postMessage("ask");
})();
"""
# A missing file's page when the site has no 404.html.
NOT_FOUND_PAGE = b"""<!DOCTYPE html>
<html lang="en">
<meta charset="utf-8">
<title>Page not found</title>
<body>
<h1>Page not found</h1>
<p>There is no file at this address in the built site.</p>
</body>
</html>
"""

BODY_END = re.compile(rb"</body\s*>", re.IGNORECASE)
_ATTRIBUTE = rb"""([^\s"'>/=]+)(?:\s*=\s*("[^"]*"|'[^']*'|[^\s"'=<>`]+))?"""
ATTRIBUTE = re.compile(_ATTRIBUTE)
META = re.compile(rb"<meta((?:\s+" + _ATTRIBUTE + rb")*)\s*/?>", re.IGNORECASE)


@dataclass(frozen=True)
class BuildState:
    """What the open pages need to know: the last good build, and the error of the last build if it failed."""

    build: str
    error: str | None = None


class Broadcast:
    """The current BuildState, which each event stream waits on."""

    def __init__(self, state: BuildState) -> None:
        self._state = state
        self._stopped = False
        self._changed = threading.Condition()

    @property
    def state(self) -> BuildState:
        return self._state

    def publish(self, state: BuildState) -> None:
        with self._changed:
            self._state = state
            self._changed.notify_all()

    def stop(self) -> None:
        """End every event stream."""
        with self._changed:
            self._stopped = True
            self._changed.notify_all()

    def next(self, seen: BuildState | None, timeout: float) -> BuildState | None:
        """The state once it is not `seen` (or, after `timeout` seconds, as it is); None once stopped."""
        with self._changed:
            self._changed.wait_for(lambda: self._stopped or self._state != seen, timeout)
            return None if self._stopped else self._state


def with_live_reload(page: bytes, build_id: str) -> bytes:
    """A page as served: the live-reload script before </body>, and page policies that let it get events."""
    page = META.sub(_allowing_events, page)
    tag = f'<script src="{SCRIPT_PATH}" data-build="{build_id}"></script>\n'.encode()
    ends = list(BODY_END.finditer(page))
    at = ends[-1].start() if ends else len(page)
    return page[:at] + tag + page[at:]


def _allowing_events(meta: re.Match[bytes]) -> bytes:
    """A <meta> tag as served: a page policy (Content-Security-Policy) that also allows connections to the server."""
    attributes: dict[bytes, re.Match[bytes]] = {}
    for attribute in ATTRIBUTE.finditer(meta.string, meta.start(1), meta.end(1)):
        attributes.setdefault(attribute.group(1).lower(), attribute)  # the first of a name counts, as in browsers
    kind, content = attributes.get(b"http-equiv"), attributes.get(b"content")
    if not kind or not content or _value(kind).strip().lower() != "content-security-policy":
        return meta.group(0)
    policy = _value(content)
    allowed = connections_to_self_allowed(policy)
    if allowed == policy:
        return meta.group(0)
    quoted = html.escape(allowed, quote=False).replace('"', "&quot;")
    attribute = f'content="{quoted}"'.encode("utf-8", "surrogateescape")
    return meta.string[meta.start():content.start()] + attribute + meta.string[content.end():meta.end()]


def _value(attribute: re.Match[bytes]) -> str:
    """An attribute's value as the browser reads it: unquoted, character references replaced."""
    raw = attribute.group(2) or b""
    if raw[:1] in (b'"', b"'"):
        raw = raw[1:-1]
    return html.unescape(raw.decode("utf-8", "surrogateescape"))


def connections_to_self_allowed(policy: str) -> str:
    """A page policy that also lets the page connect to its own server, where the build events come from.

    Connections follow the policy's connect-src, else its default-src, else nothing limits
    them. Only that one directive changes: it gains 'self' (and loses 'none').
    """
    directives = policy.split(";")
    names = [directive.split()[0].lower() if directive.split() else "" for directive in directives]
    governing = next((name for name in ("connect-src", "default-src") if name in names), None)
    if governing is None:
        return policy
    sources = directives[names.index(governing)].split()[1:]
    if "'self'" in (source.lower() for source in sources):
        return policy
    allowed = " ".join(["connect-src", *(source for source in sources if source.lower() != "'none'"), "'self'"])
    if governing == "default-src":
        return policy.rstrip("; \t\r\n\f") + "; " + allowed
    at = names.index("connect-src")
    spaced = re.fullmatch(r"(\s*)(.*?)(\s*)", directives[at], re.DOTALL)
    directives[at] = spaced.group(1) + allowed + spaced.group(3)
    return ";".join(directives)


class LiveReloadHandler(SimpleHTTPRequestHandler):
    """Serves the output folder, HTML pages with the live-reload script; and the script and its event stream."""

    def __init__(self, *args: Any, broadcast: Broadcast, **kwargs: Any) -> None:
        self.broadcast = broadcast
        super().__init__(*args, **kwargs)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (the base class's name)
        pass  # the terminal shows builds, not requests

    def parse_request(self) -> bool:
        """Also refuse a request for any other host name: a web page whose name now means 127.0.0.1 (DNS rebinding)."""
        if not super().parse_request():
            return False
        port = self.server.server_address[1]
        hosts = {f"{HOST}:{port}", f"localhost:{port}"} | ({HOST, "localhost"} if port == 80 else set())
        if self.headers.get("Host", "").lower() not in hosts:
            self.send_error(HTTPStatus.FORBIDDEN, f"This server answers to http://{HOST}:{port}/ only")
            return False
        return True

    def end_headers(self) -> None:
        self.send_header("Cache-Control", "no-cache")  # a reload always shows the current build
        super().end_headers()

    def do_GET(self) -> None:
        if urlsplit(self.path).path == EVENTS_PATH:
            self._stream_events()
        else:
            super().do_GET()

    def send_head(self) -> io.BufferedIOBase | None:
        """Send the headers of a GET or HEAD; return the body for do_GET() to send (do_HEAD() does not)."""
        route = urlsplit(self.path).path
        if route == EVENTS_PATH:  # HEAD: GET streams the events
            self._send_headers(HTTPStatus.OK, "text/event-stream")
            return None
        if route == SCRIPT_PATH:
            return self._send(HTTPStatus.OK, LIVE_RELOAD_JS, "text/javascript; charset=utf-8")
        path = self.translate_path(self.path)
        if os.path.isdir(path) and route.endswith("/"):
            path = os.path.join(path, "index.html")
        if not path.endswith(".html"):
            return super().send_head()
        try:
            with open(path, "rb") as file:
                page = file.read()
        except OSError:
            self.send_error(HTTPStatus.NOT_FOUND)
            return None
        # The type only: a page says its encoding (<meta charset>), and a header would overrule it.
        return self._send(HTTPStatus.OK, with_live_reload(page, self.broadcast.state.build), "text/html")

    def list_directory(self, path: str | os.PathLike[str]) -> None:
        """A folder without an index is not found, as on GitHub Pages."""
        self.send_error(HTTPStatus.NOT_FOUND)

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """A missing file: the site's 404.html, as on GitHub Pages, which reloads once a build makes the file."""
        if code != HTTPStatus.NOT_FOUND:
            super().send_error(code, message, explain)
            return
        try:
            page = Path(self.directory, "404.html").read_bytes()
        except OSError:
            page = NOT_FOUND_PAGE
        body = self._send(HTTPStatus.NOT_FOUND, with_live_reload(page, self.broadcast.state.build), "text/html")
        if self.command != "HEAD":
            self.wfile.write(body.getvalue())

    def _send(self, status: HTTPStatus, body: bytes, content_type: str) -> io.BytesIO:
        """Send the headers for `body`; return it for do_GET() to send."""
        self._send_headers(status, content_type, len(body))
        return io.BytesIO(body)

    def _send_headers(self, status: HTTPStatus, content_type: str, length: int | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        if length is not None:
            self.send_header("Content-Length", str(length))
        self.end_headers()

    def _stream_events(self) -> None:
        """Send the build state now and on every change, until the page goes or the server stops."""
        self._send_headers(HTTPStatus.OK, "text/event-stream")
        seen = None
        try:
            while (state := self.broadcast.next(seen, KEEP_ALIVE_SECONDS)) is not None:
                if state == seen:
                    self.wfile.write(b": keep-alive\n\n")
                else:
                    message = json.dumps({"build": state.build, "error": state.error})
                    self.wfile.write(f"data: {message}\n\n".encode())
                    seen = state
                self.wfile.flush()
        except ConnectionError:
            pass  # the page was closed or reloaded


class LocalServer(ThreadingHTTPServer):
    """The HTTP server, quiet about browsers that drop a connection (a reload does)."""

    allow_reuse_port = False  # a port another server listens on is taken, even if it allowed sharing

    def server_bind(self) -> None:
        self.socket.bind(self.server_address)  # the base class also looks the host's name up, which can be slow
        self.server_address = self.socket.getsockname()

    def handle_error(self, request: Any, client_address: Any) -> None:
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


def listen(port: int, out: Path, broadcast: Broadcast) -> LocalServer:
    """A server for the output folder on 127.0.0.1:port (0: any free port); SitegenError when it cannot listen."""

    def handler(*args: Any) -> LiveReloadHandler:
        return LiveReloadHandler(*args, broadcast=broadcast, directory=str(out.absolute()))

    try:
        return LocalServer((HOST, port), handler)
    except OSError as error:
        if error.errno == errno.EADDRINUSE:
            raise SitegenError(f"port {port} is already in use; choose another with --port") from None
        raise SitegenError(f"cannot listen on {HOST}:{port} ({error.strerror}); choose another --port") from None


class Inputs:
    """What a build reads that the user edits: site.yaml, and the files under content/ and templates/.

    Paths are resolved (no symbolic links), as the watcher reports them on some systems (macOS).
    """

    def __init__(self, config_path: Path, out: Path) -> None:
        self.root = os.path.realpath(config_path.parent)
        self.config = os.path.join(self.root, config_path.name)
        self.trees = [os.path.join(self.root, "content"), os.path.join(self.root, "templates")]
        self.out = os.path.realpath(out)
        self.default_filter = watchfiles.DefaultFilter()  # editors' swap and backup files

    def folders(self) -> set[str]:
        """The folders to watch, each without its subfolders: the site's (for site.yaml), and the trees' all."""
        found = {self.root}
        for tree in self.trees:
            for folder, subfolders, _ in os.walk(tree):
                subfolders[:] = [name for name in subfolders if self.wanted(os.path.join(folder, name))]
                found.add(folder)
        return found

    def wanted(self, path: str, change: watchfiles.Change = watchfiles.Change.modified) -> bool:
        """Whether a change to `path` is one to build for; not the build's own output, temporary files or cache."""
        if path == self.config:
            return True
        if not any(path == tree or path.startswith(tree + os.sep) for tree in self.trees):
            return False
        if path == self.out or path.startswith(self.out + os.sep):
            return False
        names = path[len(self.root) + 1:].split(os.sep)
        return not any(name.startswith(".") and name.endswith(".tmp") for name in names) and self.default_filter(
            change, path
        )

    def changes(self) -> Iterator[list[str]]:
        """Yield the changed paths of each batch of changes to the inputs; ends only with KeyboardInterrupt (Ctrl-C).

        Each folder is watched without its subfolders (the site's folder holds the output
        and the caches), so when a folder is added or removed the watcher starts again with
        the new list. Whenever it starts watching it yields once more, with no paths: a file
        may have changed since the last build and before the watcher saw it. The output
        folder's removal counts as a change (a build that fails leaves it missing, and waits
        for the next change).
        """
        catch_up = True
        built = os.path.isdir(self.out)
        while True:
            folders = self.folders()
            watching = watchfiles.watch(
                *sorted(folders), watch_filter=lambda change, path: self.wanted(path, change), recursive=False,
                rust_timeout=1000, yield_on_timeout=True, ignore_permission_denied=True,
            )
            try:
                with closing(watching) as batches:
                    for batch in batches:  # an empty batch each second without changes: the watcher is watching
                        changed = sorted({path for _, path in batch})
                        if built and not os.path.isdir(self.out):
                            changed.append(self.out)
                        if changed or catch_up:
                            yield changed
                        catch_up = False
                        built = os.path.isdir(self.out)
                        if any(os.path.isdir(path) or path in folders for change, path in batch
                               if change != watchfiles.Change.modified):
                            break
            except FileNotFoundError:  # a folder went away before the watcher started: list them again
                pass
            catch_up = True


class Builder:
    """Builds the site and tells the terminal and the open pages how it went."""

    def __init__(
        self, config_path: Path, out: Path, base_url: str | None, check: bool, debug: bool, broadcast: Broadcast
    ) -> None:
        self.config_path = config_path
        self.out = out
        self.base_url = base_url
        self.check = check
        self.debug = debug
        self.broadcast = broadcast
        self.session = secrets.token_hex(4)  # a page from an earlier `serve` reloads too
        self.good_builds = 0
        self.reported: set[str] = set()  # notes and warnings printed already: each rebuild prints only new ones
        self.error: str | None = None  # the last build's, printed once however often it repeats

    def run(self) -> None:
        """Build; print the summary line, or the error (also sent to the pages, which keep the last good build)."""
        try:
            summary = build(
                self.config_path, self.out, self.base_url, check=self.check, progress=Progress(sys.stderr)
            )
        except SitegenError as error:
            self._failed(str(error))
            return
        except Exception as error:  # a bug: say so plainly, keep the traceback for --debug
            self._failed(internal_error(error, self.debug))
            return
        self.error = None
        if not summary.unchanged:
            self.good_builds += 1
        elif self.broadcast.state == BuildState(self.build_id):
            return  # the build's own writes to content/, or a file saved as it was: nothing to say
        lines = findings(summary)
        for line in lines:
            if line not in self.reported:
                print(line)
        self.reported = set(lines)
        print(summary.line(self.out), flush=True)
        self.broadcast.publish(BuildState(self.build_id))

    @property
    def build_id(self) -> str:
        return f"{self.session}-{self.good_builds}"

    def _failed(self, message: str) -> None:
        if message != self.error:
            print(f"error: {message}", file=sys.stderr, flush=True)
        self.error = message
        self.broadcast.publish(BuildState(self.build_id, message))


def open_in_browser(url: str) -> None:
    """Open `url` in the user's browser, on a thread of its own: a browser in the terminal (lynx) holds it."""

    def run() -> None:
        if not webbrowser.open(url):
            print(f"note: no browser to open; go to {url}", flush=True)

    threading.Thread(target=run, name="browser", daemon=True).start()


def serve(
    config_path: Path, out: Path, port: int, base_url: str | None = None, check: bool = True,
    open_browser: bool = False, debug: bool = False,
) -> None:
    """Build, then serve `out` on 127.0.0.1:port and rebuild on every change until Ctrl-C.

    With `debug`, each build says which files set it off, or that the watcher has (re)started.
    """
    if not config_path.exists():
        load_config(config_path)  # raises the error `build` gives; a config that exists is watched, broken or not
    broadcast = Broadcast(BuildState(""))
    builder = Builder(config_path, out, base_url, check, debug, broadcast)
    with listen(port, out, broadcast) as server:  # before building: a taken port is said at once
        thread = threading.Thread(target=server.serve_forever, args=(0.1,), name="server")
        try:
            builder.run()
            thread.start()
            url = f"http://{HOST}:{server.server_address[1]}/"
            print(f"serving {display_path(out)}/ at {url} (Ctrl-C to stop)", flush=True)
            if open_browser:
                open_in_browser(url)
            for changed in Inputs(config_path, out).changes():
                if debug:  # no paths: the watcher has just started (again), and the build catches up
                    paths = ", ".join(display_path(Path(path)) for path in changed)
                    print(f"changed: {paths}" if changed else "watching for changes", flush=True)
                builder.run()
        except KeyboardInterrupt:
            print("stopped", file=sys.stderr)
        finally:
            broadcast.stop()
            if thread.is_alive():
                server.shutdown()
                thread.join()
