"""``embeddings pipeline CORPUS -o RUN_DIR``: every stage of the toolkit on one corpus."""
from __future__ import annotations

import argparse
import dataclasses
import sys

from .common import add_config_args, add_subparser


def _settings(args: argparse.Namespace):
    """The run's settings: the defaults, then ``--config FILE``, then the flags given."""
    from embeddings.pipeline import RunConfig

    names = {f.name for f in dataclasses.fields(RunConfig)}
    given = {k: tuple(v) if isinstance(v, list) else v for k, v in vars(args).items() if k in names}
    if args.config:
        return RunConfig.from_json(args.config, **given)
    return RunConfig(**given)


def cmd_pipeline(args: argparse.Namespace) -> int:
    from embeddings.pipeline import run_pipeline
    from embeddings.report import summary_lines

    config = _settings(args)
    stages = run_pipeline(args.corpus, args.output, config, echo=lambda line: print(line, file=sys.stderr))
    for line in summary_lines(stages):
        print(line)
    print(f"report: {args.output}/report.md")
    return 0


def register(sub) -> None:
    from embeddings.pipeline import RunConfig

    p = add_subparser(
        sub, "pipeline",
        "run the whole toolkit on a corpus: preprocessing, TF-IDF, BPE, word2vec, queries, "
        "a language model and its n-gram baseline, generated text, report.md; re-running resumes",
        example="embeddings pipeline corpus.txt -o runs/mine --config settings.json --lm-epochs 3",
    )
    p.add_argument("corpus", help="a text file (UTF-8 unless --encoding)")
    p.add_argument("-o", "--output", required=True, help="run directory (created; an earlier run there is resumed)")
    p.add_argument("--config", help="JSON file with any of the settings below (flags given here win)")
    add_config_args(p, RunConfig)
    # Only the flags actually given override the --config file: the others stay unset.
    for action in p._actions:
        if action.dest in {f.name for f in dataclasses.fields(RunConfig)}:
            shown = action.default
            if isinstance(shown, tuple):
                shown = " ".join(shown) or "none"
            action.help = f"{action.help} (default: {shown!s})".replace("%", "%%")
            action.default = argparse.SUPPRESS
    p.set_defaults(func=cmd_pipeline)
