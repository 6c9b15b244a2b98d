"""`sitegen serve`: build, serve the output on 127.0.0.1, rebuild on every change, reload the open pages.

Builds run on the main thread, between batches of changes from the watcher (Ctrl-C
lands there, and a build's processes end with the thread that started them); the
server (http.py) answers on threads of its own.
"""

from __future__ import annotations

import secrets
import sys
import threading
import webbrowser
from pathlib import Path

from ..build import Session, build
from ..config import display_path, load_config
from ..errors import SitegenError
from ..progress import Progress
from ..terminal import findings, internal_error
from .http import HOST, Broadcast, BuildState, listen
from .watch import Inputs


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
        self.serving = secrets.token_hex(4)  # a page from an earlier `serve` reloads too
        self.session = Session()  # the caches, kept in memory between builds
        self.good_builds = 0
        self.reported: set[str] = set()  # notes and warnings printed already: each rebuild prints only new ones
        self.error: str | None = None  # the last build's, printed once however often it repeats

    def run(self) -> None:
        """Build; print the summary line, or the error (also sent to the pages, which keep the last good build)."""
        try:
            summary = build(
                self.config_path, self.out, self.base_url, check=self.check, progress=Progress(sys.stderr),
                session=self.session,
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
        return f"{self.serving}-{self.good_builds}"

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
