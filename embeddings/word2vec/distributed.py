"""Data-parallel word2vec under ``torchrun``: one process per device, tables averaged now and then.

::

    torchrun --nproc-per-node 2 -m cli.embeddings train w2v corpus.txt -o vectors.txt

Every process reads the same chunks of the corpus cache, trains the centre words of its own
share of each chunk (Hogwild threads inside it, on the CPU), and every ``sync_words`` corpus
words the processes merge their two tables with ``all_reduce`` (gloo on CPUs, NCCL on GPUs):
each row takes the mean change of the processes that changed it (:meth:`Group.merge_rows`), the
model averaging of local SGD made to respect that word2vec's updates are sparse.  The learning
rate follows the words of all processes together, so the schedule is the one a single process
would follow.  Process 0 writes the checkpoints and the vectors.
"""
from __future__ import annotations

import logging
import os
from dataclasses import dataclass

import torch

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Group:
    """This process's place: ``rank`` of ``world`` (``world == 1``: no torch.distributed)."""

    rank: int = 0
    world: int = 1

    @property
    def main(self) -> bool:
        return self.rank == 0

    def share(self, n: int) -> tuple[int, int]:
        """This process's equal part ``[lo, hi)`` of ``n`` items."""
        return n * self.rank // self.world, n * (self.rank + 1) // self.world

    def merge_rows(self, table: torch.Tensor, base: torch.Tensor) -> None:
        """Merge the processes' changes to ``table`` since ``base`` (the last merged state), row by row,
        and move ``base`` along.

        Each row takes the mean of the changes of the processes that changed it.  Plain parameter
        averaging would also count the processes that never touched a row, and halve (with two
        processes) the step of every word only one of them saw since the last merge.
        """
        if self.world == 1:
            return
        import torch.distributed as dist

        delta = table.sub_(base)                                    # table now holds this process's change
        touched = delta.ne(0).any(dim=1).to(delta.dtype)
        dist.all_reduce(delta, op=dist.ReduceOp.SUM)
        dist.all_reduce(touched, op=dist.ReduceOp.SUM)
        delta.div_(touched.clamp_(min=1).unsqueeze(1)).add_(base)
        base.copy_(delta)

    def barrier(self) -> None:
        if self.world > 1:
            import torch.distributed as dist

            dist.barrier()


def join(device_name: str) -> tuple[Group, str]:
    """Join the process group that ``torchrun`` describes in the environment, if any.

    Returns the group and the device name this process should use: under torchrun on GPUs,
    ``cuda`` becomes ``cuda:LOCAL_RANK``, one device per process.
    """
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world <= 1:
        return Group(), device_name
    import torch.distributed as dist

    local = int(os.environ.get("LOCAL_RANK", "0"))
    cuda = device_name.startswith("cuda") or (device_name == "auto" and torch.cuda.is_available())
    if cuda:
        device_name = f"cuda:{local}"
    if not dist.is_initialized():
        dist.init_process_group("nccl" if cuda else "gloo")
    group = Group(dist.get_rank(), dist.get_world_size())
    if group.main:
        log.info("word2vec: %d processes (%s), averaging the tables every sync_words words",
                 group.world, "nccl" if cuda else "gloo")
    return group, device_name


def leave(group: Group) -> None:
    if group.world > 1:
        import torch.distributed as dist

        dist.barrier()
        dist.destroy_process_group()
