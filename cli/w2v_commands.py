"""``embeddings train w2v``, ``similar``, ``analogy``, ``evaluate`` and ``plot``.

Thin front ends: parse, build the config, call one library function, write the output.
"""
from __future__ import annotations

import argparse
import json
import logging
import os
import time
from pathlib import Path

from .cluster_commands import add_cluster_args, cluster_spec
from .common import CLIError, add_config_args, add_subparser, config_from_args

log = logging.getLogger(__name__)


def _token_corpus(args: argparse.Namespace):
    if args.tokenized:
        from textprep.corpus import WhitespaceCorpus

        return WhitespaceCorpus(args.corpus, args.encoding)
    try:
        from textprep.filtering import TokenizedCorpus
        from textprep.pipeline import Pipeline, PipelineConfig
    except ImportError as exc:
        raise CLIError(f"raw-text input needs textprep.pipeline ({exc}); pass --tokenized for whitespace-split "
                       "text") from None
    from textprep.corpus import TextCorpus

    pipe = Pipeline(PipelineConfig(lang=args.lang, lowercase=not args.keep_case, lemmatize=args.lemmatize,
                                   punctuation=False))
    return TokenizedCorpus(TextCorpus(args.corpus, encoding=args.encoding), pipe, workers=args.tokenize_workers)


def _corpus_identity(args: argparse.Namespace) -> dict:
    """What makes the word ids of a corpus file: the file itself and how it is read."""
    path = Path(args.corpus)
    st = path.stat()
    return {"corpus": str(path.resolve()), "size": st.st_size, "mtime_ns": st.st_mtime_ns,
            "encoding": args.encoding, "tokenized": args.tokenized, "lang": args.lang,
            "lemmatize": args.lemmatize, "keep_case": args.keep_case}


def _load(path: str):
    from embeddings.keyedvectors import KeyedVectors

    return KeyedVectors.load_word2vec_format(path)


# -- train w2v ---------------------------------------------------------------------------
def cmd_train_w2v(args: argparse.Namespace) -> int:
    if args.backend == "gensim" or int(os.environ.get("RANK", "0")) != 0:
        return _train_w2v(args)
    from textprep.runlock import DirectoryLock, remove_temporaries

    # the checkpoint folder's lock guards the whole command: the corpus cache, training and the
    # vectors (what a killed run left half written of those is removed under it)
    with DirectoryLock(Path(args.checkpoint_dir or str(args.output) + ".ckpt"), "word2vec checkpoint directory"):
        out = Path(args.output)
        remove_temporaries(out.parent, [out.name, out.name + ".json"])
        return _train_w2v(args)


def _train_w2v(args: argparse.Namespace) -> int:
    from embeddings.word2vec import train_word2vec

    if args.corpus == "-":
        raise CLIError("word2vec reads its corpus several times: give a file, not '-' (standard input)")
    config = config_from_args(_config_cls(), args, sg=args.mode == "skipgram")
    spec = cluster_spec(args, progress=args.progress)
    if spec is not None and args.backend == "gensim":
        raise CLIError("--scheduler/--dask-workers build the torch backend's corpus cache; gensim reads the corpus "
                       "itself (use --backend torch)")
    corpus = _token_corpus(args) if spec is None else None
    t0 = time.perf_counter()
    if args.backend == "gensim":
        from embeddings.gensim_backend import train_gensim

        # gensim reads the corpus once per epoch: tokenize raw text once, not every pass.
        kv = train_gensim(corpus if args.tokenized else list(corpus), config)
    else:
        ckpt = Path(args.checkpoint_dir or str(args.output) + ".ckpt")
        if spec is not None:   # both passes over the text on Dask; training reads the cache as usual
            from .cluster_commands import w2v_cache

            corpus = w2v_cache(args, spec, config, ckpt / "corpus", _corpus_identity(args))
        # the corpus is counted once and written as word ids beside the checkpoint; a later run on
        # the same file with the same reading settings reads the ids instead of tokenizing again
        kv = train_word2vec(corpus, config, checkpoint_dir=ckpt, resume=args.resume, progress=args.progress,
                            cache_dir=ckpt / "corpus", fingerprint=_corpus_identity(args))
        if int(os.environ.get("RANK", "0")) != 0:
            return 0  # under torchrun, process 0 writes the vectors
    seconds = time.perf_counter() - t0
    kv.save_word2vec_format(args.output, binary=Path(args.output).suffix == ".bin")  # the CLI's suffix rule
    from textprep.fileio import write_json

    write_json(str(args.output) + ".json", {"backend": args.backend, "config": config.to_dict(),
                                           "words": len(kv), "train_seconds": round(seconds, 2)})
    log.info("%d vectors of dimension %d written to %s", len(kv), kv.vector_size, args.output)
    return 0


def _config_cls():
    from embeddings.word2vec import Word2VecConfig

    return Word2VecConfig


# -- queries -------------------------------------------------------------------------------
def _print_pairs(pairs) -> None:
    for word, score in pairs:
        print(f"{word}\t{score:.4f}")


def cmd_similar(args: argparse.Namespace) -> int:
    kv = _load(args.vectors)
    _print_pairs(kv.most_similar(positive=[args.word], topn=args.topn))
    return 0


def cmd_analogy(args: argparse.Namespace) -> int:
    from embeddings.evaluate import parse_analogy

    if args.expression and (args.positive or args.negative):
        raise CLIError("give either an expression or --positive/--negative, not both")
    if args.expression:
        positive, negative = parse_analogy(args.expression)
    elif args.positive:
        positive, negative = args.positive, args.negative or []
    else:
        raise CLIError("give an expression such as 'king - man + woman' or --positive WORDS [--negative WORDS]")
    kv = _load(args.vectors)
    _print_pairs(kv.most_similar(positive=positive, negative=negative, topn=args.topn, method=args.method))
    return 0


def _bundled_sets(kv, vectors: str):
    """The bundled analogy and similarity files of the vectors' language (told by their script)."""
    from embeddings.evaluate import LANGUAGE_NAMES, bundled_sets, guess_language

    lang = guess_language(kv)
    analogies, similarity = bundled_sets(lang if lang is not None else "en")
    name = LANGUAGE_NAMES.get(lang or "", "")
    if analogies is None and similarity is None:
        raise CLIError(f"could not evaluate: {vectors} looks {name} (the script of its most frequent words) and "
                       f"no {name} evaluation set is bundled; give --analogies FILE or --similarity FILE")
    log.info("the vectors look %s: the bundled %s sets", name or "neither Russian nor English", name or "English")
    return analogies, similarity


def cmd_evaluate(args: argparse.Namespace) -> int:
    from embeddings.evaluate import evaluate_word_analogies, evaluate_word_pairs, unanswerable

    kv = _load(args.vectors)
    analogies, similarity = args.analogies, args.similarity
    if analogies is None and similarity is None:
        analogies, similarity = _bundled_sets(kv, args.vectors)
    report: dict = {"vectors": str(args.vectors), "words": len(kv)}
    results = []
    if analogies is not None:
        results.append(("analogies", analogies, evaluate_word_analogies(kv, analogies, args.restrict_vocab)))
    if similarity is not None:
        results.append(("similarity", similarity, evaluate_word_pairs(kv, similarity)))
    failed = []
    for key, path, res in results:
        report[key] = {"file": str(path), **res.to_dict()}
        why = unanswerable(res, path, len(kv))
        if why is not None:       # a score over nothing is no score: say so instead of 0.00% rows
            report[key]["could_not_evaluate"] = why
            failed.append(why)
    if len(failed) == len(results):
        raise CLIError(f"could not evaluate: {'; '.join(failed)} (wrong language or file?)")
    if args.json:
        print(json.dumps(report, ensure_ascii=False, indent=2))
        return 0
    if "analogies" in report:
        a = report["analogies"]
        print(f"analogies ({a['file']}, {a['restrict_vocab']} most frequent words):")
        if "could_not_evaluate" in a:
            print(f"  could not evaluate: {a['could_not_evaluate']}")
        else:
            for s in a["sections"] + [a["total"]]:
                n = s["correct"] + s["incorrect"]
                print(f"  {s['section']:<28} {100 * s['accuracy']:6.2f}%  ({s['correct']}/{n}, "
                      f"{s['skipped']} skipped)")
    if "similarity" in report:
        s = report["similarity"]
        if "could_not_evaluate" in s:
            print(f"similarity ({s['file']}): could not evaluate: {s['could_not_evaluate']}")
        else:
            fmt = lambda x: "n/a" if x is None else f"{x:.4f}"  # noqa: E731  (constant scores: no correlation)
            print(f"similarity ({s['file']}): Spearman {fmt(s['spearman'])}, Pearson {fmt(s['pearson'])}, "
                  f"{s['pairs']} pairs ({s['skipped']} skipped)")
    return 0


def cmd_plot(args: argparse.Namespace) -> int:
    from embeddings.plot import plot_words

    kv = _load(args.vectors)
    plot_words(kv, args.words, args.output, method=args.method, seed=args.seed)
    log.info("map of %d words written to %s", len(args.words), args.output)
    return 0


# -- registration -------------------------------------------------------------------------
def register(sub) -> None:
    train = add_subparser(sub, "train", "train a model (word2vec)",
                          example="embeddings train w2v corpus.txt --skipgram -o vectors.bin")
    train_sub = train.add_subparsers(metavar="MODEL", required=True)
    p = add_subparser(
        train_sub, "w2v", "train word2vec vectors (CBOW or skip-gram with negative sampling)",
        example="embeddings train w2v corpus.txt --skipgram --lang ru --dim 100 --epochs 5 -o vectors.bin",
    )
    p.add_argument("corpus", help="text file, one document per line ('-' for stdin is not supported: several passes)")
    mode = p.add_mutually_exclusive_group(required=True)
    mode.add_argument("--skipgram", dest="mode", action="store_const", const="skipgram", help="skip-gram")
    mode.add_argument("--cbow", dest="mode", action="store_const", const="cbow", help="CBOW")
    p.add_argument("--backend", choices=["torch", "gensim"], default="torch", help="who trains")
    add_config_args(p, _config_cls(), skip=("sg",))
    p.add_argument("--tokenized", action="store_true", help="the corpus is already tokenized: split lines on spaces")
    p.add_argument("--lang", default="ru", choices=["ru", "en"], help="language of raw text")
    p.add_argument("--lemmatize", action="store_true", help="lemmatize raw text before training")
    p.add_argument("--keep-case", action="store_true", help="do not lower-case raw text")
    p.add_argument("--encoding", default="utf-8", help="encoding of the corpus")
    p.add_argument("--tokenize-workers", type=int, default=0,
                   help="processes lemmatizing raw text (0: one per CPU; the tokens are the same for any number)")
    p.add_argument("--checkpoint-dir", default=None, help="checkpoint folder (default OUTPUT.ckpt)")
    p.add_argument("--resume", action="store_true", help="continue from the checkpoint folder")
    p.add_argument("--progress", action=argparse.BooleanOptionalAction, default=True,
                   help="progress on stderr: a bar on a terminal, a line every few seconds in a log")
    p.add_argument("-o", "--output", required=True, type=Path, help="vectors file (.bin: binary, else text)")
    add_cluster_args(p)   # the vocabulary and corpus-encoding passes on Dask
    p.set_defaults(func=cmd_train_w2v)

    p = add_subparser(sub, "similar", "nearest words by cosine similarity",
                      example="embeddings similar vectors.bin князь --topn 10")
    p.add_argument("vectors")
    p.add_argument("word")
    p.add_argument("--topn", type=int, default=10, help="how many words")
    p.set_defaults(func=cmd_similar)

    p = add_subparser(sub, "analogy", "answer a word analogy given as an expression or word lists",
                      example='embeddings analogy vectors.bin "король - мужчина + женщина" --topn 5')
    p.add_argument("vectors")
    p.add_argument("expression", nargs="?", help="e.g. 'король - мужчина + женщина'")
    p.add_argument("--positive", nargs="+", help="words added")
    p.add_argument("--negative", nargs="+", help="words subtracted")
    p.add_argument("--topn", type=int, default=10, help="how many words")
    p.add_argument("--method", choices=["3cosadd", "3cosmul"], default="3cosadd", help="analogy rule")
    p.set_defaults(func=cmd_analogy)

    p = add_subparser(sub, "evaluate", "analogy accuracy and word-pair similarity correlation",
                      example="embeddings evaluate vectors.bin --analogies questions-words.txt "
                              "--similarity wordsim353.tsv")
    p.add_argument("vectors")
    p.add_argument("--analogies", help="questions-words.txt format (when neither file is given: the bundled sets "
                   "of the vectors' language, told by the script of their words; English only so far)")
    p.add_argument("--similarity", help="wordsim353.tsv format (when neither is given: as --analogies)")
    p.add_argument("--restrict-vocab", type=int, default=30000, help="analogies use only this many most frequent words")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=cmd_evaluate)

    p = add_subparser(sub, "plot", "2-D map of chosen words (PCA or t-SNE) as a PNG",
                      example="embeddings plot vectors.bin --words князь граф война мир -o map.png")
    p.add_argument("vectors")
    p.add_argument("--words", nargs="+", required=True, help="words to place on the map")
    p.add_argument("--method", choices=["pca", "tsne"], default="pca", help="projection")
    p.add_argument("--seed", type=int, default=0, help="random seed (t-SNE)")
    p.add_argument("-o", "--output", required=True, help="PNG file")
    p.set_defaults(func=cmd_plot)
