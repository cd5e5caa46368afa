"""Byte pair encoding written from scratch: trainer, encoder, decoder.

>>> from textprep.bpe import BPETokenizer
>>> tok = BPETokenizer.train(["low lower lowest"] * 3, vocab_size=12, special_tokens=(), min_frequency=1)
>>> tok.tokenize("lower lowest")
['lower', 'lowe', 'st']

``core`` holds the algorithm as pure functions, ``pretokenize`` the two pre-tokenizers,
``counting`` the (parallel) pre-token counting and ``tokenizer`` the class with file I/O.
"""
from .tokenizer import CONFIG_FILE, DEFAULT_SPECIALS, BPEConfig, BPETokenizer

__all__ = ["BPETokenizer", "BPEConfig", "CONFIG_FILE", "DEFAULT_SPECIALS"]
