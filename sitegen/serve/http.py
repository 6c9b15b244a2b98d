"""The HTTP server of `sitegen serve`: the output as GitHub Pages serves it, with live reload in each page.

The served copy of each page, and only it, gets a script (live-reload.js beside this
module) that listens to the server's build events (server-sent events) and reloads the
page after a good build, or shows a failed build's error over it; the files in the
output stay as a plain build writes them. The server answers as GitHub Pages does where
a site can tell (no folder listings, the site's 404.html for a missing file), on
threads of its own, from the last good output, which a build swaps in whole.
"""

from __future__ import annotations

import errno
import html
import io
import json
import os
import re
import sys
import threading
from dataclasses import dataclass
from http import HTTPStatus
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, BinaryIO
from urllib.parse import urlsplit

from ..errors import SitegenError

HOST = "127.0.0.1"
SCRIPT_PATH = "/_sitegen/live-reload.js"
EVENTS_PATH = "/_sitegen/events"
KEEP_ALIVE_SECONDS = 15  # an event stream whose page has gone is noticed (and its thread ends) on the next write
# Reloads the page after a good build (one whose id differs from the page's), shows a failed build's error
# over it (as text), and hides it again when the next build finds nothing to change. Only one tab of the
# site holds an event stream, and passes what it hears on to the others: a browser opens at most six
# connections to a server, and a stream holds one for as long as its page is open.
LIVE_RELOAD_JS = (Path(__file__).parent / "live-reload.js").read_bytes()
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
    replaced = f'content="{quoted}"'.encode("utf-8", "surrogateescape")
    return meta.string[meta.start():content.start()] + replaced + meta.string[content.end():meta.end()]


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
    assert spaced is not None  # it matches any text
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
        port = self.server.server_address[1]  # type: ignore[index]  # an (address, port) pair: TCP
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

    def send_head(self) -> io.BytesIO | BinaryIO | None:
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
