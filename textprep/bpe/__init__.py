"""Byte pair encoding written from scratch: trainer, encoder, decoder.

>>> from textprep.bpe import BPETokenizer
>>> tok = BPETokenizer.train(["low lower lowest"] * 3, vocab_size=12, special_tokens=(), min_frequency=1)
>>> tok.tokenize("lower lowest")
['lower', 'lowe', 'st']

``core`` holds the algorithm as pure functions; ``pretokenize`` the pre-tokenizers, one
class per mode, built on ``whitespace`` and ``bytelevel``; ``counting`` the (parallel)
pre-token counting; ``config`` the training settings; ``files`` the model directory;
``tokenizer`` the class that ties them together; and ``hf_json`` the ``tokenizer.json`` file
that ``tokenizers`` and ``transformers`` load.
"""
from ..vocab import DEFAULT_SPECIALS
from .config import BPEConfig
from .files import CONFIG_FILE
from .hf_json import read_tokenizer_json, write_tokenizer_json
from .tokenizer import BPETokenizer

__all__ = ["BPETokenizer", "BPEConfig", "CONFIG_FILE", "DEFAULT_SPECIALS",
           "read_tokenizer_json", "write_tokenizer_json"]
