"""The gensim backend: the same ``Word2VecConfig``, trained by gensim, returned as our vectors.

gensim is imported only when this backend runs.  Options map one to one:

    sg -> sg, dim -> vector_size, window, negative, epochs, min_count,
    max_vocab -> max_final_vocab, sample, ns_exponent, lr -> alpha,
    lr * min_lr_ratio -> min_alpha, seed, workers

gensim always uses ``hs=0`` here (negative sampling only) and ``cbow_mean=1``, as our
trainer does.  It has no GPU code, so ``device`` must be ``auto`` or ``cpu``.

``to_gensim`` / ``from_gensim`` turn our ``KeyedVectors`` into gensim's and back in memory
(words, vectors and counts, copied); ``KeyedVectors.to_gensim()`` and ``from_gensim()`` call them.
"""
from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence

import numpy as np

from textprep.errors import InputError
from textprep.parallel import resolve_workers

from .keyedvectors import KeyedVectors
from .word2vec import Word2VecConfig

log = logging.getLogger(__name__)


def gensim_kwargs(config: Word2VecConfig) -> dict:
    """The keyword arguments of ``gensim.models.Word2Vec`` that match ``config``."""
    return dict(
        sg=int(config.sg), hs=0, cbow_mean=1, vector_size=config.dim, window=config.window,
        negative=config.negative, epochs=config.epochs, min_count=config.min_count,
        max_final_vocab=config.max_vocab, sample=config.sample, ns_exponent=config.ns_exponent,
        alpha=config.start_lr, min_alpha=config.start_lr * config.min_lr_ratio,
        seed=config.seed, workers=resolve_workers(config.workers),
    )


def train_gensim(token_corpus: Iterable[Sequence[str]], config: Word2VecConfig = Word2VecConfig()) -> KeyedVectors:
    """Train gensim's word2vec on restartable token lists; returns our ``KeyedVectors``."""
    if config.device not in ("auto", "cpu"):
        raise InputError(f"the gensim backend runs on the CPU only; got device {config.device!r}")
    if isinstance(token_corpus, str):
        raise TypeError("train_gensim expects an iterable of token lists, not a string")
    from textprep.corpus import require_restartable

    require_restartable(token_corpus, "the gensim backend")
    try:
        from gensim.models import Word2Vec
    except ImportError as exc:  # pragma: no cover - gensim is a dependency, but keep the message clear
        raise RuntimeError(f"the gensim backend needs gensim installed ({exc})") from None

    model = Word2Vec(**gensim_kwargs(config))
    model.build_vocab(token_corpus)
    if len(model.wv) == 0:
        raise InputError(f"no word occurs at least min_count={config.min_count} times in the corpus")
    model.train(token_corpus, total_examples=model.corpus_count, epochs=config.epochs)
    return from_gensim(model.wv)


def to_gensim(kv: KeyedVectors):
    """gensim's ``KeyedVectors`` holding the words, vectors and counts of ``kv`` (copies)."""
    from gensim.models import KeyedVectors as GensimKeyedVectors

    out = GensimKeyedVectors(kv.vector_size, count=0, dtype=np.float32)
    out.add_vectors(list(kv.index_to_key), kv.vectors.astype(np.float32, copy=True))
    if kv.counts is not None:
        # one array, as training leaves it (set_vecattr takes one word at a time)
        out.allocate_vecattrs(["count"], [np.int64])
        out.expandos["count"][:] = np.asarray(kv.counts, dtype=np.int64)
    return out


def from_gensim(wv, cls: type[KeyedVectors] = KeyedVectors) -> KeyedVectors:
    """Our ``KeyedVectors`` (or ``cls``) from gensim's, or from a model that holds them as ``.wv``.

    Counts come along when gensim has them (its ``count`` attribute, set by training)."""
    wv = getattr(wv, "wv", wv)
    if not (hasattr(wv, "index_to_key") and hasattr(wv, "vectors")):
        raise TypeError(f"from_gensim expects gensim KeyedVectors or a model with .wv, got {type(wv).__name__}")
    counts = getattr(wv, "expandos", {}).get("count")
    if counts is not None and not np.any(counts):
        counts = None            # gensim's placeholder when no count was ever set
    return cls(list(wv.index_to_key), np.array(wv.vectors, dtype=np.float32, copy=True),
               None if counts is None else [int(c) for c in counts])
