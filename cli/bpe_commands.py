"""``textprep bpe train | encode | decode | export | import``: byte pair encoding from the shell.

Each command builds its settings, calls :class:`textprep.bpe.BPETokenizer`, and writes the
result; errors become one line on stderr and exit code 2 (see ``cli.common.run_main``).
"""
from __future__ import annotations

import argparse
import logging
import os
import sys
import time
from collections.abc import Iterator

from textprep.bpe import BPEConfig, BPETokenizer
from textprep.corpus import iter_lines
from textprep.fileio import atomic_write
from textprep.parallel import resolve_workers

from . import cluster_commands
from .cluster_commands import add_cluster_args, cluster_spec
from .common import CLIError, add_config_args, add_subparser, config_from_args

log = logging.getLogger("textprep")

EXPORT_FORMATS = ("tokenizers", "transformers")


def register(sub) -> None:
    """Add the ``bpe`` group and its subcommands to the ``textprep`` parser."""
    group = add_subparser(
        sub, "bpe", help="byte pair encoding: train a subword model, encode text to tokens or ids, decode ids",
        example="textprep bpe train corpus.txt --vocab-size 8000 -o bpe_model",
    )
    bpe_sub = group.add_subparsers(metavar="COMMAND", required=True)
    group.set_defaults(func=lambda args: _help(group))

    p = add_subparser(
        bpe_sub, "train", help="learn BPE merges from text files and save the model directory",
        example="textprep bpe train corpus.txt --vocab-size 8000 -o bpe_model --pretokenizer bytelevel",
    )
    p.add_argument("corpus", nargs="+", help="text files ('-': standard input)")
    p.add_argument("-o", "--output", required=True, metavar="MODEL_DIR",
                   help="model directory to write (vocab.json, merges.txt, bpe_config.json)")
    add_config_args(p, BPEConfig)
    p.add_argument("--encoding", default="utf-8", help="encoding of the input files")
    p.add_argument("--workers", type=int, default=0, help="processes for counting (0: one per available CPU)")
    p.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None,
                   help="progress bar on stderr (default: when stderr is a terminal)")
    add_cluster_args(p)   # the counting pass on Dask; the merges are learned here
    p.set_defaults(func=cmd_train)

    p = add_subparser(
        bpe_sub, "encode", help="encode text: one output line per input line, tokens (or ids) separated by spaces",
        example="textprep bpe encode --model bpe_model corpus.txt --ids > ids.txt",
    )
    p.add_argument("--model", required=True, metavar="MODEL_DIR", help="model directory")
    p.add_argument("input", nargs="?", default="-", help="text file (absent or '-': standard input)")
    p.add_argument("--ids", action="store_true", help="write token ids instead of token strings")
    p.add_argument("-o", "--output", default=None, help="output file (default: standard output)")
    p.add_argument("--encoding", default="utf-8", help="encoding of the input")
    p.add_argument("--workers", type=int, default=0, help="processes for large inputs (0: one per available CPU)")
    p.set_defaults(func=cmd_encode)

    p = add_subparser(
        bpe_sub, "decode", help="decode lines of space-separated token ids back to text",
        example="textprep bpe decode --model bpe_model ids.txt",
    )
    p.add_argument("--model", required=True, metavar="MODEL_DIR", help="model directory")
    p.add_argument("input", nargs="?", default="-", help="file of ids (absent or '-': standard input)")
    p.add_argument("-o", "--output", default=None, help="output file (default: standard output)")
    p.set_defaults(func=cmd_decode)

    p = add_subparser(
        bpe_sub, "export", help="write a model as tokenizer.json, which tokenizers and transformers load",
        example="textprep bpe export bpe_model --format tokenizers -o tokenizer.json",
    )
    p.add_argument("model", metavar="MODEL_DIR", help="model directory")
    p.add_argument("--format", choices=EXPORT_FORMATS, default="tokenizers",
                   help="tokenizers: one tokenizer.json file; transformers: a directory with tokenizer.json "
                        "and tokenizer_config.json (the special tokens' roles), for from_pretrained")
    p.add_argument("-o", "--output", required=True, help="file (tokenizers) or directory (transformers) to write")
    p.set_defaults(func=cmd_export)

    p = add_subparser(
        bpe_sub, "import", help="read a BPE tokenizer.json written by tokenizers into a model directory",
        example="textprep bpe import tokenizer.json -o bpe_model",
    )
    p.add_argument("tokenizer_json", metavar="TOKENIZER_JSON", help="tokenizer.json file (or a directory holding one)")
    p.add_argument("-o", "--output", required=True, metavar="MODEL_DIR", help="model directory to write")
    p.set_defaults(func=cmd_import)


def _help(parser: argparse.ArgumentParser) -> int:
    parser.print_help(sys.stderr)
    return 2


def cmd_train(args) -> int:
    config = config_from_args(BPEConfig, args)
    progress = sys.stderr.isatty() if args.progress is None else args.progress
    start = time.perf_counter()
    if (spec := cluster_spec(args, progress)) is not None:
        tok = cluster_commands.bpe_train(args, spec, config)
    else:
        tok = BPETokenizer.train(args.corpus, config, texts=False, encoding=args.encoding,
                                 workers=args.workers or None, progress=progress)
    tok.save(args.output)
    s = tok.stats
    log.info(
        "vocabulary size %d (%d merges); %.2f characters per token on the training corpus "
        "(%d pre-tokens, %d unique); %.1f s; saved to %s",
        len(tok), s["merges"], s["chars_per_token"], s["pretokens"], s["unique_pretokens"],
        time.perf_counter() - start, args.output,
    )
    return 0


def _write_lines(path: str | None, lines: Iterator[str]) -> None:
    if path is None:
        out = sys.stdout
        for line in lines:
            out.write(line)
            out.write("\n")
        out.flush()
        return
    with atomic_write(path) as fh:
        for line in lines:
            fh.write(line)
            fh.write("\n")


def cmd_encode(args) -> int:
    tok = BPETokenizer.load(args.model)
    lines = iter_lines(args.input, args.encoding)
    workers = resolve_workers(args.workers)
    # Small inputs are not worth starting processes for.
    if args.input == "-" or os.path.getsize(args.input) < (4 << 20):
        workers = 1
    vocab = tok.get_vocab()
    id_to_token = sorted(vocab, key=vocab.__getitem__)

    def render() -> Iterator[str]:
        for ids in tok.encode_lines(lines, workers=workers):
            yield " ".join(map(str, ids)) if args.ids else " ".join(id_to_token[i] for i in ids)

    _write_lines(args.output, render())
    return 0


def cmd_decode(args) -> int:
    tok = BPETokenizer.load(args.model)
    name = "<stdin>" if args.input == "-" else args.input

    def render() -> Iterator[str]:
        for lineno, line in enumerate(iter_lines(args.input), 1):
            try:
                ids = [int(x) for x in line.split()]
            except ValueError:
                bad = next(x for x in line.split() if not x.lstrip("-").isdigit())
                raise CLIError(f"{name}: line {lineno}: {bad!r} is not a token id") from None
            try:
                yield tok.decode(ids)
            except ValueError as exc:
                raise CLIError(f"{name}: line {lineno}: {exc}") from None

    _write_lines(args.output, render())
    return 0


def cmd_export(args) -> int:
    from textprep.bpe.hf_json import special_token_roles, write_tokenizer_json, write_transformers_dir

    tok = BPETokenizer.load(args.model)
    if args.format == "transformers":
        write_transformers_dir(tok, args.output)
    else:
        write_tokenizer_json(tok, args.output)
    roles = ", ".join(f"{k}={v!r}" for k, v in special_token_roles(tok).items())
    log.info("wrote %s (%s format, vocabulary size %d, %s pre-tokenizer); special tokens: %s",
             args.output, args.format, len(tok), tok.pretokenizer, roles or "none")
    return 0


def cmd_import(args) -> int:
    from textprep.bpe.hf_json import read_tokenizer_json

    tok = read_tokenizer_json(args.tokenizer_json)
    tok.save(args.output)
    log.info("read %s: vocabulary size %d (%d merges), %s pre-tokenizer, special tokens %s; saved to %s",
             args.tokenizer_json, len(tok), len(tok.merges), tok.pretokenizer, " ".join(tok.special_tokens) or "none",
             args.output)
    return 0
