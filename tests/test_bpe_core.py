"""The BPE algorithm on inputs small enough to follow by eye."""
from __future__ import annotations

import json
import logging
from collections import Counter

import tokenizers

from textprep.bpe.core import (
    PAIR_BASE,
    build_ranks,
    compute_alphabet,
    count_pairs,
    dedupe_merges,
    encode_chunk,
    merge_word,
    train_merges,
)
from textprep.bpe.whitespace import whitespace_split


def test_aaa_ab_ba_by_hand():
    # "aaa ab ab ba ba": ids a=0, b=1 (alphabet by code point).  Pair counts:
    #   (a,a) = 2 (the two overlapping pairs of "aaa"), (a,b) = 2, (b,a) = 2.
    # A three-way tie: the smallest pair of ids wins, so (0,0) "aa", then (0,1) "ab", then (1,0) "ba".
    # "aaa" is merged left to right into [aa, a], which forms (aa, a) once: the last merge.
    vocab, merges = train_merges(Counter(whitespace_split("aaa ab ab ba ba")), vocab_size=10)
    assert merges == [("a", "a"), ("a", "b"), ("b", "a"), ("aa", "a")]
    assert vocab == ["a", "b", "aa", "ab", "ba", "aaa"]


def test_first_merge_is_most_frequent_pair():
    vocab, merges = train_merges({"low": 5, "lower": 2, "newest": 6, "widest": 3}, vocab_size=100)
    # (e,s) and (s,t) both occur 9 times; "e" < "s" so (e,s) comes first, then (es, t).
    assert merges[:2] == [("e", "s"), ("es", "t")]
    assert vocab[:10] == sorted("lowernstid")  # the alphabet, by code point
    assert len(vocab) == 10 + len(merges)


def test_special_tokens_take_the_first_ids_and_shift_nothing_else():
    plain_vocab, plain = train_merges({"abab": 3, "ba": 1}, vocab_size=8)
    vocab, merges = train_merges({"abab": 3, "ba": 1}, vocab_size=10, special_tokens=("<pad>", "<unk>"))
    assert vocab[:2] == ["<pad>", "<unk>"]
    assert vocab[2:] == plain_vocab and merges == plain


def test_vocab_size_counts_specials_alphabet_and_merges():
    vocab, merges = train_merges({"abcabc": 4}, vocab_size=5)
    assert len(vocab) == 5 and merges == [("a", "b"), ("ab", "c")]


def test_min_frequency_stops_early():
    vocab, merges = train_merges({"ab": 3, "cd": 1}, vocab_size=100, min_frequency=2)
    assert merges == [("a", "b")]


def test_merge_word_reports_broken_and_formed_pairs():
    a, b, c, x = 0, 1, 2, 9
    w = [c, a, b, c]
    lost, formed = merge_word(w, a, b, x)
    assert w == [c, x, c]
    assert lost == [c * PAIR_BASE + a, b * PAIR_BASE + c]      # left neighbour, right neighbour
    assert formed == [c * PAIR_BASE + x, x * PAIR_BASE + c]


def test_merge_word_aaaa_left_to_right():
    w = [0, 0, 0, 0]
    lost, formed = merge_word(w, 0, 0, 5)
    assert w == [5, 5]
    # (a,a) loses the middle occurrence; (aa,a) appears and disappears; (aa,aa) is formed.
    net = Counter(formed)
    net.subtract(lost)
    assert net == Counter({0: -1, 5 * PAIR_BASE + 0: 0, 5 * PAIR_BASE + 5: 1})


def test_merge_word_leaves_a_word_without_the_pair_alone():
    w = [1, 0, 2, 0]
    assert merge_word(w, 0, 1, 7) == ([], []) and w == [1, 0, 2, 0]   # a ends the word or is followed by c
    assert merge_word(w, 3, 1, 7) == ([], []) and w == [1, 0, 2, 0]   # a does not occur


def test_train_merges_counts_pairs_as_merge_word_reports_them():
    # The merges train_merges learns are the ones a from-scratch recount after every merge
    # would choose: the pair counts it keeps up to date through merge_word stay exact.
    word_counts = Counter(whitespace_split("abab abba baab bbbb aaab ab ba " * 3 + "abba abab"))
    vocab, merges = train_merges(word_counts, vocab_size=30)
    ids = {t: i for i, t in enumerate(vocab)}
    words = {tuple(ids[ch] for ch in word): c for word, c in word_counts.items()}
    for left, right in merges:
        pairs, _ = count_pairs([list(w) for w in words], list(words.values()))
        top = max(pairs.values())
        expected = min(k for k, c in pairs.items() if c == top)   # ties: the smaller pair of ids
        assert divmod(expected, PAIR_BASE) == (ids[left], ids[right])
        new_words: Counter = Counter()
        for w, c in words.items():
            w = list(w)
            merge_word(w, ids[left], ids[right], ids[left + right])
            new_words[tuple(w)] += c
        words = new_words


def test_count_pairs_weights_by_word_count_and_indexes_words():
    counts, where = count_pairs([[0, 1, 0, 1], [1, 0]], [3, 2])
    assert counts == {0 * PAIR_BASE + 1: 6, 1 * PAIR_BASE + 0: 3 + 2}
    assert where == {0 * PAIR_BASE + 1: {0}, 1 * PAIR_BASE + 0: {0, 1}}


def test_alphabet_limit_keeps_most_frequent_characters():
    assert compute_alphabet({"ba": 1, "zz": 1}) == ["a", "b", "z"]
    assert compute_alphabet({"ba": 1, "zz": 1}, limit=1) == ["z"]
    # Characters outside the alphabet are left out of words: "x" disappears from "axb".
    vocab, merges = train_merges({"axb": 5, "ab": 1, "yy": 9}, vocab_size=10, limit_alphabet=3)
    assert vocab[:3] == ["a", "b", "y"] and ("a", "b") in merges


def test_encode_chunk_merges_lowest_rank_first():
    # ids: a=0 b=1 c=2; merges by rank: (b,c)->bc=3, (a,b)->ab=4, (a,bc)->abc=5
    ranks = build_ranks([(1, 2, 3), (0, 1, 4), (0, 3, 5)])
    assert encode_chunk([0, 1, 2], ranks) == [5]  # b c first (rank 0), then a bc
    assert encode_chunk([0, 1, 0, 1], ranks) == [4, 4]
    assert encode_chunk([2, 2], ranks) == [2, 2]  # no rank: unchanged
    aa = build_ranks([(0, 0, 1)])
    assert encode_chunk([0, 0, 0], aa) == [1, 0]  # leftmost first


def test_dedupe_keeps_last_position():
    assert dedupe_merges([("a", "b"), ("c", "d"), ("a", "b"), ("e", "f")]) == [("c", "d"), ("a", "b"), ("e", "f")]


def test_same_as_tokenizers_on_the_hand_example():
    tok = tokenizers.Tokenizer(tokenizers.models.BPE())
    tok.pre_tokenizer = tokenizers.pre_tokenizers.Whitespace()
    text = "aaa ab ab ba ba, low lower newest widest!"
    tok.train_from_iterator([text], tokenizers.trainers.BpeTrainer(vocab_size=30, show_progress=False))
    theirs = [tuple(m) for m in json.loads(tok.to_str())["model"]["merges"]]
    vocab, merges = train_merges(Counter(whitespace_split(text)), vocab_size=30)
    assert dedupe_merges(merges) == theirs
    assert {t: i for i, t in enumerate(vocab)} == tok.get_vocab()


def test_train_logs_nothing_itself(caplog):
    with caplog.at_level(logging.DEBUG):
        train_merges({"ab": 2}, vocab_size=50)
    assert caplog.records == []
