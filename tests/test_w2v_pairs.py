"""The sampling details of word2vec, pinned on inputs small enough to work out by hand."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from embeddings.pairs import AliasTable, draw_negatives, keep_probabilities, noise_distribution, window_pairs
from embeddings.word2vec import DeviceSampler, Word2VecConfig


def test_keep_probability_is_the_c_tools_formula():
    # 1000 words, sample 1e-3 -> threshold t*T = 1, so keep = (sqrt(c) + 1) / c.
    keep = keep_probabilities([900, 64, 36], sample=1e-3)
    assert keep == pytest.approx([31 / 900, 9 / 64, 7 / 36])


def test_keep_probability_is_capped_at_one_and_off_when_sample_is_zero():
    # threshold 0.1 * 10 = 1: the rare word would get (1 + 1) / 1 = 2, capped to 1.
    assert keep_probabilities([9, 1], sample=0.1) == pytest.approx([4 / 9, 1.0])
    assert keep_probabilities([9, 1], sample=0) == pytest.approx([1.0, 1.0])


def test_noise_distribution_raises_counts_to_three_quarters():
    # 16 ** 0.75 = 8 and 1 ** 0.75 = 1.
    assert noise_distribution([16, 1]) == pytest.approx([8 / 9, 1 / 9])
    assert noise_distribution([16, 1], power=0.5) == pytest.approx([0.8, 0.2])
    assert noise_distribution([16, 1], power=0.0) == pytest.approx([0.5, 0.5])


def test_alias_table_reproduces_the_distribution_exactly_and_in_samples():
    p = noise_distribution([50, 20, 10, 5, 1, 1])
    table = AliasTable(p)
    assert table.probabilities() == pytest.approx(p)
    draws = table.sample(np.random.default_rng(0), 200_000)
    freq = np.bincount(draws, minlength=p.size) / draws.size
    assert np.abs(freq - p).max() < 0.005


def test_dynamic_window_pairs_worked_by_hand():
    # positions 0..3, the last in another document; spans 1, 2, 1, 2 with window 2.
    centres, contexts = window_pairs(
        ids=np.array([10, 11, 12, 13]), docs=np.array([0, 0, 0, 1]), spans=np.array([1, 2, 1, 2]), window=2
    )
    assert list(zip(centres, contexts)) == [(10, 11), (11, 10), (11, 12), (12, 11)]


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(0, 20), min_size=1, max_size=30), st.integers(1, 4))
def test_full_windows_give_symmetric_pairs(ids, window):
    ids = np.array(ids)
    spans = np.full(ids.size, window)
    centres, contexts = window_pairs(ids, np.zeros(ids.size, int), spans, window)
    forward = sorted(zip(centres.tolist(), contexts.tolist()))
    assert forward == sorted(zip(contexts.tolist(), centres.tolist()))
    n = ids.size
    assert len(forward) == sum(min(window, i) + min(window, n - 1 - i) for i in range(n))


def test_negatives_never_equal_the_positive_even_when_it_dominates():
    table = AliasTable(noise_distribution([1000, 1, 1]))
    positives = np.zeros(5000, dtype=int)            # the word that is drawn ~99 % of the time
    neg = draw_negatives(table, positives, k=5, rng=np.random.default_rng(1))
    assert neg.shape == (5000, 5)
    assert not (neg == positives[:, None]).any()
    assert set(np.unique(neg)) == {1, 2}


def _sampler(counts, window=2, negative=5, seed=0) -> DeviceSampler:
    gen = torch.Generator().manual_seed(seed)
    return DeviceSampler(np.array(counts), Word2VecConfig(window=window, negative=negative), torch.device("cpu"), gen)


@settings(max_examples=30, deadline=None)
@given(st.data())
def test_device_windows_match_the_numpy_specification(data):
    window = data.draw(st.integers(1, 4))
    n = data.draw(st.integers(1, 25))
    ids = np.array(data.draw(st.lists(st.integers(0, 9), min_size=n, max_size=n)))
    docs = np.sort(np.array(data.draw(st.lists(st.integers(0, 3), min_size=n, max_size=n))))
    spans = np.array(data.draw(st.lists(st.integers(1, window), min_size=n, max_size=n)))
    sampler = _sampler([5] * 10, window=window)
    start = data.draw(st.integers(0, n - 1))
    stop = data.draw(st.integers(start + 1, n))
    centres, ctx, mask = sampler.windows(torch.tensor(ids), torch.tensor(docs), start, stop,
                                         spans=torch.tensor(spans[start:stop]))
    rows, cols = mask.nonzero(as_tuple=True)
    got = list(zip(centres[rows].tolist(), ctx[rows, cols].tolist()))
    want_c, want_x = window_pairs(ids, docs, spans, window)
    # numpy pairs of the centres start..stop-1 only, in the same centre-then-offset order
    lo = sum(_n_pairs(ids, docs, spans, window, i) for i in range(start))
    hi = lo + sum(_n_pairs(ids, docs, spans, window, i) for i in range(start, stop))
    assert got == list(zip(want_c[lo:hi].tolist(), want_x[lo:hi].tolist()))


def _n_pairs(ids, docs, spans, window, i) -> int:
    return sum(1 for o in range(-spans[i], spans[i] + 1)
               if o and 0 <= i + o < len(ids) and docs[i + o] == docs[i])


def test_device_windows_pair_distance_d_with_probability_w_minus_d_plus_1_over_w():
    window = 5
    sampler = _sampler([5] * 10, window=window)
    n = 60_000
    _, _, mask = sampler.windows(torch.zeros(n, dtype=torch.long), torch.zeros(n, dtype=torch.long), 10, n - 10)
    freq = mask.float().mean(0).numpy()
    offsets = [o for o in range(-window, window + 1) if o]
    expected = [(window - abs(o) + 1) / window for o in offsets]
    assert freq == pytest.approx(expected, abs=0.01)


def test_device_negatives_follow_the_noise_distribution_and_avoid_the_positive():
    counts = [400, 100, 50, 25, 5]
    sampler = _sampler(counts, negative=5)
    positives = torch.zeros(40_000, dtype=torch.long)
    neg = sampler.negatives(positives)
    assert not (neg == 0).any()
    # Without word 0, the others keep their relative noise probabilities.
    p = noise_distribution(counts)[1:]
    freq = torch.bincount(neg.reshape(-1), minlength=5).numpy()[1:] / neg.numel()
    assert freq == pytest.approx(p / p.sum(), abs=0.01)


def test_subsampling_keeps_each_word_at_its_keep_probability():
    counts = [900, 64, 36]
    sampler = _sampler(counts)            # sample 1e-3 over 1000 words, as worked out above
    ids = torch.tensor([0, 1, 2]).repeat(50_000)
    kept, _ = sampler.subsample(ids, torch.zeros_like(ids))
    rate = torch.bincount(kept, minlength=3).numpy() / 50_000
    assert rate == pytest.approx([31 / 900, 9 / 64, 7 / 36], abs=0.01)
