"""The whole toolkit in one resumable run: raw corpus to report.

Stages, each with one artefact in the run directory (see :mod:`embeddings.runstate`)::

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
changing one setting redoes only the stages it touches.  Training stages checkpoint into
their scratch folder and continue from there after an interruption.
"""
from __future__ import annotations

import contextlib
import dataclasses
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from textprep.corpus import check_encoding, check_readable, iter_lines
from textprep.fileio import atomic_write, read_json, write_json

from .runstate import STATE_FILE, RunState

log = logging.getLogger(__name__)

UNITS = ("sentences", "lines")
TFIDF_UNITS = ("chapters", "paragraphs", "lines")
CONFIG_FILE = "config.json"
REPORT = "report.md"

#: per language: (analogy, generation prefix, query words) used when the config leaves them empty
LANG_DEFAULTS = {
    "ru": ("граф - князь + княгиня", "князь андрей", ("князь", "наташа", "сказал", "глаза", "офицер")),
    "en": ("king - man + woman", "the", ("king", "love", "said", "good", "day")),
}


@dataclass(frozen=True)
class RunConfig:
    """Settings of ``embeddings pipeline``; a JSON ``--config`` file may set any of them."""

    lang: str = field(default="ru", metadata={"help": "language of the corpus: ru or en"})
    encoding: str = field(default="utf-8", metadata={"help": "encoding of the corpus"})
    unit: str = field(default="sentences", metadata={
        "help": "training lines for word2vec and the LMs: sentences (hard-wrapped lines are joined into "
                "paragraphs, then split) or lines (the corpus has one text per line)", "choices": UNITS})
    tfidf_unit: str = field(default="chapters", metadata={
        "help": "TF-IDF documents: chapters (cut at lines holding only a chapter number; paragraphs "
                "if there are none), paragraphs or lines", "choices": TFIDF_UNITS})
    valid_fraction: float = field(default=0.1, metadata={"help": "last fraction of sentences held out"})
    lemmatize: bool = field(default=True, metadata={"help": "lemmatize the TF-IDF documents"})
    tfidf_sublinear: bool = field(default=True, metadata={
        "help": "TF-IDF term frequency 1 + ln(count) instead of the count (long chapters then "
                "rank distinctive words over merely frequent ones)"})
    tfidf_top_k: int = field(default=8, metadata={"help": "top terms kept per document"})
    tfidf_docs: int = field(default=6, metadata={"help": "documents shown in the report"})
    bpe_vocab_size: int = field(default=4000, metadata={"help": "BPE vocabulary size"})
    w2v_dim: int = field(default=100, metadata={"help": "word vector dimension (also the LM's embedding size)"})
    w2v_epochs: int = field(default=10, metadata={"help": "word2vec epochs"})
    w2v_window: int = field(default=5, metadata={"help": "word2vec window"})
    w2v_min_count: int = field(default=3, metadata={"help": "word2vec minimum word count"})
    w2v_skipgram: bool = field(default=True, metadata={"help": "skip-gram (else CBOW)"})
    query_words: tuple[str, ...] = field(default=(), metadata={
        "help": "words whose neighbours are shown (default: a few common words of the language; those "
                "missing from the vectors are replaced by the most frequent words that are not stop words)"})
    query_count: int = field(default=5, metadata={"help": "how many words to show when query_words is empty"})
    neighbours: int = field(default=6, metadata={"help": "neighbours shown per word"})
    analogy: str = field(default="", metadata={
        "help": "an analogy 'a - b + c' to answer (default: ru 'граф - князь + княгиня', en 'king - man + woman')"})
    map_method: str = field(default="tsne", metadata={"help": "embedding map: pca or tsne",
                                                      "choices": ("pca", "tsne")})
    lm_hidden: int = field(default=256, metadata={"help": "LSTM units per layer"})
    lm_layers: int = field(default=2, metadata={"help": "LSTM layers"})
    lm_epochs: int = field(default=8, metadata={"help": "language-model epochs"})
    lm_dropout: float = field(default=0.3, metadata={"help": "language-model dropout"})
    lm_min_count: int = field(default=3, metadata={"help": "LM vocabulary minimum count (rarer words: <unk>)"})
    lm_random_baseline: bool = field(default=False, metadata={
        "help": "also train the same LSTM from a random embedding layer, to see what the vectors bring"})
    lm_max_minutes: float = field(default=4.0, metadata={"help": "stop LM training after this many minutes (0: no limit)"})
    ngram_order: int = field(default=3, metadata={"help": "order of the Kneser-Ney baseline"})
    generate_prefix: str = field(default="", metadata={
        "help": "prefix of the generated texts (default: ru 'князь андрей', en 'the')"})
    generate_num: int = field(default=3, metadata={"help": "texts to generate"})
    generate_length: int = field(default=30, metadata={"help": "words per generated text at most"})
    generate_min_length: int = field(default=10, metadata={"help": "words per generated text at least"})
    temperature: float = field(default=0.9, metadata={"help": "sampling temperature"})
    top_p: float = field(default=0.95, metadata={"help": "nucleus sampling: draw from this much probability"})
    workers: int = field(default=2, metadata={"help": "worker processes for lemmatization and BPE counting"})
    device: str = field(default="auto", metadata={"help": "auto, cpu or cuda"})
    seed: int = field(default=0, metadata={"help": "random seed"})

    def __post_init__(self):
        if self.lang not in LANG_DEFAULTS:
            raise ValueError(f"lang must be one of {', '.join(LANG_DEFAULTS)}, got {self.lang!r}")
        check_encoding(self.encoding)
        for name, choices in (("unit", UNITS), ("tfidf_unit", TFIDF_UNITS), ("map_method", ("pca", "tsne"))):
            if getattr(self, name) not in choices:
                raise ValueError(f"{name} must be one of {', '.join(choices)}, got {getattr(self, name)!r}")
        for name in ("tfidf_top_k", "tfidf_docs", "bpe_vocab_size", "w2v_dim", "w2v_epochs", "w2v_window",
                     "w2v_min_count", "query_count", "neighbours", "lm_hidden", "lm_layers", "lm_epochs",
                     "lm_min_count", "ngram_order", "generate_num", "generate_length", "workers"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a positive integer, got {value!r}")
        if not 0 < self.valid_fraction < 1:
            raise ValueError(f"valid_fraction must be between 0 and 1, got {self.valid_fraction!r}")
        if not 0 <= self.lm_dropout < 1:
            raise ValueError(f"lm_dropout must be in [0, 1), got {self.lm_dropout!r}")
        if self.lm_max_minutes < 0:
            raise ValueError(f"lm_max_minutes must be >= 0, got {self.lm_max_minutes!r}")
        if self.temperature < 0:
            raise ValueError(f"temperature must be >= 0, got {self.temperature!r}")
        if not 0 < self.top_p <= 1:
            raise ValueError(f"top_p must be in (0, 1], got {self.top_p!r}")
        if not 0 <= self.generate_min_length <= self.generate_length:
            raise ValueError(f"generate_min_length must be between 0 and generate_length, "
                             f"got {self.generate_min_length!r}")
        if isinstance(self.query_words, str) or not all(isinstance(w, str) for w in self.query_words):
            raise TypeError(f"query_words must be a list of words, got {self.query_words!r}")
        object.__setattr__(self, "query_words", tuple(self.query_words))
        if not (self.device in ("auto", "cpu", "cuda") or self.device.startswith("cuda:")):
            raise ValueError(f"device must be auto, cpu, cuda or cuda:N, got {self.device!r}")

    @property
    def analogy_expr(self) -> str:
        return self.analogy or LANG_DEFAULTS[self.lang][0]

    @property
    def prefix(self) -> str:
        return self.generate_prefix or LANG_DEFAULTS[self.lang][1]

    def to_dict(self) -> dict:
        d = dataclasses.asdict(self)
        d["query_words"] = list(self.query_words)
        return d

    @classmethod
    def from_json(cls, path: str | Path, **overrides: Any) -> "RunConfig":
        """Settings from a JSON object (any subset of the fields), then ``overrides``."""
        data = read_json(path, "pipeline config file")
        if isinstance(data, dict) and data.get("format") == "embeddings.pipeline":
            data = data.get("config", {})  # a RUN_DIR/config.json written by an earlier run
        if not isinstance(data, dict):
            raise ValueError(f"{path}: a pipeline config must be a JSON object")
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - names)
        if unknown:
            raise ValueError(f"{path}: unknown setting(s) {', '.join(unknown)}")
        data.update(overrides)
        try:
            return cls(**data)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"{path}: {exc}") from None


# -- the stages ------------------------------------------------------------------------
def preprocess(corpus: Path, config: RunConfig, out: Path, scratch: Path) -> dict:
    """``out/`` gets documents.txt (+ titles.json), train.txt and valid.txt."""
    from textprep.pipeline import Pipeline
    from textprep.segment import HEADING, chapters, paragraphs
    from textprep.tokenize import sentence_split

    out.mkdir()
    lines = lambda: iter_lines(corpus, config.encoding)  # noqa: E731  (a fresh pass each call)

    # training text: word forms, lower-cased, one sentence (or line) per line
    words = Pipeline(lang=config.lang)
    units = lines() if config.unit == "lines" else (s for p in paragraphs(lines()) for s in sentence_split(p))
    all_path = scratch / "sentences.txt"
    n_sent = n_tok = 0
    with atomic_write(all_path) as fh:
        for unit in units:
            toks = words(unit)
            if toks:
                fh.write(" ".join(toks) + "\n")
                n_sent += 1
                n_tok += len(toks)
    if n_sent < 2:
        raise ValueError(f"{corpus}: the corpus has {n_sent} non-empty {config.unit}; the pipeline needs "
                         "at least 2 (one to train on, one to hold out)")
    n_valid = max(1, round(n_sent * config.valid_fraction))
    with open(all_path, encoding="utf-8") as src, atomic_write(out / "train.txt") as tr, \
            atomic_write(out / "valid.txt") as va:
        for i, line in enumerate(src):
            (tr if i < n_sent - n_valid else va).write(line)

    # TF-IDF documents: lemmas (or word forms), stop words removed
    unit = config.tfidf_unit
    if unit == "chapters" and sum(1 for line in lines() if HEADING.match(line)) < 2:
        log.info("no chapter headings found; TF-IDF documents are paragraphs")
        unit = "paragraphs"

    def documents():
        """(title, text) per document, streamed."""
        if unit == "chapters":
            return ((title or "(opening)", " ".join(ps)) for title, ps in chapters(lines()))
        if unit == "paragraphs":
            return ((f"paragraph {i}", p) for i, p in enumerate(paragraphs(lines()), 1))
        return ((f"line {i}", l) for i, l in enumerate(lines(), 1) if l.strip())

    bow = Pipeline(lang=config.lang, stopwords=config.lang, lemmatize=config.lemmatize)
    titles, n_terms = [], 0
    texts = (text for _, text in documents())
    with atomic_write(out / "documents.txt") as fh:
        for (title, _), toks in zip(documents(), bow.map(texts, workers=config.workers)):
            fh.write(" ".join(toks) + "\n")
            titles.append(title)
            n_terms += len(toks)
    write_json(out / "titles.json", titles)
    return {"sentences": n_sent, "train_sentences": n_sent - n_valid, "valid_sentences": n_valid,
            "tokens": n_tok, "documents": len(titles), "document_unit": unit, "document_terms": n_terms}


def tfidf(text_dir: Path, config: RunConfig, out: Path) -> dict:
    from textprep.vectorize import TfIdf, save_matrix, top_terms

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
    from textprep.bpe import BPETokenizer

    tok = BPETokenizer.train([corpus], vocab_size=config.bpe_vocab_size, encoding=config.encoding,
                             workers=config.workers, progress=True)
    tok.save(out)
    return {"vocab_size": tok.stats["vocab_size"], "chars_per_token": round(tok.stats["chars_per_token"], 3),
            "sample": sample, "sample_tokens": tok.tokenize(sample)}


def word2vec(text_dir: Path, config: RunConfig, out: Path, scratch: Path) -> dict:
    from .word2vec import Word2VecConfig, encode_corpus, train_word2vec

    with open(text_dir / "train.txt", encoding="utf-8") as fh:
        corpus = encode_corpus((line.split() for line in fh), config.w2v_min_count)
    w2v = Word2VecConfig(sg=config.w2v_skipgram, dim=config.w2v_dim, window=config.w2v_window,
                         epochs=config.w2v_epochs, min_count=config.w2v_min_count, seed=config.seed,
                         device=config.device, workers=1)
    kv = train_word2vec(corpus, w2v, checkpoint_dir=scratch / "checkpoint", resume=True)
    kv.save_word2vec_format(out)
    return {"vocab_size": len(kv), "tokens": corpus.n_tokens, "epochs": config.w2v_epochs}


def queries(vectors: Path, config: RunConfig, out: Path) -> dict:
    from textprep.stopwords import load_stopwords

    from .evaluate import parse_analogy
    from .keyedvectors import KeyedVectors
    from .plot import plot_words

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
        analogy["answers"] = [[w, round(s, 4)] for w, s in kv.most_similar(positive=positive, negative=negative, topn=5)]
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
    from .lm import LMConfig, train_lm

    lm_config = LMConfig(level="word", word_tokenizer="whitespace", min_count=config.lm_min_count,
                         hidden=config.lm_hidden, emb_dim=config.w2v_dim, layers=config.lm_layers,
                         dropout=config.lm_dropout, epochs=config.lm_epochs, seed=config.seed,
                         max_minutes=config.lm_max_minutes or None)
    work = scratch / "lm"   # checkpoints survive an interruption here; ``out`` is cleared on each try
    history = train_lm(text_dir / "train.txt", lm_config, work, valid=text_dir / "valid.txt",
                       init_vectors=vectors, resume=True, device=config.device)
    os.replace(work, out)
    best = min(history, key=lambda h: h["valid_loss"])
    return {"epochs": len(history), "valid_ppl": round(best["valid_ppl"], 2), "best_epoch": best["epoch"],
            "tokens_per_s": round(history[-1]["tokens_per_s"])}


def ngram(text_dir: Path, config: RunConfig, out: Path) -> dict:
    from .lm import LMConfig, train_lm

    lm_config = LMConfig(level="word", word_tokenizer="whitespace", min_count=config.lm_min_count,
                         arch="ngram", order=config.ngram_order)
    history = train_lm(text_dir / "train.txt", lm_config, out, valid=text_dir / "valid.txt", progress=False)
    return {"valid_ppl": round(history[-1]["valid_ppl"], 2)}


def generate(lm_dir: Path, config: RunConfig, out: Path) -> dict:
    from .lm import load_lm
    from .lm.generate import generate as sample
    from .lm.train import resolve_device

    device = str(resolve_device(config.device))
    model = load_lm(lm_dir, device=device)
    prefix = config.prefix
    try:
        model.tokenizer.encode_strict(prefix)
    except ValueError as exc:
        log.warning("generation starts without a prefix: %s", exc)
        prefix = ""
    result = sample(model, prefix=prefix, temperature=config.temperature, top_p=config.top_p,
                    max_length=config.generate_length, min_length=config.generate_min_length,
                    num=config.generate_num, seed=config.seed, device=device, allow_unk=False)
    with atomic_write(out) as fh:
        fh.writelines(t + "\n" for t in result.texts)
    return {"prefix": prefix, "texts": result.texts}


# -- the run ---------------------------------------------------------------------------
def corpus_identity(corpus: Path) -> dict:
    """What tells one corpus file from another without reading it: path, size, mtime."""
    st = corpus.stat()
    return {"path": str(corpus.resolve()), "size": st.st_size, "mtime_ns": st.st_mtime_ns}


def check_run_dir(run_dir: Path) -> None:
    """A run directory is new, empty, or one this pipeline wrote (nothing else gets overwritten)."""
    if run_dir.exists():
        if not run_dir.is_dir():
            raise ValueError(f"{run_dir}: exists and is not a directory")
        if any(run_dir.iterdir()) and not ((run_dir / STATE_FILE).exists() or (run_dir / CONFIG_FILE).exists()):
            raise ValueError(f"{run_dir}: directory is not empty and holds no pipeline run; choose another -o")


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


def run_pipeline(corpus: str | os.PathLike, run_dir: str | os.PathLike, config: RunConfig | None = None,
                 echo: Callable[[str], None] | None = None) -> dict:
    """Run (or resume) every stage on ``corpus`` into ``run_dir``; returns the run's state.

    ``echo`` receives one line per stage as it starts and ends (default: the log).
    """
    config = config or RunConfig()
    corpus = check_readable(corpus)
    run_dir = Path(run_dir)
    check_run_dir(run_dir)
    say = echo or log.info
    state = RunState(run_dir)
    write_json(run_dir / CONFIG_FILE, {"format": "embeddings.pipeline", "corpus": str(corpus),
                                       "config": config.to_dict()})
    c = config
    d = run_dir
    fp = lambda name: state.record(name)["fingerprint"]  # noqa: E731

    stages: list[tuple[str, str, Callable[[], Any], Callable[[Path, Path], dict]]] = [
        ("preprocess", "text", lambda: {"corpus": corpus_identity(corpus), "lang": c.lang, "encoding": c.encoding,
                                        "unit": c.unit, "tfidf_unit": c.tfidf_unit, "lemmatize": c.lemmatize,
                                        "valid_fraction": c.valid_fraction},
         lambda out, scratch: preprocess(corpus, c, out, scratch)),
        ("tfidf", "tfidf", lambda: {"text": fp("preprocess"), "top_k": c.tfidf_top_k, "sublinear": c.tfidf_sublinear},
         lambda out, scratch: tfidf(d / "text", c, out)),
        ("bpe", "bpe", lambda: {"corpus": corpus_identity(corpus), "encoding": c.encoding,
                                "vocab_size": c.bpe_vocab_size, "text": fp("preprocess")},
         lambda out, scratch: bpe(corpus, c, out, first_sentence(d / "text" / "valid.txt"))),
        ("word2vec", "vectors.txt", lambda: {"text": fp("preprocess"), "dim": c.w2v_dim, "epochs": c.w2v_epochs,
                                             "window": c.w2v_window, "min_count": c.w2v_min_count,
                                             "sg": c.w2v_skipgram, "seed": c.seed},
         lambda out, scratch: word2vec(d / "text", c, out, scratch)),
        ("queries", "queries", lambda: {"vectors": fp("word2vec"), "words": list(c.query_words),
                                        "count": c.query_count, "neighbours": c.neighbours,
                                        "analogy": c.analogy_expr, "map": c.map_method, "seed": c.seed},
         lambda out, scratch: queries(d / "vectors.txt", c, out)),
        ("lm", "lm", lambda: {"text": fp("preprocess"), "vectors": fp("word2vec"), "hidden": c.lm_hidden,
                              "layers": c.lm_layers, "epochs": c.lm_epochs, "dropout": c.lm_dropout,
                              "min_count": c.lm_min_count, "max_minutes": c.lm_max_minutes, "seed": c.seed},
         lambda out, scratch: lm(d / "text", d / "vectors.txt", c, out, scratch)),
        ("lm_random", "lm_random", lambda: {"text": fp("preprocess"), "hidden": c.lm_hidden, "dim": c.w2v_dim,
                                            "layers": c.lm_layers, "epochs": c.lm_epochs, "dropout": c.lm_dropout,
                                            "min_count": c.lm_min_count, "max_minutes": c.lm_max_minutes,
                                            "seed": c.seed},
         lambda out, scratch: lm(d / "text", None, c, out, scratch)),
        ("ngram", "ngram", lambda: {"text": fp("preprocess"), "order": c.ngram_order, "min_count": c.lm_min_count},
         lambda out, scratch: ngram(d / "text", c, out)),
        ("generate", "generated.txt", lambda: {"lm": fp("lm"), "prefix": c.prefix, "num": c.generate_num,
                                               "length": c.generate_length, "temperature": c.temperature,
                                               "min_length": c.generate_min_length, "top_p": c.top_p,
                                               "seed": c.seed},
         lambda out, scratch: generate(d / "lm", c, out)),
    ]
    if not c.lm_random_baseline:
        stages = [st for st in stages if st[0] != "lm_random"]
    total = len(stages) + 1
    for i, (name, artefact, settings, body) in enumerate(stages, 1):
        s = settings()
        if state.done(name, s):
            say(f"[{i}/{total}] {name}: done before ({artefact})")
            continue
        say(f"[{i}/{total}] {name} ...")
        rec = state.run(name, s, artefact, body)
        say(f"[{i}/{total}] {name}: {rec['seconds']:.1f} s -> {run_dir / artefact}")

    from .report import write_report

    say(f"[{total}/{total}] report ...")
    stages_done = {k: dict(v) for k, v in state.stages.items() if k != "report"}
    state.run("report", {"stages": {k: v["fingerprint"] for k, v in stages_done.items()}, "config": config.to_dict()},
              REPORT, lambda out, scratch: write_report(run_dir, corpus, config, stages_done, out))
    say(f"[{total}/{total}] report: {run_dir / REPORT}")
    with contextlib.suppress(OSError):
        (run_dir / ".work").rmdir()  # only when no stage left scratch behind
    return state.stages
