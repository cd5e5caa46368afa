"""The stages of the main job, one function each: read the inputs, write one artefact.

Each function takes the paths it reads, the run's :class:`~embeddings.job.config.RunConfig`
and ``out``, the path its artefact is written to (a file or a folder that does not exist
yet; :mod:`embeddings.job.state` renames it into place when the function returns), and
returns the figures the run state keeps for the report.  Training stages keep checkpoints
in ``scratch``, which survives an interrupted run.
"""
from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

from textprep.bpe import BPETokenizer
from textprep.corpus import iter_lines
from textprep.fileio import atomic_write, read_json, write_json
from textprep.pipeline import Pipeline
from textprep.segment import count_headings, documents, sentences
from textprep.stopwords import load_stopwords
from textprep.vectorize import TfIdf, save_matrix, top_terms

from ..device import resolve_device
from ..evaluate import parse_analogy
from ..keyedvectors import KeyedVectors
from ..lm import load_lm, train_lm
from ..plot import plot_words
from ..word2vec import encode_corpus, train_word2vec
from .config import LANG_DEFAULTS, RunConfig
from .holdout import split_holdout

log = logging.getLogger(__name__)


# -- the stages ------------------------------------------------------------------------
def preprocess(corpus: Path, config: RunConfig, out: Path, scratch: Path, cluster=None) -> dict:
    """``out/`` gets documents.txt (+ titles.json), train.txt and valid.txt; with ``cluster`` (a
    :class:`~textprep.cluster.session.ClusterSpec`) the same files, made on Dask."""
    if cluster is not None:
        from .cluster_stage import preprocess_on_cluster

        return preprocess_on_cluster(corpus, config, out, scratch, cluster)
    out.mkdir()
    lines = lambda: iter_lines(corpus, config.encoding)  # noqa: E731  (a fresh pass each call)

    # training text: word forms, lower-cased, one sentence (or line) per line
    words = Pipeline(lang=config.lang)
    units = lines() if config.unit == "lines" else sentences(lines())
    all_path = scratch / "sentences.txt"
    n_sent = n_tok = 0
    with atomic_write(all_path) as fh:
        for unit in units:
            toks = words(unit)
            if toks:
                fh.write(" ".join(toks) + "\n")
                n_sent += 1
                n_tok += len(toks)
    n_valid = split_holdout(all_path, n_sent, corpus, config, out)

    # TF-IDF documents: lemmas (or word forms), stop words removed
    unit = config.tfidf_unit
    if unit == "chapters" and count_headings(lines()) < 2:
        log.info("no chapter headings found; TF-IDF documents are paragraphs")
        unit = "paragraphs"
    bow = Pipeline(lang=config.lang, stopwords=config.lang, lemmatize=config.lemmatize)
    titles: list[str] = []

    def texts():
        # the titles are kept as the texts go by: the worker pool returns the documents in order
        for title, text in documents(lines(), unit):
            titles.append(title)
            yield text

    n_docs = n_terms = 0
    with atomic_write(out / "documents.txt") as fh:
        for toks in bow.map(texts(), workers=config.workers):
            fh.write(" ".join(toks) + "\n")
            n_docs += 1
            n_terms += len(toks)
    write_json(out / "titles.json", titles)
    return {"sentences": n_sent, "train_sentences": n_sent - n_valid, "valid_sentences": n_valid,
            "tokens": n_tok, "documents": n_docs, "document_unit": unit, "document_terms": n_terms}


def tfidf(text_dir: Path, config: RunConfig, out: Path) -> dict:
    out.mkdir()
    docs = [line.split() for line in (text_dir / "documents.txt").read_text(encoding="utf-8").splitlines()]
    titles = read_json(text_dir / "titles.json", "document titles")
    model = TfIdf(sublinear_tf=config.tfidf_sublinear)
    X = model.fit_transform(docs)
    names = model.get_feature_names_out()
    save_matrix(out / "matrix.npz", X, names, model.idf_)
    tops = top_terms(X, names, config.tfidf_top_k)
    write_json(out / "top_terms.json", [{"document": t, "top": [[w, round(v, 4)] for w, v in top]}
                                        for t, top in zip(titles, tops)])
    return {"documents": X.shape[0], "terms": X.shape[1]}


def bpe(corpus: Path, config: RunConfig, out: Path, sample: str) -> dict:
    tok = BPETokenizer.train([corpus], vocab_size=config.bpe_vocab_size, pretokenizer=config.bpe_pretokenizer,
                             encoding=config.encoding, workers=config.workers, progress=True)
    tok.save(out)
    per_token = tok.stats["chars_per_token"]
    if config.bpe_pretokenizer == "bytelevel":
        # the trainer counts UTF-8 bytes per token (a Cyrillic letter is two): report characters
        with open(corpus, encoding=config.encoding, newline="") as fh:
            n_chars = n_bytes = 0
            for line in fh:
                n_chars += len(line)
                n_bytes += len(line.encode("utf-8"))
        per_token *= n_chars / max(n_bytes, 1)
    pieces = _pieces(tok, sample)
    return {"vocab_size": tok.stats["vocab_size"], "pretokenizer": config.bpe_pretokenizer,
            "chars_per_token": round(per_token, 3), "sample": sample, "sample_tokens": pieces,
            "sample_split": _show_split(pieces, config.bpe_pretokenizer)}


def _pieces(tok: BPETokenizer, text: str) -> list[str]:
    """The text of each token of ``text`` (byte-level tokens decoded; a token that ends inside
    a character is joined to the next ones until the character is whole)."""
    if tok.pretokenizer != "bytelevel":
        return tok.tokenize(text)
    pieces: list[str] = []
    held: list[int] = []
    for i in tok.encode(text):
        held.append(i)
        piece = tok.decode(held)
        if "\ufffd" not in piece or len(held) >= 4:  # a UTF-8 character has 4 bytes at most
            pieces.append(piece)
            held = []
    if held:
        pieces.append(tok.decode(held))
    return pieces


def _show_split(pieces: list[str], pretokenizer: str) -> str:
    """Subwords as the report shows them: byte-level pieces carry their spaces, so the words
    stay whole and a dot marks each cut inside one; whitespace pieces are dot-separated."""
    if pretokenizer != "bytelevel":
        return " · ".join(pieces)
    out = ""
    for p in pieces:
        cut = out and not out[-1].isspace() and not p[:1].isspace()
        out += ("·" if cut else "") + p
    return out.strip()


def word2vec(text_dir: Path, config: RunConfig, out: Path, scratch: Path) -> dict:
    w2v = config.w2v
    with open(text_dir / "train.txt", encoding="utf-8") as fh:
        corpus = encode_corpus((line.split() for line in fh), w2v.min_count, w2v.max_vocab)
    kv = train_word2vec(corpus, w2v, checkpoint_dir=scratch / "checkpoint", resume=True)
    kv.save_word2vec_format(out)
    return {"vocab_size": len(kv), "tokens": corpus.n_tokens, "epochs": w2v.epochs}


def queries(vectors: Path, config: RunConfig, out: Path) -> dict:
    out.mkdir()
    kv = KeyedVectors.load_word2vec_format(vectors)
    if config.query_words:
        words = [w for w in config.query_words if w in kv]
        missing = [w for w in config.query_words if w not in kv]
    else:
        words = [w for w in LANG_DEFAULTS[config.lang][2] if w in kv][:config.query_count]
        stop = load_stopwords(config.lang)
        common = (w for w in kv.index_to_key if w not in stop and w not in words and len(w) > 3 and w.isalpha())
        words += [w for _, w in zip(range(config.query_count - len(words)), common)]
        missing = []
    neighbours = {w: [[n, round(s, 4)] for n, s in kv.most_similar(w, topn=config.neighbours)] for w in words}
    expr = config.analogy_expr
    positive, negative = parse_analogy(expr)
    unknown = [w for w in positive + negative if w not in kv]
    analogy: dict[str, Any] = {"expression": expr, "positive": positive, "negative": negative}
    if unknown:
        analogy["unknown"] = unknown
    else:
        answers = kv.most_similar(positive=positive, negative=negative, topn=5)
        analogy["answers"] = [[w, round(s, 4)] for w, s in answers]
    on_map = [(w, w) for w in words] + [(n, w) for w in words for n, _ in neighbours[w]]
    if len(on_map) >= 2:
        plot_words(kv, [m for m, _ in on_map], out / "map.png", method=config.map_method, seed=config.seed,
                   groups=[g for _, g in on_map], unit=True,
                   title=f"{config.map_method.upper()} of unit vectors: query words and their nearest words")
    result = {"neighbours": neighbours, "missing": missing, "analogy": analogy}
    write_json(out / "queries.json", result)
    answer = analogy["answers"][0][0] if "answers" in analogy else None
    return {"words": words, "analogy": expr, "answer": answer}


def lm(text_dir: Path, vectors: Path | None, config: RunConfig, out: Path, scratch: Path) -> dict:
    """The LSTM language model; its embedding layer starts from ``vectors`` (random when None)."""
    work = scratch / "lm"   # checkpoints survive an interruption here; ``out`` is cleared on each try
    history = train_lm(text_dir / "train.txt", config.lm, work, valid=text_dir / "valid.txt",
                       init_vectors=vectors, resume=True, device=config.device)
    os.replace(work, out)
    best = min(history, key=lambda h: h["valid_loss"])
    return {"epochs": len(history), "valid_ppl": round(best["valid_ppl"], 2), "best_epoch": best["epoch"],
            "tokens_per_s": round(history[-1]["tokens_per_s"])}


def ngram(text_dir: Path, config: RunConfig, out: Path) -> dict:
    history = train_lm(text_dir / "train.txt", config.ngram_config(), out, valid=text_dir / "valid.txt",
                       progress=False)
    return {"valid_ppl": round(history[-1]["valid_ppl"], 2)}


def generate(lm_dir: Path, config: RunConfig, out: Path) -> dict:
    device = str(resolve_device(config.device))
    model = load_lm(lm_dir, device=device)
    prefix = config.prefix
    try:
        model.tokenizer.encode_strict(prefix)
    except ValueError as exc:
        log.warning("generation starts without a prefix: %s", exc)
        prefix = ""
    texts = model.generate(prefix=prefix, temperature=config.temperature, top_p=config.top_p,
                           max_length=config.generate_length, min_length=config.generate_min_length,
                           num=config.generate_num, seed=config.seed, device=device, allow_unk=False)
    with atomic_write(out) as fh:
        fh.writelines(t + "\n" for t in texts)
    return {"prefix": prefix, "texts": texts}
