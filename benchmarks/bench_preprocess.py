"""Tokenize + stop words + lemmatize: our pipeline against the naive loop, same input, one run.

The naive loop is what people write today, in two common orders::

    morph = pymorphy3.MorphAnalyzer()
    for line in file:
        for w in re.findall(WORD, line.lower()):          # same token pattern as ours
            lemma = morph.parse(w)[0].normal_form           # "lemmas": every token parsed,
            if lemma not in stop: out.append(lemma)         #   stop words dropped by lemma
            # "forms": `if w in stop: continue` first, so stop words are never parsed

(with the ё→е folding our defaults apply, so that both produce the same tokens).  It runs
twice, as two baselines: with pymorphy3's pure-Python DAWG reader (a plain ``pip install
pymorphy3``; here the DAWG2 C module is blocked from import) and with the DAWG2 C extension.
Ours is ``Pipeline(lang="ru", stopwords="ru", lemmatize=True)`` (with
``stopwords_on_lemmas=True`` for the "lemmas" order) and ``.map(docs, workers=N)``.

    python benchmarks/bench_preprocess.py ../shared/data/ru_folk_tales_dagestan.txt \\
        ../shared/data/war_and_peace.txt --workers 2 --repeat 3

Every timed run is a fresh Python process (cold: nothing loaded, no cache; its clock starts
before pymorphy3 is imported and stops after the last token list), the three sides
alternating, ``--repeat`` times; the first run of each side ("cold") and the fastest
("best") are shown.  Throughput is counted in input word tokens (before stop-word removal).
The outputs of all runs are compared by their SHA-256; the script exits 1 if any differs.
The CPU time of all of a run's processes is printed too: it varies less than wall time with
what else the machine runs.  ``--profile`` adds where our time goes, stage by stage, in one
process.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import re
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SIDES = ("ours", "naive-c", "naive-pure")
LABELS = {"ours": "ours", "naive-c": "naive loop, C reader", "naive-pure": "naive loop, pure-Python reader"}


def read_docs(paths: list[str], max_lines: int | None) -> list[str]:
    from textprep.corpus import TextCorpus

    docs = list(TextCorpus(paths))
    return docs[:max_lines] if max_lines else docs


def naive(docs: list[str], order: str) -> list[list[str]]:
    import pymorphy3

    from textprep.normalize import fold_yo, normalize_text
    from textprep.stopwords import load_stopwords
    from textprep.tokenize import WORD_RE

    stop = load_stopwords("ru")
    morph = pymorphy3.MorphAnalyzer()
    word = re.compile(WORD_RE.pattern)
    out = []
    for line in docs:
        # the same character clean-up as ours (NFC, stress marks, ё), so outputs compare
        toks = []
        for w in word.findall(normalize_text(line)):
            if order == "forms" and w in stop:
                continue
            lemma = fold_yo(morph.parse(w)[0].normal_form)
            if order == "lemmas" and lemma in stop:
                continue
            toks.append(lemma)
        out.append(toks)
    return out


def ours(docs: list[str], order: str, workers: int) -> tuple[list[list[str]], int]:
    from textprep.pipeline import Pipeline

    pipe = Pipeline(lang="ru", stopwords="ru", lemmatize=True, stopwords_on_lemmas=order == "lemmas")
    return list(pipe.map(docs, workers=workers)), pipe.cache_size


def cpu_seconds() -> float:
    """CPU time of this process and of its finished children (the worker processes)."""
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def run_side(side: str, order: str, paths: list[str], max_lines: int | None, workers: int) -> dict:
    """One timed run in this (fresh) process; what the parent needs, as a dict."""
    if side == "naive-pure":
        sys.modules["dawg"] = None   # the C module cannot be imported: pymorphy3 reads with DAWG2-Python
    docs = read_docs(paths, max_lines)
    t0, c0 = time.perf_counter(), cpu_seconds()
    if side == "ours":
        out, forms = ours(docs, order, workers)
    else:
        out, forms = naive(docs, order), 0
    seconds, cpu = time.perf_counter() - t0, cpu_seconds() - c0
    from pymorphy3 import dawg

    digest = hashlib.sha256("\n".join(" ".join(d) for d in out).encode("utf-8")).hexdigest()
    return {"seconds": seconds, "cpu": cpu, "digest": digest, "tokens_out": sum(map(len, out)), "forms": forms,
            "reader": "DAWG2" if dawg.EXTENSION_AVAILABLE else "DAWG2-Python"}


def spawn(side: str, order: str, args) -> dict:
    cmd = [sys.executable, __file__, *args.corpus, "--run", side, "--order", order, "--workers", str(args.workers)]
    if args.max_lines:
        cmd += ["--max-lines", str(args.max_lines)]
    done = subprocess.run(cmd, capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def profile(docs: list[str]) -> None:
    """Our pipeline's stages one after another in this process (CPU seconds), the default order."""
    import itertools

    from textprep.morph import dawg_reader
    from textprep.normalize import normalize_text
    from textprep.pipeline import Pipeline
    from textprep.stopwords import load_stopwords
    from textprep.tokenize import words

    clock = time.process_time
    times: dict[str, float] = {}

    def lap(name: str, t: float) -> float:
        now = clock()
        times[name] = now - t
        return now

    t = clock()
    import pymorphy3  # noqa: F401  (counted with the loading below)
    pipe = Pipeline(lang="ru", stopwords="ru", lemmatize=True)
    mapper = pipe._form_mapper()
    t = lap("load the dictionary tables (this process)", t)
    texts = [normalize_text(d) for d in docs]
    t = lap("normalize (NFC, lower, ё)", t)
    toks = [words(x) for x in texts]
    t = lap("split into words", t)
    stop = load_stopwords("ru")
    toks = [[w for w in d if w not in stop] for d in toks]
    t = lap("drop stop words", t)
    new = list(dict.fromkeys(itertools.chain.from_iterable(toks)))
    t = lap(f"find the {len(new):,} distinct forms", t)
    outs = [mapper.known(w) for w in new]
    t = lap(f"dictionary lookups of the {len(new):,} forms ({sum(x is not None for x in outs):,} known)", t)
    pipe._form_mapper()._base.load_analyzer()
    t = lap("load pymorphy3's full analyzer (a worker)", t)
    hard = [w for w, x in zip(new, outs) if x is None]
    pipe._learn(hard, mapper(hard))
    t = lap(f"full analysis of the other {len(hard):,} forms (a worker)", t)
    pipe._learn([w for w, x in zip(new, outs) if x is not None], [x for x in outs if x is not None])
    [pipe._lemmas(d) for d in toks]
    lap("cache lookups, one per token", t)
    print(f"where our time goes, stage by stage in one process, CPU s (reader: {dawg_reader()}):")
    for name, sec in times.items():
        print(f"  {sec:7.3f}  {name}")
    print(f"  {sum(times.values()):7.3f}  total")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("corpus", nargs="+", help="text files, one document per line")
    ap.add_argument("--workers", type=int, default=2, help="processes for ours (0: one per CPU)")
    ap.add_argument("--order", choices=["lemmas", "forms", "both"], default="both",
                    help="where the stop words are dropped (see above)")
    ap.add_argument("--max-lines", type=int, default=None, help="use only the first N lines (a quick run)")
    ap.add_argument("--repeat", type=int, default=3, help="runs of each side, alternating; cold and best shown")
    ap.add_argument("--sides", default=",".join(SIDES), help=f"comma-separated, from {', '.join(SIDES)}")
    ap.add_argument("--profile", action="store_true", help="also show our stages' CPU time in one process")
    ap.add_argument("--run", choices=SIDES, help=argparse.SUPPRESS)   # internal: one timed run
    args = ap.parse_args(argv)
    if args.run:
        order = "forms" if args.order == "both" else args.order
        print(json.dumps(run_side(args.run, order, args.corpus, args.max_lines, args.workers)))
        return 0
    sides = [s for s in args.sides.split(",") if s]
    if not sides or any(s not in SIDES for s in sides):
        ap.error(f"--sides: choose from {', '.join(SIDES)}")

    from textprep.normalize import normalize_text
    from textprep.parallel import available_cpus
    from textprep.tokenize import WORD_RE

    docs = read_docs(args.corpus, args.max_lines)
    n_in = sum(len(WORD_RE.findall(normalize_text(d))) for d in docs)
    print(f"input: {', '.join(args.corpus)}: {len(docs)} documents, {n_in:,} word tokens")
    print(f"machine: {platform.machine()}, {os.cpu_count()} CPUs ({available_cpus()} available), "
          f"Python {platform.python_version()}, workers={args.workers}, repeat={args.repeat}")
    print(f"load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    if args.profile:
        profile(docs)
    status = 0
    for order in (["lemmas", "forms"] if args.order == "both" else [args.order]):
        runs: dict[str, list[dict]] = {s: [] for s in sides}
        for _ in range(max(1, args.repeat)):
            for side in sides:
                runs[side].append(spawn(side, order, args))
        digests = {r["digest"] for rs in runs.values() for r in rs}
        readers = {s: rs[0]["reader"] for s, rs in runs.items()}
        first = runs[sides[0]][0]
        print(f"\n[stop words dropped by {order[:-1]}] {first['tokens_out']:,} tokens out"
              + (f", {runs['ours'][0]['forms']:,} distinct forms lemmatized by ours" if "ours" in runs else ""))
        print(f"  {'':32s} {'cold s':>8s} {'best s':>8s} {'best tokens/s':>14s} {'CPU s (best)':>13s}  reader")
        for side, rs in runs.items():
            cold, best = rs[0]["seconds"], min(r["seconds"] for r in rs)
            print(f"  {LABELS[side]:32s} {cold:8.2f} {best:8.2f} {n_in / best:14,.0f} "
                  f"{min(r['cpu'] for r in rs):13.2f}  {readers[side]}")
        if "ours" in runs:
            o = runs["ours"]
            for base, target in (("naive-pure", 50), ("naive-c", 5)):
                if base in runs:
                    b = runs[base]
                    print(f"  ours against the {LABELS[base]}: cold {b[0]['seconds'] / o[0]['seconds']:.1f}x, "
                          f"best {min(r['seconds'] for r in b) / min(r['seconds'] for r in o):.1f}x (target {target}x)")
        print(f"  identical output in all {sum(map(len, runs.values()))} runs: {len(digests) == 1}")
        if len(digests) != 1:
            status = 1
        if readers.get("naive-pure", "DAWG2-Python") != "DAWG2-Python" or any(
                readers[s] != "DAWG2" for s in readers if s != "naive-pure"):
            print(f"  unexpected readers: {readers}", file=sys.stderr)
            status = 1
    print(f"\nload average at end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return status


if __name__ == "__main__":
    raise SystemExit(main())
