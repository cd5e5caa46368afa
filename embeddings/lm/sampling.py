"""How text is sampled from a language model, by default: one definition for every caller.

``embeddings lm generate``, :func:`embeddings.lm.generate.generate` and the main job's report
draw with the same settings unless told otherwise: temperature 0.9, nucleus sampling over
0.95 of the probability, never ``<unk>``, 10 to 30 words.  No torch here, so that the command
line can build its flags from :class:`SamplingConfig` without importing it.

Lengths count what the reader sees, not tokens: the words of the printed continuation (its
whitespace-separated pieces) at the word and BPE levels, its characters at the character
level, where a sample is often a single word (a surname).  A BPE word may take several
tokens, and a visible ``<unk>`` counts as what it prints.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from textprep.config import check_fields, option
from textprep.errors import ConfigError

#: (min_length, max_length) when not given, per unit of length
DEFAULT_LENGTHS = {"words": (10, 30), "characters": (0, 100)}
#: how ``<unk>`` prints when it may be drawn: visibly, never as nothing
UNK_SHOWN = "<unk>"


def length_unit(level: str) -> str:
    """What ``min_length`` and ``max_length`` count for a model of this token level."""
    return "characters" if level == "char" else "words"


def count_units(text: str, level: str) -> int:
    """The length of ``text`` as a reader counts it (see the module docstring)."""
    return len(text) if level == "char" else len(text.split())


@dataclass(frozen=True)
class SamplingConfig:
    """How each sample is drawn; ``None`` lengths take the model's defaults (:meth:`for_level`)."""

    temperature: float = option(0.9, "softmax temperature (0: greedy)", min=0)
    top_k: int = option(0, "draw among the K most likely tokens only (0: all)", min=0)
    top_p: float = option(0.95, "nucleus sampling: draw from the smallest set of tokens with this much "
                          "probability (1: all)", gt=0, max=1)
    min_length: int | None = option(None, "no <eos> before this many words after the prefix (characters for a "
                                    "char-level model); default 10 words, 0 characters", min=0)
    max_length: int | None = option(None, "stop after this many words (characters for a char-level model); "
                                    "default 30 words, 100 characters", min=1)
    allow_unk: bool = option(False, "also draw <unk> (a word too rare to have been learned), printed as <unk>")

    def __post_init__(self):
        check_fields(self)
        if None not in (self.min_length, self.max_length) and self.min_length > self.max_length:
            raise ConfigError(f"min_length must be between 0 and max_length ({self.max_length}), "
                             f"got {self.min_length!r}")

    def for_level(self, level: str) -> SamplingConfig:
        """These settings with the lengths filled in for a model of ``level`` tokens; a
        ``min_length`` above the default maximum raises the maximum to it."""
        lo, hi = DEFAULT_LENGTHS[length_unit(level)]
        lo = lo if self.min_length is None else self.min_length
        hi = max(hi, lo) if self.max_length is None else self.max_length
        return dataclasses.replace(self, min_length=lo, max_length=hi)

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


#: the defaults, for callers that name them one by one
SAMPLING = SamplingConfig()
