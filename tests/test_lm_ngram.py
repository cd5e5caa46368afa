"""Interpolated Kneser-Ney: hand-worked probabilities, a proper distribution, a real corpus."""
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from embeddings.lm.ngram import KneserNey


def test_bigram_probabilities_by_hand():
    # sequences over ids 0..3; bigram model; discount D = n1/(n1+2 n2)
    km = KneserNey(order=2, vocab_size=4, bos_id=None).fit([[1, 2, 1, 2, 1, 3]])
    # bigrams (raw): (1,2)x2, (2,1)x2, (1,3)x1 -> n1=1, n2=2 -> D2 = 1/5
    assert km.discount[2] == pytest.approx(0.2)
    # unigram continuation counts: 2 <- {1}, 1 <- {2}, 3 <- {1}: a=1 each; n1=3, n2=0 -> D1 = 1 -> 0.95 cap
    d1 = km.discount[1]
    p1_3 = (1 - d1) / 3 + d1 * 3 / 3 * (1 / 4)
    # P(3 | 1) = (1 - .2)/3 + .2 * 2/3 * P1(3)
    assert km.prob(3, [1]) == pytest.approx((1 - 0.2) / 3 + 0.2 * 2 / 3 * p1_3)
    # unseen history: the lower order alone
    assert km.prob(3, [0]) == pytest.approx(p1_3)


@settings(max_examples=25, deadline=None)
@given(st.lists(st.lists(st.integers(0, 5), min_size=2, max_size=12), min_size=1, max_size=6),
       st.lists(st.integers(0, 5), max_size=3))
def test_probabilities_sum_to_one_for_any_history(seqs, history):
    km = KneserNey(order=3, vocab_size=6, bos_id=0).fit(seqs)
    assert sum(km.prob(w, history) for w in range(6)) == pytest.approx(1.0, abs=1e-9)


def test_trigram_beats_unigram_on_held_out_names(tmp_path):
    from corpora import corpus_path
    from embeddings.lm.tokenizers import VocabTokenizer

    names = corpus_path("russian_names").read_text(encoding="utf-8").split()
    train, held = names[::2], names[1::2][:500]
    tok = VocabTokenizer.fit("char", train)
    seqs = [[tok.bos_id, *tok.encode(n), tok.eos_id] for n in train]
    test = [[tok.bos_id, *tok.encode(n), tok.eos_id] for n in held]
    ppl = {}
    for order in (1, 3):
        km = KneserNey(order, len(tok), tok.bos_id).fit(seqs)
        nll, n = km.score(test)
        ppl[order] = math.exp(nll / n)
    assert ppl[3] < 0.6 * ppl[1]
    km.save(tmp_path / "kn.json")
    again = KneserNey.load(tmp_path / "kn.json")
    assert again.score(test) == pytest.approx(km.score(test))
