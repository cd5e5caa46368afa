"""Word vectors and the questions people ask of them (numpy only).

``KeyedVectors`` follows gensim's names (``most_similar``, ``most_similar_cosmul``,
``similarity``, ``doesnt_match``, ``evaluate_word_analogies``, ``save_word2vec_format`` /
``load_word2vec_format``) so that vectors from either backend answer the same way, and
converts to the objects people use next: ``to_gensim()`` / ``from_gensim(kv)`` in memory,
``to_torch_embedding(vocab)``.  Queries work on unit-normalised rows:

* 3CosAdd (Mikolov et al. 2013): ``argmax cos(x, sum(+unit(p)) - sum(unit(n)))``.
* 3CosMul (Levy & Goldberg 2014): ``argmax prod((1+cos(x,p))/2) / (prod((1+cos(x,n))/2) + eps)``.

The words of a query never appear in its answer.  A query with words the vectors do not
know raises ``KeyError`` naming all of them.  The file formats are in :mod:`.vectorfiles`;
gensim and torch are imported only by the methods that hand vectors to them.
"""
from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Mapping, Sequence

import numpy as np

from textprep.errors import InputError, UnknownWordError

from .vectorfiles import read_word2vec, write_word2vec

EPS = 1e-6

log = logging.getLogger(__name__)


class KeyedVectors:
    """Words (``index_to_key``) and their vectors (float32 ``(n, dim)``), most frequent first."""

    def __init__(self, index_to_key: Sequence[str], vectors: np.ndarray, counts: Sequence[int] | None = None):
        vectors = np.asarray(vectors, dtype=np.float32)
        if vectors.ndim != 2 or vectors.shape[0] != len(index_to_key):
            raise InputError(f"vectors must have shape ({len(index_to_key)}, dim), got {vectors.shape}")
        self.index_to_key: list[str] = list(index_to_key)
        self.key_to_index: dict[str, int] = {w: i for i, w in enumerate(self.index_to_key)}
        if len(self.key_to_index) != len(self.index_to_key):
            seen: set[str] = set()
            dup = next(w for w in self.index_to_key if w in seen or seen.add(w))
            raise InputError(f"duplicate word in index_to_key: {dup!r}")
        if counts is not None and len(counts) != len(self.index_to_key):
            raise InputError(f"counts has {len(counts)} entries for {len(self.index_to_key)} words")
        self.vectors = vectors
        self.counts = list(counts) if counts is not None else None
        self._unit: np.ndarray | None = None

    # -- lookups ------------------------------------------------------------------------
    @property
    def vector_size(self) -> int:
        return self.vectors.shape[1]

    def __len__(self) -> int:
        return len(self.index_to_key)

    def __contains__(self, word: object) -> bool:
        return word in self.key_to_index

    def __getitem__(self, word: str) -> np.ndarray:
        return self.vectors[self._indices([word])[0]]

    def _indices(self, words: Iterable[str]) -> list[int]:
        words = list(words)
        missing = [w for w in words if w not in self.key_to_index]
        if missing:
            raise UnknownWordError(f"not in the vocabulary: {', '.join(repr(w) for w in missing)}")
        return [self.key_to_index[w] for w in words]

    @property
    def unit_vectors(self) -> np.ndarray:
        """Rows scaled to length 1 (zero rows stay zero); computed once."""
        if self._unit is None:
            norms = np.linalg.norm(self.vectors, axis=1, keepdims=True)
            self._unit = self.vectors / np.maximum(norms, 1e-12)
        return self._unit

    # -- queries ------------------------------------------------------------------------
    def similarity(self, w1: str, w2: str) -> float:
        i, j = self._indices([w1, w2])
        return float(self.unit_vectors[i] @ self.unit_vectors[j])

    def most_similar(
        self,
        positive: str | Sequence[str] = (),
        negative: str | Sequence[str] = (),
        topn: int = 10,
        method: str = "3cosadd",
        restrict_vocab: int | None = None,
    ) -> list[tuple[str, float]]:
        """The ``topn`` words closest to the query, best first, the query's words left out.

        ``method`` is ``3cosadd`` (gensim's ``most_similar``) or ``3cosmul``
        (gensim's ``most_similar_cosmul``); ``restrict_vocab`` searches only the first words.
        """
        positive = [positive] if isinstance(positive, str) else list(positive)
        negative = [negative] if isinstance(negative, str) else list(negative)
        if not positive and not negative:
            raise InputError("most_similar needs at least one positive or negative word")
        if topn < 1:
            raise InputError(f"topn must be >= 1, got {topn}")
        pos = self._indices(positive + negative)
        neg = pos[len(positive):]
        pos = pos[: len(positive)]
        limit = len(self) if restrict_vocab is None else min(restrict_vocab, len(self))
        unit = self.unit_vectors[:limit]
        if method == "3cosadd":
            query = self.unit_vectors[pos].sum(0) - self.unit_vectors[neg].sum(0)
            query /= max(float(np.linalg.norm(query)), 1e-12)
            scores = unit @ query
        elif method == "3cosmul":
            to01 = lambda idx: (1.0 + unit @ self.unit_vectors[idx].T) / 2.0   # noqa: E731  (limit, q)
            scores = to01(pos).prod(1) / (to01(neg).prod(1) + EPS)
        else:
            raise InputError(f"method must be '3cosadd' or '3cosmul', got {method!r}")
        return self._top(scores, set(pos) | set(neg), topn)

    def _top(self, scores: np.ndarray, exclude: set[int], topn: int) -> list[tuple[str, float]]:
        want = min(topn + len(exclude), scores.size)
        best = np.argpartition(-scores, want - 1)[:want]
        best = best[np.lexsort((best, -scores[best]))]        # by score, ties by frequency rank
        out = [(self.index_to_key[i], float(scores[i])) for i in best if i not in exclude]
        return out[:topn]

    def most_similar_cosmul(
        self,
        positive: str | Sequence[str] = (),
        negative: str | Sequence[str] = (),
        topn: int = 10,
        restrict_vocab: int | None = None,
    ) -> list[tuple[str, float]]:
        """gensim's name for :meth:`most_similar` with ``method="3cosmul"``."""
        return self.most_similar(positive, negative, topn=topn, method="3cosmul", restrict_vocab=restrict_vocab)

    def evaluate_word_analogies(self, analogies: str | os.PathLike,
                                restrict_vocab: int | None = None) -> tuple[float, list[dict]]:
        """gensim's ``(score, sections)``: the total accuracy, and per section
        ``{"section", "correct", "incorrect"}`` with the questions as upper-cased 4-tuples, then
        ``"Total accuracy"``.  The rules are :func:`embeddings.evaluate.evaluate_word_analogies`'
        (``restrict_vocab`` None: its 30,000 most frequent words; gensim's default is 300,000).
        """
        from .evaluate import RESTRICT_VOCAB, evaluate_word_analogies

        result = evaluate_word_analogies(self, analogies, RESTRICT_VOCAB if restrict_vocab is None else restrict_vocab)
        sections = [{"section": s.name, "correct": list(s.correct_questions), "incorrect": list(s.incorrect_questions)}
                    for s in result.sections]
        sections.append({"section": "Total accuracy",
                         "correct": [q for s in sections for q in s["correct"]],
                         "incorrect": [q for s in sections for q in s["incorrect"]]})
        return result.accuracy, sections

    def doesnt_match(self, words: Sequence[str]) -> str:
        """The word farthest from the mean of the others' unit vectors (gensim's rule)."""
        words = list(words)
        if len(words) < 2:
            raise InputError(f"doesnt_match needs at least 2 words, got {words}")
        unit = self.unit_vectors[self._indices(words)]
        mean = unit.mean(0)
        mean /= max(float(np.linalg.norm(mean)), 1e-12)
        return words[int(np.argmin(unit @ mean))]

    # -- export for the language model ---------------------------------------------------
    def embedding_matrix(self, tokens: Sequence[str], seed: int = 0) -> tuple[np.ndarray, list[str]]:
        """Rows aligned to ``tokens`` (an LM vocabulary): ``(len(tokens), dim)`` float32.

        Tokens without a vector get a random row, uniform in ``+-0.5/dim`` like word2vec's
        own start; they are returned as the second element, in order.
        """
        rng = np.random.default_rng(seed)
        dim = self.vector_size
        out = ((rng.random((len(tokens), dim)) - 0.5) / dim).astype(np.float32)
        missing = []
        for row, tok in enumerate(tokens):
            i = self.key_to_index.get(tok)
            if i is None:
                missing.append(tok)
            else:
                out[row] = self.vectors[i]
        return out, missing

    def to_torch_embedding(self, vocab: Sequence[str] | Mapping[str, int] | None = None, freeze: bool = True,
                           seed: int = 0):
        """A ``torch.nn.Embedding`` whose row ``i`` is the vector of ``vocab``'s token ``i``.

        ``vocab``: tokens in row order (a list, a :class:`textprep.vocab.Vocabulary`, any
        iterable) or a mapping token -> row (``key_to_index``, a tokenizer's ``get_vocab()``);
        None: these vectors' own order.  Tokens without a vector get random rows, as in
        :meth:`embedding_matrix`, and their number is logged.  ``freeze`` as in
        ``nn.Embedding.from_pretrained``: the rows are not trained.
        """
        import torch

        tokens = _vocab_tokens(vocab) if vocab is not None else self.index_to_key
        matrix, missing = self.embedding_matrix(tokens, seed=seed)
        if missing:
            shown = ", ".join(repr(t) for t in missing[:5]) + (", ..." if len(missing) > 5 else "")
            log.info("%d of %d tokens have no vector and start from random rows (%s)", len(missing), len(tokens),
                     shown)
        return torch.nn.Embedding.from_pretrained(torch.from_numpy(matrix), freeze=freeze)

    # -- gensim --------------------------------------------------------------------------
    def to_gensim(self):
        """The same words, vectors and counts as a ``gensim.models.KeyedVectors`` (copied)."""
        from .gensim_backend import to_gensim

        return to_gensim(self)

    @classmethod
    def from_gensim(cls, kv) -> KeyedVectors:
        """Our vectors from gensim's ``KeyedVectors`` (or a model holding one as ``.wv``), copied."""
        from .gensim_backend import from_gensim

        return from_gensim(kv, cls)

    # -- files ---------------------------------------------------------------------------
    def save_word2vec_format(self, path: str | os.PathLike, binary: bool = False) -> None:
        """Write the word2vec text format (``binary=True``: the binary one) atomically.

        Text unless told, as in gensim; the command line alone picks binary for a ``.bin`` name.
        """
        write_word2vec(path, self.index_to_key, self.vectors, binary=bool(binary))

    @classmethod
    def load_word2vec_format(cls, path: str | os.PathLike, binary: bool | None = None) -> KeyedVectors:
        """Read the word2vec text or binary format (``binary=None``: told by the file's bytes)."""
        words, vectors = read_word2vec(path, binary)
        try:
            return cls(words, vectors)
        except ValueError as exc:
            raise InputError(f"{path}: {exc}") from None

    def __repr__(self) -> str:
        return f"KeyedVectors({len(self)} words, dim {self.vector_size})"


def _vocab_tokens(vocab) -> list[str]:
    """Tokens in row order from a mapping token -> row or from an iterable of tokens."""
    if isinstance(vocab, str):
        raise TypeError("vocab must be a sequence of tokens or a mapping token -> row, not a string")
    if isinstance(vocab, Mapping):
        tokens = sorted(vocab, key=vocab.__getitem__)
        if [vocab[t] for t in tokens] != list(range(len(tokens))):
            raise InputError(f"vocab maps {len(tokens)} tokens to rows that are not 0..{len(tokens) - 1}")
        return tokens
    return list(vocab)
