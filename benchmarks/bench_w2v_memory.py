"""word2vec peak memory against corpus size: ours (corpus cache, chunks) and gensim (streaming), one run.

    python benchmarks/bench_w2v_memory.py ../shared/data/en_corpus --repeat 4

Builds two whitespace-tokenized inputs in a temporary folder: the corpus once (about 19 M
tokens for en_corpus) and the corpus ``--repeat`` times over (about 75 M), then runs
``embeddings train w2v --tokenized --epochs 1 --workers 2`` on each input in a fresh process,
and gensim the way its users run it (a plain script: ``Word2Vec(sentences=<a restartable reader
of whitespace-split lines>, ...)``, same settings), and reads each run's peak memory: the
process's peak resident set size (``ru_maxrss``), or, where it forks worker processes, the
largest sum seen (every 50 ms) of its resident set and its workers' private memory (pages they
share with it, such as the tables, counted once), whichever is larger.  It also measures a
process that only imports torch, and one that imports our trainer, so the figure can be split
into the framework's share and ours.
"""
from __future__ import annotations

import argparse
import json
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
#: run first in every measured process: a thread that follows the memory of the process and its workers
WATCH = """
import resource, sys, threading, time
import psutil

_tree = [0]


def _watch():
    me = psutil.Process()
    while True:
        try:
            total = me.memory_info().rss + sum(c.memory_full_info().uss for c in me.children(recursive=True))
            _tree[0] = max(_tree[0], total // 1024)
        except psutil.Error:
            pass                            # a worker ended while it was read
        time.sleep(0.05)


threading.Thread(target=_watch, daemon=True).start()


def _report():
    print('PEAK_KB', max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, _tree[0]), file=sys.stderr)
    print('WORKER_PEAK_KB', resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr)
"""
OURS = WATCH + """
import runpy
sys.argv = {argv!r}
code = 0
try:
    runpy.run_module('cli.embeddings', run_name='__main__')
except SystemExit as e:
    code = e.code or 0
_report()
sys.exit(code)
"""
GENSIM = WATCH + """
import logging
from gensim.models import Word2Vec


class Lines:
    def __iter__(self):
        with open({path!r}, encoding="utf-8") as fh:
            for line in fh:
                words = line.split()
                if words:
                    yield words


model = Word2Vec(sentences=Lines(), vector_size=100, window=5, min_count={min_count}, sg=1, negative=5,
                 sample=1e-3, epochs={epochs}, workers={workers})
_report()
print('VOCAB', len(model.wv), file=sys.stderr)
"""


def peak_kb(code: str, cwd: Path) -> tuple[int, float, int]:
    """(peak RSS in kB, seconds, exit code) of ``python -c code`` in a fresh process."""
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", code], cwd=cwd, capture_output=True, text=True)
    seconds = time.perf_counter() - t0
    lines = [ln for ln in proc.stderr.splitlines() if ln.startswith("PEAK_KB")]
    _LAST_WORKER[0] = next((int(ln.split()[1]) for ln in proc.stderr.splitlines()
                            if ln.startswith("WORKER_PEAK_KB")), 0)
    _LAST_VOCAB[0] = next((int(ln.split()[1]) for ln in proc.stderr.splitlines() if ln.startswith("VOCAB")), 0)
    if proc.returncode != 0 or not lines:
        raise SystemExit(f"a measured run failed:\n{proc.stderr[-3000:]}")
    return int(lines[-1].split()[1]), seconds, proc.returncode


def _vocab_size(out: Path, backend: str) -> int:
    if backend == "torch":
        with open(out, encoding="utf-8") as fh:
            return int(fh.readline().split()[0])
    return _LAST_VOCAB[0]


_LAST_VOCAB = [0]
_LAST_WORKER = [0]     # kB: the largest peak resident set of one child process, a worker or not (0: none)


def import_kb(statement: str) -> int:
    code = f"{statement}; import resource; print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)"
    return int(subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                              check=True).stdout.split()[-1])


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("corpus", type=Path, help="text file or folder of .txt files")
    p.add_argument("--repeat", type=int, default=4, help="the large input is the corpus this many times over")
    p.add_argument("--epochs", type=int, default=1)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--backends", nargs="+", default=["torch", "gensim"], choices=["torch", "gensim"])
    p.add_argument("--min-count", type=int, default=5)
    p.add_argument("--scaled-min-count", action="store_true",
                   help="also run the large input with min count x repeat: the same vocabulary as the small "
                        "one, so only the corpus size differs")
    p.add_argument("--tmp", type=Path, default=None, help="folder for the inputs (default: a new temporary one)")
    p.add_argument("--json", type=Path, default=None)
    args = p.parse_args(argv)

    work = Path(tempfile.mkdtemp(prefix="w2v_mem_", dir=args.tmp))
    try:
        files = sorted(args.corpus.glob("*.txt")) if args.corpus.is_dir() else [args.corpus]
        small = work / "corpus_x1.txt"
        with open(small, "wb") as out:
            for f in files:
                out.write(f.read_bytes())
        large = work / f"corpus_x{args.repeat}.txt"
        with open(large, "wb") as out:
            for _ in range(args.repeat):
                with open(small, "rb") as fh:
                    shutil.copyfileobj(fh, out, 1 << 24)
        sizes = {}
        for f in (small, large):
            with open(f, "rb") as fh:
                sizes[f.name] = sum(len(line.split()) for line in fh)
        print(f"inputs: {', '.join(f'{k} {v:,} tokens' for k, v in sizes.items())}; "
              f"{platform.machine()}, python {platform.python_version()}", flush=True)
        base = {"python": import_kb("pass"), "import torch": import_kb("import torch"),
                "import our trainer": import_kb("import embeddings.word2vec.trainer"),
                # the CPU's per-window loop: numba and its compiled code, loaded when a run starts
                "and its compiled loop": import_kb("import embeddings.word2vec.trainer, embeddings.sgns_loop as s; "
                                                   "s.compile_loops()")}
        print("  ".join(f"{k}: {v / 1024:.0f} MB" for k, v in base.items()), flush=True)
        rows = []
        runs = [(small, args.min_count), (large, args.min_count)]
        if args.scaled_min_count:
            runs.append((large, args.min_count * args.repeat))
        for backend in args.backends:
            for f, min_count in runs:
                out = work / f"{backend}_{f.stem}_{min_count}.txt"
                if backend == "torch":
                    cli = ["embeddings", "train", "w2v", str(f), "--skipgram", "--tokenized", "--epochs",
                           str(args.epochs), "--workers", str(args.workers), "--min-count", str(min_count),
                           "--no-progress", "-o", str(out)]
                    code = OURS.format(argv=cli)
                else:
                    code = GENSIM.format(path=str(f), epochs=args.epochs, workers=args.workers, min_count=min_count)
                kb, seconds, _ = peak_kb(code, ROOT)
                vocab = _vocab_size(out, backend)
                worker = _LAST_WORKER[0] / 1024
                rows.append({"backend": backend, "input": f.name, "tokens": sizes[f.name], "min_count": min_count,
                             "vocab": vocab, "peak_mb": round(kb / 1024), "child_peak_rss_mb": round(worker),
                             "seconds": round(seconds, 1)})
                print(f"{backend:6} {f.name:14} {sizes[f.name]:>12,} tokens  min count {min_count:>3}  vocab "
                      f"{vocab:>8,}  peak {kb / 1024:7.0f} MB  ({seconds:.0f} s)"
                      + (f"  largest child process's peak RSS {worker:.0f} MB" if worker else ""), flush=True)
        by = {(r["backend"], r["input"]): r["peak_mb"] for r in rows if r["min_count"] == args.min_count}
        summary = {}
        for backend in args.backends:
            scaled = [r for r in rows if r["backend"] == backend and r["min_count"] != args.min_count]
            if scaled:
                growth = scaled[0]["peak_mb"] / by[(backend, small.name)] - 1
                summary[f"{backend}_growth_same_vocab"] = round(growth, 3)
                print(f"{backend}: x{args.repeat} corpus at min count x{args.repeat} (vocab {scaled[0]['vocab']:,}): "
                      f"{100 * growth:+.1f}% peak memory", flush=True)
        if "torch" in args.backends:
            summary["ours_growth"] = round(by[("torch", large.name)] / by[("torch", small.name)] - 1, 3)
            print(f"ours: x{args.repeat} corpus -> {100 * summary['ours_growth']:+.1f}% peak memory", flush=True)
        if {"torch", "gensim"} <= set(args.backends):
            summary["ours_over_gensim_large"] = round(by[("torch", large.name)] / by[("gensim", large.name)], 2)
            print(f"ours / gensim at {sizes[large.name]:,} tokens: x{summary['ours_over_gensim_large']:.2f} "
                  f"(torch's import alone: {base['import torch'] / 1024:.0f} MB, numba and the compiled loop "
                  f"{(base['and its compiled loop'] - base['import our trainer']) / 1024:.0f} MB more)", flush=True)
        if args.json:
            args.json.write_text(json.dumps({"sizes": sizes, "imports_kb": base, "rows": rows, **summary},
                                            indent=2) + "\n", encoding="utf-8")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
