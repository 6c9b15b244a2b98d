"""`sitegen serve`: build, serve the output on 127.0.0.1, rebuild on every change, reload the open pages.

The served copy of each page, and only it, gets a script that listens to the server's
build events (server-sent events) and reloads the page after a good build, or shows a
failed build's error over it; the files in the output stay as a plain build writes them.
Builds run on the main thread, between batches of changes from the watcher (Ctrl-C
lands there, and a build's processes end with the thread that started them); the
server answers on threads of its own, from the last good output, which a build swaps
in whole.
"""

from __future__ import annotations

import errno
import io
import json
import os
import re
import secrets
import sys
import threading
import traceback
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
from .config import display_path
from .errors import SitegenError

HOST = "127.0.0.1"
SCRIPT_PATH = "/_sitegen/live-reload.js"
EVENTS_PATH = "/_sitegen/events"
KEEP_ALIVE_SECONDS = 15  # an event stream whose page has gone is noticed (and its thread ends) on the next write

# Reloads the page after a good build (one whose id differs from the page's), shows a failed build's error
# over it (as text), and hides it again when the next build finds nothing to change.
LIVE_RELOAD_JS = b"""\
// sitegen serve: live reload. Served by `sitegen serve` only; never part of a built site.
(() => {
  "use strict";
  const loaded = document.currentScript.dataset.build;
  let overlay = null;

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

  const events = new EventSource("/_sitegen/events");
  events.onmessage = (message) => {
    const state = JSON.parse(message.data);
    if (state.error !== null) {
      showError(state.error);
    } else if (state.build !== loaded) {
      events.close();
      location.reload();
    } else if (overlay) {
      overlay.remove();
      overlay = null;
    }
  };
})();
"""

BODY_END = re.compile(rb"</body\s*>", re.IGNORECASE)
POLICY = re.compile(rb"""(<meta\s[^>]*?http-equiv=["']?content-security-policy["']?[^>]*?\scontent=")([^"]*)""",
                    re.IGNORECASE)


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


def with_live_reload(html: bytes, build_id: str) -> bytes:
    """A page as served: the live-reload script before </body>, and a page policy that lets it get events."""
    policy = POLICY.search(html)
    if policy and b"connect-src" not in policy.group(2).lower():
        html = html[: policy.end()] + b"; connect-src 'self'" + html[policy.end():]
    tag = f'<script src="{SCRIPT_PATH}" data-build="{build_id}"></script>\n'.encode()
    ends = list(BODY_END.finditer(html))
    at = ends[-1].start() if ends else len(html)
    return html[:at] + tag + html[at:]


class LiveReloadHandler(SimpleHTTPRequestHandler):
    """Serves the output folder; HTML pages (error pages too) with the live-reload script, plus its event stream."""

    def __init__(self, *args: Any, broadcast: Broadcast, **kwargs: Any) -> None:
        self.broadcast = broadcast
        super().__init__(*args, **kwargs)

    @property
    def error_message_format(self) -> str:  # type: ignore[override]  # read by send_error()
        script = with_live_reload(b"", self.broadcast.state.build).decode()
        return super().error_message_format.replace("</body>", script + "</body>")

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (the base class's name)
        pass  # the terminal shows builds, not requests

    def end_headers(self) -> None:
        self.send_header("Cache-Control", "no-cache")  # a reload always shows the current build
        super().end_headers()

    def do_GET(self) -> None:
        route = urlsplit(self.path).path
        if route == EVENTS_PATH:
            self._stream_events()
        elif route == SCRIPT_PATH:
            self.wfile.write(self._head(LIVE_RELOAD_JS, "text/javascript; charset=utf-8").getvalue())
        else:
            super().do_GET()

    def send_head(self) -> io.BufferedIOBase | None:
        path = self.translate_path(self.path)
        if os.path.isdir(path) and urlsplit(self.path).path.endswith("/"):
            path = os.path.join(path, "index.html")
        if not path.endswith(".html"):
            return super().send_head()
        try:
            with open(path, "rb") as page:
                html = page.read()
        except OSError:
            return super().send_head()  # a folder without an index, or no such page
        return self._head(with_live_reload(html, self.broadcast.state.build), "text/html; charset=utf-8")

    def _head(self, body: bytes, content_type: str) -> io.BytesIO:
        """Send the headers for `body`; return it for do_GET() to send (do_HEAD() does not)."""
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        return io.BytesIO(body)

    def _stream_events(self) -> None:
        """Send the build state now and on every change, until the page goes or the server stops."""
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", "text/event-stream")
        self.end_headers()
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
    """What a build reads that the user edits: site.yaml, and the files under content/ and templates/."""

    def __init__(self, config_path: Path, out: Path) -> None:
        self.config = str(config_path.absolute())
        self.root = os.path.dirname(self.config)
        self.trees = [os.path.join(self.root, "content"), os.path.join(self.root, "templates")]
        self.out = str(out.absolute())
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

    def changes(self) -> Iterator[None]:
        """Yield once for each batch of changes to the inputs; ends only with KeyboardInterrupt (Ctrl-C).

        Each folder is watched without its subfolders (the site's folder holds the output
        and the caches), so when a folder is added or removed the watcher starts again with
        the new list. Whenever it starts watching it yields once more: a file may have
        changed since the last build and before the watcher saw it.
        """
        catch_up = True
        while True:
            folders = self.folders()
            watching = watchfiles.watch(
                *sorted(folders), watch_filter=lambda change, path: self.wanted(path, change), recursive=False,
                rust_timeout=1000, yield_on_timeout=True, ignore_permission_denied=True,
            )
            try:
                with closing(watching) as batches:
                    for batch in batches:  # an empty batch each second without changes: the watcher is watching
                        if batch or catch_up:
                            yield
                        catch_up = False
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

    def run(self) -> None:
        """Build; print the summary line, or the error (also sent to the pages, which keep the last good build)."""
        try:
            summary = build(self.config_path, self.out, self.base_url, check=self.check)
        except SitegenError as error:
            self._failed(str(error))
            return
        except Exception as error:  # a bug: say so plainly, keep the traceback for --debug
            if self.debug:
                traceback.print_exc()
            self._failed(f"internal error ({type(error).__name__}: {error}); rerun with --debug")
            return
        if not summary.unchanged:
            self.good_builds += 1
        elif self.broadcast.state == BuildState(self.build_id):
            return  # the build's own writes to content/, or a file saved as it was: nothing to say
        lines = [f"note: {note}" for note in summary.notes] + [f"warning: {problem}" for problem in summary.problems]
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
        print(f"error: {message}", file=sys.stderr, flush=True)
        self.broadcast.publish(BuildState(self.build_id, message))


def serve(
    config_path: Path, out: Path, port: int, base_url: str | None = None, check: bool = True,
    open_browser: bool = False, debug: bool = False,
) -> None:
    """Build, then serve `out` on 127.0.0.1:port and rebuild on every change until Ctrl-C."""
    broadcast = Broadcast(BuildState(""))
    builder = Builder(config_path, out, base_url, check, debug, broadcast)
    with listen(port, out, broadcast) as server:  # before building: a taken port is said at once
        thread = threading.Thread(target=server.serve_forever, args=(0.1,), name="server")
        try:
            builder.run()
            thread.start()
            url = f"http://{HOST}:{server.server_address[1]}/"
            print(f"serving {display_path(out)}/ at {url} (Ctrl-C to stop)", flush=True)
            if open_browser and not webbrowser.open(url):
                print(f"note: no browser to open; go to {url}", flush=True)
            for _ in Inputs(config_path, out).changes():
                builder.run()
        except KeyboardInterrupt:
            print("stopped", file=sys.stderr)
        finally:
            broadcast.stop()
            if thread.is_alive():
                server.shutdown()
                thread.join()
