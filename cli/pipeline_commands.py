"""``embeddings pipeline CORPUS -o RUN_DIR``: every stage of the toolkit on one corpus."""
from __future__ import annotations

import argparse
import dataclasses
import logging
import typing

from .cluster_commands import add_cluster_args, cluster_spec
from .common import add_config_args, add_subparser

log = logging.getLogger("embeddings.pipeline")

#: the nested configs of RunConfig: reached by the flat flags of ``ALIASES``, not flags of their own
NESTED = ("w2v", "lm")


def _setting_names() -> set[str]:
    from embeddings.job.config import ALIASES, RunConfig

    return {f.name for f in dataclasses.fields(RunConfig)} - set(NESTED) | set(ALIASES)


def _settings(args: argparse.Namespace):
    """The run's settings: the defaults, then ``--config FILE``, then the flags given."""
    from embeddings.job import RunConfig

    names = _setting_names()
    given = {k: tuple(v) if isinstance(v, list) else v for k, v in vars(args).items() if k in names}
    if args.config:
        return RunConfig.from_json(args.config, **given)
    return RunConfig.from_dict(given)


def cmd_pipeline(args: argparse.Namespace) -> int:
    from embeddings.job import run_pipeline, summary_lines

    config = _settings(args)
    stages = run_pipeline(args.corpus, args.output, config, echo=log.info,   # -q silences the stages' lines
                          cluster=cluster_spec(args))
    for line in summary_lines(stages):
        print(line)
    print(f"report: {args.output}/report.md")
    return 0


def _add_alias_args(parser: argparse.ArgumentParser, section: str) -> None:
    """One flag per flat name of a field of ``section`` (``--w2v-dim``, ``--lm-epochs``, ...)."""
    from embeddings.job.config import ALIASES, RunConfig

    defaults = RunConfig()
    for alias in (a for a in ALIASES.values() if a.section == section):
        cls = type(getattr(defaults, alias.section))
        kind = typing.get_type_hints(cls)[alias.field]
        kinds = [k for k in typing.get_args(kind) if k is not type(None)] or [kind]
        flag = "--" + alias.name.replace("_", "-")
        default = defaults.flat(alias.name)
        if kinds[0] is bool:
            parser.add_argument(flag, dest=alias.name, action=argparse.BooleanOptionalAction, default=default,
                                help=alias.help)
        else:
            parser.add_argument(flag, dest=alias.name, type=kinds[0], default=default, help=alias.help)


def register(sub) -> None:
    from embeddings.job import RunConfig

    p = add_subparser(
        sub, "pipeline",
        "run the whole toolkit on a corpus: preprocessing, TF-IDF, BPE, word2vec, queries, "
        "a language model and its n-gram baseline, generated text, report.md; re-running resumes",
        example="embeddings pipeline corpus.txt -o runs/mine --config settings.json --lm-epochs 3",
    )
    p.add_argument("corpus", help="a text file (UTF-8 unless --encoding)")
    p.add_argument("-o", "--output", required=True, help="run directory (created; an earlier run there is resumed)")
    p.add_argument("--config", help="JSON file with any of the settings below, and the nested word2vec ('w2v') "
                                    "and language-model ('lm') settings (flags given here win)")
    p.add_argument("--progress", action=argparse.BooleanOptionalAction, default=True,
                   help="progress of the long stages on stderr: a bar on a terminal, a line every few seconds "
                        "in a log")
    # the flags in the order of RunConfig's fields, a nested config's flags where it sits
    fields = [f.name for f in dataclasses.fields(RunConfig)]
    for name in fields:
        if name in NESTED:
            _add_alias_args(p, name)
        else:
            add_config_args(p, RunConfig, skip=set(fields) - {name})
    # Only the flags actually given override the --config file: the others stay unset.
    names = _setting_names()
    for action in p._actions:
        if action.dest in names:
            shown = action.default
            if isinstance(shown, tuple):
                shown = " ".join(shown) or "none"
            action.help = f"{action.help} (default: {shown!s})".replace("%", "%%")
            action.default = argparse.SUPPRESS
    add_cluster_args(p)   # the preprocess stage on Dask
    p.set_defaults(func=cmd_pipeline)
