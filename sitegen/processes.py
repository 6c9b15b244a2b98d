"""Work in forked processes: they start with the build's memory, so nothing is pickled on the way in."""

from __future__ import annotations

import ctypes
import functools
import gc
import multiprocessing
import os
import signal
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from multiprocessing.connection import Connection
from typing import Any, TypeVar

T = TypeVar("T")
PR_SET_PDEATHSIG = 1  # linux/prctl.h


def can_fork() -> bool:
    return "fork" in multiprocessing.get_all_start_methods()


def before_forking() -> None:
    """The children's garbage collector leaves the objects they inherit alone: no copy-on-write of them all."""
    gc.freeze()


@contextmanager
def no_garbage_collection() -> Iterator[None]:
    """Collect no garbage while the block runs.

    A build makes millions of objects that live until it ends and hardly any garbage,
    and each full collection walks them all (0.1 s at 10,000 papers, several times a
    build). Forked children collect again: rendering makes garbage.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def start_child(parent: int) -> None:
    """In a forked child: collect garbage, and end when the build does (even a killed one) rather than hold its lock."""
    gc.enable()
    prctl = getattr(ctypes.CDLL(None), "prctl", None)
    if prctl is not None:
        prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:  # the build ended before prctl
        os._exit(1)


@contextmanager
def in_background(function: Callable[[], T]) -> Iterator[Callable[[], T]]:
    """Run function() in a forked process while the block runs; the block gets a callable for its result.

    The result, or the exception the function raised, comes back pickled. A block
    that fails stops the process. Where processes cannot be forked, the function runs
    when its result is first asked for.
    """
    if not can_fork():
        yield functools.cache(function)
        return
    context = multiprocessing.get_context("fork")
    receiver, sender = context.Pipe(duplex=False)
    before_forking()
    process = context.Process(target=_run, args=(function, sender, os.getpid()), daemon=True)
    process.start()
    sender.close()
    outcome: list[Any] = []

    def result() -> T:
        if not outcome:
            try:
                outcome.append(receiver.recv())
            except EOFError:
                outcome.append(RuntimeError(f"a build process ended with status {process.exitcode}"))
        if isinstance(outcome[0], BaseException):
            raise outcome[0]
        return outcome[0]

    try:
        yield result
    except BaseException:
        process.kill()
        raise
    finally:
        receiver.close()
        process.join()


def _run(function: Callable[[], Any], sender: Connection, parent: int) -> None:
    start_child(parent)
    try:
        outcome = function()
    except BaseException as error:  # the parent raises it
        outcome = error
    sender.send(outcome)
