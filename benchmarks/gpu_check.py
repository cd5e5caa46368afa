"""The GPU check: our word2vec on CUDA against gensim on every host core, and the LSTM step with
mixed precision against float32, in one run that prints ratios.

    python benchmarks/gpu_check.py ../shared/data/en_corpus          # on a machine with a GPU, < 8 min
    python benchmarks/gpu_check.py --smoke                           # the same code on the CPU, seconds

word2vec: skip-gram and CBOW, 5 epochs (dim 100, window 5, negative 5, min count 5), ours on
``cuda`` with the default GPU block and ``block_update=newton`` (what ``auto`` picks there), gensim with one worker per
host core; words/s, analogy accuracy (questions-words.txt) and Spearman (WordSim-353), then
ours/gensim.  LSTM: tokens/s of ``embeddings.lm.train.train_step`` (2x650 LSTM, the medium model
of Zaremba et al., bptt 35, batch 64) with float16 autocast and a gradient scaler against the
same step in float32.

``--smoke`` runs every line of it on the CPU on the bundled Tiny Shakespeare (1 epoch, tiny
models), so the test suite proves the script works where no GPU is.  Results go to stdout
and, with ``--json``, to a file.
"""
from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
sys.path.insert(0, str(ROOT))

import torch  # noqa: E402
from bench_word2vec import SHARED, quality, read_corpus, run_gensim  # noqa: E402

from corpora import corpus_path  # noqa: E402
from embeddings.word2vec import Word2VecConfig, encode_corpus, train_word2vec  # noqa: E402


def word2vec_rows(args, device: str) -> list[dict]:
    docs = read_corpus(args.corpus, args.max_words)
    n_tokens = sum(map(len, docs))
    print(f"word2vec corpus {args.corpus}: {n_tokens} tokens, {args.epochs} epochs", flush=True)
    rows = []
    for mode in ("sg", "cbow"):
        base = Word2VecConfig(sg=mode == "sg", epochs=args.epochs, min_count=args.min_count, device=device,
                              block_update="newton", seed=0)
        kv, _, g_train = run_gensim(docs, Word2VecConfig(**{**base.to_dict(), "workers": os.cpu_count() or 1}))
        gensim = {"words_per_s": round(n_tokens * args.epochs / g_train), **quality(kv, args.analogies,
                                                                                   args.similarity)}
        enc = encode_corpus(docs, base.min_count)
        if device == "cuda":
            torch.cuda.synchronize()
        t0 = time.perf_counter()
        kv = train_word2vec(enc, base, progress=False)
        if device == "cuda":
            torch.cuda.synchronize()
        ours = {"words_per_s": round(n_tokens * args.epochs / (time.perf_counter() - t0)),
                **quality(kv, args.analogies, args.similarity)}
        row = {"mode": mode, "gensim": gensim, "ours": ours,
               "speed_ratio": round(ours["words_per_s"] / gensim["words_per_s"], 2),
               "analogy_diff": round(ours["analogy"] - gensim["analogy"], 2),
               "spearman_diff": round(ours["spearman"] - gensim["spearman"], 4)}
        print(f"{mode:4} ours {ours['words_per_s']:>10} words/s analogy {ours['analogy']:5.2f}% spearman "
              f"{ours['spearman']:.4f} | gensim {gensim['words_per_s']:>9} words/s analogy {gensim['analogy']:5.2f}% "
              f"spearman {gensim['spearman']:.4f} | speed x{row['speed_ratio']:.2f}, analogy "
              f"{row['analogy_diff']:+.2f}, spearman {row['spearman_diff']:+.4f}", flush=True)
        rows.append(row)
    return rows


def lstm_rows(args, device: str) -> dict:
    from embeddings.lm.config import LMConfig
    from embeddings.lm.model import RNNLM
    from embeddings.lm.train import train_step

    dev = torch.device(device)
    config = LMConfig(hidden=args.hidden, emb_dim=args.hidden, layers=2, dropout=0.5, bptt=35,
                      batch_size=args.lm_batch)
    vocab = 10_000 if not args.smoke else 500
    gen = torch.Generator().manual_seed(0)
    x = torch.randint(0, vocab, (config.bptt, config.batch_size), generator=gen).to(dev)
    y = torch.randint(0, vocab, (config.bptt, config.batch_size), generator=gen).to(dev)
    out = {}
    for name, amp in (("fp32", False), ("amp", True)):
        torch.manual_seed(0)
        model = RNNLM.from_config(config, vocab).to(dev)
        opt = torch.optim.SGD(model.parameters(), lr=1.0)
        # on the CPU autocast float16 is not what the step uses: the scaler is off there, as in training
        scaler = torch.amp.GradScaler(dev.type, enabled=amp and dev.type == "cuda")
        state = None
        for _ in range(3):                                   # warm-up: kernels, allocator
            _, _, state = train_step(model, opt, scaler, x, y, state, config, -100)
        if dev.type == "cuda":
            torch.cuda.synchronize()
        t0 = time.perf_counter()
        for _ in range(args.lm_steps):
            loss, n, state = train_step(model, opt, scaler, x, y, state, config, -100)
        if dev.type == "cuda":
            torch.cuda.synchronize()
        out[name] = {"tokens_per_s": round(args.lm_steps * n / (time.perf_counter() - t0)),
                     "final_loss": round(float(loss), 4)}
    out["amp_speedup"] = round(out["amp"]["tokens_per_s"] / out["fp32"]["tokens_per_s"], 2)
    print(f"lstm 2x{args.hidden} batch {args.lm_batch}: fp32 {out['fp32']['tokens_per_s']} tokens/s, "
          f"amp {out['amp']['tokens_per_s']} tokens/s: x{out['amp_speedup']:.2f}", flush=True)
    return out


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("corpus", type=Path, nargs="?", default=SHARED / "en_corpus", help="text file or folder")
    p.add_argument("--smoke", action="store_true", help="the same code on the CPU, tiny sizes")
    p.add_argument("--epochs", type=int, default=5)
    p.add_argument("--max-words", type=int, default=None)
    p.add_argument("--min-count", type=int, default=5)
    p.add_argument("--hidden", type=int, default=650)
    p.add_argument("--lm-batch", type=int, default=64)
    p.add_argument("--lm-steps", type=int, default=200)
    p.add_argument("--analogies", type=Path, default=SHARED / "questions-words.txt")
    p.add_argument("--similarity", type=Path, default=SHARED / "wordsim353.tsv")
    p.add_argument("--json", type=Path, default=None)
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    if args.smoke:
        args.corpus, args.epochs, args.max_words, args.min_count = corpus_path("tinyshakespeare"), 1, 60_000, 3
        args.hidden, args.lm_batch, args.lm_steps = 32, 8, 3
        args.analogies, args.similarity = corpus_path("questions_words"), corpus_path("wordsim353")
        device = "cpu"
    elif not torch.cuda.is_available():
        print("gpu_check: error: no CUDA device here (use --smoke to run the same code on the CPU)", file=sys.stderr)
        return 2
    else:
        device = "cuda"
    name = torch.cuda.get_device_name(0) if device == "cuda" else platform.processor() or platform.machine()
    print(f"device: {device} ({name}); host cores: {os.cpu_count()}; torch {torch.__version__}", flush=True)
    t0 = time.perf_counter()
    result = {"device": device, "device_name": name, "host_cores": os.cpu_count(),
              "word2vec": word2vec_rows(args, device), "lstm": lstm_rows(args, device)}
    result["seconds"] = round(time.perf_counter() - t0, 1)
    print(f"done in {result['seconds']} s", flush=True)
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
