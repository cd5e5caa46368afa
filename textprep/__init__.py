"""textprep: streaming text preprocessing, vocabularies, vectorizers and byte pair encoding.

The main names are importable from the package itself; they are loaded on first use, so
``import textprep`` stays light (no scikit-learn or pymorphy3 until they are needed)::

    from textprep import Pipeline, TfIdf
"""
from __future__ import annotations

import importlib

_EXPORTS = {
    "TextCorpus": "corpus",
    "Vocabulary": "vocab",
    "Pipeline": "pipeline",
    "PipelineConfig": "pipeline",
    "TokenizedCorpus": "filtering",
    "word_tokenize": "tokenize",
    "sentence_split": "tokenize",
    "char_tokenize": "tokenize",
    "load_stopwords": "stopwords",
    "BagOfWords": "vectorize",
    "TfIdf": "vectorize",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'textprep' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))
