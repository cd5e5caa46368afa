"""The language model's settings: one frozen dataclass, and the choices its fields allow.

No torch here: the command line builds its flags from :class:`LMConfig` and the main job
nests it in its own config, and neither should pay for importing torch to do so.  Every
field carries its help text and checks (:func:`textprep.config.option`); the rules that
involve two fields are written out in ``__post_init__``.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from textprep.config import check_fields, option
from textprep.errors import ConfigError

LEVELS = ("word", "bpe", "char")                # what a token is
MODES = ("stream", "lines")                     # how the text is cut into training examples
WORD_TOKENIZERS = ("pipeline", "whitespace")    # how the word level splits a line
ARCHS = ("lstm", "gru", "rnn")                  # the recurrent cells; "ngram" is the count-based baseline
# textprep.bpe's pre-tokenizer names (a test keeps the two equal); not imported from there, as
# that module takes most of a second to import and the command line builds its flags from here
BPE_PRETOKENIZERS = ("bytelevel", "whitespace")


@dataclass(frozen=True)
class LMConfig:
    level: str = option("word", "tokens: word, bpe or char", choices=LEVELS)
    mode: str = option("stream", "stream: one token stream cut into BPTT windows; "
                       "lines: each line one <bos>...<eos> sequence", choices=MODES)
    word_tokenizer: str = option("pipeline", "word level: textprep pipeline, or whitespace for already "
                                 "tokenized text (PTB)", choices=WORD_TOKENIZERS)
    lang: str = option("ru", "language of the word-level pipeline")
    min_count: int = option(1, "word/char level: drop rarer tokens to <unk>", min=1)
    max_vocab: int | None = option(None, "word/char level: keep this many tokens at most", min=1)
    # Byte-level by default: its tokens decode back to the exact text, so generated subwords
    # join into words.  Whitespace mode cannot tell a piece inside a word from a word, and
    # generated pieces print with spaces between them.
    bpe_pretokenizer: str = option("bytelevel", "bpe level without --bpe-model: the BPE model trained on the "
                                   "corpus splits bytes (bytelevel: lossless, generated text reads as words) or "
                                   "words (whitespace)", choices=BPE_PRETOKENIZERS)
    bpe_vocab_size: int = option(4000, "bpe level without --bpe-model: vocabulary size of that BPE model", min=1)
    arch: str = option("lstm", "lstm, gru, rnn, or ngram (Kneser-Ney)", choices=ARCHS + ("ngram",))
    order: int = option(3, "n-gram order (--arch ngram)", min=1)
    layers: int = option(2, "recurrent layers", min=1)
    hidden: int = option(200, "hidden units per layer", min=1)
    emb_dim: int = option(200, "embedding dimension", min=1)
    dropout: float = option(0.2, "dropout on embeddings, between layers, before output", min=0.0, lt=1.0)
    tie_weights: bool = option(False, "share input and output embeddings")
    forget_bias: float | None = option(None, "LSTM: start the forget-gate bias at this value "
                                       "(Jozefowicz et al. 2015 use 1); default: torch's init")
    reference_cells: bool = option(False, "use the cells written from the equations")
    freeze_vectors: bool = option(False, "keep --init-vectors embeddings fixed")
    optimizer: str = option("sgd", "sgd or adam", choices=("sgd", "adam"))
    lr: float | None = option(None, "learning rate (default 20 for sgd, 0.002 for adam)", gt=0)
    clip: float = option(0.25, "gradient clipping threshold (0: none)", min=0)
    clip_mode: str = option("norm", "clip the gradient norm or each value", choices=("norm", "value"))
    schedule: str = option("plateau", "plateau: divide lr by --lr-decay when validation does not improve; "
                           "cosine; none", choices=("plateau", "cosine", "none"))
    lr_decay: float = option(4.0, "plateau schedule divisor", min=1)
    epochs: int = option(6, "training epochs", min=1)
    batch_size: int = option(20, "batch columns (stream) or lines per batch", min=1)
    eval_batch_size: int = option(10, "batch columns when evaluating a stream", min=1)
    bptt: int = option(35, "tokens per truncated-BPTT window", min=1)
    patience: int = option(3, "stop after this many epochs without validation gain (0: never)", min=0)
    valid_fraction: float = option(0.0, "without --valid: hold out this last fraction of lines", min=0.0, lt=1.0)
    max_minutes: float | None = option(None, "stop training after this many minutes")
    max_steps: int | None = option(None, "stop each epoch after this many steps")
    seed: int = option(0, "random seed")
    amp: bool = option(True, "mixed precision (float16) on CUDA")

    def __post_init__(self):
        check_fields(self)
        if self.tie_weights and self.emb_dim != self.hidden:
            raise ConfigError(f"tie_weights needs emb_dim == hidden, got emb_dim={self.emb_dim}, hidden={self.hidden}")
        if self.forget_bias is not None and self.arch != "lstm":
            raise ConfigError(f"forget_bias applies to arch lstm only, not {self.arch!r}")

    @property
    def learning_rate(self) -> float:
        return self.lr if self.lr is not None else (20.0 if self.optimizer == "sgd" else 0.002)

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)
