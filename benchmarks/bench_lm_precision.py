"""The LSTM language model's training step in float32, float16 autocast (with a gradient scaler,
what ``lm train`` uses on CUDA) and bfloat16 autocast (no scaler needed), over model and batch
sizes, on one device: tokens/s and the ratio to float32 of the same size.

    python benchmarks/bench_lm_precision.py --device cuda
    python benchmarks/bench_lm_precision.py --device cpu --hidden 64 --batch 8 --steps 3    # seconds

The step is the real one (``embeddings.lm.train.train_step``) for float32 and float16; bfloat16 runs
the same forward pass, loss and clipped SGD step under ``torch.autocast(dtype=torch.bfloat16)``.
Inputs are random ids (speed does not depend on them).
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import torch  # noqa: E402

from embeddings.lm.config import LMConfig  # noqa: E402
from embeddings.lm.evaluate import loss_sum  # noqa: E402
from embeddings.lm.model import RNNLM  # noqa: E402
from embeddings.lm.train import train_step  # noqa: E402


def bf16_step(model, opt, x, y, state, config):
    with torch.autocast(x.device.type, dtype=torch.bfloat16):
        logits, state = model(x, state)
    loss = loss_sum(logits, y, -100) / y.numel()
    opt.zero_grad(set_to_none=True)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), config.clip)
    opt.step()
    return loss.detach(), y.numel(), tuple(s.detach() for s in state)


def time_steps(device, hidden, batch, vocab, precision, steps) -> float:
    config = LMConfig(hidden=hidden, emb_dim=hidden, layers=2, dropout=0.5, bptt=35, batch_size=batch)
    gen = torch.Generator().manual_seed(0)
    x = torch.randint(0, vocab, (config.bptt, batch), generator=gen).to(device)
    y = torch.randint(0, vocab, (config.bptt, batch), generator=gen).to(device)
    torch.manual_seed(0)
    model = RNNLM.from_config(config, vocab).to(device)
    opt = torch.optim.SGD(model.parameters(), lr=1.0)
    scaler = torch.amp.GradScaler(device.type, enabled=precision == "fp16" and device.type == "cuda")
    state = None

    def step(state):
        if precision == "bf16":
            return bf16_step(model, opt, x, y, state, config)
        return train_step(model, opt, scaler, x, y, state, config, -100)

    for _ in range(3):                                      # warm-up: kernels, allocator
        _, _, state = step(state)
    if device.type == "cuda":
        torch.cuda.synchronize()
    t0 = time.perf_counter()
    for _ in range(steps):
        _, n, state = step(state)
    if device.type == "cuda":
        torch.cuda.synchronize()
    return steps * n / (time.perf_counter() - t0)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--device", default="cuda")
    p.add_argument("--hidden", type=int, nargs="+", default=[650, 1500])
    p.add_argument("--batch", type=int, nargs="+", default=[64, 256])
    p.add_argument("--vocab", type=int, default=10_000)
    p.add_argument("--steps", type=int, default=100)
    p.add_argument("--precisions", nargs="+", choices=["fp32", "fp16", "bf16"], default=["fp32", "fp16", "bf16"])
    args = p.parse_args(argv)
    device = torch.device(args.device)
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else "cpu"
    print(f"device {name}, torch {torch.__version__}, vocab {args.vocab}, bptt 35, 2 layers, {args.steps} steps")
    refused: dict[str, str] = {}        # precisions this device cannot run, and torch's reason
    for hidden in args.hidden:
        for batch in args.batch:
            rates = {}
            for prec in args.precisions:
                if prec in refused:
                    continue
                try:
                    rates[prec] = time_steps(device, hidden, batch, args.vocab, prec, args.steps)
                except RuntimeError as exc:
                    if prec == "fp32":
                        raise
                    # e.g. oneDNN has no bfloat16 LSTM on a CPU without AVX-512
                    refused[prec] = str(exc).splitlines()[0]
                    print(f"{prec}: cannot run on this device ({refused[prec]})", file=sys.stderr)
            base = rates.get("fp32")
            shown = "  ".join([f"{k} {v:>9.0f} tokens/s" + (f" (x{v / base:.2f})" if base and k != "fp32" else "")
                               for k, v in rates.items()] + [f"{k} unsupported here" for k in refused])
            print(f"hidden {hidden:>5} batch {batch:>4}: {shown}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
