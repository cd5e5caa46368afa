"""The word2vec corpus cache built on a Dask cluster: the same four files, byte for byte.

::

    partitions ──workers──▶ word counts ──tree of merges──▶ Vocabulary     (pass 1, on the client)
    partitions ──workers──▶ (ids uint32, sentence lengths) per partition    (pass 2)
               ──client───▶ appended in partition order to ids.u32 / ends.u64, then vocab.json, meta.json

Pass 1 is :func:`~embeddings.word2vec.cache.count_words` split over partitions and summed, pass 2
the loop of :func:`~embeddings.word2vec.cache.build_cache` run on each partition; the client
holds the vocabulary and a few partitions' ids on their way to the file.

The counting cap (``count_cap``) prunes rare words whenever more distinct words than the cap are
held, and which words go depends on the order they arrive in.  The number of distinct words only
grows until the first prune, so one machine prunes exactly when the whole corpus has more distinct
words than the cap: below the cap the merged counts are the same, above it the run stops with one
line (raise the cap: the workers' counters are exact anyway).
"""
from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from textprep.cluster import tasks
from textprep.cluster.partitions import Partition
from textprep.errors import ConfigError, InputError
from textprep.fileio import atomic_path
from textprep.pipeline import PipelineConfig

from .cache import MAX_SENTENCE, CorpusCache, finish_cache, full_fingerprint, open_cache, start_cache

log = logging.getLogger(__name__)


def cluster_cached_corpus(session, parts: Sequence[Partition], config: PipelineConfig | None, folder: str | Path,
                          min_count: int = 5, max_vocab: int | None = None, count_cap: int | None = None,
                          fingerprint: dict | None = None) -> CorpusCache:
    """:func:`~embeddings.word2vec.cache.cached_corpus` with both passes on ``session``'s workers.

    ``config``: the pipeline that tokenizes each line, or None for text that is already
    tokenized (split on whitespace).
    """
    full = full_fingerprint(fingerprint, min_count, max_vocab, count_cap)
    if fingerprint is not None:
        found = open_cache(folder, full)
        if found is not None:
            return found
    return build_cluster_cache(session, parts, config, folder, min_count, max_vocab, count_cap, full)


def build_cluster_cache(session, parts: Sequence[Partition], config: PipelineConfig | None, folder: str | Path,
                        min_count: int = 5, max_vocab: int | None = None, count_cap: int | None = None,
                        fingerprint: dict | None = None) -> CorpusCache:
    folder = Path(folder)
    stats = session.reduce(tasks.stats_part, parts, config, False, merge=tasks.merge_stats, empty=tasks.Stats(),
                           desc="word2vec: vocabulary")
    n_tokens, n_docs = stats.n_tokens, stats.n_docs
    if count_cap is not None and len(stats.counts) > count_cap:
        raise ConfigError(f"count_cap={count_cap}: the corpus has {len(stats.counts)} distinct words, and one "
                          "machine would prune its counts in reading order, which a cluster cannot repeat; "
                          f"give --count-cap {len(stats.counts)} or more")
    vocab = start_cache(folder, stats.counts, n_tokens, min_count, max_vocab)
    del stats
    index = session.broadcast(vocab.token_to_id)
    n_ids = n_sentences = seen_tokens = 0
    with atomic_path(folder / "ids.u32") as ids_tmp, atomic_path(folder / "ends.u64") as ends_tmp, \
            open(ids_tmp, "wb") as ids_fh, open(ends_tmp, "wb") as ends_fh:
        for ids, lengths, tokens in session.ordered(tasks.ids_part, parts, config, index, MAX_SENTENCE,
                                                    desc="word2vec: corpus ids"):
            ids.astype(np.uint32, copy=False).tofile(ids_fh)
            (n_ids + np.cumsum(lengths, dtype=np.int64)).astype(np.uint64).tofile(ends_fh)
            n_ids += int(ids.size)
            n_sentences += int(lengths.size)
            seen_tokens += tokens
    if seen_tokens != n_tokens:   # a file that changed between the passes
        raise InputError(f"the corpus changed while it was read ({n_tokens} tokens in the first pass, "
                         f"{seen_tokens} in the second)")
    return finish_cache(folder, vocab, fingerprint, n_tokens, n_ids, n_sentences, n_docs, where=" on the cluster")
