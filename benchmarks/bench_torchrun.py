"""word2vec under torchrun: N processes against one process with N Hogwild threads, over seeds.

    python benchmarks/bench_torchrun.py ../shared/data/en_corpus --epochs 5 --seeds 0 1 2

For each seed the same tokenized file (written once, as ``bench_word2vec.py`` reads the corpus:
lower-cased runs of letters and digits, one document per line) is trained twice from the command
line, as a user would:

* one process, ``--workers N`` threads:  ``embeddings train w2v FILE --workers N ...``
* ``torchrun --standalone --nproc-per-node N``, one worker each (gloo on the CPU), the processes'
  changes merged every ``--sync-words`` corpus words.

Both get ``--threads 1 --device cpu --seed S``; their words/s are read from the trainer's own
log line, and both vector files are scored on questions-words.txt and WordSim-353.  The table
ends with the mean gap (processes minus threads) over the seeds.  On a machine with N cores the
two share the same cores, so words/s compare the overheads, not the scaling.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench_word2vec import SHARED, quality, read_corpus  # noqa: E402

from embeddings.keyedvectors import KeyedVectors  # noqa: E402

SPEED = re.compile(r"(\d+) epochs in ([\d.]+) s \((\d+) words/s\)")


def train(command: list[str], log: Path) -> dict:
    """Run one training command; its seconds and words/s from the trainer's closing log line."""
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONWARNINGS": "ignore"}
    t0 = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    log.write_text(done.stdout + done.stderr, encoding="utf-8")
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command[:6])} ... failed with exit {done.returncode}; see {log}")
    found = SPEED.findall(done.stderr)
    if not found:
        raise SystemExit(f"no 'epochs in' line in {log}")
    _, seconds, words_s = found[-1]
    return {"train_s": float(seconds), "words_s": int(words_s), "wall_s": round(wall, 1)}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("corpus", type=Path, help="text file or folder of .txt files")
    p.add_argument("--max-words", type=int, default=None, help="use only the first N tokens")
    p.add_argument("--epochs", type=int, default=5)
    p.add_argument("--mode", choices=["sg", "cbow"], default="sg")
    p.add_argument("--procs", type=int, default=2, help="processes under torchrun (and threads of the single run)")
    p.add_argument("--sync-words", type=int, default=None, help="merge interval (default: the trainer's)")
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    p.add_argument("--analogies", type=Path, default=SHARED / "questions-words.txt")
    p.add_argument("--similarity", type=Path, default=SHARED / "wordsim353.tsv")
    p.add_argument("--json", type=Path, default=None, help="also write the results here")
    args = p.parse_args(argv)

    work = Path(tempfile.mkdtemp(prefix="bench_torchrun_"))
    corpus = work / "corpus.txt"
    docs = read_corpus(args.corpus, args.max_words)
    n_tokens = sum(map(len, docs))
    with open(corpus, "w", encoding="utf-8") as fh:
        fh.writelines(" ".join(d) + "\n" for d in docs)
    del docs
    print(f"corpus {args.corpus}: {n_tokens} tokens, {args.mode}, {args.epochs} epochs, "
          f"{args.procs} threads vs {args.procs} processes; work folder {work}", flush=True)

    common = ["train", "w2v", str(corpus), "--skipgram" if args.mode == "sg" else "--cbow", "--tokenized",
              "--epochs", str(args.epochs), "--threads", "1", "--device", "cpu", "--no-progress"]
    if args.sync_words:
        common += ["--sync-words", str(args.sync_words)]
    rows = []
    for seed in args.seeds:
        row = {"seed": seed}
        for name, launcher, workers in (
                ("threads", [sys.executable, "-m", "cli.embeddings"], args.procs),
                ("procs", [sys.executable, "-m", "torch.distributed.run", "--standalone",
                           "--nproc-per-node", str(args.procs), "-m", "cli.embeddings"], 1)):
            out = work / f"{name}_{seed}" / "vectors.txt"
            command = launcher + common + ["--workers", str(workers), "--seed", str(seed), "-o", str(out)]
            speed = train(command, work / f"{name}_{seed}.log")
            row[name] = {**speed, **quality(KeyedVectors.load_word2vec_format(out), args.analogies, args.similarity)}
            r = row[name]
            print(f"seed {seed} {name:7}  {r['words_s']:>9,} words/s  analogy {r['analogy']:5.2f}%  "
                  f"spearman {r['spearman']:.4f}", flush=True)
        row["analogy_diff"] = round(row["procs"]["analogy"] - row["threads"]["analogy"], 2)
        row["spearman_diff"] = round(row["procs"]["spearman"] - row["threads"]["spearman"], 4)
        row["speed_ratio"] = round(row["procs"]["words_s"] / row["threads"]["words_s"], 3)
        rows.append(row)
    mean = {k: round(sum(r[k] for r in rows) / len(rows), 4) for k in ("analogy_diff", "spearman_diff", "speed_ratio")}
    print(f"mean over seeds {args.seeds}: processes - threads: analogy {mean['analogy_diff']:+.2f} points, "
          f"spearman {mean['spearman_diff']:+.4f}, words/s x{mean['speed_ratio']:.2f}", flush=True)
    if args.json:
        args.json.write_text(json.dumps({"corpus": str(args.corpus), "tokens": n_tokens, "mode": args.mode,
                                         "epochs": args.epochs, "procs": args.procs, "rows": rows, "mean": mean},
                                        indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
