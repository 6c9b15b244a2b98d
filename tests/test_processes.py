"""Work in a forked process comes back whole: its result, or its error."""

from __future__ import annotations

import multiprocessing
import os
import signal
import time

import pytest

from sitegen.errors import SitegenError
from sitegen.processes import given_later, in_background


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


def test_a_value_given_later_reaches_the_process_and_its_result_comes_back():
    with given_later(lambda value: (os.getpid(), value() * 2)) as (give, result):
        give(21)
        pid, doubled = result()
    assert doubled == 42 and pid != os.getpid()


def test_a_process_that_fails_before_it_is_given_its_value_reports_its_own_error():
    def fail(value) -> None:
        raise SitegenError("numpy is missing", "sitegen/related.py", 1)

    with given_later(fail) as (give, result):
        give("x" * 1_000_000)  # more than a pipe holds, and nobody reads it
        with pytest.raises(SitegenError, match="numpy is missing"):
            result()


def test_a_block_that_ends_without_giving_does_not_wait_forever():
    def stuck(*_: object) -> None:
        raise TimeoutError("still waiting for the process")

    previous = signal.signal(signal.SIGALRM, stuck)
    signal.alarm(10)
    started = time.monotonic()
    try:
        with given_later(lambda value: value()):
            pass
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
    assert time.monotonic() - started < 5


def test_where_no_process_can_be_forked_the_function_runs_here(monkeypatch):
    def no_fork(self) -> None:
        raise OSError("no more processes")

    monkeypatch.setattr(multiprocessing.process.BaseProcess, "start", no_fork)
    with given_later(lambda value: (os.getpid(), value())) as (give, result):
        give("texts")
        assert result() == (os.getpid(), "texts")
