"""What a worker does with one partition: plain functions of plain values, no Dask in sight.

Each function reads its partition itself (:mod:`.partitions`) and returns something small next
to the partition: its output text, its counts, its rows of a matrix, its word ids.  The same
functions run in any process, so the tests can call them directly too.

A worker builds the :class:`~textprep.pipeline.Pipeline` of a config once and keeps it (and
its lemma cache) for every later partition of the run, like a pool worker's initializer.
"""
from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

import numpy as np

from ..pipeline import Pipeline, PipelineConfig
from .partitions import Partition, iter_partition_lines, read_bytes

_PIPELINES: dict[PipelineConfig, Pipeline] = {}
_LOCK = threading.Lock()


def pipeline_for(config: PipelineConfig) -> Pipeline:
    """This process's pipeline for ``config``, built on first use."""
    with _LOCK:
        pipe = _PIPELINES.get(config)
        if pipe is None:
            pipe = _PIPELINES[config] = Pipeline(config)
        return pipe


def token_lists(part: Partition, config: PipelineConfig | None) -> Iterator[list[str]]:
    """The partition's documents (lines) as token lists: through the pipeline of ``config``, or
    split on whitespace when ``config`` is None (text that is already tokenized)."""
    lines = iter_partition_lines(part)
    if config is None:
        return (line.split() for line in lines)
    return map(pipeline_for(config), lines)


# -- preprocessing: output text in partition order --------------------------------------
def preprocess_part(part: Partition, config: PipelineConfig, kept: frozenset[str] | None = None) -> str:
    """One output line per input line, tokens joined by spaces; with ``kept``, only those tokens
    (the rule of :func:`textprep.filtering.write_tokenized`, which re-splits the joined line)."""
    out = []
    for toks in token_lists(part, config):
        line = " ".join(toks)
        if kept is not None:
            line = " ".join(t for t in line.split() if t in kept)
        out.append(line)
        out.append("\n")
    return "".join(out)


# -- counts, merged as a tree -------------------------------------------------------------
@dataclass
class Stats:
    """Token counts (keys in order of first occurrence), document frequencies, documents, tokens."""

    counts: Counter = field(default_factory=Counter)
    dfs: Counter = field(default_factory=Counter)
    n_docs: int = 0
    n_tokens: int = 0


def stats_part(part: Partition, config: PipelineConfig | None, dfs: bool = False) -> Stats:
    stats = Stats()
    for toks in token_lists(part, config):
        stats.counts.update(toks)
        if dfs:
            stats.dfs.update(dict.fromkeys(toks, 1))   # ordered, unlike a set: first occurrences stay in order
        stats.n_docs += 1
        stats.n_tokens += len(toks)
    return stats


def merge_stats(*parts: Stats) -> Stats:
    """The sum of consecutive partitions' stats, in their order (so key order stays first-seen order)."""
    total = Stats()
    for s in parts:
        total.counts.update(s.counts)
        total.dfs.update(s.dfs)
        total.n_docs += s.n_docs
        total.n_tokens += s.n_tokens
    return total


def bpe_count_part(part: Partition, pretokenizer: str, special_tokens: tuple[str, ...]) -> Counter:
    """Pre-token counts of one partition, as :func:`textprep.bpe.counting.count_corpus` counts a block."""
    from ..bpe.counting import count_text, special_splitter
    from ..bpe.pretokenize import JOIN_CHARS, get_pretokenizer, join_lines
    from .partitions import _wide, bad_byte

    specials = special_splitter(special_tokens)
    if _wide(part.encoding):   # streamed, as the pool streams such a file
        pretok, total = get_pretokenizer(pretokenizer), Counter()
        for piece in join_lines(iter_partition_lines(part), JOIN_CHARS):
            total.update(pretok.count(piece, specials))
        return total
    raw = read_bytes(part)
    try:
        text = raw.decode(part.encoding)
    except UnicodeDecodeError as exc:
        raise bad_byte(part, raw, exc, 0) from None
    if part.start == 0:
        text = text.lstrip("\ufeff")
    return count_text(text, pretokenizer, specials)


def merge_counters(*parts: Counter) -> Counter:
    total: Counter = Counter()
    for c in parts:
        total.update(c)
    return total


# -- TF-IDF rows ----------------------------------------------------------------------------
def tfidf_rows_part(part: Partition, config: PipelineConfig, columns: Mapping[str, tuple[int, int]],
                    binary: bool = False):
    """The partition's rows of the document-term count matrix (CSR, int64 counts, int32 columns).

    ``columns`` maps each kept term to (rank of first occurrence in the corpus, column).  Within
    a row, entries come in order of that rank: the layout scikit-learn's ``CountVectorizer``
    leaves after sorting its features, so the weighted matrix is the same to the last bit.
    """
    import scipy.sparse as sp

    indptr, indices, data = [0], [], []
    for toks in token_lists(part, config):
        row: dict[tuple[int, int], int] = {}
        for t in toks:
            rc = columns.get(t)
            if rc is not None:
                row[rc] = row.get(rc, 0) + 1
        for (_, col), n in sorted(row.items()):
            indices.append(col)
            data.append(1 if binary else n)
        indptr.append(len(indices))
    return sp.csr_matrix((np.asarray(data, dtype=np.int64), np.asarray(indices, dtype=np.int32),
                          np.asarray(indptr, dtype=np.int32)), shape=(len(indptr) - 1, len(columns)))


# -- word ids (the word2vec corpus cache) ------------------------------------------------------
def ids_part(part: Partition, config: PipelineConfig | None, index: Mapping[str, int],
             max_sentence: int) -> tuple[np.ndarray, np.ndarray, int]:
    """``(ids uint32, sentence lengths int64, tokens read)``: in-vocabulary ids of each document,
    cut into sentences of at most ``max_sentence`` ids; a document with none gives no sentence."""
    ids_out: list[np.ndarray] = []
    lengths: list[int] = []
    n_tokens = 0
    for doc in token_lists(part, config):
        n_tokens += len(doc)
        ids = np.fromiter((i for i in map(index.get, doc) if i is not None), dtype=np.uint32)
        for s in range(0, len(ids), max_sentence):
            piece = ids[s:s + max_sentence]
            ids_out.append(piece)
            lengths.append(len(piece))
    ids_all = np.concatenate(ids_out) if ids_out else np.zeros(0, dtype=np.uint32)
    return ids_all, np.asarray(lengths, dtype=np.int64), n_tokens
