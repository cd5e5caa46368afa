"""Worker processes on one machine: the one place that counts CPUs and starts a pool.

Every parallel stage (the pipeline's lemmatizer, BPE pre-token counting, BPE encoding) is a
map of a plain function over chunks of work, with results either in input order or merged as
they come.  They all go through :func:`process_pool` and :func:`ordered_map`, so the start
method, the CPU count and the bound on work in flight are decided here once.
"""
from __future__ import annotations

import collections
import concurrent.futures
import multiprocessing
import os
from collections.abc import Callable, Iterable, Iterator
from typing import Any, TypeVar

from .errors import InputError

T = TypeVar("T")


def available_cpus() -> int:
    """CPUs this process may run on (its affinity mask where the OS has one)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def resolve_workers(workers: int | None) -> int:
    """``None`` or ``0`` mean one worker per available CPU; anything else must be >= 1."""
    if workers is None or workers == 0:
        return available_cpus()
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 0:
        raise InputError(f"workers must be an integer >= 0, got {workers!r}")
    return workers


def can_start_pool() -> bool:
    """False inside a daemonic worker process, which may not start processes of its own."""
    return not multiprocessing.current_process().daemon


def process_pool(workers: int, initializer: Callable[..., Any] | None = None,
                 initargs: tuple = ()) -> concurrent.futures.ProcessPoolExecutor:
    """A pool of ``workers`` processes, forked where the OS can (workers start in milliseconds
    and inherit the loaded dictionaries), spawned elsewhere."""
    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
    return concurrent.futures.ProcessPoolExecutor(
        workers, mp_context=multiprocessing.get_context(method), initializer=initializer, initargs=initargs)


# One object per worker process, built by its initializer (a lemmatizer, a BPE model): the
# object is built once per process instead of being sent along with every task.
_WORKER_OBJECT: Any = None


def init_worker(factory: Callable[..., Callable[[Any], Any]], args: tuple = ()) -> None:
    """Pool initializer: build this process's object, ``factory(*args)``.

    ``process_pool(n, init_worker, (factory, args))``; then ``pool.submit(call_worker, item)``.
    ``factory`` must be a module-level name, so that a spawned process can find it.
    """
    global _WORKER_OBJECT
    _WORKER_OBJECT = factory(*args)


def call_worker(item: Any) -> Any:
    """In a worker process set up by :func:`init_worker`: its object applied to ``item``."""
    if _WORKER_OBJECT is None:
        raise RuntimeError("call_worker runs only in a pool started with init_worker")
    return _WORKER_OBJECT(item)


def ordered_map(pool: concurrent.futures.Executor, fn: Callable[[T], Any], items: Iterable[T],
                max_pending: int) -> Iterator[Any]:
    """``fn`` over ``items`` in ``pool``, results in input order, at most ``max_pending`` in flight
    (so a long stream is never read ahead into memory)."""
    pending: collections.deque = collections.deque()
    for item in items:
        pending.append(pool.submit(fn, item))
        if len(pending) >= max_pending:
            yield pending.popleft().result()
    while pending:
        yield pending.popleft().result()


def chunks(items: Iterable[T], size: int) -> Iterator[list[T]]:
    """Consecutive lists of ``size`` items (the last one shorter)."""
    if size < 1:
        raise InputError(f"chunk size must be >= 1, got {size}")
    chunk: list[T] = []
    for item in items:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk
