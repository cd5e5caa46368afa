"""The main job's settings: nested configs, their JSON forms, and the stage fingerprints made from them."""
from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from embeddings.job import RunConfig
from embeddings.job.config import ALIASES, job_lm, job_w2v
from embeddings.job.run import CONFIG_FILE, plan
from embeddings.job.state import RunState
from embeddings.lm import LMConfig
from embeddings.word2vec import Word2VecConfig

#: RunConfig().to_dict() of the version whose config was flat: what older run directories hold
FLAT_CONFIG = {
    "lang": "ru", "encoding": "utf-8", "unit": "sentences", "tfidf_unit": "chapters", "valid_fraction": 0.1,
    "lemmatize": True, "tfidf_sublinear": True, "tfidf_top_k": 8, "tfidf_docs": 6, "bpe_vocab_size": 4000,
    "w2v_dim": 100, "w2v_epochs": 10, "w2v_window": 5, "w2v_min_count": 3, "w2v_skipgram": True,
    "query_words": [], "query_count": 5, "neighbours": 6, "analogy": "", "map_method": "tsne", "lm_hidden": 256,
    "lm_layers": 2, "lm_epochs": 8, "lm_dropout": 0.3, "lm_min_count": 3, "lm_random_baseline": False,
    "lm_max_minutes": 4.0, "ngram_order": 3, "generate_prefix": "", "generate_num": 3, "generate_length": 30,
    "generate_min_length": 10, "temperature": 0.9, "top_p": 0.95, "workers": 2, "device": "auto", "seed": 0,
}


def test_the_nested_defaults_are_the_models_the_main_job_always_trained():
    c = RunConfig()
    # the settings the flat config handed to Word2VecConfig and LMConfig, field by field
    assert c.w2v == Word2VecConfig(sg=True, dim=100, window=5, epochs=10, min_count=3, seed=0, device="auto",
                                   workers=1)
    assert c.lm == LMConfig(level="word", word_tokenizer="whitespace", min_count=3, hidden=256, emb_dim=100,
                            layers=2, dropout=0.3, epochs=8, seed=0, max_minutes=4.0)
    assert c.ngram_config() == LMConfig(level="word", word_tokenizer="whitespace", min_count=3, arch="ngram",
                                        order=3)
    # and they differ from the trainers' own defaults, which is why they are written down
    assert c.lm.hidden != LMConfig().hidden and c.w2v.epochs != Word2VecConfig().epochs


def test_the_run_sets_the_nested_fields_it_owns():
    c = RunConfig(seed=7, device="cpu", lang="en", w2v=dataclasses.replace(job_w2v(), dim=32),
                  lm=dataclasses.replace(job_lm(), seed=1, emb_dim=5, arch="gru"))
    assert (c.w2v.seed, c.w2v.device) == (7, "cpu")
    assert (c.lm.seed, c.lm.emb_dim, c.lm.arch, c.lm.lang, c.lm.word_tokenizer) == (7, 32, "lstm", "en", "whitespace")


def test_nested_config_round_trips_through_a_run_directory_config_json(tmp_path):
    c = RunConfig.from_dict({"lang": "en", "query_words": ["king"], "seed": 3,
                             "w2v": {"dim": 48, "sg": False, "negative": 9, "max_vocab": 5000},
                             "lm": {"hidden": 64, "mode": "lines", "max_minutes": None, "forget_bias": 1.0},
                             "lm_epochs": 2})
    (tmp_path / CONFIG_FILE).write_text(json.dumps({"format": "embeddings.pipeline", "corpus": "c.txt",
                                                    "config": c.to_dict()}), encoding="utf-8")
    back = RunConfig.from_json(tmp_path / CONFIG_FILE)
    assert back == c
    assert (back.w2v.negative, back.w2v.sg, back.lm.mode, back.lm.epochs, back.lm.emb_dim) == (9, False, "lines", 2, 48)
    saved = json.loads((tmp_path / CONFIG_FILE).read_text(encoding="utf-8"))["config"]
    # the JSON form is nested, and leaves out what the run sets
    assert saved["w2v"]["dim"] == 48 and saved["lm"]["hidden"] == 64 and "w2v_dim" not in saved
    assert not {"seed", "device"} & set(saved["w2v"]) and not {"seed", "emb_dim", "arch"} & set(saved["lm"])


def test_a_flat_config_json_from_an_earlier_run_loads_as_the_same_settings(tmp_path):
    path = tmp_path / CONFIG_FILE
    path.write_text(json.dumps({"format": "embeddings.pipeline", "corpus": "c.txt", "config": FLAT_CONFIG}),
                    encoding="utf-8")
    assert RunConfig.from_json(path) == RunConfig()
    changed = {**FLAT_CONFIG, "lm_hidden": 64, "w2v_skipgram": False, "lm_max_minutes": 0}
    path.write_text(json.dumps({"format": "embeddings.pipeline", "config": changed}), encoding="utf-8")
    c = RunConfig.from_json(path)
    assert (c.lm.hidden, c.w2v.sg, c.lm.max_minutes) == (64, False, None)
    # every flag name reads its nested field back
    assert all(c.flat(name) == changed[name] for name in ALIASES)


@pytest.mark.parametrize("data, message", [
    ({"lm_epochs": 0}, "lm_epochs must be a positive integer, got 0"),
    ({"lm": {"epochs": 0}}, "lm.epochs must be a positive integer, got 0"),
    ({"lm": {"hiden": 3}}, "unknown setting(s) lm.hiden"),
    ({"lm": 3}, "lm must be a JSON object of LMConfig settings"),
    ({"w2v": {"seed": 3}}, "w2v.seed is set by the run"),
    ({"lm_hidden": 8, "lm": {"hidden": 9}}, "lm_hidden and lm.hidden both set lm.hidden"),
    ({"lm": {"tie_weights": True}}, "lm.tie_weights needs emb_dim == hidden"),
    ({"lm_max_minutes": -1}, "lm_max_minutes must be >= 0, got -1"),
])
def test_a_bad_nested_setting_is_named_as_it_was_given(data, message):
    with pytest.raises(ValueError) as err:
        RunConfig.from_dict(data)
    assert message in str(err.value)


def _changed_stages(tmp_path: Path, a: RunConfig, b: RunConfig) -> list[str]:
    """The stages whose settings differ between two configs (upstream fingerprints held equal)."""
    corpus = tmp_path / "c.txt"
    corpus.write_text("x\n", encoding="utf-8")
    state = RunState(tmp_path / "run")
    state.stages = {name: {"fingerprint": name} for name in ("preprocess", "word2vec", "lm")}
    before = {st.name: st.settings() for st in plan(corpus, tmp_path, a, state)}
    after = {st.name: st.settings() for st in plan(corpus, tmp_path, b, state)}
    assert before.keys() == after.keys()
    return [name for name in before if before[name] != after[name]]


@pytest.mark.parametrize("change, stages", [
    ({"lm": {"hidden": 64}}, ["lm", "lm_random"]),
    ({"lm": {"bptt": 20}}, ["lm", "lm_random"]),
    ({"lm_min_count": 2}, ["lm", "lm_random", "ngram"]),
    ({"ngram_order": 4}, ["ngram"]),
    ({"w2v": {"negative": 9}}, ["word2vec"]),
    ({"w2v_dim": 50}, ["word2vec", "lm", "lm_random"]),     # the LM's embedding size follows
    ({"w2v": {"threads": 2}}, []),                           # only how fast, not what
    ({"device": "cpu"}, []),
    ({"seed": 1}, ["word2vec", "queries", "lm", "lm_random", "generate"]),
])
def test_stage_fingerprints_follow_the_nested_configs(tmp_path, change, stages):
    base = {"lm_random_baseline": True}
    assert _changed_stages(tmp_path, RunConfig.from_dict(base), RunConfig.from_dict({**base, **change})) == stages
