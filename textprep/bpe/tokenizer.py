"""``BPETokenizer``: train, encode, decode, save and load a byte pair encoding model.

Encoding splits special tokens out first (they are never split), cuts the rest with the
model's pre-tokenizer (:mod:`textprep.bpe.pretokenize`) and encodes each pre-token by merge
rank (:func:`textprep.bpe.core.encode_chunk`).  Words follow Zipf's law, so a cache of
encoded pre-tokens answers almost every lookup; large batches are encoded by worker
processes, in order.  The model directory's files are described in :mod:`textprep.bpe.files`.
"""
from __future__ import annotations

import dataclasses
import logging
import os
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from itertools import chain
from pathlib import Path

from ..errors import InputError
from ..parallel import call_worker, can_start_pool, chunks, init_worker, ordered_map, process_pool, resolve_workers
from ..progress import progress_bar
from ..vocab import DEFAULT_SPECIALS
from .config import BPEConfig
from .core import build_ranks, dedupe_merges, encode_chunk, train_merges
from .counting import count_corpus, special_splitter
from .files import read_model, write_model
from .pretokenize import get_pretokenizer

log = logging.getLogger("textprep.bpe")

#: batches with at least this many texts are encoded by worker processes
PARALLEL_MIN_TEXTS = 20000
#: the cache of encoded pre-tokens is emptied when it grows past this many entries
CACHE_LIMIT = 1 << 20


class BPETokenizer:
    """Byte pair encoding with a character (``whitespace``) or byte (``bytelevel``) alphabet.

    >>> tok = BPETokenizer.train(["low lower lowest"] * 3, vocab_size=12, special_tokens=(), min_frequency=1)
    >>> tok.tokenize("lower")
    ['lower']
    """

    def __init__(
        self,
        vocab: Sequence[str],
        merges: Sequence[tuple[str, str]],
        pretokenizer: str = "whitespace",
        special_tokens: Sequence[str] = (),
        unk_token: str | None = "<unk>",
    ):
        self._pretok = get_pretokenizer(pretokenizer)
        self.pretokenizer = pretokenizer
        self._vocab = list(vocab)
        self._ids = {t: i for i, t in enumerate(self._vocab)}
        if len(self._ids) != len(self._vocab):
            raise InputError("vocabulary holds a token twice")
        self.special_tokens = [t for t in special_tokens]
        for t in self.special_tokens:
            if t not in self._ids:
                raise InputError(f"special token {t!r} is not in the vocabulary")
        self.unk_token = unk_token if unk_token in self.special_tokens else None
        self._unk_id = self._ids[self.unk_token] if self.unk_token is not None else None
        self.merges = dedupe_merges([tuple(m) for m in merges])
        triples = []
        for rank, (a, b) in enumerate(self.merges):
            for part in (a, b, a + b):
                if part not in self._ids:
                    raise InputError(f"merge {rank + 1} ({a} {b}): {part!r} is not in the vocabulary")
            triples.append((self._ids[a], self._ids[b], self._ids[a + b]))
        self._ranks = build_ranks(triples)
        self._special_re = special_splitter(self.special_tokens)
        self._special_set = set(self.special_tokens)
        self._cache: dict[str, tuple[int, ...]] = {}
        self.stats: dict = {}
        self.config: BPEConfig | None = None

    # ------------------------------------------------------------------ training
    @classmethod
    def train(
        cls,
        files_or_texts: Iterable[str] | Sequence[str | os.PathLike],
        config: BPEConfig | None = None,
        *,
        texts: bool | None = None,
        encoding: str = "utf-8",
        workers: int | None = None,
        progress: bool = False,
        **overrides,
    ) -> BPETokenizer:
        """Learn a model from files (paths) or from an iterable of strings.

        ``config`` fields can also be passed as keywords (``vocab_size=8000``).  Paths are
        told from strings by type (``os.PathLike``) or, for ``str``, by ``texts``: when
        ``texts`` is None, strings are files if the first one names an existing file.
        """
        config = dataclasses.replace(config or BPEConfig(), **overrides) if overrides or config is None else config
        if isinstance(files_or_texts, (str, os.PathLike)):
            raise TypeError("train() expects a list of files or of texts, not a single string; wrap it in a list")
        items = list(files_or_texts)
        if texts is None:
            texts = not (items and (isinstance(items[0], os.PathLike) or Path(str(items[0])).is_file()
                                    or str(items[0]) == "-"))
        if not texts and not items:
            raise InputError("no input files given")
        start = time.perf_counter()
        counts = count_corpus(items, config.pretokenizer, config.special_tokens, encoding, workers,
                              from_files=not texts)
        if not counts:
            where = "the given texts" if texts else ", ".join(str(p) for p in items)
            raise InputError(f"empty corpus: no pre-tokens in {where}")
        log.debug("counted %d pre-tokens (%d unique) in %.1f s", sum(counts.values()), len(counts),
                 time.perf_counter() - start)
        return cls.train_from_counts(counts, config, progress=progress, start=start)

    @classmethod
    def train_from_counts(cls, counts: Mapping[str, int], config: BPEConfig, *, progress: bool = False,
                          start: float | None = None) -> BPETokenizer:
        """Learn the merges from pre-token counts made elsewhere (the cluster's tree of counters);
        :meth:`train` is :func:`~textprep.bpe.counting.count_corpus` and then this.  ``start``:
        when the counting began (``time.perf_counter()``), for the ``seconds`` of the stats."""
        start = time.perf_counter() if start is None else start
        if not counts:
            raise InputError("empty corpus: no pre-tokens")
        initial = get_pretokenizer(config.pretokenizer).alphabet
        alphabet = len(initial) or len({ch for w in counts for ch in w})
        if config.limit_alphabet is not None and not initial:
            alphabet = min(alphabet, config.limit_alphabet)
        floor = alphabet + len(config.special_tokens)
        if config.vocab_size < floor:
            raise InputError(
                f"vocab_size {config.vocab_size} is smaller than the alphabet ({alphabet}) plus "
                f"{len(config.special_tokens)} special tokens; use at least {floor}"
            )
        bar = None
        train_stats: dict = {}
        if progress:
            bar = progress_bar(total=config.vocab_size - floor, desc="merges", unit="merge", leave=False)
        try:
            vocab, merges = train_merges(
                counts, config.vocab_size, config.special_tokens, config.min_frequency,
                config.limit_alphabet if not initial else None, initial,
                progress=bar.update if bar is not None else None, stats=train_stats,
            )
        finally:
            if bar is not None:
                bar.close()
        if len(vocab) < config.vocab_size:
            why = (f"no pair is seen {config.min_frequency} times or more" if config.min_frequency > 1
                   else "no pairs are left to merge")
            log.warning("stopped at vocabulary size %d (asked for %d): %s", len(vocab), config.vocab_size, why)
        tok = cls(vocab, merges, config.pretokenizer, config.special_tokens)
        chars = sum(len(w) * c for w, c in counts.items())
        n_tokens = train_stats["tokens"]
        tok.stats = {
            "vocab_size": len(vocab),
            "merges": len(tok.merges),
            "pretokens": sum(counts.values()),
            "unique_pretokens": len(counts),
            # characters of the pre-tokens (bytes in byte-level mode) per token, as segmented in training
            "chars_per_token": chars / max(n_tokens, 1),
            "seconds": time.perf_counter() - start,
        }
        tok.config = config
        return tok

    # ------------------------------------------------------------------ lookups
    def __len__(self) -> int:
        return len(self._vocab)

    def token_to_id(self, token: str) -> int | None:
        return self._ids.get(token)

    def id_to_token(self, i: int) -> str:
        if not isinstance(i, int) or not 0 <= i < len(self._vocab):
            raise InputError(f"token id {i!r} is out of range (vocabulary size {len(self._vocab)})")
        return self._vocab[i]

    def get_vocab(self) -> dict[str, int]:
        return dict(self._ids)

    # ------------------------------------------------------------------ encoding
    def _encode_pretoken(self, piece: str) -> tuple[int, ...]:
        """Ids of one pre-token (already in byte characters in byte-level mode)."""
        ids = self._ids
        if self._unk_id is None:
            symbols = [ids[ch] for ch in piece if ch in ids]
        else:
            symbols = [ids.get(ch, self._unk_id) for ch in piece]
        return tuple(encode_chunk(symbols, self._ranks))

    def _chunk_ids(self, chunk: str) -> tuple[int, ...]:
        """Ids of a space-free chunk (whitespace mode) or a GPT-2 piece (byte-level mode), cached."""
        ids = self._cache.get(chunk)
        if ids is None:
            ids = tuple(chain.from_iterable(self._encode_pretoken(p) for p in self._pretok.pieces(chunk)))
            if len(self._cache) >= CACHE_LIMIT:
                self._cache.clear()
            self._cache[chunk] = ids
        return ids

    def _encode_plain(self, text: str) -> list[int]:
        cache = self._cache
        out: list[int] = []
        for c in self._pretok.chunks(text):
            ids = cache.get(c)
            out.extend(ids if ids is not None else self._chunk_ids(c))
        return out

    def encode(self, text: str) -> list[int]:
        """Token ids of ``text``; special tokens in the text map to their own ids."""
        if not isinstance(text, str):
            raise TypeError(f"encode() expects a string, got {type(text).__name__}")
        if self._special_re is None or not self._special_re.search(text):
            return self._encode_plain(text)
        out: list[int] = []
        pos = 0
        for m in self._special_re.finditer(text):
            out.extend(self._encode_plain(text[pos : m.start()]))
            out.append(self._ids[m.group()])
            pos = m.end()
        out.extend(self._encode_plain(text[pos:]))
        return out

    def tokenize(self, text: str) -> list[str]:
        """Token strings of ``text`` (byte characters in byte-level mode)."""
        return [self._vocab[i] for i in self.encode(text)]

    def encode_batch(self, texts: Sequence[str], workers: int | None = None) -> list[list[int]]:
        """``[encode(t) for t in texts]``; large batches use ``workers`` processes (default: all CPUs)."""
        if isinstance(texts, str):
            raise TypeError("encode_batch() expects a sequence of strings, not a single string")
        texts = list(texts)
        if resolve_workers(workers) > 1 and len(texts) >= PARALLEL_MIN_TEXTS:
            return list(self.encode_lines(texts, workers=workers))
        return [self.encode(t) for t in texts]

    def encode_lines(self, lines: Iterable[str], workers: int | None = None, batch: int = 2000) -> Iterator[list[int]]:
        """Encode a stream of lines, in order, with ``workers`` processes (``None`` or 0: one per
        available CPU); batches of ``batch`` lines go to the workers, a few at a time, so memory
        stays bounded."""
        workers = resolve_workers(workers)
        if workers <= 1 or not can_start_pool():
            for line in lines:
                yield self.encode(line)
            return
        state = (self._vocab, self.merges, self.pretokenizer, self.special_tokens, self.unk_token)
        pool = process_pool(workers, init_worker, (_batch_encoder, state))
        try:
            for ids_batch in ordered_map(pool, call_worker, chunks(lines, batch), max_pending=2 * workers):
                yield from ids_batch
        finally:  # also when the caller stops early: pending batches are dropped, processes end
            pool.shutdown(wait=True, cancel_futures=True)

    # ------------------------------------------------------------------ decoding
    def decode(self, ids: Iterable[int]) -> str:
        """Text of token ids.

        Byte-level: the exact text (``decode(encode(s)) == s``).  Whitespace: spaces are not
        kept by that pre-tokenizer, so tokens are joined by single spaces (as ``tokenizers``
        does without a decoder); unknown characters come back as ``<unk>``.
        """
        n = len(self._vocab)
        tokens = []
        for i in ids:
            if isinstance(i, bool) or not isinstance(i, int) or not 0 <= i < n:
                raise InputError(f"token id {i!r} is out of range (vocabulary size {n})")
            tokens.append(self._vocab[i])
        return self._pretok.decode(tokens, self._special_set)

    # ------------------------------------------------------------------ files
    def save(self, model_dir: str | os.PathLike) -> Path:
        """Write ``vocab.json``, ``merges.txt`` and ``bpe_config.json`` into ``model_dir``."""
        cfg = {
            "format": "textprep-bpe",
            "version": 1,
            "pretokenizer": self.pretokenizer,
            "special_tokens": self.special_tokens,
            "unk_token": self.unk_token,
            "vocab_size": len(self._vocab),
        }
        if self.config is not None:
            cfg["training"] = dataclasses.asdict(self.config)
        if self.stats:
            cfg["stats"] = self.stats
        return write_model(model_dir, self._ids, self.merges, cfg)

    @classmethod
    def load(
        cls,
        model_dir: str | os.PathLike,
        pretokenizer: str | None = None,
        special_tokens: Sequence[str] | None = None,
    ) -> BPETokenizer:
        """Read a model directory (ours, or ``vocab.json`` + ``merges.txt`` from ``tokenizers``).

        Without ``bpe_config.json`` (a model from another tool), ``pretokenizer`` defaults to
        ``whitespace`` and the special tokens to those of ``<pad> <unk> <bos> <eos>`` found
        in the vocabulary; both arguments override the config file when given.
        """
        vocab, merges, cfg = read_model(model_dir)
        known = set(vocab)
        try:
            tok = cls(
                vocab, merges,
                pretokenizer or cfg.get("pretokenizer", "whitespace"),
                special_tokens if special_tokens is not None
                else cfg.get("special_tokens", [t for t in DEFAULT_SPECIALS if t in known]),
                cfg.get("unk_token", "<unk>"),
            )
        except ValueError as exc:
            raise InputError(f"{model_dir}: malformed model ({exc})") from None
        tok.stats = cfg.get("stats", {})
        return tok

    def __repr__(self) -> str:
        return (f"BPETokenizer(vocab_size={len(self)}, pretokenizer={self.pretokenizer!r}, "
                f"special_tokens={self.special_tokens!r})")


def _batch_encoder(vocab, merges, pretokenizer, specials, unk) -> Callable[[list[str]], list[list[int]]]:
    """In a worker process: the model rebuilt from its parts, as a function of a batch of lines."""
    tok = BPETokenizer(vocab, merges, pretokenizer, specials, unk)
    return lambda lines: [tok.encode(line) for line in lines]
