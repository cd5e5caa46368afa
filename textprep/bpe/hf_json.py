"""``tokenizer.json``: a BPE model in the single file of HuggingFace ``tokenizers``, as plain JSON.

``tokenizers.Tokenizer.from_file`` and ``transformers.PreTrainedTokenizerFast`` read this file;
we write it and read it with :mod:`json` alone.  What our model becomes::

    added_tokens    our special tokens, with their ids (split out before anything else, never merged)
    normalizer      null (we do not normalise)
    pre_tokenizer   {"type": "Whitespace"}   or  {"type": "ByteLevel", "add_prefix_space": false, ...}
    model           {"type": "BPE", "vocab": {token: id}, "merges": [[left, right], ...], "unk_token": ...}
    decoder         null (whitespace: tokens joined by spaces)  or  {"type": "ByteLevel"} (lossless)
    post_processor  null (no tokens are added around a text, as our ``encode`` adds none)

Reading accepts what that mapping can express exactly, so that our encoder gives the ids
``tokenizers`` gives; anything else (a normaliser, a pre-token prefix, ``fuse_unk``, a
post-processor that adds tokens, ...) is refused with an ``InputError`` naming the field.

``transformers`` keeps the roles of special tokens (pad, unk, bos, eos) outside this file,
in ``tokenizer_config.json``: :func:`write_transformers_dir` writes both, and
:func:`special_token_roles` gives the keyword arguments for ``PreTrainedTokenizerFast``.
"""
from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path

from ..errors import InputError
from ..fileio import atomic_write, read_json, write_json
from .tokenizer import BPETokenizer

#: the pre-tokenizer entries of ``tokenizer.json`` for our two modes
PRE_TOKENIZERS = {
    "whitespace": {"type": "Whitespace"},
    "bytelevel": {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": True},
}
DECODERS = {
    "whitespace": None,
    "bytelevel": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True, "use_regex": True},
}
#: special-token names that ``transformers`` gives a role, by the spellings in common use
ROLE_NAMES = {
    "pad_token": ("<pad>", "[PAD]", "<|pad|>"),
    "bos_token": ("<bos>", "<s>", "<|startoftext|>", "<|begin_of_text|>"),
    "eos_token": ("<eos>", "</s>", "<|endoftext|>", "<|end_of_text|>"),
}
TRANSFORMERS_FILES = ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json")


# ---------------------------------------------------------------------------- writing
def to_tokenizer_json(tok: BPETokenizer) -> dict:
    """The ``tokenizer.json`` object of ``tok``."""
    vocab = tok.get_vocab()
    return {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": [
            {"id": vocab[t], "content": t, "single_word": False, "lstrip": False, "rstrip": False,
             "normalized": False, "special": True}
            for t in tok.special_tokens
        ],
        "normalizer": None,
        "pre_tokenizer": PRE_TOKENIZERS[tok.pretokenizer],
        "post_processor": None,
        "decoder": DECODERS[tok.pretokenizer],
        "model": {
            "type": "BPE",
            "dropout": None,
            "unk_token": tok.unk_token,
            "continuing_subword_prefix": None,
            "end_of_word_suffix": None,
            "fuse_unk": False,
            "byte_fallback": False,
            "ignore_merges": False,
            "vocab": dict(sorted(vocab.items(), key=lambda kv: kv[1])),
            # pairs, not "left right" strings: a pair stays unambiguous whatever its tokens hold
            "merges": [[a, b] for a, b in tok.merges],
        },
    }


def write_tokenizer_json(tok: BPETokenizer, path: str | os.PathLike) -> Path:
    """Write ``tok`` as one ``tokenizer.json`` file, atomically."""
    path = Path(path)
    with atomic_write(path) as fh:
        json.dump(to_tokenizer_json(tok), fh, ensure_ascii=False, indent=1)
        fh.write("\n")
    return path


def special_token_roles(tok: BPETokenizer) -> dict[str, str]:
    """``{"pad_token": "<pad>", "unk_token": ..., "bos_token": ..., "eos_token": ...}`` for the
    special tokens of ``tok`` that have one of those roles (found by their usual spellings)."""
    roles: dict[str, str] = {}
    specials = set(tok.special_tokens)
    for role, names in ROLE_NAMES.items():
        found = next((n for n in names if n in specials), None)
        if found is not None:
            roles[role] = found
    if tok.unk_token is not None:
        roles["unk_token"] = tok.unk_token
    return dict(sorted(roles.items()))


def write_transformers_dir(tok: BPETokenizer, out_dir: str | os.PathLike) -> Path:
    """A directory that ``transformers``' ``from_pretrained`` reads with the special tokens'
    roles: ``tokenizer.json``, ``tokenizer_config.json`` and ``special_tokens_map.json``."""
    out_dir = Path(out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise InputError(f"{out_dir}: exists and is not a directory")
    out_dir.mkdir(parents=True, exist_ok=True)
    write_tokenizer_json(tok, out_dir / "tokenizer.json")
    roles = special_token_roles(tok)
    write_json(out_dir / "tokenizer_config.json", {
        "tokenizer_class": "PreTrainedTokenizerFast",
        **roles,
        # our encode adds nothing around a text and our decode changes no spaces; so must theirs
        "add_bos_token": False,
        "add_eos_token": False,
        "clean_up_tokenization_spaces": False,
    })
    write_json(out_dir / "special_tokens_map.json", roles)
    return out_dir


# ---------------------------------------------------------------------------- reading
def _pretokenizer_name(entry, where: str) -> str:
    """Our pre-tokenizer for a ``pre_tokenizer`` entry (a one-element Sequence is unwrapped)."""
    if isinstance(entry, dict) and entry.get("type") == "Sequence" and len(entry.get("pretokenizers", [])) == 1:
        entry = entry["pretokenizers"][0]
    kind = entry.get("type") if isinstance(entry, dict) else None
    if kind == "Whitespace":
        return "whitespace"
    if kind == "ByteLevel":
        if entry.get("add_prefix_space", False):
            raise InputError(f"{where}: pre_tokenizer ByteLevel with add_prefix_space true is not supported "
                             "(our byte-level mode adds no space before a text)")
        if not entry.get("use_regex", True):
            raise InputError(f"{where}: pre_tokenizer ByteLevel with use_regex false is not supported")
        return "bytelevel"
    raise InputError(f"{where}: pre_tokenizer {json.dumps(entry)[:80]} is not supported "
                     "(Whitespace or ByteLevel are)")


def _refuse(where: str, field: str, value, why: str) -> None:
    raise InputError(f"{where}: {field} {json.dumps(value, ensure_ascii=False)[:80]} is not supported ({why})")


def from_tokenizer_json(data: Mapping, where: str = "tokenizer.json") -> BPETokenizer:
    """A :class:`BPETokenizer` from a ``tokenizer.json`` object (as :func:`json.load` gives it)."""
    if not isinstance(data, Mapping) or not isinstance(data.get("model"), Mapping):
        raise InputError(f"{where}: not a tokenizer.json file (no 'model' object)")
    model = data["model"]
    if model.get("type", "BPE") != "BPE" or "merges" not in model:
        _refuse(where, "model type", model.get("type"), "only BPE models are")
    if data.get("normalizer") is not None:
        _refuse(where, "normalizer", data["normalizer"], "we do not normalise text before encoding")
    for field in ("continuing_subword_prefix", "end_of_word_suffix", "dropout"):
        if model.get(field):
            _refuse(where, f"model.{field}", model[field], "our encoder has no such setting")
    for field in ("fuse_unk", "byte_fallback", "ignore_merges"):
        if model.get(field):
            _refuse(where, f"model.{field}", model[field], "our encoder has no such setting")
    post = data.get("post_processor")
    if post is not None and (not isinstance(post, Mapping) or post.get("type") != "ByteLevel"):
        _refuse(where, "post_processor", post, "it may add tokens around a text, our encode adds none")
    pretokenizer = _pretokenizer_name(data.get("pre_tokenizer"), where)

    vocab_map = model.get("vocab")
    if not isinstance(vocab_map, Mapping) or not all(isinstance(v, int) for v in vocab_map.values()):
        raise InputError(f"{where}: model.vocab must map tokens to integer ids")
    ids = dict(vocab_map)
    specials: list[str] = []
    for n, added in enumerate(data.get("added_tokens") or []):
        content, i = (added.get("content"), added.get("id")) if isinstance(added, Mapping) else (None, None)
        if not isinstance(content, str) or not isinstance(i, int):
            raise InputError(f"{where}: added_tokens[{n}] needs a string 'content' and an integer 'id'")
        for flag in ("single_word", "lstrip", "rstrip"):
            if added.get(flag):
                _refuse(where, f"added_tokens[{n}].{flag}", True, "special tokens match exactly here")
        if ids.setdefault(content, i) != i:
            raise InputError(f"{where}: added token {content!r} has id {i}, the vocabulary gives {ids[content]}")
        specials.append(content)
    unk = model.get("unk_token")
    if unk is not None:
        if unk not in ids:
            raise InputError(f"{where}: model.unk_token {unk!r} is not in the vocabulary")
        if unk not in specials:
            specials.append(unk)
    if sorted(ids.values()) != list(range(len(ids))):
        raise InputError(f"{where}: token ids are not 0..{len(ids) - 1} without gaps or repeats")
    vocab = [""] * len(ids)
    for t, i in ids.items():
        vocab[i] = t
    merges = []
    for n, m in enumerate(model.get("merges") or []):
        pair = m.split(" ") if isinstance(m, str) else m
        if not isinstance(pair, (list, tuple)) or len(pair) != 2 or not all(isinstance(p, str) and p for p in pair):
            raise InputError(f"{where}: model.merges[{n}] is not a pair of tokens: {m!r}")
        merges.append((pair[0], pair[1]))
    try:
        return BPETokenizer(vocab, merges, pretokenizer, specials, unk)
    except ValueError as exc:
        raise InputError(f"{where}: malformed model ({exc})") from None


def read_tokenizer_json(path: str | os.PathLike) -> BPETokenizer:
    """A :class:`BPETokenizer` from a ``tokenizer.json`` file (or a directory holding one)."""
    path = Path(path)
    if path.is_dir():
        path = path / "tokenizer.json"
    return from_tokenizer_json(read_json(path, "tokenizer.json file"), str(path))
