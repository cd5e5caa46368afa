"""``BPETokenizer``: train, encode, decode, save and load a byte pair encoding model.

A model directory holds three files::

    vocab.json        {"<pad>": 0, ..., "a": 4, ..., "the": 901}   token -> id
    merges.txt        "#version: 0.2" then one merge per line: "t he"
    bpe_config.json   our settings: pre-tokenizer, special tokens, unknown token

``vocab.json`` and ``merges.txt`` are the files ``tokenizers.models.BPE.from_file`` reads.

Encoding splits special tokens out first (they are never split), pre-tokenizes the rest
and encodes each pre-token by merge rank (:func:`textprep.bpe.core.encode_chunk`).  Words
follow Zipf's law, so a cache of encoded pre-tokens answers almost every lookup; large
batches are encoded by worker processes, in order.
"""
from __future__ import annotations

import dataclasses
import json
import logging
import os
import time
from dataclasses import dataclass, field
from itertools import chain
from pathlib import Path
from typing import Iterable, Iterator, Sequence

from ..fileio import atomic_write, read_json, write_json
from .core import build_ranks, dedupe_merges, encode_chunk, train_merges
from .counting import _PY_ONLY_SPACE, count_corpus, special_splitter
from .pretokenize import _GPT2, BYTE_ALPHABET, PRETOKENIZERS, from_byte_chars, to_byte_chars, whitespace_split

log = logging.getLogger("textprep.bpe")

CONFIG_FILE = "bpe_config.json"
DEFAULT_SPECIALS = ("<pad>", "<unk>", "<bos>", "<eos>")
#: batches with at least this many texts are encoded by worker processes
PARALLEL_MIN_TEXTS = 20000
#: the cache of encoded pre-tokens is emptied when it grows past this many entries
CACHE_LIMIT = 1 << 20


@dataclass(frozen=True)
class BPEConfig:
    """Training settings of a BPE model (shared by the API and ``textprep bpe train``)."""

    vocab_size: int = field(default=8000, metadata={"help": "target vocabulary size, special tokens included"})
    pretokenizer: str = field(
        default="whitespace",
        metadata={"help": "whitespace: words and punctuation runs (lossy for spaces); bytelevel: lossless bytes",
                  "choices": PRETOKENIZERS},
    )
    min_frequency: int = field(default=2, metadata={"help": "stop when no pair is seen this many times"})
    special_tokens: tuple[str, ...] = field(
        default=DEFAULT_SPECIALS, metadata={"help": "special tokens, given the first ids (none: pass the flag alone)"}
    )
    limit_alphabet: int | None = field(
        default=None, metadata={"help": "keep only this many most frequent characters (whitespace mode)"}
    )

    def __post_init__(self) -> None:
        if not isinstance(self.vocab_size, int) or self.vocab_size < 1:
            raise ValueError(f"vocab_size must be a positive integer, got {self.vocab_size!r}")
        if self.pretokenizer not in PRETOKENIZERS:
            raise ValueError(f"pretokenizer must be one of {', '.join(PRETOKENIZERS)}, got {self.pretokenizer!r}")
        if not isinstance(self.min_frequency, int) or self.min_frequency < 0:
            raise ValueError(f"min_frequency must be a non-negative integer, got {self.min_frequency!r}")
        if self.limit_alphabet is not None and self.limit_alphabet < 1:
            raise ValueError(f"limit_alphabet must be a positive integer, got {self.limit_alphabet!r}")
        if isinstance(self.special_tokens, str):
            raise TypeError(f"special_tokens must be a sequence of strings, got the string {self.special_tokens!r}")
        object.__setattr__(self, "special_tokens", tuple(self.special_tokens))
        for t in self.special_tokens:
            if not isinstance(t, str) or not t:
                raise ValueError(f"special_tokens: {t!r} is not a non-empty string")
        if len(set(self.special_tokens)) != len(self.special_tokens):
            raise ValueError(f"special_tokens: repeated token in {list(self.special_tokens)!r}")


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
        if pretokenizer not in PRETOKENIZERS:
            raise ValueError(f"pretokenizer must be one of {', '.join(PRETOKENIZERS)}, got {pretokenizer!r}")
        self.pretokenizer = pretokenizer
        self._vocab = list(vocab)
        self._ids = {t: i for i, t in enumerate(self._vocab)}
        if len(self._ids) != len(self._vocab):
            raise ValueError("vocabulary holds a token twice")
        self.special_tokens = [t for t in special_tokens]
        for t in self.special_tokens:
            if t not in self._ids:
                raise ValueError(f"special token {t!r} is not in the vocabulary")
        self.unk_token = unk_token if unk_token in self.special_tokens else None
        self._unk_id = self._ids[self.unk_token] if self.unk_token is not None else None
        self.merges = dedupe_merges([tuple(m) for m in merges])
        triples = []
        for rank, (a, b) in enumerate(self.merges):
            for part in (a, b, a + b):
                if part not in self._ids:
                    raise ValueError(f"merge {rank + 1} ({a} {b}): {part!r} is not in the vocabulary")
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
    ) -> "BPETokenizer":
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
            raise ValueError("no input files given")
        start = time.perf_counter()
        counts = count_corpus(items, config.pretokenizer, config.special_tokens, encoding, workers, from_files=not texts)
        if not counts:
            where = "the given texts" if texts else ", ".join(str(p) for p in items)
            raise ValueError(f"empty corpus: no pre-tokens in {where}")
        log.debug("counted %d pre-tokens (%d unique) in %.1f s", sum(counts.values()), len(counts),
                 time.perf_counter() - start)
        initial = BYTE_ALPHABET if config.pretokenizer == "bytelevel" else ()
        alphabet = len(initial) or len({ch for w in counts for ch in w})
        if config.limit_alphabet is not None and not initial:
            alphabet = min(alphabet, config.limit_alphabet)
        floor = alphabet + len(config.special_tokens)
        if config.vocab_size < floor:
            raise ValueError(
                f"vocab_size {config.vocab_size} is smaller than the alphabet ({alphabet}) plus "
                f"{len(config.special_tokens)} special tokens; use at least {floor}"
            )
        bar = None
        train_stats: dict = {}
        if progress:
            from tqdm import tqdm

            bar = tqdm(total=config.vocab_size - floor, desc="merges", unit="merge", leave=False)
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
            raise ValueError(f"token id {i!r} is out of range (vocabulary size {len(self._vocab)})")
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
            if self.pretokenizer == "bytelevel":
                ids = self._encode_pretoken(to_byte_chars(chunk))
            else:
                ids = tuple(chain.from_iterable(self._encode_pretoken(p) for p in whitespace_split(chunk)))
            if len(self._cache) >= CACHE_LIMIT:
                self._cache.clear()
            self._cache[chunk] = ids
        return ids

    def _encode_plain(self, text: str) -> list[int]:
        if self.pretokenizer == "bytelevel":
            chunks = _GPT2.findall(text)
        elif _PY_ONLY_SPACE.search(text):
            chunks = whitespace_split(text)
        else:
            chunks = text.split()
        cache = self._cache
        out: list[int] = []
        for c in chunks:
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
        """``[encode(t) for t in texts]``; large batches use ``workers`` processes (default: all cores)."""
        if isinstance(texts, str):
            raise TypeError("encode_batch() expects a sequence of strings, not a single string")
        texts = list(texts)
        workers = workers or os.cpu_count() or 1
        if workers > 1 and len(texts) >= PARALLEL_MIN_TEXTS:
            return list(self.encode_lines(texts, workers=workers))
        return [self.encode(t) for t in texts]

    def encode_lines(self, lines: Iterable[str], workers: int | None = None, batch: int = 2000) -> Iterator[list[int]]:
        """Encode a stream of lines, in order, with ``workers`` processes; memory stays bounded."""
        import multiprocessing as mp

        workers = workers or os.cpu_count() or 1
        if workers <= 1 or mp.current_process().daemon:  # a pool worker cannot start its own pool
            for line in lines:
                yield self.encode(line)
            return
        from .counting import _start_method

        state = (self._vocab, self.merges, self.pretokenizer, self.special_tokens, self.unk_token)
        with mp.get_context(_start_method()).Pool(workers, initializer=_worker_init, initargs=(state,)) as pool:
            for ids_batch in pool.imap(_worker_encode, _line_batches(lines, batch), chunksize=1):
                yield from ids_batch

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
                raise ValueError(f"token id {i!r} is out of range (vocabulary size {n})")
            tokens.append(self._vocab[i])
        if self.pretokenizer == "whitespace":
            return " ".join(tokens)
        out, run = [], []
        for t in tokens:
            if t in self._special_set:
                out.append(from_byte_chars("".join(run)))
                out.append(t)
                run = []
            else:
                run.append(t)
        out.append(from_byte_chars("".join(run)))
        return "".join(out)

    def decode_batch(self, batch: Iterable[Iterable[int]]) -> list[str]:
        return [self.decode(ids) for ids in batch]

    # ------------------------------------------------------------------ files
    def save(self, model_dir: str | os.PathLike) -> Path:
        """Write ``vocab.json``, ``merges.txt`` and ``bpe_config.json`` into ``model_dir``."""
        model_dir = Path(model_dir)
        if model_dir.exists() and not model_dir.is_dir():
            raise ValueError(f"{model_dir}: exists and is not a directory")
        model_dir.mkdir(parents=True, exist_ok=True)
        with atomic_write(model_dir / "vocab.json") as fh:
            json.dump(self._ids, fh, ensure_ascii=False)
        with atomic_write(model_dir / "merges.txt") as fh:
            fh.write("#version: 0.2\n")
            for a, b in self.merges:
                fh.write(f"{a} {b}\n")
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
        write_json(model_dir / CONFIG_FILE, cfg)
        return model_dir

    @classmethod
    def load(
        cls,
        model_dir: str | os.PathLike,
        pretokenizer: str | None = None,
        special_tokens: Sequence[str] | None = None,
    ) -> "BPETokenizer":
        """Read a model directory (ours, or ``vocab.json`` + ``merges.txt`` from ``tokenizers``).

        Without ``bpe_config.json`` (a model from another tool), ``pretokenizer`` defaults to
        ``whitespace`` and the special tokens to those of ``<pad> <unk> <bos> <eos>`` found
        in the vocabulary; both arguments override the config file when given.
        """
        model_dir = Path(model_dir)
        if not model_dir.is_dir():
            raise ValueError(f"{model_dir}: no such model directory")
        for name in ("vocab.json", "merges.txt"):
            if not (model_dir / name).is_file():
                raise ValueError(f"{model_dir}: malformed model directory, {name} is missing")
        cfg = read_json(model_dir / CONFIG_FILE, "BPE config") if (model_dir / CONFIG_FILE).exists() else {}
        if not isinstance(cfg, dict):
            raise ValueError(f"{model_dir / CONFIG_FILE}: malformed BPE config (not a JSON object)")
        vocab_map = read_json(model_dir / "vocab.json", "BPE vocabulary")
        if not isinstance(vocab_map, dict) or not all(isinstance(v, int) for v in vocab_map.values()):
            raise ValueError(f"{model_dir / 'vocab.json'}: malformed BPE vocabulary (expected token -> integer id)")
        if sorted(vocab_map.values()) != list(range(len(vocab_map))):
            raise ValueError(f"{model_dir / 'vocab.json'}: malformed BPE vocabulary (ids are not 0..{len(vocab_map) - 1})")
        vocab = [""] * len(vocab_map)
        for t, i in vocab_map.items():
            vocab[i] = t
        merges = []
        with open(model_dir / "merges.txt", encoding="utf-8") as fh:
            for lineno, line in enumerate(fh, 1):
                line = line.rstrip("\r\n")
                if (lineno == 1 and line.startswith("#version")) or not line:
                    continue
                parts = line.split(" ")
                if len(parts) != 2 or not all(parts):
                    raise ValueError(f"{model_dir / 'merges.txt'}: malformed merge on line {lineno}: {line!r}")
                merges.append((parts[0], parts[1]))
        try:
            tok = cls(
                vocab, merges,
                pretokenizer or cfg.get("pretokenizer", "whitespace"),
                special_tokens if special_tokens is not None
                else cfg.get("special_tokens", [t for t in DEFAULT_SPECIALS if t in vocab_map]),
                cfg.get("unk_token", "<unk>"),
            )
        except ValueError as exc:
            raise ValueError(f"{model_dir}: malformed model ({exc})") from None
        tok.stats = cfg.get("stats", {})
        return tok

    def __repr__(self) -> str:
        return f"BPETokenizer(vocab_size={len(self)}, pretokenizer={self.pretokenizer!r}, special_tokens={self.special_tokens!r})"


# --------------------------------------------------------------------- worker processes
_WORKER: BPETokenizer | None = None


def _worker_init(state) -> None:
    global _WORKER
    vocab, merges, pretokenizer, specials, unk = state
    _WORKER = BPETokenizer(vocab, merges, pretokenizer, specials, unk)


def _worker_encode(lines: list[str]) -> list[list[int]]:
    assert _WORKER is not None
    return [_WORKER.encode(line) for line in lines]


def _line_batches(lines: Iterable[str], size: int) -> Iterator[list[str]]:
    buf: list[str] = []
    for line in lines:
        buf.append(line)
        if len(buf) >= size:
            yield buf
            buf = []
    if buf:
        yield buf


__all__ = ["BPETokenizer", "BPEConfig", "CONFIG_FILE", "DEFAULT_SPECIALS"]
