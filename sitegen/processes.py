"""Work in forked processes: they start with the build's memory, so nothing is pickled on the way in."""

from __future__ import annotations

import contextlib
import ctypes
import functools
import gc
import multiprocessing
import os
import pickle
import signal
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from multiprocessing.connection import Connection
from typing import Any, TypeVar

T = TypeVar("T")
A = TypeVar("A")
PR_SET_PDEATHSIG = 1  # linux/prctl.h


@contextmanager
def frozen_for_forking() -> Iterator[None]:
    """Fork in this block: the children's garbage collector leaves the objects they inherit alone.

    Otherwise its first full collection would write to every object, copying the
    whole build's memory. This process collects them again after the block.
    """
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


@contextmanager
def no_garbage_collection() -> Iterator[None]:
    """Collect no garbage while the block runs.

    A build makes millions of objects that live until it ends and hardly any garbage,
    and each full collection walks them all (0.1 s at 10,000 papers, several times a
    build). Forked children, which render most pages, collect as usual.
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

    The result, or the exception the function raised, comes back pickled (an exception
    that cannot travel comes back as a RuntimeError with the child's traceback). A
    block that fails stops the process. Where no process can be forked, the function
    runs here when its result is first asked for.
    """
    with _forked(function) as (_, result):
        yield result


@contextmanager
def given_later(function: Callable[[Callable[[], A]], T]) -> Iterator[tuple[Callable[[A], None], Callable[[], T]]]:
    """in_background() for a function that needs a value the block makes: the block gives it with give(value).

    The function is called with a callable that waits for the value, so what it does
    before it needs the value (imports, reading a cache) overlaps the block's work;
    give() waits until the process reads the value. A block that ends without giving
    makes the function's wait fail.
    """
    receiving, giving = multiprocessing.get_context("fork").Pipe(duplex=False)
    given: list[A] = []  # where no process could be forked, the function runs here and finds the value in it

    def run() -> T:
        giving.close()  # in the process: its copy of the block's end, which would keep it waiting forever
        return function(lambda: given[0] if given else receiving.recv())

    with _forked(run) as (forked, result):
        receiving.close()

        def give(value: A) -> None:
            if not forked:
                given.append(value)
                return
            with contextlib.suppress(OSError):  # the process ended without reading it: result() says why
                giving.send(value)

        try:
            yield give, result
        finally:
            giving.close()


@contextmanager
def _forked(function: Callable[[], T]) -> Iterator[tuple[bool, Callable[[], T]]]:
    """in_background(), also telling whether a process was forked."""
    context = multiprocessing.get_context("fork")
    receiver, sender = context.Pipe(duplex=False)
    process = context.Process(target=_run, args=(function, sender, receiver, os.getpid()), daemon=True)
    try:
        with frozen_for_forking():
            process.start()
    except OSError:  # out of memory or processes
        receiver.close()
        sender.close()
        yield False, functools.cache(function)
        return
    sender.close()
    outcome: list[Any] = []

    def result() -> T:
        if not outcome:
            try:
                outcome.append(receiver.recv())
            except Exception as error:  # the child died, or its result could not be unpickled
                process.join()
                outcome.append(RuntimeError(f"a build process failed (status {process.exitcode}): {error!r}"))
        if isinstance(outcome[0], BaseException):
            raise outcome[0]
        return outcome[0]

    try:
        yield True, result
    except BaseException:
        process.kill()
        raise
    finally:
        receiver.close()
        process.join()


def _run(function: Callable[[], Any], sender: Connection, receiver: Connection, parent: int) -> None:
    receiver.close()  # the parent's end: a result the parent never reads then fails to send instead of waiting
    start_child(parent)
    try:
        outcome = function()
    except BaseException as error:  # the parent raises it, if it can be rebuilt there
        outcome = error
        try:
            pickle.loads(pickle.dumps(error))
        except Exception:
            outcome = RuntimeError(traceback.format_exc())
    try:
        sender.send(outcome)
    except Exception:  # a result that cannot be pickled
        sender.send(RuntimeError(traceback.format_exc()))
