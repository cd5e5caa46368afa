"""Recurrent language models over words, BPE subwords or characters, and a Kneser-Ney baseline.

>>> from embeddings.lm import LMConfig, train_lm, load_lm        # doctest: +SKIP
>>> train_lm("names.txt", LMConfig(level="char", mode="lines"), "names_lm")
>>> load_lm("names_lm").generate(prefix="Ar", num=3, seed=0)
"""
from __future__ import annotations

from .io import EvalResult, LanguageModel, load_lm
from .model import RNNLM
from .train import LMConfig, train_lm

__all__ = ["EvalResult", "LanguageModel", "LMConfig", "RNNLM", "load_lm", "train_lm"]
