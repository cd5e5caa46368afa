"""The main job: every stage of the toolkit on one corpus, resumable, ending in ``report.md``.

::

    config.py   RunConfig: the job's own settings, a nested Word2VecConfig and LMConfig
    stages.py   one function per stage: preprocess, tfidf, bpe, word2vec, queries, lm, ngram, generate
    state.py    RunState: artefacts renamed into place whole, fingerprints of the settings, resuming
    report.py   report.md and the summary the command prints, from the artefacts and the state
    run.py      run_pipeline: the stages in order, each skipped when done with the same settings

>>> from embeddings.job import RunConfig, run_pipeline                   # doctest: +SKIP
>>> run_pipeline("corpus.txt", "runs/mine", RunConfig.from_dict({"lm": {"epochs": 3}}))
"""
from __future__ import annotations

from .config import RunConfig
from .report import summary_lines


def __getattr__(name: str):
    # The stages load torch, scikit-learn and matplotlib: only a run needs them, not the
    # command line's --help, which reads RunConfig alone.
    if name == "run_pipeline":
        from .run import run_pipeline

        return run_pipeline
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["RunConfig", "run_pipeline", "summary_lines"]
