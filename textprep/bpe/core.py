"""Byte pair encoding as plain functions: learn merges from pre-token counts, encode one pre-token.

Training never rescans the corpus.  The corpus is read once into a table of unique
pre-tokens with their counts; merges then run over that table::

    "low lower low"  ->  {"low": 2, "lower": 1}  ->  words as symbol ids  [l o w] x2, [l o w e r] x1
                                                     pair counts        (l,o): 3  (o,w): 3  (w,e): 1 ...
                                                     pair -> words      (l,o): {0, 1} ...

Each step pops the most frequent pair from a heap, rewrites only the words that hold it,
and applies the resulting +/- changes to the neighbouring pairs' counts.  Heap entries
are not updated in place: an entry whose count went stale is pushed back with the current
count when it reaches the top ("lazy invalidation").

The rules follow HuggingFace ``tokenizers``' ``BpeTrainer`` exactly, so that the merges are
the same line for line:

* ids: special tokens first, then the alphabet sorted by code point, then merges in order;
* ties between pairs of equal count go to the smaller pair of ids (left id, then right id);
* inside a word a pair is merged left to right, so ``a a a`` becomes ``aa a`` (overlapping
  occurrences of ``(a, a)`` are counted twice before the merge, as ``tokenizers`` does);
* each heap entry carries the set of words it was created for, and a merge rewrites those
  words only; the count of a merged pair is not reset, and when two merges produce the
  same string (``ab + c`` and ``a + bc``) the second reuses the first's id, so the
  vocabulary grows by one token per *new* string and ``merges`` may repeat a pair.

References: Sennrich, Haddow & Birch 2016, "Neural Machine Translation of Rare Words with
Subword Units"; Gage 1994; the ``tokenizers`` documentation of ``BpeTrainer``.
"""
from __future__ import annotations

import heapq
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence

#: pair (a, b) of symbol ids is stored as the single int a * PAIR_BASE + b (cheaper to hash
#: than a tuple, and ordered the same way as the tuple)
PAIR_BASE = 1 << 24


def compute_alphabet(
    word_counts: Mapping[str, int],
    limit: int | None = None,
    initial: Iterable[str] = (),
) -> list[str]:
    """The characters of the words, sorted by code point.

    With ``limit``, only the ``limit`` most frequent characters are kept (the characters of
    ``initial`` always count as most frequent); among equal counts the smaller code point is
    kept.  ``tokenizers`` leaves such ties to an unstable sort, so only ties can differ.
    """
    chars: Counter = Counter()
    for word, count in word_counts.items():
        for ch in word:
            chars[ch] += count
    forced = set(initial)
    for ch in forced:
        chars[ch] = 0
    if limit is not None and len(chars) > limit:
        ranked = sorted(chars, key=lambda c: (c not in forced, -chars[c], ord(c)))
        chars = Counter({c: chars[c] for c in ranked[:limit]})
    return sorted(chars, key=ord)


def count_pairs(words: Sequence[list[int]], counts: Sequence[int]) -> tuple[dict[int, int], dict[int, set[int]]]:
    """Weighted counts of adjacent pairs, and for each pair the set of words that hold it."""
    pair_counts: dict[int, int] = {}
    where: dict[int, set[int]] = {}
    get = pair_counts.get
    for wi, w in enumerate(words):
        c = counts[wi]
        for k in map(int.__add__, [x * PAIR_BASE for x in w[:-1]], w[1:]):
            pair_counts[k] = get(k, 0) + c
            s = where.get(k)
            if s is None:
                where[k] = {wi}
            else:
                s.add(wi)
    return pair_counts, where


def merge_word(w: list[int], a: int, b: int, new: int) -> tuple[list[int], list[int]]:
    """Replace each ``a b`` in ``w`` (in place, left to right) by ``new``.

    Returns the pairs the merge broke and the pairs it formed, one entry per occurrence:
    the neighbours' pairs (left neighbour + ``a``, ``b`` + right neighbour) are broken and
    (left neighbour + ``new``, ``new`` + right neighbour) formed.  The pair ``a b`` itself is
    not listed: its count is the caller's to settle.

    >>> w = [2, 0, 1, 2]                        # c a b c, merging a b into x = 9
    >>> lost, formed = merge_word(w, 0, 1, 9)
    >>> w, [divmod(k, PAIR_BASE) for k in lost], [divmod(k, PAIR_BASE) for k in formed]
    ([2, 9, 2], [(2, 0), (1, 2)], [(2, 9), (9, 2)])
    """
    lost: list[int] = []
    formed: list[int] = []
    if a not in w:  # a scan in C: most words of a stale word set no longer hold the pair
        return lost, formed
    b_right, new_left = b * PAIR_BASE, new * PAIR_BASE
    n = len(w) - 1
    i = w.index(a)
    while i < n:
        if w[i + 1] == b:
            if i > 0:
                p = w[i - 1] * PAIR_BASE
                lost.append(p + a)
                formed.append(p + new)
            w[i : i + 2] = [new]
            n -= 1
            if i < n:
                nx = w[i + 1]
                lost.append(b_right + nx)
                formed.append(new_left + nx)
        i += 1
        while i < n and w[i] != a:
            i += 1
    return lost, formed


def train_merges(
    word_counts: Mapping[str, int],
    vocab_size: int,
    special_tokens: Sequence[str] = (),
    min_frequency: int = 0,
    limit_alphabet: int | None = None,
    initial_alphabet: Iterable[str] = (),
    progress: Callable[[int], None] | None = None,
    stats: dict | None = None,
) -> tuple[list[str], list[tuple[str, str]]]:
    """Learn BPE merges from pre-token counts.

    Returns ``(vocab, merges)``: ``vocab[i]`` is the string of token id ``i`` (special tokens,
    then the alphabet, then merged tokens) and ``merges`` the merged pairs in order, as
    strings (a pair can repeat, see the module docstring).  Stops when the vocabulary
    reaches ``vocab_size`` or no pair is seen at least ``max(min_frequency, 1)`` times.
    ``progress(n)`` is called with the number of new merges since the last call; ``stats``,
    if given, receives ``tokens``: the number of tokens of the training pre-tokens at the end.
    """
    vocab: list[str] = []
    ids: dict[str, int] = {}
    for tok in special_tokens:
        if tok not in ids:
            ids[tok] = len(vocab)
            vocab.append(tok)
    for ch in compute_alphabet(word_counts, limit_alphabet, initial_alphabet):
        if ch not in ids:
            ids[ch] = len(vocab)
            vocab.append(ch)

    # Words as lists of symbol ids; characters outside the alphabet are left out.
    words: list[list[int]] = []
    counts: list[int] = []
    char_id = {ch: i for ch, i in ids.items() if len(ch) == 1}
    short_tokens = 0
    for word, count in word_counts.items():
        w = [char_id[ch] for ch in word if ch in char_id]
        if len(w) > 1:  # a single symbol holds no pair and can never change
            words.append(w)
            counts.append(count)
        else:
            short_tokens += len(w) * count

    counted, where = count_pairs(words, counts)
    pair_counts: defaultdict[int, int] = defaultdict(int, counted)
    del counted
    # Heap entries: (-count, pair, tie, words).  ``tie`` only keeps tuples comparable; two
    # entries for the same pair and count are merged one after the other either way.
    heap = [(-pair_counts[k], k, n, pos) for n, (k, pos) in enumerate(where.items()) if pair_counts[k] > 0]
    heapq.heapify(heap)
    tie = len(heap)
    del where

    merges: list[tuple[str, str]] = []
    floor = max(min_frequency, 1)
    done = 0
    while len(vocab) < vocab_size and heap:
        negc, k, t, pos = heapq.heappop(heap)
        current = pair_counts[k]
        if -negc != current:  # stale: requeue with the current count
            heapq.heappush(heap, (-current, k, t, pos))
            continue
        if current < floor:
            break
        a, b = divmod(k, PAIR_BASE)
        token = vocab[a] + vocab[b]
        new = ids.get(token)
        if new is None:
            new = ids[token] = len(vocab)
            vocab.append(token)
        merges.append((vocab[a], vocab[b]))

        gained: defaultdict[int, set[int]] = defaultdict(set)
        for wi in pos:
            lost, formed = merge_word(words[wi], a, b, new)
            if formed or lost:
                c = counts[wi]
                for kk in lost:
                    pair_counts[kk] -= c
                for kk in formed:
                    pair_counts[kk] += c
                    gained[kk].add(wi)
        for kk, s in gained.items():
            cnt = pair_counts[kk]
            if cnt > 0:
                heapq.heappush(heap, (-cnt, kk, tie, s))
                tie += 1
        done += 1
        if progress is not None and done % 256 == 0:
            progress(256)
    if progress is not None and done % 256:
        progress(done % 256)
    if stats is not None:
        stats["tokens"] = short_tokens + sum(len(w) * c for w, c in zip(words, counts))
    return vocab, merges


def dedupe_merges(merges: Sequence[tuple[str, str]]) -> list[tuple[str, str]]:
    """Keep each repeated pair once, at the position of its *last* occurrence (the rank
    ``tokenizers`` keeps when it turns its merge list into a map and writes ``merges.txt``)."""
    last = {pair: i for i, pair in enumerate(merges)}
    return [pair for i, pair in enumerate(merges) if last[pair] == i]


def build_ranks(merges: Sequence[tuple[int, int, int]]) -> dict[int, tuple[int, int]]:
    """``{pair: (rank, merged id)}`` from merges given as ``(left id, right id, merged id)``."""
    return {a * PAIR_BASE + b: (rank, new) for rank, (a, b, new) in enumerate(merges)}


def encode_chunk(symbols: Sequence[int], ranks: Mapping[int, tuple[int, int]]) -> list[int]:
    """Apply merges to one pre-token's symbol ids: repeatedly merge the adjacent pair of
    lowest rank (the leftmost one among equals) until no pair has a rank.

    >>> ranks = build_ranks([(0, 0, 1)])        # one merge: a a -> aa
    >>> encode_chunk([0, 0, 0], ranks)          # a a a -> aa a
    [1, 0]
    """
    w = list(symbols)
    while len(w) > 1:
        best = None
        at = -1
        for i in range(len(w) - 1):
            r = ranks.get(w[i] * PAIR_BASE + w[i + 1])
            if r is not None and (best is None or r[0] < best[0]):
                best, at = r, i
        if best is None:
            break
        w[at : at + 2] = [best[1]]
    return w
