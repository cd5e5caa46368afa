"""The three token levels of the language model behind one small interface.

``char``: every character is a token (a :class:`textprep.vocab.Vocabulary` of characters);
``word``: the :mod:`textprep.pipeline` tokens, or plain whitespace splitting for text that is
already tokenized (Penn Treebank); ``bpe``: a :class:`textprep.bpe.BPETokenizer` model directory,
or, without one, a byte-level model trained on the corpus (its tokens decode to the exact text).

Every tokenizer encodes one line to ids, decodes ids back to text, knows the ids of
``<pad> <unk> <bos> <eos>`` and saves itself into the LM directory, so evaluation and
generation need nothing but that directory.
"""
from __future__ import annotations

import logging
import shutil
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path

from textprep.bpe import BPETokenizer
from textprep.errors import InputError
from textprep.fileio import atomic_path
from textprep.pipeline import Pipeline, PipelineConfig
from textprep.tokenize import chars
from textprep.vocab import BOS, EOS, PAD, UNK, Vocabulary

from .config import WORD_TOKENIZERS, LMConfig

log = logging.getLogger(__name__)


class VocabTokenizer:
    """Word or character tokens over a :class:`Vocabulary` (specials ``<pad> <unk> <bos> <eos>``)."""

    def __init__(self, level: str, vocab: Vocabulary, word_tokenizer: str = "whitespace", lang: str = "ru"):
        if level not in ("word", "char"):
            raise InputError(f"level must be word or char for a vocabulary tokenizer, got {level!r}")
        if word_tokenizer not in WORD_TOKENIZERS:
            raise InputError(f"word_tokenizer must be one of {', '.join(WORD_TOKENIZERS)}, got {word_tokenizer!r}")
        self.level, self.vocab, self.word_tokenizer, self.lang = level, vocab, word_tokenizer, lang
        self._pipe = None

    # -- splitting text into tokens ---------------------------------------------------
    def split(self, line: str) -> list[str]:
        if self.level == "char":
            return chars(line)  # every character, spaces too: the text must come back exactly
        if self.word_tokenizer == "whitespace":
            return line.split()
        if self._pipe is None:  # built on first use: the whitespace and char levels never need it
            self._pipe = Pipeline(PipelineConfig(lang=self.lang, punctuation=True))
        return self._pipe(line)

    @classmethod
    def fit(cls, level: str, lines: Iterable[str], min_count: int = 1, max_size: int | None = None,
            word_tokenizer: str = "whitespace", lang: str = "ru") -> VocabTokenizer:
        tmp = cls(level, Vocabulary(), word_tokenizer, lang)
        counts: Counter[str] = Counter()
        for line in lines:
            counts.update(tmp.split(line))
        # Penn Treebank writes its own "<unk>"; it must stay the one special, not a second word.
        counts.pop(UNK, None)
        tmp.vocab = Vocabulary.from_counts(counts, min_count=min_count, max_size=max_size)
        return tmp

    # -- the common interface ---------------------------------------------------------
    def __len__(self) -> int:
        return len(self.vocab)

    @property
    def pad_id(self) -> int:
        return self.vocab.pad_id

    @property
    def unk_id(self) -> int:
        return self.vocab.unk_id

    @property
    def bos_id(self) -> int:
        return self.vocab.bos_id

    @property
    def eos_id(self) -> int:
        return self.vocab.eos_id

    @property
    def tokens(self) -> list[str]:
        return list(self.vocab.id_to_token)

    def encode(self, line: str) -> list[int]:
        return self.vocab.encode(self.split(line))

    def encode_strict(self, text: str) -> list[int]:
        """Like :meth:`encode` but unknown tokens are an error naming them (generation prefixes)."""
        toks = self.split(text)
        unknown = sorted({t for t in toks if t not in self.vocab or t in self.vocab.specials})
        if unknown:
            what = "characters" if self.level == "char" else "words"
            raise InputError(f"prefix {text!r} has {what} the model never saw: {', '.join(map(repr, unknown))}")
        return self.vocab.encode(toks)

    def decode(self, ids: Sequence[int]) -> str:
        toks = self.vocab.decode(ids, skip_specials=True)
        return "".join(toks) if self.level == "char" else " ".join(toks)

    def save(self, lm_dir: Path) -> dict:
        self.vocab.save(lm_dir / "vocab.json")
        return {"level": self.level, "file": "vocab.json", "word_tokenizer": self.word_tokenizer, "lang": self.lang}


class BPELMTokenizer:
    """Subword tokens from a ``textprep bpe`` model directory (copied into the LM directory) or
    from a model trained in memory (saved there)."""

    def __init__(self, model: str | Path | BPETokenizer):
        if isinstance(model, BPETokenizer):
            self.model_dir, self.bpe = None, model
        else:
            self.model_dir = Path(model)
            self.bpe = BPETokenizer.load(self.model_dir)
        model_dir = self.model_dir or "the trained BPE model"
        self.level = "bpe"
        missing = [t for t in (PAD, UNK, BOS, EOS) if self.bpe.token_to_id(t) is None]
        if missing:
            raise InputError(f"{model_dir}: the BPE model lacks the special tokens {' '.join(missing)} "
                             "(train it with --special-tokens '<pad> <unk> <bos> <eos>')")

    def __len__(self) -> int:
        return len(self.bpe)

    def _id(self, tok: str) -> int:
        return int(self.bpe.token_to_id(tok))

    pad_id = property(lambda self: self._id(PAD))
    unk_id = property(lambda self: self._id(UNK))
    bos_id = property(lambda self: self._id(BOS))
    eos_id = property(lambda self: self._id(EOS))

    @property
    def tokens(self) -> list[str]:
        return [self.bpe.id_to_token(i) for i in range(len(self.bpe))]

    def encode(self, line: str) -> list[int]:
        return self.bpe.encode(line)

    encode_strict = encode

    def decode(self, ids: Sequence[int]) -> str:
        specials = {self.pad_id, self.unk_id, self.bos_id, self.eos_id}
        return self.bpe.decode([i for i in ids if i not in specials])

    def save(self, lm_dir: Path) -> dict:
        target = lm_dir / "bpe"
        if self.model_dir is None:
            self.bpe.save(target)
        elif target.resolve() != self.model_dir.resolve():
            for src in sorted(self.model_dir.rglob("*")):   # file by file, each whole or not there
                if src.is_file():
                    with atomic_path(target / src.relative_to(self.model_dir)) as tmp:
                        shutil.copyfile(src, tmp)
        return {"level": "bpe", "file": "bpe"}


def build_tokenizer(config: LMConfig, lines: Sequence[str], bpe_model: str | Path | None = None):
    """The tokenizer a new model trains with: fitted to ``lines``, or the BPE model ``bpe_model``
    (at the bpe level without one, a BPE model of ``config.bpe_vocab_size`` tokens fitted to ``lines``)."""
    if config.level == "bpe":
        if bpe_model is None:
            log.info("training a %s BPE model of %d tokens on the corpus", config.bpe_pretokenizer,
                     config.bpe_vocab_size)
            return BPELMTokenizer(BPETokenizer.train(list(lines), texts=True, vocab_size=config.bpe_vocab_size,
                                                     pretokenizer=config.bpe_pretokenizer))
        tok = BPELMTokenizer(bpe_model)
        if tok.bpe.pretokenizer == "whitespace":
            log.warning("%s is a whitespace-mode BPE model: it does not mark where words end, so generated "
                        "text shows its pieces with spaces between them (train it with --pretokenizer "
                        "bytelevel to get words)", bpe_model)
        return tok
    if bpe_model is not None:
        raise InputError(f"--bpe-model is only used with level bpe, not level {config.level!r}")
    return VocabTokenizer.fit(config.level, lines, config.min_count, config.max_vocab, config.word_tokenizer,
                              config.lang)


def load_tokenizer(lm_dir: Path, meta: dict):
    """The tokenizer saved in an LM directory by ``tokenizer.save`` (``meta`` is what it returned)."""
    level = meta.get("level")
    if level == "bpe":
        return BPELMTokenizer(lm_dir / meta.get("file", "bpe"))
    if level in ("word", "char"):
        vocab = Vocabulary.load(lm_dir / meta.get("file", "vocab.json"))
        return VocabTokenizer(level, vocab, meta.get("word_tokenizer", "whitespace"), meta.get("lang", "ru"))
    raise InputError(f"{lm_dir}: unknown tokenizer level {level!r} in config.json")
