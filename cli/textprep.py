"""``textprep``: preprocessing, vocabularies, TF-IDF and byte pair encoding from the shell."""
from __future__ import annotations

import argparse
from collections.abc import Sequence

from .common import Parser, add_verbosity, run_main


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog="textprep",
        description="Turn raw Russian or English text into tokens, vocabularies, TF-IDF and BPE subwords.",
    )
    add_verbosity(parser)
    sub = parser.add_subparsers(metavar="COMMAND", required=True)
    # Each command module adds its own subcommands.
    from . import textprep_commands  # preprocess, vocab, tfidf
    textprep_commands.register(sub)
    from . import bpe_commands  # bpe train / encode / decode
    bpe_commands.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    return run_main("textprep", build_parser(), argv)


if __name__ == "__main__":
    raise SystemExit(main())
