"""word2vec quality against block size: the table behind the GPU block default.

    python benchmarks/bench_blocks.py ../shared/data/en_corpus --epochs 5 --modes sg cbow \
        --blocks 1024 4096 16384 65536 --updates sum newton --gensim

The GPU runs blocks of thousands of centre words per step.  The arithmetic of a block is the
same on any device, so this runs it on the CPU: for each mode, block size and ``block_update`` it
trains our word2vec on the same token lists (one worker, so each block is one step) and prints
analogy accuracy (questions-words.txt) and Spearman's rho (WordSim-353); ``--gensim`` adds
gensim's figures from the same run as the yardstick.  A setting that diverges is printed as
such instead of stopping the table.
"""
from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench_word2vec import SHARED, quality, read_corpus, run_gensim  # noqa: E402

from embeddings.word2vec import Word2VecConfig, encode_corpus, train_word2vec  # noqa: E402


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("corpus", type=Path, help="text file or folder of .txt files")
    p.add_argument("--max-words", type=int, default=None, help="use only the first N tokens")
    p.add_argument("--epochs", type=int, default=5)
    p.add_argument("--modes", nargs="+", choices=["sg", "cbow"], default=["sg", "cbow"])
    p.add_argument("--blocks", type=int, nargs="+", default=[1024, 4096, 16384, 65536])
    p.add_argument("--updates", nargs="+", choices=["auto", "online", "sum", "newton", "sequential"],
                   default=["sum", "newton"],
                   help="block_update values to compare (auto: what the trainer picks on a GPU, with its "
                        "learning-rate scale; online: the CPU's per-window loop)")
    p.add_argument("--lrs", type=float, nargs="+", default=[None],
                   help="start learning rates to compare (default: the config's, 0.025 skip-gram, 0.05 CBOW); "
                        "skip-gram newton blocks scale it as the trainer does")
    p.add_argument("--device", default="cpu", help="cpu (default: the same arithmetic as a GPU) or cuda")
    p.add_argument("--threads", type=int, default=2, help="torch threads")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--gensim", action="store_true", help="also train gensim (2 workers) as the yardstick")
    p.add_argument("--analogies", type=Path, default=SHARED / "questions-words.txt")
    p.add_argument("--similarity", type=Path, default=SHARED / "wordsim353.tsv")
    p.add_argument("--json", type=Path, default=None, help="also write the results here")
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)

    docs = read_corpus(args.corpus, args.max_words)
    n_tokens = sum(map(len, docs))
    print(f"corpus {args.corpus}: {n_tokens} tokens, {args.epochs} epochs, 1 worker, device {args.device}, "
          f"{args.threads} torch threads")
    rows = []
    for mode in args.modes:
        base = Word2VecConfig(sg=mode == "sg", epochs=args.epochs, seed=args.seed, device=args.device,
                              threads=args.threads, workers=1)
        enc = encode_corpus(docs, base.min_count)
        if args.gensim:
            kv, _, train_s = run_gensim(docs, Word2VecConfig(**{**base.to_dict(), "workers": 2}))
            rows.append({"mode": mode, "trainer": "gensim", "train_s": round(train_s, 1), **quality(
                kv, args.analogies, args.similarity)})
            print(f"{mode:4} gensim                     analogy {rows[-1]['analogy']:5.2f}%  "
                  f"spearman {rows[-1]['spearman']:.4f}", flush=True)
        for block in args.blocks:
            for update, lr in ((u, lr) for u in args.updates for lr in args.lrs):
                # auto as a GPU resolves it (the CPU's own default is the online loop, not a block's arithmetic)
                config = Word2VecConfig(**{**base.to_dict(), "batch_size": block, "block_update": update, "lr": lr})
                vocab = len(enc.vocab)
                used, start_lr = config.update_for(block, vocab, "cuda"), config.block_lr(block, vocab, "cuda")
                config = Word2VecConfig(**{**config.to_dict(), "block_update": used})
                t0 = time.perf_counter()
                try:
                    kv = train_word2vec(enc, config, progress=False)    # vectors come back on the host: synced
                    train_s = time.perf_counter() - t0
                    row = quality(kv, args.analogies, args.similarity)
                except ValueError as exc:
                    if "diverged" not in str(exc):
                        raise
                    train_s = time.perf_counter() - t0
                    row = {"analogy": None, "spearman": None, "diverged": True}
                row = {"mode": mode, "trainer": "ours", "device": args.device, "block": block,
                       "block_update": update, "update": used, "start_lr": start_lr,
                       "train_s": round(train_s, 1), "words_per_s": round(n_tokens * args.epochs / train_s), **row}
                rows.append(row)
                shown = ("diverged" if row.get("diverged") else
                         f"analogy {row['analogy']:5.2f}%  spearman {row['spearman']:.4f}")
                print(f"{mode:4} ours block {block:>6} {update:>10} ({used}, lr {start_lr:g})  {shown}  "
                      f"({row['train_s']} s, {row['words_per_s']} words/s)", flush=True)
    if args.json:
        args.json.write_text(json.dumps({"corpus": str(args.corpus), "tokens": n_tokens, "epochs": args.epochs,
                                         "rows": rows}, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
