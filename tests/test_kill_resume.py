"""kill -9 at random moments, then the same command again: it completes, nothing half written is
ever visible, and the final vectors and LM weights equal an uninterrupted run's byte for byte.

The harness is ``benchmarks/bench_faults.py`` (which runs at least 20 kills per command); here it
injects 3 kills per command, at moments drawn with a fixed seed, on small real text.
"""
from __future__ import annotations

import importlib.util
import random
import sys
from pathlib import Path

import pytest

from embeddings.lm import LMConfig, train_lm

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("bench_faults", ROOT / "benchmarks" / "bench_faults.py")
faults = sys.modules.setdefault("bench_faults", importlib.util.module_from_spec(_spec))
_spec.loader.exec_module(faults)


@pytest.fixture(scope="module")
def texts(tmp_path_factory, shared_data) -> dict[str, Path]:
    return faults.corpora(tmp_path_factory.mktemp("texts"))


@pytest.mark.parametrize("name", ["w2v", "lm", "pipeline"])
def test_three_kills_at_random_moments_and_the_same_command_ends_as_an_uninterrupted_run(name, texts, tmp_path):
    command = faults.COMMANDS[name]
    reference = tmp_path / "reference"
    window = faults.reference_run(command, texts[name], reference)    # from its first file to its end
    tally = faults.Tally(name)
    rng = random.Random(f"{name}-15")
    folder = 0
    while tally.kills < 3:
        faults.chain(command, texts[name], tmp_path / f"run{folder}", reference, window, 3 - tally.kills, rng, tally)
        folder += 1
    assert tally.problems == []
    assert tally.kills == 3 and tally.resumes_completed == tally.resumes >= 1
    assert tally.identical_files == tally.compared_files == len(command.final) * tally.chains


# -- what the harness caught ------------------------------------------------------------------------
LM = dict(level="word", word_tokenizer="whitespace", hidden=16, emb_dim=16, layers=1, valid_fraction=0.1)


def test_a_run_killed_after_its_last_checkpoint_still_draws_its_loss_curve(texts, tmp_path, one_torch_thread):
    # the curves are drawn after the last checkpoint; killed in between, the resumed run found
    # every epoch done and returned without drawing them
    lm_dir = tmp_path / "lm"
    train_lm(texts["lm"], LMConfig(epochs=2, **LM), lm_dir, device="cpu", progress=False)
    weights = (lm_dir / "model.safetensors").read_bytes()
    (lm_dir / "loss.png").unlink()                      # the state such a kill leaves
    history = train_lm(texts["lm"], LMConfig(epochs=2, **LM), lm_dir, resume=True, device="cpu", progress=False)
    assert [h["epoch"] for h in history] == [1, 2]
    assert (lm_dir / "loss.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert (lm_dir / "model.safetensors").read_bytes() == weights


def test_a_run_killed_after_it_stopped_early_trains_no_further_epoch_when_resumed(texts, tmp_path, one_torch_thread):
    # the checkpoint of the epoch that ran out of patience is the run's last; resumed from it, the
    # run used to train on past the early stop, and its weights then differed from the uninterrupted run's
    config = LMConfig(epochs=8, patience=1, lr=40.0, **LM)
    lm_dir = tmp_path / "lm"
    done = train_lm(texts["lm"], config, lm_dir, device="cpu", progress=False)
    assert len(done) < config.epochs                   # it did stop early
    weights = (lm_dir / "model.safetensors").read_bytes()
    resumed = train_lm(texts["lm"], config, lm_dir, resume=True, device="cpu", progress=False)
    assert [h["epoch"] for h in resumed] == [h["epoch"] for h in done]
    assert (lm_dir / "model.safetensors").read_bytes() == weights


def test_a_word2vec_run_killed_while_writing_its_vectors_leaves_no_temporary_file_once_resumed(texts, tmp_path,
                                                                                             one_torch_thread):
    # the vectors are written beside the output, outside the checkpoint folder that the run sweeps:
    # the half-written copy a kill left there stayed for good
    from cli.embeddings import main

    out = tmp_path / "vectors.txt"
    left = [tmp_path / ".vectors.txt.js0i5gps.tmp", tmp_path / ".vectors.txt.json.k2j_x9ab.tmp"]
    for path in left:
        path.write_text("12 16\nthe 0.1")                 # what such a kill leaves
    (tmp_path / ".notes.txt.abcdefgh.tmp").write_text("another program's")
    argv = ["train", "w2v", str(texts["w2v"]), "--skipgram", "--tokenized", "--dim", "8", "--epochs", "1",
            "--min-count", "2", "--device", "cpu", "--resume", "-o", str(out), "--no-progress"]
    assert main(argv) == 0
    assert not any(p.exists() for p in left) and (tmp_path / ".notes.txt.abcdefgh.tmp").exists()
    assert out.read_text(encoding="utf-8").split("\n", 1)[0].endswith(" 8")
