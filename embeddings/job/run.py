"""The whole toolkit in one resumable run: raw corpus to report.

Stages, each with one artefact in the run directory (see :mod:`embeddings.job.state`)::

    corpus ─▶ preprocess ─▶ text/documents.txt ─▶ tfidf ─▶ tfidf/ (matrix.npz, top_terms.json)
       │           └──────▶ text/train.txt ─▶ word2vec ─▶ vectors.txt ─▶ queries ─▶ queries/ (+ map.png)
       │                    text/valid.txt      │              │
       │                         ├──────────────┴──────────────┴──▶ lm ─▶ lm/ ─▶ generate ─▶ generated.txt
       │                         └──────────────────────────────────▶ ngram ─▶ ngram/
       └─▶ bpe ─▶ bpe/ (vocab.json, merges.txt)
                                                           all ─▶ report.md

``text/documents.txt`` is the classic bag-of-words view of the corpus (one document per
line: lemmas, no stop words), which TF-IDF weighs.  ``text/train.txt`` and
``text/valid.txt`` keep every word form in order, lower-cased, one sentence per line: what
word2vec and the language models need.  The last ``valid_fraction`` of the sentences is
held out: word2vec never sees it, and both language models are measured on it.

Each stage's settings (with the fingerprints of the stages it reads) are hashed; a stage
whose artefact exists with the same fingerprint is skipped, so running again resumes, and
changing one setting redoes only the stages it touches.  The training stages' settings are
their whole nested configs, less what only changes the speed, so a field added to a trainer's
config is part of the fingerprint without anyone listing it here.  Training stages
checkpoint into their scratch folder and continue from there after an interruption.
"""
from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple

from textprep.corpus import check_readable
from textprep.errors import InputError
from textprep.fileio import write_json
from textprep.runlock import DirectoryLock

from ..interrupt import Interrupted
from . import stages
from .config import CONFIG_FORMAT, RunConfig
from .report import write_report
from .state import STATE_FILE, RunState

log = logging.getLogger(__name__)

CONFIG_FILE = "config.json"
REPORT = "report.md"
#: the scratch folder of the stages in progress (embeddings.job.state), which also holds the run's lock
WORK = ".work"


class Stage(NamedTuple):
    name: str
    artefact: str
    #: what the artefact depends on: settings, and the fingerprints of the stages it reads
    settings: Callable[[], Any]
    #: ``body(out, scratch)`` writes the artefact at ``out`` and returns the figures to keep
    body: Callable[[Path, Path], dict]


def corpus_identity(corpus: Path) -> dict:
    """What tells one corpus file from another without reading it: path, size, mtime."""
    st = corpus.stat()
    return {"path": str(corpus.resolve()), "size": st.st_size, "mtime_ns": st.st_mtime_ns}


def check_run_dir(run_dir: Path) -> None:
    """A run directory is new, empty, or one this pipeline wrote (nothing else gets overwritten)."""
    if run_dir.exists():
        if not run_dir.is_dir():
            raise InputError(f"{run_dir}: exists and is not a directory")
        # a run killed as it started may have left only its scratch folder
        if any(p.name != WORK for p in run_dir.iterdir()) and not ((run_dir / STATE_FILE).exists()
                                                                  or (run_dir / CONFIG_FILE).exists()):
            raise InputError(f"{run_dir}: directory is not empty and holds no pipeline run; choose another -o")


def first_sentence(valid: Path, min_words: int = 6) -> str:
    """A held-out sentence to show the BPE segmentation on."""
    fallback = ""
    with open(valid, encoding="utf-8") as fh:
        for line in fh:
            line = line.strip()
            if len(line.split()) >= min_words:
                return line
            fallback = fallback or line
    return fallback


def plan(corpus: Path, run_dir: Path, config: RunConfig, state: RunState, cluster=None) -> list[Stage]:
    """The stages of a run in order, each with its settings and its body (``cluster``: where the
    preprocess stage runs, which its output and fingerprint do not depend on)."""
    c, d = config, run_dir
    fp = lambda name: state.record(name)["fingerprint"]  # noqa: E731  (read when the stage comes up)
    text = lambda: {"text": fp("preprocess")}  # noqa: E731
    order = [
        Stage("preprocess", "text",
              lambda: {"corpus": corpus_identity(corpus), "lang": c.lang, "encoding": c.encoding, "unit": c.unit,
                       "tfidf_unit": c.tfidf_unit, "lemmatize": c.lemmatize, "valid_fraction": c.valid_fraction},
              lambda out, scratch: stages.preprocess(corpus, c, out, scratch, cluster)),
        Stage("tfidf", "tfidf",
              lambda: {**text(), "top_k": c.tfidf_top_k, "sublinear": c.tfidf_sublinear},
              lambda out, scratch: stages.tfidf(d / "text", c, out)),
        Stage("bpe", "bpe",
              lambda: {**text(), "corpus": corpus_identity(corpus), "encoding": c.encoding,
                       "vocab_size": c.bpe_vocab_size, "pretokenizer": c.bpe_pretokenizer},
              lambda out, scratch: stages.bpe(corpus, c, out, first_sentence(d / "text" / "valid.txt"))),
        Stage("word2vec", "vectors.txt",
              lambda: {**text(), "w2v": c.w2v.result_fields()},
              lambda out, scratch: stages.word2vec(d / "text", c, out, scratch)),
        Stage("queries", "queries",
              lambda: {"vectors": fp("word2vec"), "words": list(c.query_words), "count": c.query_count,
                       "neighbours": c.neighbours, "analogy": c.analogy_expr, "map": c.map_method, "seed": c.seed},
              lambda out, scratch: stages.queries(d / "vectors.txt", c, out)),
        Stage("lm", "lm",
              lambda: {**text(), "vectors": fp("word2vec"), "lm": c.lm.to_dict()},
              lambda out, scratch: stages.lm(d / "text", d / "vectors.txt", c, out, scratch)),
        Stage("lm_random", "lm_random",
              lambda: {**text(), "lm": c.lm.to_dict()},
              lambda out, scratch: stages.lm(d / "text", None, c, out, scratch)),
        Stage("ngram", "ngram",
              lambda: {**text(), "ngram": c.ngram_config().to_dict()},
              lambda out, scratch: stages.ngram(d / "text", c, out)),
        Stage("generate", "generated.txt",
              lambda: {"lm": fp("lm"), "prefix": c.prefix, "num": c.generate_num, "length": c.generate_length,
                       "temperature": c.temperature, "min_length": c.generate_min_length, "top_p": c.top_p,
                       "seed": c.seed},
              lambda out, scratch: stages.generate(d / "lm", c, out)),
    ]
    return [st for st in order if st.name != "lm_random" or c.lm_random_baseline]


def run_pipeline(corpus: str | os.PathLike, run_dir: str | os.PathLike, config: RunConfig | None = None,
                 echo: Callable[[str], None] | None = None, cluster=None) -> dict:
    """Run (or resume) every stage on ``corpus`` into ``run_dir``; returns the run's state.

    ``cluster``: a :class:`~textprep.cluster.session.ClusterSpec` to preprocess on Dask.

    ``echo`` receives one line per stage as it starts and ends (default: the log).  The run
    directory is locked for the run: a second run on it fails at once, naming this process.
    Ctrl-C raises :class:`~embeddings.interrupt.Interrupted`; running again resumes.
    """
    config = config or RunConfig()
    corpus = check_readable(corpus)
    run_dir = Path(run_dir)
    check_run_dir(run_dir)
    with DirectoryLock(run_dir, "run directory", lock_file=run_dir / WORK / "lock"):
        try:
            stages_done = _run(corpus, run_dir, config, echo or log.info, cluster)
        except KeyboardInterrupt as exc:
            # finished stages and the training checkpoints stay: the same command carries on
            why = str(exc) if isinstance(exc, Interrupted) else "interrupted"
            raise Interrupted(f"{why}; the finished stages are kept", needs_resume=False) from None
    with contextlib.suppress(OSError):
        (run_dir / WORK).rmdir()  # only when no stage left scratch behind
    return stages_done


def _run(corpus: Path, run_dir: Path, config: RunConfig, say: Callable[[str], None], cluster=None) -> dict:
    state = RunState(run_dir)
    write_json(run_dir / CONFIG_FILE, {"format": CONFIG_FORMAT, "corpus": str(corpus), "config": config.to_dict()})

    todo = plan(corpus, run_dir, config, state, cluster)
    total = len(todo) + 1
    for i, stage in enumerate(todo, 1):
        settings = stage.settings()
        if state.done(stage.name, settings):
            say(f"[{i}/{total}] {stage.name}: done before ({stage.artefact})")
            continue
        say(f"[{i}/{total}] {stage.name} ...")
        rec = state.run(stage.name, settings, stage.artefact, stage.body)
        say(f"[{i}/{total}] {stage.name}: {rec['seconds']:.1f} s -> {run_dir / stage.artefact}")

    say(f"[{total}/{total}] report ...")
    stages_done = {k: dict(v) for k, v in state.stages.items() if k != "report"}
    state.run("report", {"stages": {k: v["fingerprint"] for k, v in stages_done.items()}, "config": config.to_dict()},
              REPORT, lambda out, scratch: write_report(run_dir, corpus, config, stages_done, out))
    say(f"[{total}/{total}] report: {run_dir / REPORT}")
    return state.stages
