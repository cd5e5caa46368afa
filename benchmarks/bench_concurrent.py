"""Two trainings at once against one alone: each one's speed beside the other, as a share of its speed alone.

    python benchmarks/bench_concurrent.py                      # LSTM and word2vec, our defaults and the old ones
    python benchmarks/bench_concurrent.py --jobs lm --seconds 30 --json concurrent.json

Each measurement starts fresh Python processes that train for ``--seconds`` (after their setup)
and report their throughput: one process alone, then two started together.  The LSTM is the main
job's (2 layers of 256 units, 100-dimensional embeddings, BPTT 35, batch 20) on Penn Treebank
sentences; word2vec is skip-gram, 100 dimensions, one worker, on the same text, one epoch after
another until the time is up.

``--defaults ours`` imports ``embeddings`` before torch, as the command line does: OpenMP's idle
threads sleep (``OMP_WAIT_POLICY=PASSIVE``) and torch uses at most the CPUs the process may use.
``--defaults old`` imports torch first with ``OMP_WAIT_POLICY`` unset, as the toolkit did before:
OpenMP's threads spin while they wait.  Both are measured in the same run unless ``--only-ours``.

It prints, per job and defaults, the speed alone, each process's speed beside the other, and
their ratio (the target: at least 1/3 on 2 cores), with the load average before and after.
"""
from __future__ import annotations

import argparse
import importlib
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("TEXTPREP_SHARED_DATA", ROOT.parent / "shared" / "data"))
#: ``--defaults spin``: spin rounds before an idle OpenMP thread sleeps, a middle way between the two
SHORT_SPIN = 10_000


# -- the child: one training, timed ---------------------------------------------------------------
def child(job: str, defaults: str, seconds: float, lines: int) -> dict:
    sys.path.insert(0, str(ROOT))
    if defaults in ("old", "spin"):
        os.environ.pop("OMP_WAIT_POLICY", None)
        if defaults == "spin":                 # a short spin before sleeping (libgomp's default is 300,000 rounds)
            os.environ["GOMP_SPINCOUNT"] = str(SHORT_SPIN)
        importlib.import_module("torch")       # first: the OpenMP runtime starts with its own wait policy
    importlib.import_module("embeddings")      # ours: sets the passive wait policy before torch loads
    policy = {"old": None, "spin": f"GOMP_SPINCOUNT={SHORT_SPIN}"}.get(defaults, os.environ.get("OMP_WAIT_POLICY"))
    import torch

    with tempfile.TemporaryDirectory(prefix="concurrent-") as tmp:
        return _train(job, seconds, lines, Path(tmp) / "ptb.txt",
                      {"job": job, "defaults": defaults, "pid": os.getpid(), "threads": torch.get_num_threads(),
                       "omp_wait_policy": policy})


def _train(job: str, seconds: float, lines: int, text: Path, rec: dict) -> dict:
    with open(SHARED / "ptb.train.txt", encoding="utf-8") as fh:
        text.write_text("".join(line for _, line in zip(range(lines), fh)), encoding="utf-8")
    if job == "lm":
        from embeddings.lm import LMConfig, train_lm

        config = LMConfig(level="word", word_tokenizer="whitespace", hidden=256, layers=2, emb_dim=100, dropout=0.3,
                          epochs=1, max_minutes=seconds / 60)
        t0 = time.time()
        history = train_lm(text, config, text.parent / "lm", device="cpu", progress=False)
        rec.update(speed=history[0]["tokens_per_s"], unit="tokens/s", start=t0, end=time.time())
    else:
        from embeddings.word2vec import Word2VecConfig, encode_corpus, train_word2vec

        corpus = encode_corpus([line.split() for line in text.read_text(encoding="utf-8").splitlines()], 5)
        config = Word2VecConfig(dim=100, epochs=1, min_count=5, workers=1, device="cpu")
        t0 = time.time()
        words = 0
        while time.time() - t0 < seconds:
            train_word2vec(corpus, config, progress=False)
            words += corpus.n_tokens
        rec.update(speed=words / (time.time() - t0), unit="words/s", start=t0, end=time.time())
    return rec


# -- the parent -------------------------------------------------------------------------------------
def launch(job: str, defaults: str, n: int, seconds: float, lines: int) -> list[dict]:
    """Start ``n`` identical trainings at once; their records."""
    cmd = [sys.executable, __file__, "--child", job, "--defaults", defaults, "--seconds", str(seconds),
           "--lines", str(lines)]
    env = {k: v for k, v in os.environ.items()
           if k not in ("OMP_WAIT_POLICY", "GOMP_SPINCOUNT", "OMP_NUM_THREADS", "MKL_NUM_THREADS")}
    env["PYTHONWARNINGS"] = "ignore"
    procs = [subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=ROOT)
             for _ in range(n)]
    out = []
    for p in procs:
        stdout, stderr = p.communicate(timeout=seconds * 100 + 600)
        if p.returncode != 0:
            raise SystemExit(f"child failed ({p.returncode}): {stderr[-2000:]}")
        out.append(json.loads(stdout.strip().splitlines()[-1]))
    return out


def overlap(recs: list[dict]) -> float:
    """The share of the shorter training during which both ran."""
    both = min(r["end"] for r in recs) - max(r["start"] for r in recs)
    return max(0.0, both) / min(r["end"] - r["start"] for r in recs)


def measure(job: str, defaults: str, seconds: float, lines: int, say=print) -> dict:
    alone = launch(job, defaults, 1, seconds, lines)[0]
    pair = launch(job, defaults, 2, seconds, lines)
    ratios = [r["speed"] / alone["speed"] for r in pair]
    row = {"job": job, "defaults": defaults, "threads": alone["threads"], "wait_policy": alone["omp_wait_policy"],
           "alone": round(alone["speed"]), "together": [round(r["speed"]) for r in pair],
           "ratios": [round(x, 3) for x in ratios], "overlap": round(overlap(pair), 2), "unit": alone["unit"]}
    say(f"{job:<4} {defaults:<4} threads {row['threads']}, OMP_WAIT_POLICY {row['wait_policy'] or 'unset'}: alone "
        f"{row['alone']:,} {row['unit']}; together {row['together'][0]:,} and {row['together'][1]:,} "
        f"-> ratios {row['ratios'][0]:.2f} and {row['ratios'][1]:.2f} (overlap {row['overlap']:.0%})")
    return row


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--jobs", nargs="+", choices=["lm", "w2v"], default=["lm", "w2v"])
    p.add_argument("--seconds", type=float, default=20.0, help="training time of each process")
    p.add_argument("--lines", type=int, default=6000, help="Penn Treebank lines to train on")
    p.add_argument("--only-ours", action="store_true", help="skip the old defaults")
    p.add_argument("--variants", nargs="+", choices=["ours", "old", "spin"], default=None,
                   help="which defaults to measure (default: ours and old); spin: OpenMP threads spin "
                        f"{SHORT_SPIN:,} rounds before they sleep")
    p.add_argument("--json", type=Path, help="write the rows here")
    p.add_argument("--child", choices=["lm", "w2v"], help=argparse.SUPPRESS)
    p.add_argument("--defaults", choices=["ours", "old", "spin"], default="ours", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.child:
        print(json.dumps(child(args.child, args.defaults, args.seconds, args.lines)))
        return 0
    load_before = os.getloadavg()
    print(f"load average before: {' '.join(f'{x:.2f}' for x in load_before)}; CPUs usable: "
          f"{len(os.sched_getaffinity(0))}")
    variants = args.variants or (["ours"] if args.only_ours else ["ours", "old"])
    rows = [measure(job, d, args.seconds, args.lines) for job in args.jobs for d in variants]
    load_after = os.getloadavg()
    print(f"load average after: {' '.join(f'{x:.2f}' for x in load_after)}")
    if args.json:
        args.json.write_text(json.dumps({"rows": rows, "load_before": load_before, "load_after": load_after},
                                        indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
