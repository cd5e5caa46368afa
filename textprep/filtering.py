"""Corpus-level statistics and rare/frequent-word filtering over pipeline output.

This module builds on :mod:`textprep.pipeline` (never the other way round): import
``TokenizedCorpus`` from here or from the ``textprep`` package.

Counting needs the whole corpus before the first filtered document can be produced, so
:class:`TokenizedCorpus` makes one counting pass first (its corpus must be restartable),
and :func:`write_tokenized` spools token lines to a temporary file instead (so it works
on standard input too).
"""
from __future__ import annotations

import tempfile
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TextIO

from .corpus import require_restartable
from .errors import InputError
from .pipeline import Pipeline, PipelineConfig
from .vocab import check_max_df, df_limit


@dataclass
class TokenStats:
    """Token counts, document frequencies and the number of documents of a corpus."""

    counts: Counter = field(default_factory=Counter)
    dfs: Counter = field(default_factory=Counter)
    n_docs: int = 0

    def add(self, toks: Sequence[str]) -> None:
        self.counts.update(toks)
        self.dfs.update(set(toks))
        self.n_docs += 1

    def kept(self, min_count: int = 1, max_df: float | None = None) -> set[str]:
        """Tokens seen at least ``min_count`` times and in at most ``max_df`` of the
        documents (a float in (0, 1]: a fraction; an int: a number of documents)."""
        check_filter(min_count, max_df)
        limit = float("inf") if max_df is None else df_limit(max_df, self.n_docs)
        return {t for t, c in self.counts.items() if c >= min_count and self.dfs[t] <= limit}


def check_filter(min_count: int, max_df: float | None) -> None:
    """``ValueError`` unless ``min_count`` is an int >= 1 and ``max_df`` None or valid
    (:func:`textprep.vocab.check_max_df`)."""
    if isinstance(min_count, bool) or not isinstance(min_count, int) or min_count < 1:
        raise InputError(f"min_count must be an integer >= 1, got {min_count!r}")
    if max_df is not None:
        check_max_df(max_df)


class TokenizedCorpus:
    """A restartable iterable of token lists: ``corpus`` (documents) through ``pipeline``.

    With ``min_count > 1`` or ``max_df`` set, rare and frequent tokens are dropped; that
    needs the corpus statistics, gathered in one extra pass the first time (so the
    corpus itself must be restartable: a list or a file-backed ``TextCorpus``).

    >>> docs = TokenizedCorpus(["мама мыла раму", "мама спала"], Pipeline(), min_count=2)
    >>> list(docs)
    [['мама'], ['мама']]
    """

    def __init__(
        self,
        corpus: Iterable[str],
        pipeline: Pipeline | PipelineConfig | None = None,
        workers: int = 1,
        min_count: int = 1,
        max_df: float | None = None,
        chunk_size: int = 1000,
    ):
        if isinstance(corpus, str):
            raise TypeError("TokenizedCorpus expects an iterable of documents, not a single string")
        check_filter(min_count, max_df)
        if min_count > 1 or max_df is not None:
            require_restartable(corpus, "TokenizedCorpus with min_count/max_df")
        if pipeline is None or isinstance(pipeline, PipelineConfig):
            pipeline = Pipeline(pipeline)
        self.corpus = corpus
        self.pipeline = pipeline
        self.workers = workers
        self.min_count = min_count
        self.max_df = max_df
        self.chunk_size = chunk_size
        self._stats: TokenStats | None = None
        self._kept: set[str] | None = None

    @property
    def filters(self) -> bool:
        return self.min_count > 1 or self.max_df is not None

    def _raw(self) -> Iterator[list[str]]:
        return self.pipeline.map(self.corpus, workers=self.workers, chunk_size=self.chunk_size)

    def stats(self) -> TokenStats:
        """Counts before filtering (one pass over the corpus, then remembered)."""
        if self._stats is None:
            stats = TokenStats()
            for toks in self._raw():
                stats.add(toks)
            self._stats = stats
        return self._stats

    def __iter__(self) -> Iterator[list[str]]:
        if not self.filters:
            yield from self._raw()
            return
        if self._kept is None:
            self._kept = self.stats().kept(self.min_count, self.max_df)
        kept = self._kept
        for toks in self._raw():
            yield [t for t in toks if t in kept]


def write_tokenized(
    docs: Iterable[str],
    out: TextIO,
    pipeline: Pipeline,
    workers: int = 1,
    min_count: int = 1,
    progress: Callable[[Iterator[list[str]]], Iterator[list[str]]] | None = None,
) -> int:
    """Write one line of space-separated tokens per document; return the number of lines.

    ``docs`` is read once (standard input works): with ``min_count > 1`` the token lines
    go to a temporary spool file while the counts are gathered, then are filtered from it.
    ``progress`` may wrap the token-list iterator (a tqdm bar, say).
    """
    check_filter(min_count, None)
    token_docs = pipeline.map(docs, workers=workers)
    if progress is not None:
        token_docs = progress(token_docs)
    n = 0
    if min_count == 1:
        for toks in token_docs:
            out.write(" ".join(toks))
            out.write("\n")
            n += 1
        return n
    counts: Counter = Counter()
    with tempfile.TemporaryFile("w+", encoding="utf-8") as spool:
        for toks in token_docs:
            counts.update(toks)
            spool.write(" ".join(toks))
            spool.write("\n")
        spool.seek(0)
        for line in spool:
            out.write(" ".join(t for t in line.split() if counts[t] >= min_count))
            out.write("\n")
            n += 1
    return n
