"""word2vec in PyTorch: CBOW and skip-gram with negative sampling.

::

    config.py      Word2VecConfig, default block sizes (torch-free)
    corpus.py      token lists -> vocabulary + id arrays (EncodedCorpus)
    sampler.py     subsampling, windows and noise words on the device
    trainer.py     train_word2vec: the epoch and block loop, Hogwild threads
    checkpoint.py  tables + random state after each epoch, and resume

>>> from embeddings.word2vec import Word2VecConfig, train_word2vec       # doctest: +SKIP
>>> kv = train_word2vec(token_lists, Word2VecConfig(sg=True, epochs=5))
>>> kv.most_similar("king", topn=5)
"""
from __future__ import annotations

from .config import Word2VecConfig, default_batch_size

# The rest loads on first use, so the config (and the CLI's --help) needs neither torch nor numpy.
_LAZY_NAMES = {"DeviceSampler": ".sampler", "train_word2vec": ".trainer",
               "EncodedCorpus": ".corpus", "encode_corpus": ".corpus"}


def __getattr__(name: str):
    if name in _LAZY_NAMES:
        import importlib

        return getattr(importlib.import_module(_LAZY_NAMES[name], __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

__all__ = ["DeviceSampler", "EncodedCorpus", "Word2VecConfig", "default_batch_size", "encode_corpus",
           "train_word2vec"]
