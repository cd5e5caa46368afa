"""Hostile input files for the command-line fuzzer, written deterministically into one folder.

::

    FOLDER/
      text/     clean Russian and English, binary, NUL bytes, invalid UTF-8 in the middle, UTF-16
                with a BOM, one huge line, newlines only, mixed scripts, a 10,000-character word, ...
      vectors/  word2vec text and binary files: good ones, headers that lie about the count or the
                dimension, truncated rows, NaN and inf, duplicate words, garbage
      misc/     pipeline settings files, analogy and similarity files, good and broken

The broken model directories are in ``broken_models.py``.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from corpora import corpus_path

#: words the generated queries draw from: some are in the vectors, some never are
QUERY_WORDS = ["князь", "андрей", "пьер", "и", "в", "анна", "the", "king", "nosuchword", "", " ", "ё", "<unk>",
               "a" * 10_000, "\u202eевил", "👩\u200d👩\u200d👧", "e\u0301", "-", "+", "--", "1", "nan"]

MIXED = (
    "Князь Андрей и Пьер  Bezukhov — «мир» ёжик ЁЛКА\n"
    "Ελληνικά κείμενα and עברית מימין לשמאל, العربية من اليمين\n"
    "\u202eright-to-left override\u202c \u200fRLM\u200e LRM \u2067isolate\u2069\n"
    "combining: e\u0301 a\u0308 и\u0306 z\u0336\u0335\u0334\u0301\u0302\u0303\u0304\u0305 Z̤̈́͡\n"
    "emoji 👩\u200d👩\u200d👧 👍🏽 🇷🇺 🏳️\u200d🌈 ❤\ufe0f 𝔘𝔫𝔦𝔠𝔬𝔡𝔢\n"
    "CJK 中文字符 日本語のテキスト 한국어 देवनागरी ไทย\n"
    "zero\u200bwidth no\u00a0break soft\u00adhyphen bom\ufeffinside tab\there\n"
    "line\u2028separator para\u2029graph vertical\x0btab form\x0cfeed file\x1csep\n"
    "controls \x01\x02\x07\x1b[31m red \x7f \x85 next-line\n"
    "<unk> <pad> <eos> <bos> #version: 0.2 \\ \" ' ` $HOME %s {0}\n"
)


def _ok_lines(name: str, start: int, count: int) -> list[str]:
    lines = corpus_path(name).read_text(encoding="utf-8").splitlines()
    return [ln for ln in lines[start:start + count * 2] if ln.strip()][:count]


def write_texts(folder: Path, big_line_bytes: int) -> dict[str, Path]:
    """The text inputs, by name."""
    folder.mkdir(parents=True, exist_ok=True)
    ru = "\n".join(_ok_lines("war_and_peace", 290, 120)) + "\n"
    en = "\n".join(_ok_lines("tinyshakespeare", 0, 120)) + "\n"
    rng = np.random.default_rng(0)
    word = "".join(rng.choice(list("абвгдеёжзийклмнопрстуфхцчшщъыьэюя"), 10_000))
    files: dict[str, bytes] = {
        "ok_ru.txt": ru.encode(),
        "ok_en.txt": en.encode(),
        "one_word.txt": "слово\n".encode(),
        "empty.txt": b"",
        "newlines.txt": b"\n" * 20_000,
        "whitespace.txt": b" \t \n\t\t\n   \r\n" * 500,
        "crlf.txt": ru.replace("\n", "\r\n").encode() + b"old\rmac\rline\r",
        "no_final_newline.txt": ru.rstrip("\n").encode(),
        "binary.bin": rng.integers(0, 256, 20_000, dtype=np.uint8).tobytes(),
        "elf_header.bin": b"\x7fELF\x02\x01\x01" + bytes(200) + ru.encode(),
        # NUL bytes past the first 8 KB, where a binary sniff does not look
        "nul_late.txt": ru.encode() * 3 + b"\x00\x00text\x00after\n" + ru.encode(),
        "nul_early.txt": b"abc\x00def\n" + ru.encode(),
        "bad_utf8_mid.txt": ru.encode() * 2 + b"\xff\xfe\xc3\x28 \xed\xa0\x80 lone surrogate\n" + ru.encode(),
        "truncated_utf8_end.txt": ru.encode() + "ж".encode()[:1],
        "utf16_bom.txt": "\ufeff".encode("utf-16-le") + ru.encode("utf-16-le"),
        "utf16_be_bom.txt": "\ufeff".encode("utf-16-be") + en.encode("utf-16-be"),
        "utf8_bom.txt": b"\xef\xbb\xbf" + ru.encode(),
        "cp1251.txt": ru.encode("cp1251", errors="replace"),
        "mixed_scripts.txt": (MIXED * 20 + ru).encode(),
        "long_word.txt": (ru + word + "\n" + "x" * 10_000 + " y\n" + ru).encode(),
        "long_token_run.txt": ("а" * 4000 + " ").encode() * 50 + b"\n",
        "specials.txt": ("<unk> <pad>\n<eos>\n#version: 0.2\n" * 30).encode(),
        "numbers.txt": "\n".join(["1 2 3", "0", "-1", "99999999999999999999", "3.5", "x y", "", "１２", "٣"] * 20
                                 ).encode(),
        "ids.txt": "\n".join(" ".join(str(i) for i in range(k, k + 20)) for k in range(0, 300, 20)).encode(),
        "big_line.txt": _big_line(big_line_bytes),
    }
    out = {}
    for name, data in files.items():
        (folder / name).write_bytes(data)
        out[name] = folder / name
    (folder / "a_directory").mkdir(exist_ok=True)
    out["a_directory"] = folder / "a_directory"
    return out


def _big_line(size: int) -> bytes:
    """One line of ``size`` bytes: words of several scripts, no newline anywhere until the end."""
    unit = "князь андрей the king ελλάδα 中文 e\u0301 👍 ".encode()
    return (unit * (size // len(unit) + 1))[:size].rsplit(b" ", 1)[0] + b"\n"


# -- vectors --------------------------------------------------------------------------------
def _vectors(words: list[str], dim: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal((len(words), dim)).astype(np.float32)


def _text_format(words, vecs, header: str | None = None) -> bytes:
    head = header if header is not None else f"{len(words)} {vecs.shape[1]}"
    rows = [w + " " + " ".join(f"{x:.5g}" for x in v) for w, v in zip(words, vecs)]
    return (head + "\n" + "\n".join(rows) + "\n").encode()


def _binary_format(words, vecs, header: str | None = None) -> bytes:
    head = header if header is not None else f"{len(words)} {vecs.shape[1]}"
    return head.encode() + b"\n" + b"".join(w.encode() + b" " + v.astype("<f4").tobytes() + b"\n"
                                            for w, v in zip(words, vecs))


def write_vectors(folder: Path, words: list[str]) -> dict[str, Path]:
    """Vectors files for the queries: ``words`` are the good files' keys."""
    folder.mkdir(parents=True, exist_ok=True)
    dim = 8
    vecs = _vectors(words, dim)
    n = len(words)
    nan = vecs.copy()
    nan[1, 3] = np.nan
    inf = vecs.copy()
    inf[2] = np.inf
    zero = vecs.copy()
    zero[0] = 0.0
    binary = _binary_format(words, vecs)
    files: dict[str, bytes] = {
        "ok.txt": _text_format(words, vecs),
        "ok.bin": binary,
        "one_word.txt": _text_format(words[:1], vecs[:1]),
        "dim1.txt": _text_format(words, vecs[:, :1]),
        "empty_count.txt": b"0 8\n",
        "count_too_big.txt": _text_format(words, vecs, header=f"{n + 5} {dim}"),
        "count_too_small.txt": _text_format(words, vecs, header=f"{n - 5} {dim}"),
        "count_huge.txt": _text_format(words, vecs, header=f"999999999999 {dim}"),
        "dim_too_big.txt": _text_format(words, vecs, header=f"{n} {dim + 3}"),
        "dim_too_small.txt": _text_format(words, vecs, header=f"{n} {dim - 3}"),
        "dim_huge.txt": _text_format(words, vecs, header=f"{n} 99999999999"),
        "header_garbage.txt": _text_format(words, vecs, header="count dim"),
        "header_negative.txt": _text_format(words, vecs, header=f"-3 {dim}"),
        "header_float.txt": _text_format(words, vecs, header=f"{n}.0 {dim}"),
        "header_three.txt": _text_format(words, vecs, header=f"{n} {dim} 1"),
        "no_header.txt": _text_format(words, vecs).split(b"\n", 1)[1],
        "nan.txt": _text_format(words, nan),
        "inf.txt": _text_format(words, inf),
        "zero_row.txt": _text_format(words, zero),
        "nan.bin": _binary_format(words, nan),
        "duplicate_words.txt": _text_format(words + words[:3], np.vstack([vecs, vecs[:3]])),
        "bad_number.txt": _text_format(words, vecs).replace(b" ", b" abc ", 1)[::1],
        "bad_utf8_word.txt": _text_format(words, vecs).replace(words[2].encode(), b"\xff\xfe", 1),
        "truncated.bin": binary[: len(binary) * 2 // 3],
        "truncated_row.bin": binary[:-7],
        "count_too_big.bin": _binary_format(words, vecs, header=f"{n + 5} {dim}"),
        "dim_too_big.bin": _binary_format(words, vecs, header=f"{n} {dim + 1}"),
        "count_huge.bin": _binary_format(words, vecs, header=f"999999999999 {dim}"),
        "text_as.bin": _text_format(words, vecs),
        "binary_as.txt": binary,
        "garbage.bin": np.random.default_rng(1).integers(0, 256, 5000, dtype=np.uint8).tobytes(),
        "empty.txt": b"",
        "utf16.txt": _text_format(words, vecs).decode().encode("utf-16"),
        "big_line.txt": b"3 8\n" + b"x " * 400_000 + b"\n",
    }
    out = {}
    for name, data in files.items():
        (folder / name).write_bytes(data)
        out[name] = folder / name
    return out


# -- settings and evaluation files ------------------------------------------------------------
def write_misc(folder: Path) -> dict[str, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    files = {
        "settings_ok.json": json.dumps({"lm": {"epochs": 1, "hidden": 8, "layers": 1},
                                        "w2v": {"dim": 8, "epochs": 1, "min_count": 1}}).encode(),
        "settings_wrong_types.json": json.dumps({"lm": {"epochs": "one"}, "w2v": [1], "seed": "x"}).encode(),
        "settings_unknown.json": json.dumps({"no_such_setting": 1, "w2v": {"colour": "red"}}).encode(),
        "settings_list.json": b"[1, 2]",
        "settings_nan.json": b'{"temperature": NaN, "top_p": Infinity, "w2v": {"sample": -Infinity}}',
        "settings_deep.json": ("[" * 100_000 + "]" * 100_000).encode(),
        "settings_truncated.json": b'{"lm": {"epochs": 1',
        "analogies_ok.txt": ": family\nкнязь андрей пьер анна\nи в князь пьер\n".encode(),
        "analogies_bad.txt": b": section\none two three\nfour five six seven eight\n\xff\xfe x y z\n: \n",
        "similarity_ok.tsv": "князь\tандрей\t5.0\nпьер\tанна\t3.5\nи\tв\t1\n".encode(),
        "similarity_bad.tsv": b"a\tb\tnot-a-number\nc\td\nx\ty\tnan\nk\tl\tinf\n",
        "stopwords.txt": "и\nв\nне\n".encode(),
    }
    out = {}
    for name, data in files.items():
        (folder / name).write_bytes(data)
        out[name] = folder / name
    return out
