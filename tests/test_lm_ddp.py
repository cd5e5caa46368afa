"""The training command under torchrun: two CPU processes (gloo), one model that loads in one process."""
import os
import subprocess
import sys

from embeddings.lm import load_lm


def test_two_gloo_processes_train_a_model_that_loads_in_one(tmp_path):
    corpus = tmp_path / "c.txt"
    corpus.write_text("the cat sat on the mat\nthe dog sat on the log\n" * 20, encoding="utf-8")
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONWARNINGS": "ignore"}
    cmd = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2", "--standalone",
           "-m", "cli.embeddings", "lm", "train", str(corpus), "--level", "char", "--epochs", "2",
           "--hidden", "16", "--emb-dim", "16", "--layers", "1", "--batch-size", "4", "--bptt", "10",
           "--valid", str(corpus), "--device", "cpu", "--no-progress", "-o", str(tmp_path / "lm")]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    lm = load_lm(tmp_path / "lm")
    res = lm.evaluate(corpus.read_text(encoding="utf-8").splitlines())
    assert res.perplexity < len(lm.tokenizer)  # learned something over the uniform guess
    assert (tmp_path / "lm" / "history.json").exists()
