"""``BPEConfig``: the training settings of a BPE model, shared by the API and ``textprep bpe train``."""
from __future__ import annotations

from dataclasses import dataclass

from ..config import check_fields, option
from ..errors import ConfigError
from ..vocab import DEFAULT_SPECIALS
from .pretokenize import PRETOKENIZERS


@dataclass(frozen=True)
class BPEConfig:
    """Training settings of a BPE model (saved under ``training`` in ``bpe_config.json``)."""

    vocab_size: int = option(8000, "target vocabulary size, special tokens included", min=1)
    pretokenizer: str = option(
        "whitespace", "whitespace: words and punctuation runs (lossy for spaces); bytelevel: lossless bytes",
        choices=PRETOKENIZERS,
    )
    min_frequency: int = option(2, "stop when no pair is seen this many times", min=0)
    special_tokens: tuple[str, ...] = option(
        DEFAULT_SPECIALS, "special tokens, given the first ids (none: pass the flag alone)"
    )
    limit_alphabet: int | None = option(
        None, "keep only this many most frequent characters (whitespace mode)", min=1
    )

    def __post_init__(self) -> None:
        check_fields(self)
        if isinstance(self.special_tokens, str):
            raise TypeError(f"special_tokens must be a sequence of strings, got the string {self.special_tokens!r}")
        object.__setattr__(self, "special_tokens", tuple(self.special_tokens))
        for t in self.special_tokens:
            if not isinstance(t, str) or not t:
                raise ConfigError(f"special_tokens: {t!r} is not a non-empty string")
        if len(set(self.special_tokens)) != len(self.special_tokens):
            raise ConfigError(f"special_tokens: repeated token in {list(self.special_tokens)!r}")
