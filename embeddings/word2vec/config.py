"""Settings of a word2vec run, shared by the Python API, ``embeddings train w2v`` and the main job.

Torch-free: the default block size takes the device's type as a string.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from textprep.config import check_fields, option

from ..device import DEVICE_HELP, check_device_name

#: fields that change how fast a run goes, not what it computes (a checkpoint made with other
#: values of these can be resumed; a cache or fingerprint ignores them)
#: the largest block whose plain summed update was shown to train as well as gensim (the CPU default cap)
SUM_BLOCK_LIMIT = 1024

RUNTIME_FIELDS = ("device", "threads", "workers", "sync_words", "chunk_words")


@dataclass(frozen=True)
class Word2VecConfig:
    """Settings of one word2vec run (the defaults follow the C tool ``word2vec.c``)."""

    sg: bool = option(True, "skip-gram (True) or CBOW (False)")
    dim: int = option(100, "vector dimension", min=1)
    window: int = option(5, "largest window; each centre draws 1..window", min=1)
    negative: int = option(5, "noise words per positive", min=1)
    epochs: int = option(5, "passes over the corpus", min=1)
    min_count: int = option(5, "drop words seen fewer times", min=1)
    max_vocab: int | None = option(None, "keep at most this many most frequent words", min=1)
    count_cap: int | None = option(
        4_000_000, "while counting a cached corpus, hold at most this many distinct words, pruning the rarest "
                   "(bounds the memory of the counting pass, like gensim's max_vocab_size)", min=1)
    sample: float = option(1e-3, "subsampling threshold (0: off)", min=0, lt=1)
    ns_exponent: float = option(0.75, "power of the unigram noise distribution")
    lr: float | None = option(None, "start learning rate (default 0.025 skip-gram, 0.05 CBOW)", gt=0)
    min_lr_ratio: float = option(1e-4, "learning rate floor as a fraction of the start", min=0, max=1)
    batch_size: int | None = option(
        None, "centre words per step (default: vocabulary/10 within 256..1024 on CPU, ..16384 on GPU; "
              "half that for CBOW)", min=1)
    block_update: str = option(
        "auto", "how a table row updated several times in one block moves: online (each window's step from the "
                "tables as the block's earlier windows left them, as in the C tool and gensim: a compiled loop, CPU "
                "only), sum (the sum of its steps from the same stale tables, the batched step a GPU runs, right "
                "for small blocks), newton (the sum, cut to half of the distance to the minimum of the row's loss "
                "along it: keeps GPU-sized blocks stable and close to small ones), sequential (the sum scaled by a "
                "bound on the curvature: stable, slower to learn) or auto (on the CPU online for blocks up to "
                f"{SUM_BLOCK_LIMIT} centre words; elsewhere newton for blocks above {SUM_BLOCK_LIMIT} centre words "
                "or a tenth of the vocabulary, else sum)",
        choices=("auto", "online", "sum", "newton", "sequential"))
    seed: int = option(0, "random seed (reproducible on the same device)")
    device: str = option("auto", DEVICE_HELP)
    threads: int = option(0, "CPU threads for each worker's torch operations (0: one; a block's operations are "
                             "too short to share between threads)", min=0)
    workers: int = option(
        3, "CPU workers updating the tables Hogwild-style (processes on Linux, threads elsewhere), 3 as in gensim "
           "(0: one per CPU; never more than the CPUs available). Faster, but runs differ in the last bits: 1 gives "
           "the same vectors for a seed on one device", min=0)
    chunk_words: int = option(
        1 << 20, "words of a cached corpus read and moved to the device at a time (whole sentences)", min=1)
    sync_words: int = option(
        50_000, "under torchrun: add up the processes' changes to the tables every this many corpus words "
                "(each merge is one all-reduce of both tables: raise it where that is slow)", min=1)

    def __post_init__(self) -> None:
        check_fields(self)
        check_device_name(self.device)

    @property
    def start_lr(self) -> float:
        return self.lr if self.lr is not None else (0.025 if self.sg else 0.05)

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    def update_for(self, block: int, vocab_size: int | None = None, device_type: str = "cpu") -> str:
        """The update (``online``, ``sum``, ``newton`` or ``sequential``) that blocks of ``block``
        centre words use on a vocabulary of ``vocab_size`` words on a ``device_type`` device.

        ``auto`` takes each window in turn (``online``) on the CPU while blocks are at most
        :data:`SUM_BLOCK_LIMIT` words (the CPU default).  Elsewhere, and for larger CPU blocks (the
        GPU's arithmetic run on the CPU), it keeps plain sums while blocks are at most
        :data:`SUM_BLOCK_LIMIT` words and at most a tenth of the vocabulary, and uses newton
        beyond: on a tiny vocabulary even a 256-word block updates each word hundreds of times (8
        distinct words diverged with plain sums).
        """
        if self.block_update != "auto":
            return self.block_update
        device_type = getattr(device_type, "type", device_type)  # a torch.device works too
        if device_type == "cpu" and block <= SUM_BLOCK_LIMIT:
            return "online"
        small = block <= SUM_BLOCK_LIMIT and (vocab_size is None or block <= max(vocab_size // 10, 1))
        return "sum" if small else "newton"

    def block_lr(self, block: int, vocab_size: int | None = None, device_type: str = "cpu") -> float:
        """The start learning rate of blocks of ``block`` centre words: :attr:`start_lr`, times
        :func:`newton_lr_scale` where skip-gram blocks use the newton update.  CBOW keeps its
        rate: on the 18.8M-token table 16,384-word CBOW blocks at twice it reached 26.07 %, at the
        per-word rate 28.73 % (on a GPU), 65,536-word blocks at the per-word rate 27.69 % (512-word
        plain sums 28.37 %)."""
        if not self.sg:   # CBOW: twice the rate lost 2.3 points at 16,384 words (18.8M tokens, 5 epochs)
            return self.start_lr
        return self.start_lr * newton_lr_scale(block, self.update_for(block, vocab_size, device_type))

    def result_fields(self) -> dict:
        """The settings that shape the trained vectors (everything but :data:`RUNTIME_FIELDS`)."""
        return {k: v for k, v in self.to_dict().items() if k not in RUNTIME_FIELDS}


#: newton blocks start from a larger learning rate above this many centre words (sqrt(2) times
#: the per-word one at 8,192) ...
NEWTON_LR_BLOCK = 4096
#: ... falling back to the per-word one at this many ...
NEWTON_LR_STOP = 16_384
#: ... and rising again beyond, to twice it from this many on
NEWTON_LR_TOP = 65_536


def newton_lr_scale(block: int, update: str) -> float:
    """How many times the per-word learning rate a block of ``block`` centre words starts from:
    for the newton update 1 up to 4,096 words, ``sqrt(block / 4096)`` up to sqrt(2) at 8,192,
    ``sqrt(16384 / block)`` back to 1 at 16,384, then ``sqrt(block / 16384)`` up to 2 at 65,536 and
    2 beyond; 1 for the other updates.

    The newton cut holds back the rows a block updates many times (frequent words), so in large
    blocks they keep pace with sequential SGD only if the rows updated a few times move further
    than one SGD step each.  On the 18.8M-token English corpus (skip-gram, 5 epochs, on an H200)
    8,192-word blocks reach 31.66 / 31.63 / 30.87 % on questions-words for seeds 0 / 1 / 2 at
    sqrt(2) times the rate, 30.24 % (seed 0) at the per-word rate.  Twice the rate at 16,384
    diverged for seeds 0 and 1 there (sqrt(2) times it for seed 0), where the per-word rate
    reaches 30.61 / 31.26 / 30.41 % (1,024-word plain sums 30.66 %, seed 0), hence the fall back
    to 1 at 16,384 (those runs were before the newton update checked its guess on the true loss;
    with the check, 16,384 at the per-word rate reaches 30.96 % on the CPU, seed 0).  65,536-word
    blocks, with the check, reach 28.90 % at the per-word rate and 30.14 % at twice it (CPU, seed
    0; 1,024-word plain sums 30.91 %), hence the rise beyond 16,384.  Skip-gram only
    (:meth:`Word2VecConfig.block_lr`).
    """
    if update != "newton":
        return 1.0
    if block > NEWTON_LR_STOP:
        return min(block, NEWTON_LR_TOP) ** 0.5 / NEWTON_LR_STOP ** 0.5
    return max(1.0, min((block / NEWTON_LR_BLOCK) ** 0.5, (NEWTON_LR_STOP / block) ** 0.5))


#: the largest GPU block shown to keep quality: on the 18.8M-token English corpus (5 epochs) on an
#: H200, 16,384-word skip-gram blocks with the newton update reach 30.61 / 31.26 / 30.41 % on
#: questions-words (seeds 0 / 1 / 2), Spearman 0.5217 / 0.5341 / 0.5193, against 30.66 % / 0.5225
#: for 1,024-word plain sums (seed 0) on the GPU, 30.91 % / 0.5179 on the CPU and 30.72 % / 0.5076
#: for gensim; CBOW's 16,384-word blocks reach 28.73 % / 0.4614 (512-word plain sums on the CPU
#: 28.37 % / 0.4718, gensim 28.05 % / 0.4583).  65,536-word skip-gram blocks, with the newton
#: update's check on the true loss and twice the rate, reach 30.14 % / 0.5517 on the CPU (seed 0).
#: benchmarks/RESULTS.md has the tables
GPU_BLOCK_LIMIT = 16_384


def default_batch_size(vocab_size: int, device_type: str = "cpu", sg: bool = True) -> int:
    """Centre words per step when not set: a tenth of the vocabulary, at least 256, at most
    1,024 on the CPU (blocks that stay in cache) and 16,384 on a GPU; half of that for CBOW.

    Updates to a word seen many times in one block add up from the same stale vectors, so
    blocks that are large next to the vocabulary overshoot (on a 10k-word vocabulary, 1,024
    centre words per block trains as well as gensim; 4,096 diverges with plain sums).  CBOW
    starts from twice skip-gram's learning rate, so each stale update is twice as large: its
    blocks are halved (on the 18.8M-word English corpus, three seeds: -1.06 analogy points
    against gensim with 1,024-word blocks, -0.28 with 512).  Blocks above 1,024 words use the
    newton update by default (``block_update="auto"``), which is what keeps the GPU's blocks
    from diverging.  On the CPU the default blocks take their windows in turn (the ``online``
    update): there the block size only sets how many windows are handed over at a time.
    """
    device_type = getattr(device_type, "type", device_type)  # a torch.device works too
    cap = GPU_BLOCK_LIMIT if device_type == "cuda" else SUM_BLOCK_LIMIT
    size = max(256, min(cap, vocab_size // 10))
    return size if sg else size // 2
