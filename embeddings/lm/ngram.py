"""An interpolated Kneser-Ney n-gram model over the same token ids as the neural model.

The baseline every perplexity is read against (Kneser & Ney 1995; Chen & Goodman 1998, "An
empirical study of smoothing techniques for language modeling", section 3.5).  Orders
``k = 1..N``; the highest order uses raw counts, the lower orders *continuation* counts
(how many distinct words precede the n-gram), except n-grams starting with ``<bos>``, which have
no left context and keep their raw counts (as KenLM does).  With one absolute discount per order,
``D_k = n1 / (n1 + 2 n2)`` from the counts-of-counts::

    P_k(w | h) = max(a(h w) - D_k, 0) / a(h •)  +  D_k * N1+(h •) / a(h •) * P_{k-1}(w | h')
    P_0(w)     = 1 / V                        (h' is h without its first word; unseen h: P_{k-1})

Plain Python dictionaries: Penn Treebank's trigram model counts in a few seconds.
"""
from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Sequence
from pathlib import Path

from textprep.errors import InputError
from textprep.fileio import read_json, write_json

NGRAM_FORMAT = "embeddings.lm.kneser-ney/1"


class KneserNey:
    def __init__(self, order: int = 3, vocab_size: int = 0, bos_id: int | None = None):
        if order < 1:
            raise InputError(f"order must be >= 1, got {order}")
        self.order, self.vocab_size, self.bos_id = order, vocab_size, bos_id
        self.counts: list[dict[tuple, int]] = [{} for _ in range(order + 1)]  # adjusted counts a_k
        self._finish()

    # -- fitting -----------------------------------------------------------------------
    def fit(self, sequences: Sequence[Sequence[int]]) -> KneserNey:
        """Count n-grams in id sequences; every position after the first is a prediction."""
        N = self.order
        raw: list[Counter] = [Counter() for _ in range(N + 1)]
        for seq in sequences:
            seq = list(seq)
            for k in range(1, N + 1):
                # grams ending at positions >= 1 (position 0 is never predicted)
                start = max(0, 1 - k + 1) if k > 1 else 1
                raw[k].update(zip(*[seq[start + j:] for j in range(k)]))
        adjusted: list[dict] = [{} for _ in range(N + 1)]
        adjusted[N] = dict(raw[N])
        for k in range(N - 1, 0, -1):
            cont: dict[tuple, int] = defaultdict(int)
            for g in raw[k + 1]:
                cont[g[1:]] += 1
            a = dict(cont)
            for g, c in raw[k].items():
                if self.bos_id is not None and g[0] == self.bos_id:
                    a[g] = c
            adjusted[k] = a
        self.counts = adjusted
        self._finish()
        return self

    def _finish(self) -> None:
        """Context totals, context type counts and the discounts from the adjusted counts."""
        self.ctx_total: list[dict] = [defaultdict(int) for _ in range(self.order + 1)]
        self.ctx_types: list[dict] = [defaultdict(int) for _ in range(self.order + 1)]
        self.discount = [0.0] * (self.order + 1)
        for k in range(1, self.order + 1):
            cc = Counter()
            for g, c in self.counts[k].items():
                self.ctx_total[k][g[:-1]] += c
                self.ctx_types[k][g[:-1]] += 1
                if c <= 2:
                    cc[c] += 1
            n1, n2 = cc[1], cc[2]
            self.discount[k] = n1 / (n1 + 2 * n2) if n1 + 2 * n2 > 0 else 0.5
            self.discount[k] = min(max(self.discount[k], 0.05), 0.95)

    # -- probabilities ------------------------------------------------------------------
    def prob(self, word: int, history: Sequence[int]) -> float:
        """``P(word | history)``; only the last ``order - 1`` ids of the history matter."""
        h = tuple(history[-(self.order - 1):]) if self.order > 1 else ()
        return self._p(word, h)

    def _p(self, w: int, h: tuple) -> float:
        k = len(h) + 1
        lower = self._p(w, h[1:]) if k > 1 else 1.0 / self.vocab_size
        total = self.ctx_total[k].get(h, 0)
        if total == 0:
            return lower
        D = self.discount[k]
        c = self.counts[k].get(h + (w,), 0)
        return max(c - D, 0.0) / total + D * self.ctx_types[k][h] / total * lower

    def score(self, sequences: Sequence[Sequence[int]]) -> tuple[float, int]:
        """Total negative log-likelihood (nats) and the number of predicted tokens."""
        nll, n = 0.0, 0
        for seq in sequences:
            for i in range(1, len(seq)):
                nll -= math.log(self.prob(seq[i], seq[max(0, i - self.order + 1):i]))
                n += 1
        return nll, n

    def score_encoded(self, encoded, mode: str, tokenizer) -> tuple[float, int]:
        return self.score(sequences_for(encoded, mode, tokenizer))

    # -- files ---------------------------------------------------------------------------
    def save(self, path: str | Path) -> None:
        write_json(path, {"format": NGRAM_FORMAT, "order": self.order, "vocab_size": self.vocab_size,
                          "bos_id": self.bos_id,
                          "counts": [[[*g, c] for g, c in self.counts[k].items()] for k in range(1, self.order + 1)]})

    @classmethod
    def load(cls, path: str | Path) -> KneserNey:
        d = read_json(path, "n-gram model")
        if not isinstance(d, dict) or d.get("format") != NGRAM_FORMAT:
            raise InputError(f"{path}: not an n-gram model (expected format {NGRAM_FORMAT!r})")
        m = cls(d["order"], d["vocab_size"], d["bos_id"])
        m.counts = [{}] + [{tuple(row[:-1]): row[-1] for row in rows} for rows in d["counts"]]
        m._finish()
        return m


def sequences_for(encoded, mode: str, tokenizer) -> list[list[int]]:
    """The id sequences the neural model sees: one stream with ``<eos>`` after each line, or
    ``<bos> ids <eos>`` per line."""
    if mode == "stream":
        out: list[int] = []
        for s in encoded:
            out.extend(s)
            out.append(tokenizer.eos_id)
        return [out]
    return [[tokenizer.bos_id, *s, tokenizer.eos_id] for s in encoded]
