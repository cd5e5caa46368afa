"""Tokenize + stop words + lemmatize: our pipeline against the naive loop, same input, one run.

The naive loop is what people write today, in two common orders::

    morph = pymorphy3.MorphAnalyzer()
    for line in file:
        for w in re.findall(WORD, line.lower()):          # same token pattern as ours
            lemma = morph.parse(w)[0].normal_form           # "lemmas": every token parsed,
            if lemma not in stop: out.append(lemma)         #   stop words dropped by lemma
            # "forms": `if w in stop: continue` first, so stop words are never parsed

(with the ё→е folding our defaults apply, so that both produce the same tokens).
Ours is ``Pipeline(lang="ru", stopwords="ru", lemmatize=True)`` (with
``stopwords_on_lemmas=True`` for the "lemmas" order) and ``.map(docs, workers=N)``:
each distinct word form is lemmatized once, new forms in worker processes.  Both
outputs are compared token for token; the script exits 1 if they differ.

    python benchmarks/bench_preprocess.py ../shared/data/ru_folk_tales_dagestan.txt \\
        ../shared/data/war_and_peace.txt --workers 2

Both sides start cold (a fresh analyzer, an empty cache) and include loading pymorphy3.
Throughput is counted in input word tokens (before stop-word removal).  On a shared
machine use ``--repeat 3``: each side is timed three times, alternating, and the fastest
run of each is kept.  The CPU time of all processes is printed too: it does not depend on
what else the machine runs, and on N free cores ours takes about 1/N of it in wall time.
"""
from __future__ import annotations

import argparse
import os
import platform
import re
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from textprep.corpus import TextCorpus
from textprep.normalize import fold_yo, normalize_text
from textprep.parallel import available_cpus
from textprep.pipeline import Pipeline
from textprep.stopwords import load_stopwords
from textprep.tokenize import WORD_RE


def naive(docs: list[str], stop: frozenset[str], order: str) -> list[list[str]]:
    import pymorphy3

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


def cpu_seconds() -> float:
    """CPU time of this process and of its finished children (the worker processes)."""
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def ours(docs: list[str], workers: int, order: str) -> tuple[list[list[str]], int]:
    pipe = Pipeline(lang="ru", stopwords="ru", lemmatize=True, stopwords_on_lemmas=order == "lemmas")
    return list(pipe.map(docs, workers=workers)), pipe.cache_size


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("corpus", nargs="+", help="text files, one document per line")
    ap.add_argument("--workers", type=int, default=2, help="worker processes for ours (0: one per CPU)")
    ap.add_argument("--order", choices=["lemmas", "forms", "both"], default="both",
                    help="where the stop words are dropped (see above)")
    ap.add_argument("--max-lines", type=int, default=None, help="use only the first N lines (a quick run)")
    ap.add_argument("--repeat", type=int, default=1,
                    help="time each side this many times, alternating, and keep the fastest (shared machines)")
    args = ap.parse_args(argv)

    docs = list(TextCorpus(args.corpus))
    if args.max_lines:
        docs = docs[: args.max_lines]
    stop = load_stopwords("ru")
    n_in = sum(len(WORD_RE.findall(normalize_text(d))) for d in docs)
    print(f"input: {', '.join(args.corpus)}: {len(docs)} documents, {n_in} word tokens")
    print(f"machine: {platform.machine()}, {os.cpu_count()} CPUs ({available_cpus()} available), "
          f"Python {platform.python_version()}, workers={args.workers}")
    status = 0
    for order in (["lemmas", "forms"] if args.order == "both" else [args.order]):
        t_ours = t_naive = c_ours = c_naive = float("inf")
        for _ in range(max(1, args.repeat)):
            t0, c0 = time.perf_counter(), cpu_seconds()
            mine, forms = ours(docs, args.workers, order)   # the worker pool has exited here
            t_ours = min(t_ours, time.perf_counter() - t0)
            c_ours = min(c_ours, cpu_seconds() - c0)
            t0, c0 = time.perf_counter(), cpu_seconds()
            ref = naive(docs, stop, order)
            t_naive = min(t_naive, time.perf_counter() - t0)
            c_naive = min(c_naive, cpu_seconds() - c0)
        same = mine == ref
        n_out = sum(len(d) for d in ref)
        print(f"[stop words dropped by {order[:-1]}] {n_out} tokens out, {forms} distinct forms lemmatized by ours")
        print(f"  naive loop : {t_naive:8.2f} s  {n_in / t_naive:12,.0f} tokens/s")
        print(f"  ours       : {t_ours:8.2f} s  {n_in / t_ours:12,.0f} tokens/s")
        print(f"  CPU time   : naive {c_naive:.2f} s, ours {c_ours:.2f} s (all processes): "
              f"{c_naive / c_ours:.1f}x less work")
        print(f"  speed-up   : {t_naive / t_ours:.1f}x (wall clock)   identical output: {same}")
        if not same:
            status = 1
            for i, (a, b) in enumerate(zip(mine, ref)):
                if a != b:
                    print(f"  first difference in document {i}: {a[:10]} vs {b[:10]}", file=sys.stderr)
                    break
    return status


if __name__ == "__main__":
    raise SystemExit(main())
