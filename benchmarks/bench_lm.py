"""Language-model figures: Kneser-Ney beside the LSTM on Penn Treebank, word2vec-initialised
embeddings against random ones, the surname generator's training time, Tiny Shakespeare under
a time budget, and our training step against a plain fp32 ``nn.LSTM`` loop.

Each part is chosen with a flag and prints one JSON line; ``--json FILE`` collects them.

    python benchmarks/bench_lm.py --kn --ptb-dir ../shared/data
    python benchmarks/bench_lm.py --init-vectors --ptb-dir ../shared/data --train-lines 6000 --epochs 6
    python benchmarks/bench_lm.py --names
    python benchmarks/bench_lm.py --shakespeare --minutes 15
    python benchmarks/bench_lm.py --throughput --device cuda
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from corpora import corpus_path  # noqa: E402
from embeddings.lm import LMConfig, load_lm, train_lm  # noqa: E402
from embeddings.lm.generate import generate  # noqa: E402

PTB = dict(level="word", word_tokenizer="whitespace")


def emit(record: dict, sink: list) -> None:
    print(json.dumps(record), flush=True)
    sink.append(record)


def bench_kn(args, sink):
    d = Path(args.ptb_dir)
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        hist = train_lm(d / "ptb.train.txt", LMConfig(arch="ngram", order=args.order, **PTB), Path(tmp) / "kn",
                        valid=d / "ptb.valid.txt", progress=False, device="cpu")
        emit({"bench": "kneser_ney_ptb", "order": args.order, "valid_ppl": round(hist[0]["valid_ppl"], 2),
              "seconds": round(time.perf_counter() - t0, 1)}, sink)


def _subset(src: Path, n_lines: int, dst: Path) -> Path:
    with open(src, encoding="utf-8") as fh, open(dst, "w", encoding="utf-8") as out:
        for i, line in enumerate(fh):
            if i >= n_lines:
                break
            out.write(line)
    return dst


def bench_init_vectors(args, sink):
    """Same LSTM, same data and seed; the embedding table starts random or from our word2vec."""
    from embeddings.word2vec import Word2VecConfig, train_word2vec

    d = Path(args.ptb_dir)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        train = _subset(d / "ptb.train.txt", args.train_lines, tmp / "train.txt")
        valid = _subset(d / "ptb.valid.txt", args.valid_lines, tmp / "valid.txt")
        docs = [line.split() for line in train.read_text(encoding="utf-8").splitlines()]
        t0 = time.perf_counter()
        kv = train_word2vec(docs, Word2VecConfig(dim=args.dim, min_count=1, epochs=args.w2v_epochs, device="cpu"),
                            progress=False)
        kv.save_word2vec_format(tmp / "vectors.txt")
        w2v_s = time.perf_counter() - t0
        cfg = LMConfig(epochs=args.epochs, hidden=args.dim, emb_dim=args.dim, patience=0, **PTB)
        curves = {}
        for name, vec in (("random", None), ("word2vec", tmp / "vectors.txt")):
            t0 = time.perf_counter()
            hist = train_lm(train, cfg, tmp / name, valid=valid, init_vectors=vec, progress=False, device="cpu")
            curves[name] = [round(h["valid_ppl"], 2) for h in hist]
            curves[name + "_seconds"] = round(time.perf_counter() - t0, 1)
        emit({"bench": "init_vectors_ptb_subset", "train_lines": args.train_lines, "valid_lines": args.valid_lines,
              "dim": args.dim, "word2vec": "embeddings.word2vec (torch), skip-gram",
              "word2vec_seconds": round(w2v_s, 1),
              "valid_ppl_by_epoch": curves}, sink)


def bench_names(args, sink):
    # the list is alphabetical: every tenth surname is held out, not the last tenth (all V..Z)
    names = corpus_path("russian_names").read_text(encoding="utf-8").splitlines()
    with tempfile.TemporaryDirectory() as tmp:
        train, valid = Path(tmp) / "train.txt", Path(tmp) / "valid.txt"
        train.write_text("\n".join(n for i, n in enumerate(names) if i % 10) + "\n", encoding="utf-8")
        valid.write_text("\n".join(names[::10]) + "\n", encoding="utf-8")
        cfg = LMConfig(level="char", mode="lines", layers=1, hidden=128, emb_dim=32, dropout=0.0, optimizer="adam",
                       lr=0.005, batch_size=64, epochs=args.names_epochs, patience=0)
        t0 = time.perf_counter()
        hist = train_lm(train, cfg, Path(tmp) / "lm", valid=valid, progress=False, device="cpu")
        seconds = time.perf_counter() - t0
        lm = load_lm(Path(tmp) / "lm")
        samples = {t: generate(lm, prefix="Ar", num=5, seed=0, temperature=t).texts for t in (0.2, 1.0, 2.0)}
        kn = train_lm(train, LMConfig(level="char", mode="lines", arch="ngram", order=3), Path(tmp) / "kn",
                      valid=valid, progress=False, device="cpu")
        emit({"bench": "surnames_char_lstm", "train_seconds": round(seconds, 1),
              "kn3_valid_ppl": round(kn[0]["valid_ppl"], 3),
              "valid_ppl": round(hist[-1]["valid_ppl"], 3), "samples_prefix_Ar": samples}, sink)


def bench_shakespeare(args, sink):
    with tempfile.TemporaryDirectory() as tmp:
        # the last 10% of the lines are the validation text
        cfg = LMConfig(level="char", layers=2, hidden=args.sh_hidden, emb_dim=64, dropout=0.1, optimizer="adam",
                       lr=0.003, batch_size=32, bptt=100, epochs=100, valid_fraction=0.1, patience=0,
                       max_minutes=args.minutes, schedule="none")
        hist = train_lm(corpus_path("tinyshakespeare"), cfg, Path(tmp) / "lm", progress=False, device=args.device)
        best = min(h["valid_loss"] for h in hist)
        emit({"bench": "tinyshakespeare_char", "minutes": args.minutes, "device": args.device,
              "epochs": len(hist), "valid_loss_nats_per_char": round(best, 4)}, sink)


def bench_throughput(args, sink):
    """Tokens/s of our training step (``embeddings.lm.train.train_step``: clipping, mixed precision
    on CUDA) against a plain fp32 ``nn.LSTM`` loop without either, same sizes, same run."""
    from embeddings.lm.model import RNNLM
    from embeddings.lm.train import train_step

    dev = torch.device(args.device)
    V, H, B, T, steps = 10000, args.hidden, 20, 35, args.steps
    x = torch.randint(0, V, (T, B), device=dev)
    y = torch.randint(0, V, (T, B), device=dev)
    config = LMConfig(hidden=H, emb_dim=H, layers=2, lr=1.0)  # the defaults otherwise: SGD, norm clip 0.25

    def timed(step) -> float:
        for i in range(steps + 3):
            if i == 3:  # three warm-up steps
                if dev.type == "cuda":
                    torch.cuda.synchronize()
                t0 = time.perf_counter()
            step()
        if dev.type == "cuda":
            torch.cuda.synchronize()
        return steps * B * T / (time.perf_counter() - t0)

    torch.manual_seed(0)
    plain_model = torch.nn.ModuleDict({"emb": torch.nn.Embedding(V, H), "rnn": torch.nn.LSTM(H, H, 2),
                                       "out": torch.nn.Linear(H, V)}).to(dev)
    plain_opt = torch.optim.SGD(plain_model.parameters(), lr=1.0)

    def plain_step():
        out, _ = plain_model["rnn"](plain_model["emb"](x))
        loss = torch.nn.functional.cross_entropy(plain_model["out"](out).view(-1, V), y.view(-1))
        plain_opt.zero_grad()
        loss.backward()
        plain_opt.step()

    torch.manual_seed(0)
    model = RNNLM.from_config(config, V).to(dev).train()
    opt = torch.optim.SGD(model.parameters(), lr=config.learning_rate)
    scaler = torch.amp.GradScaler("cuda", enabled=config.amp and dev.type == "cuda")
    carried = {"state": None}

    def our_step():
        _, _, carried["state"] = train_step(model, opt, scaler, x, y, carried["state"], config, ignore=-100)

    plain = timed(plain_step)
    ours = timed(our_step)
    emit({"bench": "throughput", "device": str(dev), "hidden": H, "plain_fp32_tok_s": round(plain),
          "ours_tok_s": round(ours), "ratio": round(ours / plain, 2)}, sink)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--kn", action="store_true")
    p.add_argument("--init-vectors", action="store_true")
    p.add_argument("--names", action="store_true")
    p.add_argument("--shakespeare", action="store_true")
    p.add_argument("--throughput", action="store_true")
    p.add_argument("--ptb-dir", default=str(ROOT.parent / "shared" / "data"))
    p.add_argument("--order", type=int, default=3)
    p.add_argument("--train-lines", type=int, default=6000)
    p.add_argument("--valid-lines", type=int, default=1000)
    p.add_argument("--dim", type=int, default=200)
    p.add_argument("--w2v-epochs", type=int, default=5)
    p.add_argument("--epochs", type=int, default=6)
    p.add_argument("--names-epochs", type=int, default=6)
    p.add_argument("--minutes", type=float, default=15.0)
    p.add_argument("--sh-hidden", type=int, default=256)
    p.add_argument("--hidden", type=int, default=200)
    p.add_argument("--steps", type=int, default=20)
    p.add_argument("--device", default="cpu")
    p.add_argument("--threads", type=int, default=0)
    p.add_argument("--json", help="write all records to this file")
    args = p.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    sink: list = []
    for flag, fn in (("kn", bench_kn), ("names", bench_names), ("throughput", bench_throughput),
                     ("init_vectors", bench_init_vectors), ("shakespeare", bench_shakespeare)):
        if getattr(args, flag):
            fn(args, sink)
    if args.json:
        Path(args.json).write_text(json.dumps(sink, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
