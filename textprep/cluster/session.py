"""A Dask session for one run: connect to a scheduler or start a ``LocalCluster``, then map
plain functions over partitions, in order or as a tree of merges.

This is the only module that imports ``dask``/``distributed`` (an import-linter contract says
so), and it is imported only when ``--scheduler`` or ``--dask-workers`` is given.  Dask does the
scheduling, the transfers and the reruns after a lost worker; nothing here is a scheduler::

    ordered():   partition tasks, at most 2 x workers + 2 in flight ─▶ results in input order
    reduce():    partition tasks ─▶ merge(8 results) ─▶ merge(8 merges) ─▶ ... ─▶ one result

A scheduler address is probed first with a hard timeout: ``distributed.Client`` waits for ever
on a port that accepts a connection and then says nothing, and fails with an odd error on a
port that speaks another protocol.
"""
from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from ..errors import InputError
from ..progress import progress_bar
from .partitions import PARTITION_BYTES, Partition

log = logging.getLogger("textprep.cluster")

#: seconds to wait for a scheduler to answer before giving up with one line
CONNECT_TIMEOUT = 10.0
#: results merged per task of a tree reduction
FAN_IN = 8


class ClusterError(InputError):
    """The scheduler cannot be reached, is not a scheduler, or the cluster could not finish."""


@dataclass(frozen=True)
class ClusterSpec:
    """Where the work runs: ``scheduler`` (an address such as ``tcp://10.0.0.5:8786``) or
    ``workers`` (that many local worker processes, one thread each, for this run only)."""

    scheduler: str | None = None
    workers: int | None = None
    timeout: float = CONNECT_TIMEOUT
    #: the usual progress bar (a line every few seconds when stderr is not a terminal)
    progress: bool = True
    #: inputs are cut into byte ranges of about this size (:mod:`.partitions`)
    partition_bytes: int = PARTITION_BYTES

    def __post_init__(self):
        if (self.scheduler is None) == (self.workers is None):
            raise ClusterError("give either a scheduler address or a number of Dask workers, not both")
        if self.workers is not None and (isinstance(self.workers, bool) or not isinstance(self.workers, int)
                                         or self.workers < 1):
            raise ClusterError(f"dask_workers must be an integer >= 1, got {self.workers!r}")
        if not self.timeout > 0:
            raise ClusterError(f"scheduler_timeout must be > 0 seconds, got {self.timeout!r}")
        if not self.partition_bytes >= 1:
            raise ClusterError(f"partitions must hold at least 1 byte, got {self.partition_bytes!r}")


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


async def _identity(address: str, timeout: float) -> dict:
    from distributed.comm import connect

    comm = await connect(address, timeout=timeout)
    try:
        await comm.write({"op": "identity", "reply": True})
        return await comm.read()
    finally:
        comm.abort()


def probe_scheduler(address: str, timeout: float = CONNECT_TIMEOUT) -> None:
    """Return if ``address`` is a Dask scheduler answering within ``timeout`` seconds; else a
    one-line :class:`ClusterError` saying what was found there."""
    try:
        from distributed.comm.addressing import parse_address

        parse_address(address if "://" in address else f"tcp://{address}")
        who = asyncio.run(asyncio.wait_for(_identity(address, timeout), timeout))
    except (asyncio.TimeoutError, TimeoutError):
        raise ClusterError(f"no Dask scheduler answered at {address} within {timeout:g} s") from None
    except Exception as exc:   # refused, unknown host, bad address, another protocol on the port
        raise ClusterError(f"cannot reach a Dask scheduler at {address}: {_one_line(exc)}") from None
    kind = who.get("type") if isinstance(who, dict) else None
    if kind != "Scheduler":
        raise ClusterError(f"{address} is not a Dask scheduler (it answered as {kind or 'something else'})")


def _task_error(exc: BaseException, what: str) -> BaseException:
    """Errors of our own code (a bad byte, say) pass through; Dask's own become one line."""
    if isinstance(exc, (InputError, ValueError, TypeError, KeyError, OSError)):
        return exc
    return ClusterError(f"{what} failed on the Dask cluster: {type(exc).__name__}: {_one_line(exc)}")


class Session:
    """A connected client (and the ``LocalCluster`` it started, if any)."""

    def __init__(self, client, cluster=None, progress: bool = True):
        self.client = client
        self.cluster = cluster
        self.progress = progress
        #: called with (partitions done, partitions in all) as the run goes (tests hook in here)
        self.on_progress: Callable[[int, int], None] | None = None

    @property
    def n_workers(self) -> int:
        return max(1, len(self.client.scheduler_info().get("workers", {})))

    @property
    def dashboard(self) -> str | None:
        """The dashboard's address, where the scheduler serves one (its pages need bokeh: a local
        cluster without it serves only a notice, so no link is given then)."""
        import importlib.util

        if self.cluster is not None and importlib.util.find_spec("bokeh") is None:
            return None
        services = self.client.scheduler_info().get("services", {})
        return self.client.dashboard_link if "dashboard" in services else None

    def broadcast(self, value: Any):
        """``value`` sent once to every worker; pass the result as a task argument."""
        # in a list: scatter would send a dict's or a set's items one by one
        return self.client.scatter([value], broadcast=True, hash=False)[0]

    @contextlib.contextmanager
    def _bar(self, total: int, desc: str):
        bar = progress_bar(total=total, desc=desc, unit="partition", enabled=self.progress)
        done = 0

        def tick() -> None:
            nonlocal done
            done += 1
            bar.update(1)
            if self.on_progress is not None:
                self.on_progress(done, total)

        try:
            yield tick
        finally:
            bar.close()
        log.info("%s: %d of %d partitions done on %d Dask workers", desc, done, total, self.n_workers)

    def ordered(self, fn: Callable, parts: Sequence[Partition], *args, desc: str = "partitions") -> Iterator[Any]:
        """``fn(part, *args)`` for each partition, results in partition order, a bounded number in
        flight (so the client holds a few partitions' results, never the whole output)."""
        window = 2 * self.n_workers + 2
        pending: deque = deque()
        todo = iter(parts)
        with self._bar(len(parts), desc) as tick:
            try:
                for part in todo:
                    pending.append(self.client.submit(fn, part, *args, pure=False, key=_key(fn, part)))
                    if len(pending) >= window:
                        yield self._result(pending.popleft(), desc)
                        tick()
                while pending:
                    yield self._result(pending.popleft(), desc)
                    tick()
            finally:   # an error, or the caller stopped early: drop what is still queued
                if pending:
                    self.client.cancel(list(pending))

    def reduce(self, fn: Callable, parts: Sequence[Partition], *args, merge: Callable, empty: Any = None,
               desc: str = "partitions") -> Any:
        """``merge`` of ``fn(part, *args)`` over all partitions, merged on the workers as a tree of
        :data:`FAN_IN`-way merges; only the final result comes to the client."""
        if not parts:
            return empty
        from distributed import as_completed

        leaves = [self.client.submit(fn, p, *args, pure=False, key=_key(fn, p)) for p in parts]
        level = leaves
        depth = 0
        while len(level) > 1:   # consecutive groups, so a merge sees its partitions in order
            depth += 1
            level = [self.client.submit(merge, *level[i:i + FAN_IN], pure=False,
                                        key=f"{merge.__name__}-{depth}-{i // FAN_IN}-{_token()}")
                     for i in range(0, len(level), FAN_IN)]
        root = level[0]
        # the client keeps no reference to a partial result once it is counted: Dask frees it
        # after its merge has run (and can still recompute it if that merge's worker dies)
        done = as_completed(leaves, loop=self.client.loop)
        del leaves, level
        with self._bar(len(parts), desc) as tick:
            try:
                for fut in done:
                    if fut.status == "error":
                        raise _task_error(fut.exception(), desc)
                    tick()
                del fut
                return self._result(root, desc)
            except BaseException:
                self.client.cancel([root])
                raise

    def _result(self, fut, desc: str) -> Any:
        try:
            return fut.result()
        except Exception as exc:
            raise _task_error(exc, desc) from None

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.client.close(timeout=10)
        if self.cluster is not None:
            with contextlib.suppress(Exception):
                self.cluster.close(timeout=10)


def _token() -> str:
    import uuid

    return uuid.uuid4().hex[:12]


def _key(fn: Callable, part: Partition) -> str:
    # readable keys on the dashboard: the function, the partition number, a unique tail
    return f"{fn.__name__}-{part.index}-{_token()}"


def _import_distributed():
    try:
        import distributed
    except ImportError:
        raise ClusterError("--scheduler and --dask-workers need Dask: pip install 'textprep[cluster]' "
                         "(dask[distributed])") from None
    return distributed


@contextlib.contextmanager
def open_session(spec: ClusterSpec) -> Iterator[Session]:
    """A :class:`Session` for ``spec``, closed (with its local cluster) on the way out."""
    distributed = _import_distributed()
    # Dask's own INFO chatter (workers registering, streams opening) is noise on our stderr
    logging.getLogger("distributed").setLevel(max(logging.WARNING, logging.getLogger().getEffectiveLevel()))
    cluster = None
    if spec.scheduler is not None:
        probe_scheduler(spec.scheduler, spec.timeout)
        try:
            client = distributed.Client(spec.scheduler, timeout=spec.timeout, set_as_default=False)
        except Exception as exc:
            raise ClusterError(f"cannot connect to the Dask scheduler at {spec.scheduler}: {_one_line(exc)}") from None
    else:
        # one thread per worker process: the pipeline is pure Python, so threads would share one GIL;
        # the workers' own logs are silenced, since a task's error comes back to us and is reported once
        cluster = distributed.LocalCluster(n_workers=spec.workers, threads_per_worker=1, processes=True,
                                           dashboard_address=":0", silence_logs=logging.CRITICAL)
        client = distributed.Client(cluster, set_as_default=False)
    session = Session(client, cluster, spec.progress)
    try:
        where = spec.scheduler or f"a local cluster ({spec.workers} processes)"
        log.info("Dask: %d workers at %s", session.n_workers, where)
        if session.dashboard:
            log.info("Dask dashboard: %s", session.dashboard)
        yield session
    finally:
        session.close()
