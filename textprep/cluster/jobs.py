"""The per-line stages on a Dask cluster, each giving what its single-machine path gives.

=====================  ==========================================  ===============================
stage                  on the workers                              on the client
=====================  ==========================================  ===============================
preprocess             tokens of a partition -> its output text    writes the texts in input order
(``min_count > 1``)    first a tree of token counts, then the      the set of kept tokens, sent
                       text again with the rare tokens dropped     once to every worker
vocabulary             a tree of token counts (+ document freqs)   ``Vocabulary.from_counts``
TF-IDF                 document frequencies, then count rows       the cut-offs; idf and norms
BPE training           a tree of pre-token counters                the merges
=====================  ==========================================  ===============================

The client holds counts, a few partitions' output on their way to the file, and (for TF-IDF)
the sparse matrix it returns; never the corpus.  Each function takes a :class:`Session` from
:func:`textprep.cluster.session.open_session`.
"""
from __future__ import annotations

import logging
import numbers
from collections import Counter
from collections.abc import Sequence
from typing import TextIO

import numpy as np

from ..errors import InputError
from ..pipeline import PipelineConfig
from ..vocab import Vocabulary, check_max_df, check_min_df, df_limit
from . import tasks
from .partitions import PARTITION_BYTES, Partition, describe, plan_partitions

log = logging.getLogger("textprep.cluster")


def partitions(paths: Sequence[str], encoding: str = "utf-8", size: int = PARTITION_BYTES) -> list[Partition]:
    parts = plan_partitions(paths, encoding, size)
    log.debug("input: %s", describe(parts, size))
    return parts


def write_preprocessed(session, parts: Sequence[Partition], config: PipelineConfig, out: TextIO,
                       min_count: int = 1) -> int:
    """One line of tokens per input line, in input order, into ``out``; returns the lines written."""
    kept = None
    if min_count > 1:
        stats = session.reduce(tasks.stats_part, parts, config, merge=tasks.merge_stats, empty=tasks.Stats(),
                               desc="preprocess: counts")
        kept = session.broadcast(frozenset(t for t, c in stats.counts.items() if c >= min_count))
        del stats
    n = 0
    for text in session.ordered(tasks.preprocess_part, parts, config, kept, desc="preprocess"):
        out.write(text)
        n += text.count("\n")
    return n


def token_stats(session, parts: Sequence[Partition], config: PipelineConfig | None, dfs: bool = False,
                desc: str = "counts") -> tasks.Stats:
    """Token counts (first-seen order), document frequencies if ``dfs``, documents and tokens."""
    return session.reduce(tasks.stats_part, parts, config, dfs, merge=tasks.merge_stats, empty=tasks.Stats(),
                          desc=desc)


def build_vocabulary(session, parts: Sequence[Partition], config: PipelineConfig, min_count: int = 1,
                     max_size: int | None = None, max_df: float | None = None) -> Vocabulary:
    """What ``Vocabulary.build`` gives over the pipeline's token lists of the partitions."""
    if max_df is not None:
        check_max_df(max_df)
    stats = token_stats(session, parts, config, dfs=max_df is not None, desc="vocabulary")
    counts = stats.counts
    if max_df is not None:
        limit = df_limit(max_df, stats.n_docs)
        counts = Counter({t: c for t, c in counts.items() if stats.dfs[t] <= limit})
    return Vocabulary.from_counts(counts, min_count=min_count, max_size=max_size)


def bpe_counts(session, paths: Sequence[str], encoding: str, pretokenizer: str,
               special_tokens: Sequence[str]) -> Counter:
    """Pre-token counts of files, over exactly the blocks the process pool counts."""
    from ..bpe.counting import BLOCK_BYTES

    parts = partitions(paths, encoding, BLOCK_BYTES)
    return session.reduce(tasks.bpe_count_part, parts, pretokenizer, tuple(special_tokens),
                          merge=tasks.merge_counters, empty=Counter(), desc="bpe: counts")


def tfidf_counts(session, parts: Sequence[Partition], config: PipelineConfig, min_df: float = 1,
                 max_df: float = 1.0, binary: bool = False):
    """``(count matrix, feature names)`` as scikit-learn's ``CountVectorizer`` fits them on the
    pipeline's token lists, or None when no document has a token (the caller's empty case)."""
    import scipy.sparse as sp

    check_min_df(min_df)
    check_max_df(max_df)
    stats = token_stats(session, parts, config, dfs=True, desc="tf-idf: document frequencies")
    if stats.n_tokens == 0:
        return None
    n = stats.n_docs
    high = max_df if isinstance(max_df, numbers.Integral) else max_df * n
    low = min_df if isinstance(min_df, numbers.Integral) else min_df * n
    if high < low:
        raise InputError("max_df corresponds to < documents than min_df")
    # first-seen order: the order of the merged counters' keys (consecutive partitions merge in order)
    kept = [t for t, df in stats.dfs.items() if low <= df <= high]
    if not kept:
        raise InputError("After pruning, no terms remain. Try a lower min_df or a higher max_df.")
    names = sorted(kept)
    column = {t: i for i, t in enumerate(names)}
    columns = session.broadcast({t: (rank, column[t]) for rank, t in enumerate(kept)})
    del stats, kept, column
    blocks = list(session.ordered(tasks.tfidf_rows_part, parts, config, columns, binary, desc="tf-idf: rows"))
    counts = sp.vstack(blocks, format="csr") if blocks else sp.csr_matrix((0, len(names)), dtype=np.int64)
    return counts, np.asarray(names, dtype=object)
