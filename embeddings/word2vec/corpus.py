"""A corpus of token lists turned into word ids: the vocabulary pass of word2vec.

One pass over the documents counts the words and numbers them as they first appear; the
vocabulary (``min_count``, ``max_vocab``, most frequent first) then renumbers them with one
array lookup, and words below the cut vanish from the stream, as in the C tool.  Document
numbers travel beside the ids so that no window crosses a document boundary.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from textprep.errors import InputError
from textprep.vocab import Vocabulary


@dataclass
class EncodedCorpus:
    """A corpus as arrays: word ids (N,) and document numbers (N,), both int64."""

    vocab: Vocabulary
    ids: np.ndarray
    docs: np.ndarray
    n_tokens: int          # tokens read, out-of-vocabulary ones included

    @property
    def n_ids(self) -> int:
        """In-vocabulary tokens."""
        return int(self.ids.size)

    @property
    def counts(self) -> np.ndarray:
        """How often each vocabulary word occurs, in id order."""
        return np.array([self.vocab.counts[t] for t in self.vocab.id_to_token], dtype=np.int64)


def encode_corpus(
    token_corpus: Iterable[Sequence[str]], min_count: int = 5, max_vocab: int | None = None
) -> EncodedCorpus:
    """One pass over token lists: count, build the vocabulary, keep in-vocabulary ids."""
    if isinstance(token_corpus, str):
        raise TypeError("train_word2vec expects an iterable of token lists, not a string")
    first_seen: defaultdict[str, int] = defaultdict()
    first_seen.default_factory = first_seen.__len__
    chunks: list[np.ndarray] = []
    lengths: list[int] = []
    for doc in token_corpus:
        if isinstance(doc, str):
            raise TypeError("train_word2vec expects token lists; got a string document (tokenize it first)")
        chunks.append(np.fromiter(map(first_seen.__getitem__, doc), dtype=np.int64, count=len(doc)))
        lengths.append(len(doc))
    raw = np.concatenate(chunks) if chunks else np.zeros(0, dtype=np.int64)
    words = list(first_seen)
    raw_counts = np.bincount(raw, minlength=len(words))
    vocab = Vocabulary.from_counts(
        dict(zip(words, raw_counts.tolist())), min_count=min_count, max_size=max_vocab, specials=()
    )
    if len(vocab) == 0:
        raise InputError(
            f"no word occurs at least min_count={min_count} times in the corpus "
            f"({raw.size} tokens, {len(words)} distinct words)"
        )
    remap = np.full(len(words), -1, dtype=np.int64)
    for i, w in enumerate(words):
        remap[i] = vocab.token_to_id.get(w, -1)
    docs = np.repeat(np.arange(len(lengths), dtype=np.int64), lengths)
    new = remap[raw]
    keep = new >= 0
    return EncodedCorpus(vocab, new[keep], docs[keep], int(raw.size))
