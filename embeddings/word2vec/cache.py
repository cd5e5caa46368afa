"""The corpus as a file of word ids: counted once, written once, read in chunks every epoch.

Memory stays bounded by the vocabulary and one chunk, whatever the corpus size::

    token lists ──pass 1──▶ word counts (pruned past a cap) ──▶ Vocabulary
    token lists ──pass 2──▶ CACHE_DIR/ids.u32   word ids of in-vocabulary tokens, uint32
                            CACHE_DIR/ends.u64  where each sentence ends (cumulative), uint64
                            CACHE_DIR/vocab.json, CACHE_DIR/meta.json (sizes, digest, fingerprint)
    each epoch: chunks of whole sentences ──▶ subsample, windows, blocks (trainer)

Sentences longer than :data:`MAX_SENTENCE` words are cut into pieces of that length (gensim
does the same at 10,000), so a chunk always ends at a sentence boundary and no window ever
crosses a chunk edge: the windows do not depend on the chunk size.

A second run with the same ``fingerprint`` (the caller's identity of the input and the
settings that shape the ids) reuses the files; a different fingerprint, a missing or
truncated file or a digest that does not match rebuilds them, with one log line saying why.
"""
from __future__ import annotations

import hashlib
import logging
import shutil
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import repeat
from pathlib import Path

import numpy as np

from textprep.errors import InputError
from textprep.fileio import atomic_path, read_json, write_json
from textprep.vocab import Vocabulary

log = logging.getLogger(__name__)

FORMAT = "embeddings.word2vec.cache"
VERSION = 1
#: longer sentences are cut into pieces of this many words
MAX_SENTENCE = 10_000
_FLUSH = 1 << 20


def _check_docs(token_corpus) -> None:
    if isinstance(token_corpus, str):
        raise TypeError("train_word2vec expects an iterable of token lists, not a string")


def count_words(token_corpus: Iterable[Sequence[str]], max_words: int | None = None) -> tuple[Counter, int, int]:
    """Pass 1: ``(counts, tokens read, documents read)``.

    With ``max_words``, whenever more distinct words than that are held, the rarest are pruned
    (those seen at most ``n`` times, ``n`` growing by one at each prune, as gensim's
    ``max_vocab_size`` does), so counting memory stays bounded; counts near the cut are then
    approximate, and the log says so.
    """
    _check_docs(token_corpus)
    counts: Counter = Counter()
    tokens = docs = 0
    threshold = 0
    for doc in token_corpus:
        if isinstance(doc, str):
            raise TypeError("train_word2vec expects token lists; got a string document (tokenize it first)")
        counts.update(doc)
        tokens += len(doc)
        docs += 1
        if max_words is not None and len(counts) > max_words:
            threshold += 1
            before = len(counts)
            for word in [w for w, c in counts.items() if c <= threshold]:
                del counts[word]
            log.warning("word2vec vocabulary pass: %d distinct words exceed the cap of %d; pruned the %d seen "
                        "at most %d times (their counts are now approximate)", before, max_words,
                        before - len(counts), threshold)
    return counts, tokens, docs


@dataclass
class CorpusCache:
    """The id files of one corpus; :meth:`chunks` reads them back sentence-aligned."""

    folder: Path
    vocab: Vocabulary
    n_tokens: int          # tokens read, out-of-vocabulary ones included
    n_ids: int             # in-vocabulary tokens stored
    n_sentences: int

    @property
    def counts(self) -> np.ndarray:
        """How often each vocabulary word occurs, in id order."""
        return np.array([self.vocab.counts[t] for t in self.vocab.id_to_token], dtype=np.int64)

    def ends(self) -> np.ndarray:
        """(S,) uint64: the id position where each sentence ends (for inspection; training streams them)."""
        return np.fromfile(self.folder / "ends.u64", dtype=np.uint64)

    def chunks(self, size: int) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """``(ids (n,) int64, sentence numbers (n,) int64)`` for runs of whole sentences of at
        most ``max(size, MAX_SENTENCE)`` words, in corpus order.

        Both files are read piece by piece with plain reads (a memory map's pages would stay in
        the resident set), so memory is bounded by the chunk, not by the corpus.
        """
        size = max(size, MAX_SENTENCE)
        with open(self.folder / "ids.u32", "rb") as ids_fh, open(self.folder / "ends.u64", "rb") as ends_fh:
            for first, start, ends in sentence_runs(ends_fh, size):
                ids = np.fromfile(ids_fh, dtype=np.uint32, count=int(ends[-1]) - start)
                if ids.size != int(ends[-1]) - start:
                    raise InputError(f"{self.folder / 'ids.u32'}: truncated while training")
                lengths = np.diff(ends, prepend=start)
                sentences = np.repeat(np.arange(first, first + len(ends), dtype=np.int64), lengths)
                yield ids.astype(np.int64), sentences


def sentence_runs(ends_fh, size: int, read: int = 1 << 20) -> Iterator[tuple[int, int, np.ndarray]]:
    """Cut the cumulative sentence ends read from ``ends_fh`` into runs of whole sentences of at
    most ``size`` words (a longer sentence alone): ``(first sentence, first id position, run's ends)``."""
    pending = np.zeros(0, dtype=np.int64)
    first = start = 0
    while True:
        more = np.fromfile(ends_fh, dtype=np.uint64, count=read).astype(np.int64)
        pending = np.concatenate([pending, more])
        done = more.size < read
        while pending.size:
            k = max(int(np.searchsorted(pending, start + size, side="right")), 1)
            if k == pending.size and not done:
                break            # the run may go on past what is read so far
            yield first, start, pending[:k]
            first, start, pending = first + k, int(pending[k - 1]), pending[k:]
        if done:
            return


def _digest(path: Path) -> str:
    h = hashlib.blake2b(digest_size=16)
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 24), b""):
            h.update(block)
    return h.hexdigest()


def open_cache(folder: str | Path, fingerprint: dict) -> CorpusCache | None:
    """The cache in ``folder`` if it is whole and was made with ``fingerprint``; else None (and why, in the log)."""
    folder = Path(folder)
    meta_path = folder / "meta.json"
    if not meta_path.exists():
        return None
    why = None
    try:
        meta = read_json(meta_path, "corpus cache metadata")
    except ValueError as exc:
        meta, why = {}, str(exc)
    if not isinstance(meta, dict):
        meta, why = {}, "meta.json is not a JSON object"
    if why is None and (meta.get("format") != FORMAT or meta.get("version") != VERSION):
        why = f"format {meta.get('format')!r} version {meta.get('version')!r} is not this toolkit's"
    elif why is None and meta.get("fingerprint") != fingerprint:
        changed = sorted(k for k in set(fingerprint) | set(meta.get("fingerprint") or {})
                         if (meta.get("fingerprint") or {}).get(k) != fingerprint.get(k))
        why = f"it was made from another input or settings ({', '.join(changed)})"
    if why is None:
        for name, n, width in (("ids.u32", meta.get("n_ids"), 4), ("ends.u64", meta.get("n_sentences"), 8)):
            p = folder / name
            if type(n) is not int or not isinstance(meta.get("n_tokens"), int) or not p.exists() \
                    or p.stat().st_size != n * width:
                why = f"{name} is missing or truncated"
                break
    if why is None and _digest(folder / "ids.u32") != meta.get("ids_digest"):
        why = "ids.u32 does not match its digest (damaged)"
    if why is None:
        try:
            vocab = Vocabulary.load(folder / "vocab.json")
        except ValueError as exc:
            why = str(exc)
    if why is not None:
        log.info("word2vec corpus cache in %s is rebuilt: %s", folder, why)
        return None
    log.info("word2vec corpus cache reused: %s (%d words, %d sentences)", folder, meta["n_ids"], meta["n_sentences"])
    return CorpusCache(folder, vocab, meta["n_tokens"], meta["n_ids"], meta["n_sentences"])


def build_cache(token_corpus: Iterable[Sequence[str]], folder: str | Path, min_count: int = 5,
                max_vocab: int | None = None, max_words_counting: int | None = None,
                fingerprint: dict | None = None) -> CorpusCache:
    """Count (pass 1), then write the ids (pass 2) into ``folder``; ``meta.json`` is written last,
    so a cache interrupted midway is never taken for a whole one."""
    folder = Path(folder)
    counts, n_tokens, n_docs = count_words(token_corpus, max_words_counting)
    vocab = start_cache(folder, counts, n_tokens, min_count, max_vocab)
    del counts
    index = vocab.token_to_id
    n_ids = n_sentences = 0
    seen_tokens = 0
    with atomic_path(folder / "ids.u32") as ids_tmp, atomic_path(folder / "ends.u64") as ends_tmp, \
            open(ids_tmp, "wb") as ids_fh, open(ends_tmp, "wb") as ends_fh:
        ids_buf: list[np.ndarray] = []
        ends_buf: list[int] = []
        pending = 0
        for doc in token_corpus:
            seen_tokens += len(doc)
            looked = np.fromiter(map(index.get, doc, repeat(-1, len(doc))), dtype=np.int64, count=len(doc))
            ids = looked[looked >= 0].astype(np.uint32)
            for s in range(0, len(ids), MAX_SENTENCE):
                piece = ids[s:s + MAX_SENTENCE]
                ids_buf.append(piece)
                n_ids += len(piece)
                n_sentences += 1
                ends_buf.append(n_ids)
                pending += len(piece)
            if pending >= _FLUSH:
                _flush(ids_fh, ends_fh, ids_buf, ends_buf)
                pending = 0
        _flush(ids_fh, ends_fh, ids_buf, ends_buf)
    if seen_tokens != n_tokens:
        shutil.rmtree(folder, ignore_errors=True)
        raise TypeError("the corpus gave different documents on its second pass: word2vec needs a restartable "
                        "corpus (a list, or a reader class with __iter__), not a one-shot generator")
    return finish_cache(folder, vocab, fingerprint, n_tokens, n_ids, n_sentences, n_docs)


def start_cache(folder: Path, counts, n_tokens: int, min_count: int, max_vocab: int | None) -> Vocabulary:
    """The vocabulary of a new cache from the first pass's counts (an error when no word is
    frequent enough), and ``folder`` ready for the ids: any old ``meta.json`` removed first, so
    that a cache cut short is never taken for whole."""
    vocab = Vocabulary.from_counts(counts, min_count=min_count, max_size=max_vocab, specials=())
    if len(vocab) == 0:
        raise InputError(f"no word occurs at least min_count={min_count} times in the corpus "
                         f"({n_tokens} tokens, {len(counts)} distinct words)")
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "meta.json").unlink(missing_ok=True)
    return vocab


def finish_cache(folder: Path, vocab: Vocabulary, fingerprint: dict | None, n_tokens: int, n_ids: int,
                 n_sentences: int, n_docs: int, where: str = "") -> CorpusCache:
    """Write the vocabulary and the metadata (sizes, fingerprint, digest of the ids) beside the
    ids and sentence ends already written, and open the finished cache; metadata last, so that
    a cache without it is never taken for whole."""
    vocab.save(folder / "vocab.json")
    write_json(folder / "meta.json", {"format": FORMAT, "version": VERSION, "fingerprint": fingerprint or {},
                                      "n_tokens": n_tokens, "n_ids": n_ids, "n_sentences": n_sentences,
                                      "documents": n_docs, "ids_digest": _digest(folder / "ids.u32")})
    log.info("word2vec corpus cache written%s: %s (%d of %d tokens in the vocabulary, %d sentences)",
             where, folder, n_ids, n_tokens, n_sentences)
    return CorpusCache(folder, vocab, n_tokens, n_ids, n_sentences)


def _flush(ids_fh, ends_fh, ids_buf: list, ends_buf: list) -> None:
    if ids_buf:
        np.concatenate(ids_buf).tofile(ids_fh)
    if ends_buf:
        np.asarray(ends_buf, dtype=np.uint64).tofile(ends_fh)
    ids_buf.clear()
    ends_buf.clear()


def full_fingerprint(fingerprint: dict | None, min_count: int, max_vocab: int | None,
                     max_words_counting: int | None) -> dict:
    """The input's identity plus every setting that shapes the cached ids."""
    return {**(fingerprint or {}), "min_count": min_count, "max_vocab": max_vocab,
            "max_words_counting": max_words_counting, "max_sentence": MAX_SENTENCE}


def cached_corpus(token_corpus: Iterable[Sequence[str]], folder: str | Path, min_count: int = 5,
                  max_vocab: int | None = None, max_words_counting: int | None = None,
                  fingerprint: dict | None = None) -> CorpusCache:
    """The cache in ``folder`` if it matches ``fingerprint`` (plus the settings given here),
    else a new one built from ``token_corpus``.  Without a ``fingerprint`` (nothing names the
    input) the cache is always built anew."""
    full = full_fingerprint(fingerprint, min_count, max_vocab, max_words_counting)
    if fingerprint is not None:
        found = open_cache(folder, full)
        if found is not None:
            return found
    return build_cache(token_corpus, folder, min_count, max_vocab, max_words_counting, full)
