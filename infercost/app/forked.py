"""Run independent jobs on two cores: half in this process, half in a forked copy of it.

A project's stacks are independent and CPU-bound, so threads gain nothing under the GIL,
and a fresh worker process would pay an interpreter start and every import again (about
as much as a small stack costs). A fork pays neither: the child is this process, imports,
grammar and all, and only its results (pickled) come back through a pipe.

Correctness never depends on the child. If it cannot be forked, fails, or returns
something that does not pickle, its jobs run here after all, so any error is reported as
it would be without the fork. The child never writes to the terminal: its standard
output and error go to /dev/null, and it ends with ``os._exit`` (no buffers flushed twice,
no exit handlers). It forks only a single-threaded process (see ``_single_threaded``).
``INFERCOST_JOBS=1`` turns the fork off.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import signal
import sys
from collections.abc import Callable, Sequence
from typing import TypeVar, cast

T = TypeVar("T")
R = TypeVar("R")

__all__ = ["map_jobs", "workers"]


def workers() -> int:
    """How many processes pay: the cores this process may use, at most two, or
    ``INFERCOST_JOBS``; one where fork is not the safe default (only Linux)."""
    if not sys.platform.startswith("linux") or not hasattr(os, "fork"):
        return 1
    given = os.environ.get("INFERCOST_JOBS", "").strip()
    if given:
        try:
            return max(1, min(int(given), 2))
        except ValueError:
            return 1
    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # pragma: no cover - other platforms
        cores = os.cpu_count() or 1
    return min(cores, 2)


def map_jobs(fn: Callable[[T], R], items: Sequence[T], *, min_items: int = 4) -> list[R]:
    """``[fn(x) for x in items]``, with every other item after the first computed in a
    forked child when there are at least ``min_items`` and two cores; results in the
    order of ``items``."""
    if len(items) < min_items or workers() < 2:
        return [fn(x) for x in items]
    # The first job runs before the fork: what it loads on first use (lazy imports, the
    # grammar, parsed files shared between stacks) is then loaded once, not in both.
    results: dict[int, R] = {0: fn(items[0])}
    if not _single_threaded():
        return [results[0], *(fn(x) for x in items[1:])]
    theirs = list(range(2, len(items), 2))
    try:
        read_fd, write_fd = os.pipe()
        pid = os.fork()
    except OSError:
        return [fn(x) for x in items]
    if pid == 0:  # pragma: no cover - the child (its coverage is not collected)
        _child(fn, [items[i] for i in theirs], read_fd, write_fd)
    os.close(write_fd)
    reaped = False
    try:
        for i in range(1, len(items), 2):
            results[i] = fn(items[i])
        with os.fdopen(read_fd, "rb") as pipe:
            data = pipe.read()
        _, status = os.waitpid(pid, 0)
        reaped = True
        done = _load(data) if status == 0 else None
        if done is not None and len(done) == len(theirs):
            results.update(zip(theirs, cast("list[R]", done), strict=True))
    finally:
        if not reaped:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
    for i in theirs:  # the child failed: its jobs run here, errors and all
        if i not in results:
            results[i] = fn(items[i])
    return [results[i] for i in range(len(items))]


def _single_threaded() -> bool:
    """A fork copies only the calling thread: a lock another thread held (an open DuckDB
    connection's workers, a library's pool) would stay locked in the child for ever. So
    the fork happens only while this process has one thread, which is the case between
    stacks, whose connections are closed."""
    try:
        return len(os.listdir("/proc/self/task")) == 1
    except OSError:  # pragma: no cover - no procfs: do not guess
        return False


def _child(fn: Callable[[T], R], items: list[T], read_fd: int, write_fd: int) -> None:
    """Run ``items``, send the pickled results, and end without returning."""
    code = 1
    try:
        os.close(read_fd)
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 1)
        os.dup2(devnull, 2)
        data = pickle.dumps([fn(x) for x in items], protocol=pickle.HIGHEST_PROTOCOL)
        with os.fdopen(write_fd, "wb") as out:
            out.write(data)
        code = 0
    except BaseException:  # the parent runs these jobs again and reports any error
        pass
    finally:
        os._exit(code)


def _load(data: bytes) -> list[object] | None:
    try:
        loaded = pickle.loads(data)  # our own child's results, through a pipe
    except Exception:  # a truncated or broken result: the jobs run here
        return None
    return loaded if isinstance(loaded, list) else None
