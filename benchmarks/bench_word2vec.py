"""word2vec: our PyTorch trainer against gensim on the same tokenized corpus, in one run.

    python benchmarks/bench_word2vec.py ../shared/data/en_corpus --epochs 5 --modes sg cbow

For each mode (skip-gram, CBOW) both trainers get the same token lists and options
(dim 100, window 5, negative 5, min count 5, sample 1e-3 unless changed); we report wall
time of training (vocabulary building timed apart), words/s (corpus tokens x epochs /
training seconds), analogy accuracy on questions-words.txt (30,000 most frequent words)
and Spearman's rho on WordSim-353, then the ratios ours / gensim.

Tokenization: lower-cased runs of letters, digits and inner apostrophes (``don't``), one
document per line; a folder means all its ``*.txt`` files in name order.
"""
from __future__ import annotations

import argparse
import json
import logging
import platform
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from embeddings.evaluate import evaluate_word_analogies, evaluate_word_pairs  # noqa: E402
from embeddings.gensim_backend import gensim_kwargs  # noqa: E402
from embeddings.keyedvectors import KeyedVectors  # noqa: E402
from embeddings.word2vec import Word2VecConfig, encode_corpus, train_word2vec  # noqa: E402

WORD = re.compile(r"[^\W_]+(?:'[^\W_]+)*")
SHARED = ROOT.parent / "shared" / "data"


def read_corpus(path: Path, max_words: int | None) -> list[list[str]]:
    files = sorted(path.glob("*.txt")) if path.is_dir() else [path]
    docs, n = [], 0
    for f in files:
        with open(f, encoding="utf-8") as fh:
            for line in fh:
                toks = WORD.findall(line.lower())
                if not toks:
                    continue
                if max_words is not None and n + len(toks) > max_words:
                    toks = toks[: max_words - n]
                docs.append(toks)
                n += len(toks)
                if max_words is not None and n >= max_words:
                    return docs
    return docs


def quality(kv: KeyedVectors, analogies: Path, similarity: Path) -> dict:
    a = evaluate_word_analogies(kv, analogies)
    s = evaluate_word_pairs(kv, similarity)
    return {"analogy": round(100 * a.accuracy, 2), "analogy_answered": a.total.correct + a.total.incorrect,
            "spearman": round(s.spearman, 4), "pairs": s.pairs}


def run_gensim(docs, config: Word2VecConfig) -> tuple[KeyedVectors, float, float]:
    from gensim.models import Word2Vec

    t0 = time.perf_counter()
    model = Word2Vec(**gensim_kwargs(config))
    model.build_vocab(docs)
    t1 = time.perf_counter()
    model.train(docs, total_examples=model.corpus_count, epochs=config.epochs)
    t2 = time.perf_counter()
    wv = model.wv
    return KeyedVectors(list(wv.index_to_key), wv.vectors.copy()), t1 - t0, t2 - t1


def run_ours(docs, config: Word2VecConfig) -> tuple[KeyedVectors, float, float]:
    t0 = time.perf_counter()
    enc = encode_corpus(docs, config.min_count, config.max_vocab)
    t1 = time.perf_counter()
    kv = train_word2vec(enc, config, progress=False)
    t2 = time.perf_counter()
    return kv, t1 - t0, t2 - t1


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("corpus", type=Path, help="text file or folder of .txt files")
    p.add_argument("--max-words", type=int, default=None, help="use only the first N tokens")
    p.add_argument("--epochs", type=int, default=5)
    p.add_argument("--dim", type=int, default=100)
    p.add_argument("--window", type=int, default=5)
    p.add_argument("--negative", type=int, default=5)
    p.add_argument("--min-count", type=int, default=5)
    p.add_argument("--modes", nargs="+", choices=["sg", "cbow"], default=["sg", "cbow"])
    p.add_argument("--workers", type=int, default=2, help="gensim workers and our Hogwild workers")
    p.add_argument("--threads", type=int, default=0, help="torch threads per worker (0: the trainer's default, one)")
    p.add_argument("--device", default="cpu", help="device for ours (cpu, cuda)")
    p.add_argument("--batch-size", type=int, default=None, help="centre words per step for ours")
    p.add_argument("--block-update", default="auto", choices=["auto", "online", "sum", "newton", "sequential"],
                   help="how ours updates rows within a block (auto: the online loop on the CPU)")
    p.add_argument("--seeds", type=int, nargs="+", default=[0],
                   help="one run of both trainers per seed; several seeds also print the mean gaps")
    p.add_argument("--analogies", type=Path, default=SHARED / "questions-words.txt")
    p.add_argument("--similarity", type=Path, default=SHARED / "wordsim353.tsv")
    p.add_argument("--json", type=Path, default=None, help="also write the results here")
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)

    t = time.perf_counter()
    docs = read_corpus(args.corpus, args.max_words)
    n_tokens = sum(map(len, docs))
    print(f"corpus {args.corpus}: {len(docs)} documents, {n_tokens} tokens (read in {time.perf_counter() - t:.1f} s)")
    print(f"machine: {platform.machine()}, {args.workers} workers; ours on {args.device}")
    results = {"corpus": str(args.corpus), "tokens": n_tokens, "epochs": args.epochs, "workers": args.workers,
               "device": args.device, "modes": {}}
    for mode in args.modes:
        rows = []
        for seed in args.seeds:
            config = Word2VecConfig(sg=mode == "sg", dim=args.dim, window=args.window, negative=args.negative,
                                    epochs=args.epochs, min_count=args.min_count, workers=args.workers,
                                    threads=args.threads,
                                    device=args.device, batch_size=args.batch_size, seed=seed,
                                    block_update=args.block_update)
            row = {"seed": seed}
            for name, run in (("gensim", run_gensim), ("ours", run_ours)):
                kv, prep, train = run(docs, config)
                row[name] = {"prep_s": round(prep, 2), "train_s": round(train, 2),
                             "words_per_s": round(n_tokens * args.epochs / train), "vocab": len(kv),
                             **quality(kv, args.analogies, args.similarity)}
                r = row[name]
                print(f"{mode:4} {name:6} seed {seed} train {r['train_s']:8.1f} s  {r['words_per_s']:>9} words/s  "
                      f"analogy {r['analogy']:5.2f}% ({r['analogy_answered']} q)  spearman {r['spearman']:.4f}  "
                      f"vocab {r['vocab']}", flush=True)
            g, o = row["gensim"], row["ours"]
            row["speed_ratio"] = round(o["words_per_s"] / g["words_per_s"], 3)
            row["analogy_diff"] = round(o["analogy"] - g["analogy"], 2)
            row["spearman_diff"] = round(o["spearman"] - g["spearman"], 4)
            print(f"{mode:4} ours/gensim speed x{row['speed_ratio']:.2f}, analogy {row['analogy_diff']:+.2f} points, "
                  f"spearman {row['spearman_diff']:+.4f}", flush=True)
            rows.append(row)
        if len(rows) == 1:
            results["modes"][mode] = rows[0]
            continue
        mean = {k: round(sum(r[k] for r in rows) / len(rows), 4)
                for k in ("speed_ratio", "analogy_diff", "spearman_diff")}
        print(f"{mode:4} mean over seeds {args.seeds}: speed x{mean['speed_ratio']:.2f}, analogy "
              f"{mean['analogy_diff']:+.2f} points, spearman {mean['spearman_diff']:+.4f}", flush=True)
        results["modes"][mode] = {"runs": rows, "mean": mean}
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
