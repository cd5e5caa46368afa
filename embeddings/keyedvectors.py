"""Word vectors and the questions people ask of them (numpy only).

``KeyedVectors`` follows gensim's names (``most_similar``, ``similarity``, ``doesnt_match``,
``save_word2vec_format`` / ``load_word2vec_format``) so that vectors from either backend
answer the same way.  Queries work on unit-normalised rows:

* 3CosAdd (Mikolov et al. 2013): ``argmax cos(x, sum(+unit(p)) - sum(unit(n)))``.
* 3CosMul (Levy & Goldberg 2014): ``argmax prod((1+cos(x,p))/2) / (prod((1+cos(x,n))/2) + eps)``.

The words of a query never appear in its answer.  A query with words the vectors do not
know raises ``KeyError`` naming all of them.

Files: the word2vec text format (a ``count dim`` header, then ``word v1 ... vd`` per line)
and the binary one (the same header, then per word ``word `` followed by ``dim`` float32
little-endian values and, by the C tool's habit, a newline).
"""
from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np

from textprep.errors import InputError, UnknownWordError
from textprep.fileio import atomic_write

EPS = 1e-6


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

    # -- files ---------------------------------------------------------------------------
    def save_word2vec_format(self, path: str | os.PathLike, binary: bool | None = None) -> None:
        """Write the word2vec text (or, with ``binary``, binary) format atomically.

        ``binary=None`` chooses binary for a ``.bin`` suffix.
        """
        if binary is None:
            binary = Path(path).suffix == ".bin"
        for w in self.index_to_key:
            if not w or any(c.isspace() for c in w):
                raise InputError(f"word {w!r} cannot be written in word2vec format (empty or has whitespace)")
        header = f"{len(self)} {self.vector_size}\n"
        if binary:
            with atomic_write(path, "wb") as fh:
                fh.write(header.encode("utf-8"))
                vecs = self.vectors.astype("<f4")
                for w, v in zip(self.index_to_key, vecs):
                    fh.write(w.encode("utf-8") + b" " + v.tobytes() + b"\n")
        else:
            with atomic_write(path, "w") as fh:
                fh.write(header)
                for w, v in zip(self.index_to_key, self.vectors):
                    fh.write(w + " " + " ".join(f"{x:.6g}" for x in v.tolist()) + "\n")

    @classmethod
    def load_word2vec_format(cls, path: str | os.PathLike, binary: bool | None = None) -> KeyedVectors:
        """Read the word2vec text or binary format (``binary=None``: binary for ``.bin``)."""
        path = Path(path)
        if binary is None:
            binary = path.suffix == ".bin"
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise InputError(f"{path}: cannot read vectors file ({exc.strerror or exc})") from None
        words, vectors = (_parse_binary if binary else _parse_text)(data, path)
        try:
            return cls(words, vectors)
        except ValueError as exc:
            raise InputError(f"{path}: {exc}") from None

    def __repr__(self) -> str:
        return f"KeyedVectors({len(self)} words, dim {self.vector_size})"


def _header(line: bytes, path: Path) -> tuple[int, int]:
    parts = line.split()
    try:
        count, dim = int(parts[0]), int(parts[1])
        if len(parts) != 2 or count < 0 or dim < 1:
            raise ValueError
    except (ValueError, IndexError):
        raise InputError(f"{path}: not a word2vec file (first line should be 'count dim', got {line[:60]!r})") from None
    return count, dim


def _parse_text(data: bytes, path: Path) -> tuple[list[str], np.ndarray]:
    lines = data.split(b"\n")
    count, dim = _header(lines[0], path)
    words: list[str] = []
    vectors = np.empty((count, dim), dtype=np.float32)
    body = [ln for ln in lines[1:] if ln.strip()]
    if len(body) != count:
        raise InputError(f"{path}: header says {count} words, the file has {len(body)} lines of vectors")
    for n, line in enumerate(body):
        parts = line.rstrip(b"\r").rstrip().split(b" ")
        try:
            words.append(parts[0].decode("utf-8"))
            if len(parts) != dim + 1:
                raise InputError(f"expected {dim} values, got {len(parts) - 1}")
            vectors[n] = np.array(parts[1:], dtype=np.float32)
        except (ValueError, UnicodeDecodeError) as exc:
            raise InputError(f"{path}: line {n + 2}: {exc}") from None
    return words, vectors


def _parse_binary(data: bytes, path: Path) -> tuple[list[str], np.ndarray]:
    end = data.find(b"\n")
    count, dim = _header(data[: end if end >= 0 else 80], path)
    pos, width = end + 1, 4 * dim
    words: list[str] = []
    vectors = np.empty((count, dim), dtype=np.float32)
    for n in range(count):
        while pos < len(data) and data[pos:pos + 1] in (b"\n", b"\r"):   # the C tool's separator
            pos += 1
        space = data.find(b" ", pos)
        if space < 0 or space + 1 + width > len(data):
            raise InputError(f"{path}: truncated binary word2vec file at word {n + 1} of {count}")
        try:
            words.append(data[pos:space].decode("utf-8"))
        except UnicodeDecodeError:
            raise InputError(f"{path}: word {n + 1} is not valid UTF-8 (byte offset {pos})") from None
        vectors[n] = np.frombuffer(data, dtype="<f4", count=dim, offset=space + 1)
        pos = space + 1 + width
    return words, vectors
