"""Work in a forked process comes back whole: its result, or its error."""

from __future__ import annotations

import os

import pytest

from sitegen.errors import SitegenError
from sitegen.processes import in_background


def test_the_result_comes_from_another_process():
    with in_background(os.getpid) as result:
        assert result() != os.getpid()


def test_an_error_in_the_background_is_raised_where_the_result_is_asked_for():
    def fail() -> None:
        raise SitegenError("cannot write the file", "content/papers/x.md", 3)

    with in_background(fail) as result, pytest.raises(SitegenError, match="content/papers/x.md:3: cannot write"):
        result()


def test_a_failing_block_stops_the_background_process(tmp_path):
    marker = tmp_path / "finished"

    def slow() -> None:
        import time

        time.sleep(5)
        marker.write_text("done")

    with pytest.raises(KeyError), in_background(slow):
        raise KeyError("the build failed")
    assert not marker.exists()


class TwoPartError(Exception):
    def __init__(self, what: str, where: str) -> None:
        super().__init__(f"{what} at {where}")


def test_an_error_that_cannot_travel_back_still_says_what_happened():
    def fail() -> None:
        raise TwoPartError("disk full", "assets/search-store.js")

    with in_background(fail) as result, pytest.raises(RuntimeError, match="disk full at assets/search-store.js"):
        result()
