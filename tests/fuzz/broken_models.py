"""Broken copies of good model directories, for the command-line fuzzer.

::

    FOLDER/bpe/  a good BPE model and copies with one file broken each (wrong types, duplicates,
                 merges whose parts are not in the vocabulary, ...)
    FOLDER/lm/   a good LM directory, an n-gram one, and copies with one file broken each (missing or
                 truncated weights, a config of another version, a checkpoint of another shape, ...)
    FOLDER/w2v/  a good word2vec checkpoint folder and copies with one file broken each (the
                 checkpoint, its config and vocabulary, the corpus cache beside it)

The good ones are trained through the command line itself (``driver.build_fixtures``).
"""
from __future__ import annotations

import json
import shutil
import struct
from pathlib import Path


# -- BPE model directories --------------------------------------------------------------------
def derive_bpe(ok: Path, folder: Path) -> dict[str, Path]:
    """Copies of the good model directory ``ok``, each with one file broken."""
    vocab = json.loads((ok / "vocab.json").read_text(encoding="utf-8"))
    merges = (ok / "merges.txt").read_text(encoding="utf-8").splitlines()
    tokens = list(vocab)
    first = merges[1] if len(merges) > 1 else "a b"
    edits: dict[str, dict[str, bytes | None]] = {
        "vocab_list": {"vocab.json": json.dumps(tokens).encode()},
        "vocab_string_ids": {"vocab.json": json.dumps({t: str(i) for t, i in vocab.items()}).encode()},
        "vocab_float_ids": {"vocab.json": json.dumps({t: i + 0.5 for t, i in vocab.items()}).encode()},
        "vocab_bool_ids": {"vocab.json": json.dumps({t: bool(i % 2) for t, i in vocab.items()}).encode()},
        "vocab_duplicate_ids": {"vocab.json": json.dumps({t: min(i, 5) for t, i in vocab.items()}).encode()},
        "vocab_gap": {"vocab.json": json.dumps({t: i * 2 for t, i in vocab.items()}).encode()},
        "vocab_negative": {"vocab.json": json.dumps({t: i - 3 for t, i in vocab.items()}).encode()},
        "vocab_duplicate_keys": {"vocab.json": ("{" + ", ".join(f'"{t}": {i}' for t, i in
                                                               [("a", 0), ("a", 1)]) + "}").encode()},
        "vocab_null": {"vocab.json": b"null"},
        "vocab_truncated": {"vocab.json": (ok / "vocab.json").read_bytes()[:40]},
        "vocab_binary": {"vocab.json": bytes(range(256))},
        "vocab_missing": {"vocab.json": None},
        "merges_missing": {"merges.txt": None},
        "merges_parts_not_in_vocab": {"merges.txt": ("#version: 0.2\nqq zz\nxyz 中\n" + "\n".join(merges[1:])
                                                     ).encode()},
        "merges_duplicate": {"merges.txt": ("\n".join(merges + merges[1:]) + "\n").encode()},
        "merges_three_parts": {"merges.txt": f"#version: 0.2\n{first} c\n".encode()},
        "merges_one_part": {"merges.txt": b"#version: 0.2\nabc\n"},
        "merges_binary": {"merges.txt": b"#version: 0.2\n\xff\xfe \x00\x01\n"},
        "merges_empty": {"merges.txt": b""},
        "merges_reversed": {"merges.txt": ("\n".join(merges[:1] + merges[:0:-1]) + "\n").encode()},
        "config_wrong_types": {"bpe_config.json": json.dumps({"pretokenizer": 5, "special_tokens": "abc",
                                                              "unk_token": ["x"], "vocab_size": "big"}).encode()},
        "config_unknown_pretokenizer": {"bpe_config.json": json.dumps({"pretokenizer": "sentencepiece"}).encode()},
        "config_list": {"bpe_config.json": b"[1, 2, 3]"},
        "config_truncated": {"bpe_config.json": b'{"pretokenizer": "whi'},
    }
    out = _broken_copies(folder, ok, edits)
    empty = folder / "empty_dir"
    empty.mkdir()
    out["empty_dir"] = empty
    return out


# -- LM directories ---------------------------------------------------------------------------
def derive_lm(ok: Path, ngram: Path, folder: Path) -> dict[str, Path]:
    """Copies of the good LM directory ``ok`` (and the n-gram one), each with one file broken."""
    meta = json.loads((ok / "config.json").read_text(encoding="utf-8"))
    weights = (ok / "model.safetensors").read_bytes()
    ckpt = (ok / "checkpoint.pt").read_bytes()

    def cfg(**changes) -> bytes:
        return json.dumps({**meta, **changes}).encode()

    def inner(**changes) -> bytes:
        return cfg(config={**meta["config"], **changes})

    header_len = struct.unpack("<Q", weights[:8])[0]
    edits: dict[str, tuple[Path, dict[str, bytes | None]]] = {
        "weights_missing": (ok, {"model.safetensors": None}),
        "weights_truncated": (ok, {"model.safetensors": weights[: len(weights) // 2]}),
        "weights_header_only": (ok, {"model.safetensors": weights[: 8 + header_len]}),
        "weights_empty": (ok, {"model.safetensors": b""}),
        "weights_garbage": (ok, {"model.safetensors": b"\xff" * 64}),
        "weights_header_lies": (ok, {"model.safetensors": struct.pack("<Q", 10**12) + weights[8:]}),
        "weights_other_shape": (ok, {"config.json": inner(hidden=meta["config"]["hidden"] + 3)}),
        "config_other_version": (ok, {"config.json": cfg(version=99)}),
        "config_old_version": (ok, {"config.json": cfg(version=0)}),
        "config_no_format": (ok, {"config.json": json.dumps({"config": meta["config"]}).encode()}),
        "config_future_field": (ok, {"config.json": inner(attention_heads=8)}),
        "config_wrong_types": (ok, {"config.json": inner(hidden="big", layers=[1], dropout="x")}),
        "config_bad_values": (ok, {"config.json": inner(hidden=-4, dropout=2.0, level="bytes")}),
        "config_null": (ok, {"config.json": b"null"}),
        "config_inner_list": (ok, {"config.json": cfg(config=[1, 2])}),
        "config_tokenizer_list": (ok, {"config.json": cfg(tokenizer=[1])}),
        "config_truncated": (ok, {"config.json": (ok / "config.json").read_bytes()[:30]}),
        "config_missing": (ok, {"config.json": None}),
        "vocab_missing": (ok, {"vocab.json": None}),
        "vocab_truncated": (ok, {"vocab.json": (ok / "vocab.json").read_bytes()[:50]}),
        "vocab_wrong_types": (ok, {"vocab.json": json.dumps({"tokens": 5, "counts": "x"}).encode()}),
        "vocab_list": (ok, {"vocab.json": b"[1, 2]"}),
        "checkpoint_truncated": (ok, {"checkpoint.pt": ckpt[: len(ckpt) // 2]}),
        "checkpoint_garbage": (ok, {"checkpoint.pt": b"PK\x03\x04" + bytes(100)}),
        "checkpoint_empty": (ok, {"checkpoint.pt": b""}),
        "checkpoint_list": (ok, {"checkpoint.pt": _torch_bytes([1, 2])}),
        "checkpoint_foreign_model": (ok, {"checkpoint.pt": _torch_bytes({"model": {"x": 1}, "optimizer": {}, "epoch": 1,
                                                                         "best": 1.0, "bad": 0, "lr": 1.0})}),
        "history_garbage": (ok, {"history.json": b'[{"epoch": "x"}, 5]'}),
        "history_truncated": (ok, {"history.json": (ok / "history.json").read_bytes()[:20]}),
        "history_object": (ok, {"history.json": b'{"epoch": 1}'}),
        "ngram_truncated": (ngram, {"ngram.json": (ngram / "ngram.json").read_bytes()[:100]}),
        "ngram_wrong_types": (ngram, {"ngram.json": b'{"order": "three", "counts": 5}'}),
        "ngram_missing": (ngram, {"ngram.json": None}),
    }
    out = {"ok": ok, "ngram": ngram}
    for name, (base, changes) in edits.items():
        d = folder / name
        shutil.copytree(base, d)
        for fname, data in changes.items():
            if data is None:
                (d / fname).unlink(missing_ok=True)
            else:
                (d / fname).write_bytes(data)
        out[name] = d
    return out


# -- word2vec checkpoint folders -------------------------------------------------------------
def _torch_bytes(obj) -> bytes:
    import io

    import torch

    buf = io.BytesIO()
    torch.save(obj, buf)
    return buf.getvalue()


def derive_w2v(ok: Path, folder: Path) -> dict[str, Path]:
    """Copies of a good ``--checkpoint-dir`` (its corpus cache included), each with one file broken."""
    import torch

    state = torch.load(ok / "checkpoint.pt", weights_only=True)
    ckpt = (ok / "checkpoint.pt").read_bytes()
    ids = (ok / "corpus" / "ids.u32").read_bytes()
    edits: dict[str, dict[str, bytes | None]] = {
        "checkpoint_truncated": {"checkpoint.pt": ckpt[: len(ckpt) // 2]},
        "checkpoint_empty": {"checkpoint.pt": b""},
        "checkpoint_list": {"checkpoint.pt": _torch_bytes([1, 2, 3])},
        "checkpoint_no_rng": {"checkpoint.pt": _torch_bytes({k: v for k, v in state.items() if k != "rng"})},
        "checkpoint_bad_rng": {"checkpoint.pt": _torch_bytes({**state, "rng": torch.zeros(3, dtype=torch.uint8)})},
        "checkpoint_wrong_shape": {"checkpoint.pt": _torch_bytes({**state, "w_in": torch.zeros(3, 3)})},
        "checkpoint_nan": {"checkpoint.pt": _torch_bytes({**state, "w_in": state["w_in"] * float("nan")})},
        "checkpoint_epochs_string": {"checkpoint.pt": _torch_bytes({**state, "epochs_done": "many"})},
        "config_list": {"config.json": b"[1, 2]"},
        "config_truncated": {"config.json": (ok / "config.json").read_bytes()[:20]},
        "vocab_list": {"vocab.json": b"[1, 2]"},
        "vocab_other": {"vocab.json": json.dumps({"format": "textprep.vocabulary/1", "specials": [],
                                                  "tokens": ["a", "b"], "counts": [2, 1]}).encode()},
        "cache_ids_truncated": {"corpus/ids.u32": ids[: len(ids) // 2 + 1]},
        "cache_ends_garbage": {"corpus/ends.u64": b"\xff" * 24},
        "cache_meta_wrong_types": {"corpus/meta.json": json.dumps({"format": "embeddings.word2vec.cache",
                                                                   "version": 1, "n_tokens": "x"}).encode()},
        "cache_meta_list": {"corpus/meta.json": b"[]"},
    }
    out = _broken_copies(folder, ok, edits)
    return out


def _broken_copies(folder: Path, ok: Path, edits: dict[str, dict[str, bytes | None]]) -> dict[str, Path]:
    """A copy of the good folder ``ok`` per edit, named after it, with its files replaced by the
    given bytes (or removed, for None); ``{"ok": ok, name: copy, ...}``."""
    out = {"ok": ok}
    for name, changes in edits.items():
        d = folder / name
        shutil.copytree(ok, d)
        for fname, data in changes.items():
            if data is None:
                (d / fname).unlink()
            else:
                (d / fname).write_bytes(data)
        out[name] = d
    return out
