"""``--scheduler`` / ``--dask-workers``: the cluster halves of the per-line commands.

Each command's own module adds the flags with :func:`add_cluster_args` and, when
:func:`cluster_spec` returns a spec, hands its work to the function here of the same name.
Nothing in this module imports Dask at load time: ``textprep.cluster.session`` does, and only
once a run asks for it.
"""
from __future__ import annotations

import argparse
import logging
import sys

from textprep.cluster.partitions import PARTITION_BYTES
from textprep.pipeline import PipelineConfig

from .common import CLIError, config_from_args

log = logging.getLogger("textprep")


def add_cluster_args(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("cluster (Dask; see docs/cluster.md)")
    where = g.add_mutually_exclusive_group()
    where.add_argument("--scheduler", metavar="ADDRESS", default=None,
                       help="run the per-line work on the Dask scheduler at ADDRESS (tcp://host:8786); "
                            "the input must be a path or URL every worker can read")
    where.add_argument("--dask-workers", metavar="N", type=int, default=None,
                       help="run the per-line work on a Dask LocalCluster of N worker processes")
    g.add_argument("--scheduler-timeout", metavar="SECONDS", type=float, default=10.0,
                   help="give up on a scheduler that has not answered after this long")
    g.add_argument("--partition-mb", metavar="MB", type=float, default=PARTITION_BYTES / (1 << 20),
                   help="input cut into byte ranges of about this many MiB, at line ends")


def _parts(args, spec, paths):
    from textprep.cluster import jobs

    return jobs.partitions(paths, args.encoding, spec.partition_bytes)


def cluster_spec(args: argparse.Namespace, progress: bool = True):
    """The run's :class:`~textprep.cluster.session.ClusterSpec`, or None without the flags."""
    if getattr(args, "scheduler", None) is None and getattr(args, "dask_workers", None) is None:
        return None
    from textprep.cluster.session import ClusterSpec

    size = int(args.partition_mb * (1 << 20))
    if size < 1:
        raise CLIError(f"partition_mb must be > 0, got {args.partition_mb}")
    return ClusterSpec(args.scheduler, args.dask_workers, args.scheduler_timeout, progress, size)


def _session(spec):
    from textprep.cluster.session import open_session

    return open_session(spec)


def _config(args) -> PipelineConfig:
    from textprep.pipeline import Pipeline

    config = config_from_args(PipelineConfig, args)
    Pipeline(config)   # stop-word files and the like are checked here, before any worker starts
    return config


def _stdout():
    out = sys.stdout
    if (out.encoding or "").lower().replace("-", "") != "utf8" and hasattr(out, "reconfigure"):
        out.reconfigure(encoding="utf-8")
    return out


# -- textprep preprocess | vocab | tfidf -------------------------------------------------------
def preprocess(args, spec) -> int:
    from textprep.cluster import jobs
    from textprep.fileio import atomic_write

    config = _config(args)
    parts = _parts(args, spec, [args.input])
    with _session(spec) as session:
        if args.output:
            with atomic_write(args.output) as out:
                n = jobs.write_preprocessed(session, parts, config, out, args.min_count)
            log.info("%s: %d documents", args.output, n)
        else:
            jobs.write_preprocessed(session, parts, config, _stdout(), args.min_count)
    return 0


def vocab(args, spec) -> int:
    from textprep.cluster import jobs

    config = _config(args)
    parts = _parts(args, spec, [args.input])
    with _session(spec) as session:
        v = jobs.build_vocabulary(session, parts, config, args.min_count, args.max_size, args.max_df)
    v.save(args.output)
    log.info("%s: %d tokens (%d special)", args.output, len(v), len(v.specials))
    return 0


def tfidf(args, spec, model):
    """``(matrix, feature names, idf)`` of ``model`` (a TfIdf) fitted on the cluster."""
    import numpy as np
    import scipy.sparse as sp

    from textprep.cluster import jobs

    config = _config(args)
    parts = _parts(args, spec, [args.input])
    with _session(spec) as session:
        fitted = jobs.tfidf_counts(session, parts, config, model.min_df, model.max_df, model.binary)
        n_docs = None if fitted is not None else jobs.token_stats(session, parts, None, desc="lines").n_docs
    if fitted is None:   # empty input, or nothing but stop words: an empty matrix, as without the cluster
        return sp.csr_matrix((n_docs, 0)), np.array([], dtype=str), np.array([])
    counts, names = fitted
    return model.fit_counts(counts), names, model.idf_


# -- textprep bpe train ------------------------------------------------------------------------
def bpe_train(args, spec, config):
    """A :class:`~textprep.bpe.BPETokenizer` whose pre-tokens were counted on the cluster."""
    import time

    from textprep.bpe import BPETokenizer
    from textprep.cluster import jobs

    start = time.perf_counter()
    from textprep.cluster.partitions import check_source

    paths = [check_source(str(p)) for p in args.corpus]   # a missing file fails before any worker starts
    with _session(spec) as session:
        counts = jobs.bpe_counts(session, paths, args.encoding, config.pretokenizer, config.special_tokens)
    if not counts:
        raise_empty(args.corpus)
    return BPETokenizer.train_from_counts(counts, config, progress=spec.progress, start=start)


def raise_empty(paths) -> None:
    from textprep.errors import InputError

    raise InputError(f"empty corpus: no pre-tokens in {', '.join(str(p) for p in paths)}")


# -- embeddings train w2v ----------------------------------------------------------------------
def w2v_cache(args, spec, w2v_config, folder, fingerprint):
    """The word2vec corpus cache in ``folder``: reused when it matches ``fingerprint``, else both of
    its passes (vocabulary, word ids) run on the cluster."""
    import os

    from embeddings.word2vec.cache import full_fingerprint, open_cache
    from embeddings.word2vec.cluster_cache import cluster_cached_corpus

    if int(os.environ.get("WORLD_SIZE", "1")) > 1:
        raise CLIError("--scheduler/--dask-workers cannot be combined with torchrun: build the corpus cache "
                       "first with one process, then train under torchrun (it reuses the cache)")
    config = None if args.tokenized else PipelineConfig(lang=args.lang, lowercase=not args.keep_case,
                                                        lemmatize=args.lemmatize, punctuation=False)
    parts = _parts(args, spec, [args.corpus])
    found = open_cache(folder, full_fingerprint(fingerprint, w2v_config.min_count, w2v_config.max_vocab,
                                                w2v_config.count_cap))
    if found is not None:   # nothing to count: no cluster is started
        return found
    with _session(spec) as session:
        return cluster_cached_corpus(session, parts, config, folder, w2v_config.min_count, w2v_config.max_vocab,
                                     w2v_config.count_cap, fingerprint)
