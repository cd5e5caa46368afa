"""Tokenize + stop words + lemmatize: our pipeline against the naive loop, same input, one run.

The naive loop is what people write today::

    morph = pymorphy3.MorphAnalyzer()
    for line in file:
        for w in re.findall(WORD, line.lower()):     # same token pattern as ours
            if w not in stop:
                out.append(morph.parse(w)[0].normal_form)

(with the ё→е folding our defaults apply, so that both produce the same tokens).
Ours is ``Pipeline(lang="ru", stopwords="ru", lemmatize=True).map(docs, workers=N)``:
each distinct word form is lemmatized once, new forms in worker processes.  Both
outputs are compared token for token; the script exits 1 if they differ.

    python benchmarks/bench_preprocess.py ../shared/data/ru_folk_tales_dagestan.txt \\
        ../shared/data/war_and_peace.txt --workers 2

Both sides start cold (a fresh analyzer, an empty cache) and include loading pymorphy3.
"""
from __future__ import annotations

import argparse
import os
import platform
import re
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from textprep.corpus import TextCorpus  # noqa: E402
from textprep.normalize import fold_yo, normalize_text  # noqa: E402
from textprep.pipeline import Pipeline, available_cpus  # noqa: E402
from textprep.stopwords import load_stopwords  # noqa: E402
from textprep.tokenize import WORD_RE  # noqa: E402


def naive(docs: list[str], stop: frozenset[str]) -> list[list[str]]:
    import pymorphy3

    morph = pymorphy3.MorphAnalyzer()
    word = re.compile(WORD_RE.pattern)
    out = []
    for line in docs:
        # the same character clean-up as ours (NFC, stress marks, ё), so outputs compare
        toks = []
        for w in word.findall(normalize_text(line)):
            if w in stop:
                continue
            toks.append(fold_yo(morph.parse(w)[0].normal_form))
        out.append(toks)
    return out


def ours(docs: list[str], workers: int) -> tuple[list[list[str]], int]:
    pipe = Pipeline(lang="ru", stopwords="ru", lemmatize=True)
    return list(pipe.map(docs, workers=workers)), pipe.cache_size


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("corpus", nargs="+", help="text files, one document per line")
    ap.add_argument("--workers", type=int, default=2, help="worker processes for ours (0: one per CPU)")
    ap.add_argument("--max-lines", type=int, default=None, help="use only the first N lines (a quick run)")
    args = ap.parse_args(argv)

    docs = list(TextCorpus(args.corpus))
    if args.max_lines:
        docs = docs[: args.max_lines]
    stop = load_stopwords("ru")

    t0 = time.perf_counter()
    mine, forms = ours(docs, args.workers)
    t_ours = time.perf_counter() - t0
    t0 = time.perf_counter()
    ref = naive(docs, stop)
    t_naive = time.perf_counter() - t0

    n_tok = sum(len(d) for d in ref)
    same = mine == ref
    print(f"input: {', '.join(args.corpus)}: {len(docs)} documents, {n_tok} tokens after stop words, "
          f"{forms} distinct forms")
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs "
          f"({available_cpus()} available), Python {platform.python_version()}")
    print(f"naive loop : {t_naive:8.2f} s  {n_tok / t_naive:12,.0f} tokens/s")
    print(f"ours (w={args.workers}) : {t_ours:8.2f} s  {n_tok / t_ours:12,.0f} tokens/s")
    print(f"speed-up   : {t_naive / t_ours:.1f}x")
    print(f"identical output: {same}")
    if not same:
        for i, (a, b) in enumerate(zip(mine, ref)):
            if a != b:
                print(f"first difference in document {i}: {a[:10]} vs {b[:10]}", file=sys.stderr)
                break
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
