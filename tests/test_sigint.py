"""Ctrl-C during training: the run stops at a safe point, its last checkpoint is whole, it prints
one line with the exact command that resumes, and exits 130; that command then finishes the job
(for the main job, resuming is covered by the kill -9 tests in test_kill_resume.py)."""
from __future__ import annotations

import json
import os
import re
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from embeddings import interrupt

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("TEXTPREP_SHARED_DATA", ROOT.parent / "shared" / "data"))
ENV = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(ROOT), "PYTHONWARNINGS": "ignore"}
TEMPORARY = re.compile(r"^\..+\.tmp(\.\w+)?$")


# -- the safe points, in this process --------------------------------------------------------------
def test_the_first_ctrl_c_waits_for_the_next_safe_point():
    with pytest.raises(interrupt.Interrupted, match="^stopped here$"):
        with interrupt.safe_points():
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(0.05)                 # the handler has run: nothing raised yet
            assert interrupt.pending()
            interrupt.stop_if_interrupted("stopped here")
    assert not interrupt.pending() and signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_a_second_ctrl_c_stops_at_once():
    with pytest.raises(interrupt.Interrupted):
        with interrupt.safe_points():
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(0.05)
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(0.05)
            pytest.fail("the second Ctrl-C did not stop the block")


def test_a_ctrl_c_no_safe_point_saw_stops_the_caller_as_the_block_ends():
    # e.g. pressed while the last checkpoint was written: the main job must not start its next stage
    with pytest.raises(interrupt.Interrupted):
        with interrupt.safe_points():
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(0.05)
    assert not interrupt.pending()


# -- the commands, as a terminal's Ctrl-C reaches them ---------------------------------------------
def _interrupt_when(cmd: list[str], ready) -> subprocess.CompletedProcess:
    """Run ``cmd``; once ``ready()`` holds, send SIGINT to its process group (what Ctrl-C does)."""
    proc = subprocess.Popen(cmd, cwd=ROOT, env=ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    try:
        deadline = time.monotonic() + 300
        while not ready():
            assert proc.poll() is None, proc.stderr.read()[-2000:]
            assert time.monotonic() < deadline
            time.sleep(0.02)
        os.killpg(proc.pid, signal.SIGINT)
        out, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    return subprocess.CompletedProcess(cmd, proc.returncode, out, err)


def _resume_line(proc: subprocess.CompletedProcess, prog_args: list[str]) -> list[str]:
    """The one line that says how to resume; returns the command it gives."""
    assert proc.returncode == 130, proc.stderr[-2000:]
    lines = [line for line in proc.stderr.splitlines() if "resume with:" in line]
    assert len(lines) == 1 and proc.stderr.splitlines()[-1] == lines[0], proc.stderr[-2000:]
    assert lines[0].startswith("embeddings: interrupted ")
    given = shlex.split(lines[0].split("resume with: ", 1)[1])
    assert given[:1] == ["embeddings"]
    return given[1:]


def _no_temporaries(folder: Path) -> None:
    assert [p for p in folder.rglob("*") if TEMPORARY.match(p.name)] == []


@pytest.fixture(scope="module")
def ptb(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("ptb") / "ptb_start.txt"
    with open(SHARED / "ptb.train.txt", encoding="utf-8") as fh:
        path.write_text("".join(line for _, line in zip(range(1500), fh)), encoding="utf-8")
    return path


def _cli(args: list[str]) -> list[str]:
    return [sys.executable, "-m", "cli.embeddings", *args]


def test_ctrl_c_stops_word2vec_with_its_checkpoint_whole_and_the_printed_command_finishes(ptb, tmp_path):
    ckpt = tmp_path / "ckpt"
    args = ["train", "w2v", str(ptb), "--skipgram", "--tokenized", "--dim", "16", "--epochs", "8", "--min-count",
            "2", "--device", "cpu", "--checkpoint-dir", str(ckpt), "-o", str(tmp_path / "v.txt"), "--no-progress"]
    proc = _interrupt_when(_cli(args), (ckpt / "checkpoint.pt").exists)
    again = _resume_line(proc, args)
    assert again == [*args, "--resume"]
    state = torch.load(ckpt / "checkpoint.pt", weights_only=True)
    assert 1 <= int(state["epochs_done"]) < 8 and state["w_in"].shape[1] == 16
    assert f"the checkpoint after epoch {int(state['epochs_done'])} in {ckpt} is whole" in proc.stderr
    assert not (tmp_path / "v.txt").exists() and not (ckpt / ".lock").exists()
    _no_temporaries(tmp_path)

    resumed = subprocess.run(_cli(again), cwd=ROOT, env=ENV, capture_output=True, text=True, timeout=300)
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    assert f"resuming from {ckpt} after {int(state['epochs_done'])} epochs" in resumed.stderr
    from embeddings.keyedvectors import KeyedVectors

    assert KeyedVectors.load_word2vec_format(tmp_path / "v.txt").vector_size == 16


def test_ctrl_c_stops_the_language_model_with_its_checkpoint_whole_and_the_printed_command_finishes(ptb, tmp_path):
    lm_dir = tmp_path / "lm"
    args = ["lm", "train", str(ptb), "--level", "word", "--word-tokenizer", "whitespace", "--hidden", "16",
            "--emb-dim", "16", "--layers", "1", "--epochs", "4", "--max-steps", "15", "--valid-fraction", "0.1",
            "--device", "cpu", "-o", str(lm_dir), "--no-progress"]
    proc = _interrupt_when(_cli(args), (lm_dir / "checkpoint.pt").exists)
    again = _resume_line(proc, args)
    assert again == [*args, "--resume"]
    ck = torch.load(lm_dir / "checkpoint.pt", weights_only=True)
    history = json.loads((lm_dir / "history.json").read_text(encoding="utf-8"))
    assert 1 <= ck["epoch"] < 4 and [h["epoch"] for h in history][:ck["epoch"]] == list(range(1, ck["epoch"] + 1))
    assert not (lm_dir / ".lock").exists()
    _no_temporaries(lm_dir)

    resumed = subprocess.run(_cli(again), cwd=ROOT, env=ENV, capture_output=True, text=True, timeout=300)
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    assert f"resuming after epoch {ck['epoch']}" in resumed.stderr
    assert [h["epoch"] for h in json.loads((lm_dir / "history.json").read_text(encoding="utf-8"))] == \
        [1, 2, 3, 4]


def test_ctrl_c_stops_the_main_job_in_its_language_model_keeping_what_is_finished(tmp_path):
    from corpora import corpus_path

    corpus = tmp_path / "wp.txt"
    corpus.write_text("\n".join(corpus_path("war_and_peace").read_text(encoding="utf-8").splitlines()[:400]) + "\n",
                      encoding="utf-8")
    run_dir = tmp_path / "run"
    args = ["pipeline", str(corpus), "-o", str(run_dir), "--w2v-dim", "16", "--w2v-epochs", "2", "--bpe-vocab-size",
            "300", "--lm-hidden", "16", "--lm-layers", "1", "--lm-epochs", "40", "--workers", "1", "--device", "cpu",
            "--no-progress"]
    checkpoint = run_dir / ".work" / "lm" / "lm" / "checkpoint.pt"
    proc = _interrupt_when(_cli(args), checkpoint.exists)
    again = _resume_line(proc, args)
    assert again == args                                  # the main job resumes by running it again
    torch.load(checkpoint, weights_only=True)
    state = json.loads((run_dir / "state.json").read_text(encoding="utf-8"))["stages"]
    assert "word2vec" in state and "lm" not in state and not (run_dir / "lm").exists()
    assert not (run_dir / ".work" / "lock").exists()
    _no_temporaries(run_dir)
