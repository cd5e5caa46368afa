"""``embeddings``: word2vec training, vector queries, language models and the whole pipeline."""
from __future__ import annotations

import argparse
from collections.abc import Sequence

from .common import Parser, add_verbosity, run_main


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog="embeddings",
        description="Train word vectors and language models, query and evaluate them.",
    )
    add_verbosity(parser)
    sub = parser.add_subparsers(metavar="COMMAND", required=True)
    # Each command module adds its own subcommands.
    from . import w2v_commands  # train w2v, similar, analogy, evaluate, plot
    w2v_commands.register(sub)
    from . import lm_commands  # lm train / eval / generate
    lm_commands.register(sub)
    from . import pipeline_commands  # pipeline: every stage on one corpus
    pipeline_commands.register(sub)
    from . import serve_commands  # serve: the web explorer
    serve_commands.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    return run_main("embeddings", build_parser(), argv)


if __name__ == "__main__":
    raise SystemExit(main())
