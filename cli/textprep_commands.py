"""``textprep preprocess``, ``textprep vocab`` and ``textprep tfidf``.

Each command builds a :class:`textprep.pipeline.PipelineConfig` from its flags, calls the
library, and writes the result; errors become one line on stderr and exit code 2.
"""
from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Iterator

from textprep.corpus import TextCorpus
from textprep.fileio import atomic_write
from textprep.filtering import TokenizedCorpus, check_filter, write_tokenized
from textprep.pipeline import Pipeline, PipelineConfig
from textprep.progress import is_terminal, progress_bar

from . import cluster_commands
from .cluster_commands import add_cluster_args, cluster_spec
from .common import CLIError, add_config_args, add_subparser, config_from_args

log = logging.getLogger("textprep")

#: inputs at least this large get a progress bar (when stderr is a terminal)
PROGRESS_MIN_BYTES = 1 << 20


def register(sub) -> None:
    p = add_subparser(
        sub, "preprocess", help="tokenize (and lemmatize or stem) a corpus: one output line per input line",
        example="textprep preprocess corpus.txt -o tokens.txt --lang ru --lemmatize --stopwords ru",
    )
    _input_args(p)
    p.add_argument("-o", "--output", default=None, help="output file (default: standard output)")
    p.add_argument("--min-count", type=int, default=1, help="drop tokens seen fewer times in the whole input")
    p.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None,
                   help="progress on stderr: a bar on a terminal, a line every few seconds in a log "
                        "(default: on, except a terminal bar for inputs under 1 MB)")
    p.set_defaults(func=cmd_preprocess)

    p = add_subparser(
        sub, "vocab", help="build a vocabulary (token <-> id, counts, special tokens) and save it as JSON",
        example="textprep vocab corpus.txt -o vocab.json --lemmatize --min-count 2",
    )
    _input_args(p)
    p.add_argument("-o", "--output", required=True, help="vocabulary JSON file to write")
    p.add_argument("--min-count", type=int, default=1, help="keep tokens seen at least this many times")
    p.add_argument("--max-size", type=int, default=None, help="keep at most this many tokens (most frequent)")
    p.add_argument("--max-df", type=_fraction_or_count, default=None,
                   help="drop tokens in more than this fraction (0.5) or number (100) of documents")
    p.set_defaults(func=cmd_vocab)

    p = add_subparser(
        sub, "tfidf", help="TF-IDF matrix: print each document's top terms, or save the sparse matrix",
        example="textprep tfidf corpus.txt --lemmatize --stopwords ru --top-k 5",
    )
    _input_args(p)
    p.add_argument("-o", "--output", default=None, help="save the matrix and its vocabulary to this .npz file")
    p.add_argument("--top-k", type=int, default=10, help="terms printed per document")
    p.add_argument("--idf", default="smooth", help="smooth: ln((1+N)/(1+df))+1 (scikit-learn); plain: ln(N/df)")
    p.add_argument("--norm", default="l2", help="row normalization: l2, l1 or none")
    p.add_argument("--sublinear-tf", action="store_true", help="use 1 + ln(count) instead of the count")
    p.add_argument("--min-df", type=_fraction_or_count, default=1,
                   help="ignore terms in fewer documents (count) or a smaller fraction of them")
    p.add_argument("--max-df", type=_fraction_or_count, default=1.0,
                   help="ignore terms in more than this fraction (or number) of documents")
    p.set_defaults(func=cmd_tfidf)


def _input_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("input", help="text file, one document per line ('-': standard input)")
    p.add_argument("--encoding", default="utf-8", help="encoding of the input")
    p.add_argument("--workers", type=int, default=0,
                   help="worker processes for lemmatizing/stemming (0: one per CPU)")
    add_config_args(p, PipelineConfig)
    add_cluster_args(p)


def _fraction_or_count(text: str) -> float | int:
    """``0.5`` -> a fraction, ``100`` -> a count."""
    try:
        return float(text) if any(c in text for c in ".eE") else int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None


def _pipeline(args) -> Pipeline:
    # pymorphy3 announces its dictionary at INFO level; that is noise on a command line
    logging.getLogger("pymorphy3").setLevel(max(logging.WARNING, logging.getLogger().level))
    return Pipeline(config_from_args(PipelineConfig, args))


def _stdout():
    out = sys.stdout
    if (out.encoding or "").lower().replace("-", "") != "utf8" and hasattr(out, "reconfigure"):
        out.reconfigure(encoding="utf-8")
    return out


def _progress_wrapper(args):
    """A function wrapping the token-list iterator in a progress bar, or None.

    By default a terminal shows a bar for inputs of 1 MB or more; a log file or a pipe gets a
    line every few seconds (none at all for a run shorter than that)."""
    show = args.progress
    if show is None:
        show = not is_terminal(sys.stderr) or args.input == "-" or os.path.getsize(args.input) >= PROGRESS_MIN_BYTES
    if not show:
        return None
    total = None
    if args.input != "-":
        with open(args.input, "rb") as fh:
            total = sum(block.count(b"\n") for block in iter(lambda: fh.read(1 << 20), b""))

    def wrap(it: Iterator[list[str]]) -> Iterator[list[str]]:
        yield from progress_bar(it, total=total, unit="doc", desc="preprocess", mininterval=0.5, dynamic_ncols=True)

    return wrap


def cmd_preprocess(args) -> int:
    pipe = _pipeline(args)
    check_filter(args.min_count, None)
    if (spec := cluster_spec(args, progress=args.progress is not False)) is not None:
        return cluster_commands.preprocess(args, spec)
    corpus = TextCorpus(args.input, encoding=args.encoding)
    progress = _progress_wrapper(args)
    if args.output:
        with atomic_write(args.output) as out:
            n = write_tokenized(corpus, out, pipe, workers=args.workers, min_count=args.min_count, progress=progress)
        log.info("%s: %d documents", args.output, n)
    else:
        write_tokenized(corpus, _stdout(), pipe, workers=args.workers, min_count=args.min_count, progress=progress)
    return 0


def cmd_vocab(args) -> int:
    from textprep.vocab import Vocabulary

    pipe = _pipeline(args)
    check_filter(args.min_count, args.max_df)
    if args.max_size is not None and args.max_size < 1:
        raise CLIError(f"max_size must be >= 1, got {args.max_size}")
    if (spec := cluster_spec(args)) is not None:
        return cluster_commands.vocab(args, spec)
    corpus = TextCorpus(args.input, encoding=args.encoding)
    docs = TokenizedCorpus(corpus, pipe, workers=args.workers)
    vocab = Vocabulary.build(docs, min_count=args.min_count, max_size=args.max_size, max_df=args.max_df)
    vocab.save(args.output)
    log.info("%s: %d tokens (%d special)", args.output, len(vocab), len(vocab.specials))
    return 0


def cmd_tfidf(args) -> int:
    import numpy as np
    import scipy.sparse as sp

    from textprep.vectorize import TfIdf, save_matrix, top_terms

    pipe = _pipeline(args)
    if args.top_k < 1:
        raise CLIError(f"top_k must be >= 1, got {args.top_k}")
    norm = None if args.norm == "none" else args.norm
    model = TfIdf(pipeline=pipe, idf=args.idf, norm=norm, sublinear_tf=args.sublinear_tf,
                  min_df=args.min_df, max_df=args.max_df)
    model.check_params()   # bad --idf/--norm fail before the corpus is read
    if (spec := cluster_spec(args)) is not None:
        X, names, idf = cluster_commands.tfidf(args, spec, model)
    else:
        corpus = TextCorpus(args.input, encoding=args.encoding)
        token_docs = list(pipe.map(corpus, workers=args.workers))
        if any(token_docs):
            X = model.fit_transform(token_docs)
            names = model.get_feature_names_out()
            idf = model.idf_
        else:   # empty input, or nothing but stop words: an empty matrix, not an error
            X, names, idf = sp.csr_matrix((len(token_docs), 0)), np.array([], dtype=str), np.array([])
    if args.output:
        save_matrix(args.output, X, names, idf)
        log.info("%s: %d documents x %d terms", args.output, X.shape[0], X.shape[1])
        return 0
    out = _stdout()
    for i, terms in enumerate(top_terms(X, names, args.top_k), start=1):
        out.write(f"{i}\t" + " ".join(f"{t}:{w:.4f}" for t, w in terms) + "\n")
    return 0
