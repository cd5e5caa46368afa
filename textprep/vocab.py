"""One vocabulary for every stage: token <-> id, counts, special tokens, JSON on disk.

Ids are assigned deterministically: the special tokens first, in the order given, then
the other tokens by descending count, ties broken by the token itself.  Documents become
id sequences (``encode``) or padded id matrices (``to_matrix``) for downstream models.
"""
from __future__ import annotations

import numbers
import os
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING

from .errors import InputError, UnknownWordError
from .fileio import read_json, write_json

if TYPE_CHECKING:
    import numpy as np

PAD, UNK, BOS, EOS = "<pad>", "<unk>", "<bos>", "<eos>"
DEFAULT_SPECIALS = (PAD, UNK, BOS, EOS)
FORMAT = "textprep.vocabulary/1"


class Vocabulary:
    """A token <-> id map with counts.

    >>> v = Vocabulary.build([["a", "b", "a"], ["c", "a"]], min_count=1)
    >>> v.encode(["a", "zzz"])   # unknown tokens map to <unk>
    [4, 1]
    """

    def __init__(
        self,
        tokens: Iterable[str] = (),
        counts: Mapping[str, int] | None = None,
        specials: Sequence[str] = DEFAULT_SPECIALS,
    ):
        self.specials: tuple[str, ...] = tuple(specials)
        if len(set(self.specials)) != len(self.specials):
            raise InputError(f"specials: duplicate special tokens in {list(self.specials)}")
        self.id_to_token: list[str] = list(self.specials)
        self.token_to_id: dict[str, int] = {t: i for i, t in enumerate(self.id_to_token)}
        for tok in tokens:
            if tok not in self.token_to_id:
                self.token_to_id[tok] = len(self.id_to_token)
                self.id_to_token.append(tok)
        self.counts: dict[str, int] = {t: int(counts.get(t, 0)) for t in self.id_to_token} if counts else {}

    # -- construction ---------------------------------------------------------------
    @classmethod
    def from_counts(
        cls,
        counts: Mapping[str, int],
        min_count: int = 1,
        max_size: int | None = None,
        specials: Sequence[str] = DEFAULT_SPECIALS,
    ) -> Vocabulary:
        """Keep tokens seen at least ``min_count`` times, the ``max_size`` most frequent."""
        if min_count < 1:
            raise InputError(f"min_count must be >= 1, got {min_count}")
        if max_size is not None and max_size < 1:
            raise InputError(f"max_size must be >= 1, got {max_size}")
        specials = tuple(specials)
        kept = sorted(
            ((t, c) for t, c in counts.items() if c >= min_count and t not in specials),
            key=lambda tc: (-tc[1], tc[0]),
        )
        if max_size is not None:
            kept = kept[:max_size]
        return cls([t for t, _ in kept], counts=dict(kept), specials=specials)

    @classmethod
    def build(
        cls,
        docs: Iterable[Sequence[str]],
        min_count: int = 1,
        max_size: int | None = None,
        max_df: float | None = None,
        specials: Sequence[str] = DEFAULT_SPECIALS,
    ) -> Vocabulary:
        """Count tokens over documents (token lists) in one pass and build the vocabulary.

        ``max_df`` drops tokens that occur in more than that fraction of documents
        (a float in (0, 1]) or in more than that many documents (an int), the rule of
        :func:`df_limit`.
        """
        if isinstance(docs, str):
            raise TypeError("Vocabulary.build expects an iterable of token lists, not a string")
        if max_df is not None:
            check_max_df(max_df)  # before the pass over the documents, not after it
        counts: Counter[str] = Counter()
        dfs: Counter[str] = Counter()
        n_docs = 0
        for doc in docs:
            if isinstance(doc, str):
                raise TypeError("Vocabulary.build expects token lists; got a string document (tokenize it first)")
            counts.update(doc)
            if max_df is not None:
                dfs.update(set(doc))
            n_docs += 1
        if max_df is not None:
            limit = df_limit(max_df, n_docs)
            counts = Counter({t: c for t, c in counts.items() if dfs[t] <= limit})
        return cls.from_counts(counts, min_count=min_count, max_size=max_size, specials=specials)

    # -- lookups --------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self.id_to_token)

    def __contains__(self, token: object) -> bool:
        return token in self.token_to_id

    def __iter__(self):
        return iter(self.id_to_token)

    def __getitem__(self, token: str) -> int:
        """The id of ``token``; unknown tokens give ``<unk>``'s id (KeyError without one)."""
        i = self.token_to_id.get(token)
        if i is None:
            if UNK not in self.token_to_id:
                raise UnknownWordError(f"token not in vocabulary (and no {UNK}): {token!r}")
            return self.token_to_id[UNK]
        return i

    def _special_id(self, tok: str) -> int:
        if tok not in self.token_to_id:
            raise UnknownWordError(f"this vocabulary has no {tok} token")
        return self.token_to_id[tok]

    @property
    def pad_id(self) -> int:
        return self._special_id(PAD)

    @property
    def unk_id(self) -> int:
        return self._special_id(UNK)

    @property
    def bos_id(self) -> int:
        return self._special_id(BOS)

    @property
    def eos_id(self) -> int:
        return self._special_id(EOS)

    def count(self, token: str) -> int:
        return self.counts.get(token, 0)

    # -- documents <-> ids ----------------------------------------------------------
    def encode(self, tokens: Sequence[str], add_bos: bool = False, add_eos: bool = False) -> list[int]:
        """Token list -> id list (unknown tokens -> ``<unk>``)."""
        ids = [self[t] for t in tokens]
        if add_bos:
            ids.insert(0, self.bos_id)
        if add_eos:
            ids.append(self.eos_id)
        return ids

    def decode(self, ids: Iterable[int], skip_specials: bool = False) -> list[str]:
        """Id list -> token list; an out-of-range id raises ``ValueError``."""
        out = []
        n = len(self.id_to_token)
        for i in ids:
            i = int(i)
            if not 0 <= i < n:
                raise InputError(f"id {i} is out of range for a vocabulary of {n} tokens")
            tok = self.id_to_token[i]
            if skip_specials and tok in self.specials:
                continue
            out.append(tok)
        return out

    def to_matrix(
        self,
        docs: Iterable[Sequence[str]],
        max_len: int | None = None,
        batch_first: bool = True,
        add_bos: bool = False,
        add_eos: bool = False,
    ) -> np.ndarray:
        """Padded id matrix: shape (batch, time) if ``batch_first`` else (time, batch).

        Sequences longer than ``max_len`` are cut; shorter ones are right-padded with ``<pad>``.
        """
        import numpy as np  # here, not at the top: the command-line parsers import this module

        seqs = [self.encode(d, add_bos=add_bos, add_eos=add_eos) for d in docs]
        width = max((len(s) for s in seqs), default=0) if max_len is None else max_len
        mat = np.full((len(seqs), width), self.pad_id if seqs else 0, dtype=np.int64)
        for row, s in enumerate(seqs):
            s = s[:width]
            mat[row, : len(s)] = s
        return mat if batch_first else mat.T.copy()

    # -- persistence ----------------------------------------------------------------
    def to_dict(self) -> dict:
        return {
            "format": FORMAT,
            "specials": list(self.specials),
            "tokens": self.id_to_token[len(self.specials):],
            "counts": [self.counts.get(t, 0) for t in self.id_to_token[len(self.specials):]],
        }

    @classmethod
    def from_dict(cls, d: dict, source: str = "vocabulary") -> Vocabulary:
        if not isinstance(d, dict) or d.get("format") != FORMAT:
            raise InputError(f"{source}: not a textprep vocabulary (expected format {FORMAT!r})")
        try:
            tokens, counts = d["tokens"], d["counts"]
            if len(tokens) != len(counts):
                raise InputError("tokens and counts differ in length")
            return cls(tokens, counts=dict(zip(tokens, counts)), specials=d["specials"])
        except (KeyError, TypeError, ValueError) as exc:
            raise InputError(f"{source}: malformed vocabulary ({exc})") from None

    def save(self, path: str | os.PathLike) -> None:
        """Write the vocabulary as JSON (atomically)."""
        write_json(path, self.to_dict())

    @classmethod
    def load(cls, path: str | os.PathLike) -> Vocabulary:
        return cls.from_dict(read_json(path, "vocabulary file"), source=str(path))

    def __repr__(self) -> str:
        return f"Vocabulary({len(self)} tokens, specials={list(self.specials)})"


def check_max_df(max_df: float) -> None:
    """``ValueError`` unless ``max_df`` follows scikit-learn's rule for document-frequency
    cut-offs: a float in (0, 1] is a fraction of the documents, an int >= 1 a number of them.

    A float above 1 is refused rather than read as a count: ``2.0`` is far more likely a slip
    than a wish for "2 documents".
    """
    if isinstance(max_df, bool) or not isinstance(max_df, (numbers.Integral, numbers.Real)):
        raise InputError(f"max_df must be a fraction in (0, 1] or a document count, got {max_df!r}")
    if isinstance(max_df, numbers.Integral):
        if max_df < 1:
            raise InputError(f"max_df as a document count must be >= 1, got {max_df!r}")
    elif not 0.0 < max_df <= 1.0:
        raise InputError(f"max_df as a fraction must be in (0, 1], got {max_df!r} (give an int for a count)")


def check_min_df(min_df: float) -> None:
    """``InputError`` unless ``min_df`` follows scikit-learn's rule: a float in [0, 1] is a fraction
    of the documents, an int >= 1 a number of them (checked before any pass over the documents).

    >>> check_min_df(2.0)
    Traceback (most recent call last):
    ...
    textprep.errors.InputError: min_df as a fraction must be in [0, 1], got 2.0 (give an int for a count)
    """
    if isinstance(min_df, bool) or not isinstance(min_df, (numbers.Integral, numbers.Real)):
        raise InputError(f"min_df must be a fraction in [0, 1] or a document count, got {min_df!r}")
    if isinstance(min_df, numbers.Integral):
        if min_df < 1:
            raise InputError(f"min_df as a document count must be >= 1, got {min_df!r}")
    elif not 0.0 <= min_df <= 1.0:
        raise InputError(f"min_df as a fraction must be in [0, 1], got {min_df!r} (give an int for a count)")


def df_limit(max_df: float, n_docs: int) -> float:
    """The largest document frequency ``max_df`` lets through, out of ``n_docs`` documents.

    >>> df_limit(0.5, 10), df_limit(3, 10), df_limit(1.0, 10)
    (5.0, 3.0, 10.0)
    """
    check_max_df(max_df)
    if isinstance(max_df, numbers.Integral):
        return float(max_df)
    return max_df * n_docs
