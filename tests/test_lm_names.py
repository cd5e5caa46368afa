"""The surname generator: a character model of the bundled Russian surnames, trained on the CPU."""
import numpy as np
import pytest

from corpora import corpus_path
from embeddings.lm import LMConfig, load_lm, train_lm
from embeddings.lm.generate import generate

pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture(scope="module")
def names_lm(tmp_path_factory):
    out = tmp_path_factory.mktemp("names") / "lm"
    cfg = LMConfig(level="char", mode="lines", layers=1, hidden=64, emb_dim=32, dropout=0.0, optimizer="adam",
                   lr=0.01, batch_size=64, epochs=2, patience=0)
    train_lm(corpus_path("russian_names"), cfg, out, progress=False, device="cpu")
    return load_lm(out)


def test_names_model_beats_the_uniform_guess_by_far(names_lm):
    lines = corpus_path("russian_names").read_text(encoding="utf-8").splitlines()[::20]
    res = names_lm.evaluate(lines)
    assert res.perplexity < len(names_lm.tokenizer) / 4


def test_prefix_ar_gives_surnames_starting_with_ar(names_lm):
    out = generate(names_lm, prefix="Ar", num=10, seed=1, temperature=0.8)
    assert all(t.startswith("Ar") for t in out.texts)
    assert any(len(t) > 2 for t in out.texts)


def test_temperature_orders_the_entropy_of_what_is_drawn(names_lm):
    ent = {t: np.mean(generate(names_lm, num=30, seed=2, temperature=t, max_length=20).entropies)
           for t in (0.3, 1.0, 2.0)}
    assert ent[0.3] < ent[1.0] < ent[2.0]
    cold = generate(names_lm, prefix="Ar", num=10, seed=3, temperature=0.05).texts
    hot = generate(names_lm, prefix="Ar", num=10, seed=3, temperature=2.5).texts
    assert len(set(cold)) <= 2 < len(set(hot))


def test_top_k_one_is_greedy_and_seeds_repeat(names_lm):
    a = generate(names_lm, prefix="Ko", num=3, seed=5, top_k=1).texts
    assert len(set(a)) == 1
    assert generate(names_lm, num=4, seed=7).texts == generate(names_lm, num=4, seed=7).texts


def test_min_length_keeps_eos_away_until_enough_tokens_are_drawn(names_lm):
    free = generate(names_lm, num=20, seed=4, max_length=30)
    held = generate(names_lm, num=20, seed=4, max_length=30, min_length=12)
    assert min(len(ids) for ids in free.ids) < 12          # surnames are short when left alone
    assert all(len(ids) >= 12 for ids in held.ids)
    with pytest.raises(ValueError, match="min_length must be between 0 and max_length"):
        generate(names_lm, max_length=5, min_length=6)


def test_unk_is_never_drawn_when_not_allowed(names_lm):
    unk = names_lm.tokenizer.unk_id
    hot = dict(num=30, seed=6, max_length=20, temperature=50.0)   # near uniform: <unk> shows up
    assert any(unk in ids for ids in generate(names_lm, allow_unk=True, **hot).ids)
    assert not any(unk in ids for ids in generate(names_lm, allow_unk=False, **hot).ids)
    assert not any(unk in ids for ids in generate(names_lm, **hot).ids)     # the default: never


def test_prefix_with_unseen_characters_names_them(names_lm):
    with pytest.raises(ValueError, match=r"never saw: '1', 'я'"):
        generate(names_lm, prefix="Aя1")
