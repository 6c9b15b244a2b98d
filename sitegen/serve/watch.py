"""The watcher of `sitegen serve`: which files a build reads that the user edits, and their changes."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import watchfiles


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
