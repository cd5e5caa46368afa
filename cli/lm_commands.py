"""``embeddings lm train | eval | generate``: thin front ends over :mod:`embeddings.lm`."""
from __future__ import annotations

import argparse
import json
import logging
import os

from embeddings.device import DEVICE_HELP
from embeddings.lm.config import LMConfig
from embeddings.lm.sampling import SamplingConfig

from .common import CLIError, add_config_args, add_subparser, config_from_args

log = logging.getLogger(__name__)


def _threads(args) -> None:
    threads = getattr(args, "threads", None)
    if threads is not None and threads < 0:
        raise CLIError(f"--threads must be >= 0 (0: torch's choice), got {threads}")
    if threads:
        import torch

        torch.set_num_threads(args.threads)


def cmd_train(args: argparse.Namespace) -> int:
    from embeddings.lm import train_lm

    _threads(args)
    config = config_from_args(LMConfig, args)
    history = train_lm(args.corpus, config, args.output, valid=args.valid, bpe_model=args.bpe_model,
                       init_vectors=args.init_vectors, resume=args.resume, device=args.device,
                       progress=args.progress)
    last = history[-1] if history else {}
    if os.environ.get("RANK", "0") != "0":  # under torchrun only the first process reports
        return 0
    if "valid_ppl" in last:
        best = min(h["valid_ppl"] for h in history)
        log.info("best validation perplexity %.2f; model written to %s", best, args.output)
    else:
        log.info("model written to %s", args.output)
    return 0


def cmd_eval(args: argparse.Namespace) -> int:
    from embeddings.device import resolve_device
    from embeddings.lm import load_lm
    from embeddings.lm.data import read_lines

    _threads(args)
    dev = resolve_device(args.device)
    lm = load_lm(args.lm_dir, device=str(dev))
    res = lm.evaluate(read_lines(args.text), device=str(dev))
    if args.json:
        print(json.dumps({"lm_dir": str(args.lm_dir), "text": str(args.text), **res.to_dict()}, indent=2))
    else:
        print(f"tokens {res.tokens}  cross-entropy {res.cross_entropy:.4f} nats/token  "
              f"perplexity {res.perplexity:.2f}  bits/char {res.bits_per_char:.4f}")
    return 0


def cmd_generate(args: argparse.Namespace) -> int:
    from embeddings.device import resolve_device
    from embeddings.lm import load_lm
    from embeddings.lm.generate import generate

    _threads(args)
    sampling = config_from_args(SamplingConfig, args)
    dev = str(resolve_device(args.device))
    lm = load_lm(args.lm_dir, device=dev)
    result = generate(lm, prefix=args.prefix, device=dev, num=args.num, seed=args.seed, **sampling.to_dict())
    for text in result.texts:
        print(text)
    return 0


def register(sub) -> None:
    lm = add_subparser(sub, "lm", "recurrent language models: train, evaluate, generate",
                       example="embeddings lm train names.txt --level char --mode lines -o names_lm")
    lm_sub = lm.add_subparsers(metavar="COMMAND", required=True)

    p = add_subparser(lm_sub, "train", "train an LSTM/GRU/RNN language model or a Kneser-Ney n-gram baseline",
                      example="embeddings lm train ptb.train.txt --level word --word-tokenizer whitespace "
                              "--valid ptb.valid.txt --epochs 6 -o ptb_lm")
    p.add_argument("corpus", help="training text, one line per document")
    p.add_argument("-o", "--output", required=True, help="LM directory to write")
    p.add_argument("--valid", help="validation text (else --valid-fraction of the corpus, or none)")
    p.add_argument("--bpe-model", help="BPE model directory for --level bpe ('textprep bpe train')")
    p.add_argument("--init-vectors", help="word2vec file (text or .bin) to start the embedding layer from")
    p.add_argument("--resume", action="store_true", help="continue from the checkpoint in the output directory")
    p.add_argument("--device", default="auto", help=DEVICE_HELP)
    p.add_argument("--threads", type=int, help="CPU threads for torch (default: torch's choice)")
    p.add_argument("--progress", action=argparse.BooleanOptionalAction, default=True,
                   help="progress on stderr: a bar on a terminal, a line every few seconds in a log")
    add_config_args(p, LMConfig)
    p.set_defaults(func=cmd_train)

    p = add_subparser(lm_sub, "eval", "cross-entropy, perplexity and bits per character of a text",
                      example="embeddings lm eval ptb_lm ptb.valid.txt --json")
    p.add_argument("lm_dir")
    p.add_argument("text")
    p.add_argument("--json", action="store_true", help="print a JSON object")
    p.add_argument("--device", default="auto", help=DEVICE_HELP)
    p.add_argument("--threads", type=int, help="CPU threads for torch")
    p.set_defaults(func=cmd_eval)

    p = add_subparser(lm_sub, "generate", "sample continuations of a prefix",
                      example='embeddings lm generate names_lm --prefix "Ar" --temperature 0.8 --num 5')
    p.add_argument("lm_dir")
    p.add_argument("--prefix", default="", help="text to continue")
    add_config_args(p, SamplingConfig)   # the defaults of the main job's report
    p.add_argument("--num", type=int, default=1, help="number of samples")
    p.add_argument("--seed", type=int, default=0, help="random seed")
    p.add_argument("--device", default="auto", help=DEVICE_HELP)
    p.add_argument("--threads", type=int, help="CPU threads for torch")
    p.set_defaults(func=cmd_generate)
