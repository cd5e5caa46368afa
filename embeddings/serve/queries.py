"""The explorer's questions, checked and answered as plain data (no web framework here).

Every parameter arrives as text from a URL.  Each function checks it against ``Limits`` and
raises ``QueryError`` (an HTTP status plus a JSON-ready body naming the parameter, the word
or the character position) instead of letting numpy or the parser fail somewhere deeper.
The limits bound what one request costs: one row of scores (4 bytes per word of the
vocabulary) and an answer of at most ``topn_max`` words.

Words are looked up as typed, then lower-cased, then with ё read as е, because pipeline
vectors are lower-cased and folded while people type «Король» or «ёлка».

>>> import numpy as np
>>> from embeddings.keyedvectors import KeyedVectors
>>> kv = KeyedVectors(["кот", "кошка", "пёс"], np.array([[1, 0], [0.9, 0.1], [0, 1]]))
>>> similar(kv, "Кот", "1")["neighbours"]
[{'word': 'кошка', 'score': 0.9939}]
>>> analogy(kv, "кот - кошка +", "3")
Traceback (most recent call last):
...
embeddings.serve.queries.QueryError: bad analogy expression 'кот - кошка +': it ends with a sign
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from textprep.normalize import normalize_text

from ..evaluate import parse_analogy
from ..keyedvectors import KeyedVectors
from .nearest import NearestWords

METHODS = ("3cosadd", "3cosmul")


@dataclass(frozen=True)
class Limits:
    """What one request may ask for; docs/serve.md states the same figures."""

    topn_max: int = 100          # neighbours or answers in one reply
    word_chars: int = 100        # characters of one word
    expr_chars: int = 300        # characters of an analogy expression
    expr_words: int = 10         # words of an analogy expression
    map_words_max: int = 5000    # words on the map (the --map-words ceiling)
    extra_words: int = 50        # words placed on the map by one request


class QueryError(ValueError):
    """A request the explorer refuses: ``status`` (4xx) and ``body`` (``{"error": ..., ...}``)."""

    def __init__(self, message: str, status: int = 400, **detail):
        super().__init__(message)
        self.status = status
        self.body = {"error": message, **detail}


def parse_topn(raw: str | None, limits: Limits, default: int = 10) -> int:
    if raw is None or raw == "":
        return default
    try:
        topn = int(raw)
    except ValueError:
        topn = 0
    if not 1 <= topn <= limits.topn_max:
        raise QueryError(f"topn must be an integer from 1 to {limits.topn_max}, got {raw[:20]!r}", 422,
                         param="topn", limit=limits.topn_max)
    return topn


def check_text(raw: str | None, param: str, max_chars: int) -> str:
    """A required text parameter, stripped; too long is refused before anything reads it."""
    if raw is None or not raw.strip():
        raise QueryError(f"{param} is missing or empty", 422, param=param)
    if len(raw) > max_chars:
        raise QueryError(f"{param} is {len(raw):,} characters long, the limit is {max_chars}", 422,
                         param=param, limit=max_chars)
    return raw.strip()


def lookup(kv: KeyedVectors, word: str) -> str | None:
    """The vocabulary's spelling of ``word``: as typed, lower-cased, or lower-cased with ё as е."""
    for form in (word, word.lower(), normalize_text(word)):
        if form in kv.key_to_index:
            return form
    return None


def find_word(kv: KeyedVectors, raw: str | None, param: str, limits: Limits) -> str:
    word = check_text(raw, param, limits.word_chars)
    found = lookup(kv, word)
    if found is None:
        raise QueryError(f"not in the vocabulary: {word!r}", 404, param=param, words=[word])
    return found


def _pairs(pairs: list[tuple[str, float]]) -> list[dict]:
    return [{"word": w, "score": round(s, 4)} for w, s in pairs]


def _nearest(kv: KeyedVectors, nearest: NearestWords | None, positive: list[str], negative: list[str], topn: int,
             method: str = "3cosadd") -> list[tuple[str, float]]:
    if nearest is None or method != "3cosadd":
        return kv.most_similar(positive=positive, negative=negative, topn=topn, method=method)
    rows = nearest.query([kv.key_to_index[w] for w in positive], [kv.key_to_index[w] for w in negative], topn)
    return [(kv.index_to_key[i], s) for i, s in rows]


def similar(kv: KeyedVectors, word: str | None, topn: str | None, limits: Limits = Limits(),
            nearest: NearestWords | None = None) -> dict:
    """The ``topn`` nearest words by cosine: ``{"query", "word", "topn", "neighbours": [{word, score}]}``.

    ``nearest`` batches the products of concurrent requests; without it ``kv.most_similar`` answers.
    """
    n = parse_topn(topn, limits)
    found = find_word(kv, word, "word", limits)
    return {"query": word, "word": found, "topn": n, "neighbours": _pairs(_nearest(kv, nearest, [found], [], n))}


def similarity(kv: KeyedVectors, a: str | None, b: str | None, limits: Limits = Limits()) -> dict:
    """Cosine similarity of two words: ``{"a", "b", "similarity"}``."""
    wa = find_word(kv, a, "a", limits)
    wb = find_word(kv, b, "b", limits)
    return {"a": wa, "b": wb, "similarity": round(kv.similarity(wa, wb), 4)}


def _tokens(expr: str) -> list[tuple[str, int]]:
    """``parse_analogy``'s tokens with their character offsets (a glued sign is a token of its own)."""
    out = []
    for m in re.finditer(r"\S+", expr):
        tok = m.group()
        if len(tok) > 1 and tok[0] in "+-":
            out += [(tok[0], m.start()), (tok[1:], m.start() + 1)]
        else:
            out.append((tok, m.start()))
    return out


def error_position(expr: str) -> int:
    """Where ``parse_analogy`` finds ``expr`` wrong: the offset of the offending token,
    of the dangling sign at the end, or 0 when the whole is wrong (empty, no positive word)."""
    tokens = _tokens(expr)
    expect_word, last_sign = True, 0
    for i, (tok, pos) in enumerate(tokens):
        if tok in ("+", "-"):
            if expect_word and i > 0:
                return pos
            expect_word, last_sign = True, pos
        elif not expect_word:
            return pos
        else:
            expect_word = False
    return last_sign if tokens and expect_word else 0


def analogy(kv: KeyedVectors, expr: str | None, topn: str | None, method: str | None = None,
            limits: Limits = Limits(), nearest: NearestWords | None = None) -> dict:
    """Answers to ``король - мужчина + женщина`` (the CLI's syntax):
    ``{"expr", "positive", "negative", "method", "answers": [{word, score}]}``."""
    n = parse_topn(topn, limits, default=5)
    method = method or "3cosadd"
    if method not in METHODS:
        raise QueryError(f"method must be one of {', '.join(METHODS)}, got {method[:20]!r}", 422, param="method")
    text = check_text(expr, "expr", limits.expr_chars)
    try:
        positive, negative = parse_analogy(text)
    except ValueError as exc:
        raise QueryError(str(exc), 400, param="expr", position=error_position(text)) from None
    words = [(tok, pos) for tok, pos in _tokens(text) if tok not in ("+", "-")]
    if len(words) > limits.expr_words:
        raise QueryError(f"expr has {len(words)} words, the limit is {limits.expr_words}", 422,
                         param="expr", limit=limits.expr_words)
    too_long = [(w, p) for w, p in words if len(w) > limits.word_chars]
    if too_long:
        w, p = too_long[0]
        raise QueryError(f"the word at position {p} is {len(w)} characters long, the limit is {limits.word_chars}",
                         422, param="expr", position=p)
    found = {w: lookup(kv, w) for w, _ in words}
    missing = [(w, p) for w, p in words if found[w] is None]
    if missing:
        names = ", ".join(f"{w!r} (position {p})" for w, p in missing)
        raise QueryError(f"not in the vocabulary: {names}", 404, param="expr",
                         words=[w for w, _ in missing], positions=[p for _, p in missing])
    pos = [found[w] for w in positive]
    neg = [found[w] for w in negative]
    answers = _nearest(kv, nearest, pos, neg, n, method)
    return {"expr": text, "positive": pos, "negative": neg, "method": method, "topn": n, "answers": _pairs(answers)}
