"""Recurrent language models over words, BPE subwords or characters, and a Kneser-Ney baseline.

>>> from embeddings.lm import LMConfig, train_lm, load_lm        # doctest: +SKIP
>>> train_lm("names.txt", LMConfig(level="char", mode="lines"), "names_lm")
>>> load_lm("names_lm").generate(prefix="Ar", num=3, seed=0)

Modules: ``config`` (settings, no torch), ``tokenizers``, ``data`` (batches), ``model`` and
``cells``, ``evaluate``, ``train`` (the loop), ``lmdir`` (the directory on disk and
:func:`load_lm`), ``generate``, ``ngram``.
"""
from __future__ import annotations

import importlib

from .config import LMConfig

# The rest needs torch; it is imported on first use, so that ``LMConfig`` (the command line's
# flags, the main job's settings) comes without it.
_LAZY = {"EvalResult": "evaluate", "LanguageModel": "lmdir", "load_lm": "lmdir", "RNNLM": "model",
         "train_lm": "train"}

__all__ = ["EvalResult", "LanguageModel", "LMConfig", "RNNLM", "load_lm", "train_lm"]


def __getattr__(name: str):
    if name in _LAZY:
        return getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
