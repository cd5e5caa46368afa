"""Torch's CPU threads: how many, and how they wait, so that two trainings share a machine fairly.

A second training started beside a first ran 60 times slower than alone, where sharing the
cores should cost about 2 times.  Two causes, both fixed here:

1. **OpenMP threads spin while they wait.**  Torch's OpenMP runtime (GNU libgomp) keeps its
   idle worker threads busy-waiting for the next parallel region, some 300,000 rounds before
   they sleep, so each process keeps every core busy even between regions.  A region ends
   only when its slowest thread ends, and with two processes that thread is often waiting
   for a core the other process's spinners hold.  ``OMP_WAIT_POLICY=PASSIVE`` makes idle
   threads sleep at once.  The runtime reads it once, when torch loads, so
   :func:`passive_openmp_waits` runs as ``embeddings`` is imported, before any of its
   modules imports torch (a value the user set is kept).
2. **More threads than usable cores.**  Torch starts one thread per core it sees; a process
   limited to fewer (a container's CPU quota, ``taskset``) then has threads waiting for one
   another.  :func:`fit_torch_threads` lowers torch's count to :func:`usable_cpus` and never
   raises one the user chose (``--threads``, ``OMP_NUM_THREADS``).
"""
from __future__ import annotations

import contextlib
import math
import os
from collections.abc import Iterator

from textprep.parallel import available_cpus

#: what the OpenMP runtimes read before they start their threads
PASSIVE_WAITS = {"OMP_WAIT_POLICY": "PASSIVE"}


def passive_openmp_waits() -> None:
    """Let idle OpenMP threads sleep (takes effect only if torch is not imported yet)."""
    for name, value in PASSIVE_WAITS.items():
        os.environ.setdefault(name, value)


def _cgroup_cpus(path: str = "/sys/fs/cgroup/cpu.max") -> float | None:
    """The CPU quota of this process's cgroup (v2), in CPUs; None when unlimited or unknown."""
    try:
        with open(path, encoding="ascii") as fh:
            quota, period = fh.read().split()[:2]
    except (OSError, ValueError):
        return None
    if quota == "max":
        return None
    try:
        return int(quota) / int(period)
    except (ValueError, ZeroDivisionError):
        return None


def usable_cpus() -> int:
    """CPUs this process may use: its affinity mask, within its cgroup's CPU quota."""
    n = available_cpus()
    quota = _cgroup_cpus()
    if quota is not None:
        n = min(n, max(1, math.ceil(quota)))
    return n


@contextlib.contextmanager
def fit_torch_threads(threads: int | None = None) -> Iterator[int]:
    """Run the block with ``threads`` torch threads (0 or None: at most :func:`usable_cpus`,
    fewer if already set lower); the previous count comes back afterwards.  Yields the count."""
    import torch

    before = torch.get_num_threads()
    n = threads or min(before, usable_cpus())
    if n != before:
        torch.set_num_threads(n)
    try:
        yield n
    finally:
        if torch.get_num_threads() != before:
            torch.set_num_threads(before)
