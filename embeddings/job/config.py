"""Settings of the main job (``embeddings pipeline``): its own fields, a word2vec and an LM config.

``RunConfig`` holds the settings no trainer owns (language, segmentation, TF-IDF, BPE, queries,
generation) as its own fields, and nests the :class:`~embeddings.word2vec.Word2VecConfig` and
the :class:`~embeddings.lm.LMConfig` the job trains with.  Their defaults are the job's
(:func:`job_w2v`, :func:`job_lm`), not the trainers': a small corpus wants a lower minimum
count and more epochs than the trainers assume.

A few nested fields belong to the run, and ``RunConfig`` sets them (:data:`OWNED`): one seed
and one device for every stage, the LM's embedding size equal to the vector size (its
embedding layer starts from the vectors), and the word-level whitespace LSTM that the job's
text calls for.  They are left out of the JSON form.

In JSON (``--config`` and ``RUN_DIR/config.json``) the nested configs are objects::

    {"lang": "ru", "w2v": {"dim": 100, "epochs": 10}, "lm": {"hidden": 256, "epochs": 8}}

and the flat names of the command line's flags (``w2v_dim``, ``lm_epochs``, see
:data:`ALIASES`) are read too, so a config file written before the configs were nested still
loads.
"""
from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from textprep.config import check_fields, check_value, option
from textprep.corpus import check_encoding
from textprep.errors import ConfigError
from textprep.fileio import read_json
from textprep.segment import DOCUMENT_UNITS

from ..device import DEVICE_HELP, check_device_name
from ..lm import LMConfig
from ..lm.config import BPE_PRETOKENIZERS
from ..lm.sampling import DEFAULT_LENGTHS, SAMPLING
from ..word2vec import Word2VecConfig

UNITS = ("sentences", "lines")
CONFIG_FORMAT = "embeddings.pipeline"

#: per language: (analogy, generation prefix, query words) used when the config leaves them empty
LANG_DEFAULTS = {
    "ru": ("граф - князь + княгиня", "князь андрей", ("князь", "наташа", "сказал", "глаза", "офицер")),
    "en": ("king - man + woman", "the", ("king", "love", "said", "good", "day")),
}


def job_w2v() -> Word2VecConfig:
    """The word2vec settings of the main job."""
    return Word2VecConfig(sg=True, dim=100, window=5, epochs=10, min_count=3, workers=1)


def job_lm() -> LMConfig:
    """The LSTM settings of the main job."""
    return LMConfig(min_count=3, hidden=256, layers=2, dropout=0.3, epochs=8, max_minutes=4.0)


@dataclass(frozen=True)
class Alias:
    """A flat name (a flag of ``embeddings pipeline``) for one nested field."""

    name: str
    section: str
    field: str
    help: str
    #: the flag reads 0 as "no limit", which the nested config writes as None
    zero_is_none: bool = False


ALIASES = {a.name: a for a in (
    Alias("w2v_dim", "w2v", "dim", "word vector dimension (also the LM's embedding size)"),
    Alias("w2v_epochs", "w2v", "epochs", "word2vec epochs"),
    Alias("w2v_window", "w2v", "window", "word2vec window"),
    Alias("w2v_min_count", "w2v", "min_count", "word2vec minimum word count"),
    Alias("w2v_skipgram", "w2v", "sg", "skip-gram (else CBOW)"),
    Alias("lm_hidden", "lm", "hidden", "LSTM units per layer"),
    Alias("lm_layers", "lm", "layers", "LSTM layers"),
    Alias("lm_epochs", "lm", "epochs", "language-model epochs"),
    Alias("lm_dropout", "lm", "dropout", "language-model dropout"),
    Alias("lm_min_count", "lm", "min_count", "LM vocabulary minimum count (rarer words: <unk>)"),
    Alias("lm_max_minutes", "lm", "max_minutes", "stop LM training after this many minutes (0: no limit)",
          zero_is_none=True),
)}


@dataclass(frozen=True)
class RunConfig:
    """Settings of ``embeddings pipeline``; a JSON ``--config`` file may set any of them."""

    lang: str = option("ru", "language of the corpus: ru or en")
    encoding: str = option("utf-8", "encoding of the corpus")
    unit: str = option("sentences", "training lines for word2vec and the LMs: sentences (hard-wrapped lines "
                       "are joined into paragraphs, then split) or lines (the corpus has one text per line)",
                       choices=UNITS)
    tfidf_unit: str = option("chapters", "TF-IDF documents: chapters (cut at lines holding only a chapter "
                             "number; paragraphs if there are none), paragraphs or lines", choices=DOCUMENT_UNITS)
    valid_fraction: float = option(0.1, "last fraction of sentences held out", gt=0, lt=1)
    lemmatize: bool = option(True, "lemmatize the TF-IDF documents")
    tfidf_sublinear: bool = option(True, "TF-IDF term frequency 1 + ln(count) instead of the count (long "
                                   "chapters then rank distinctive words over merely frequent ones)")
    tfidf_top_k: int = option(8, "top terms kept per document", min=1)
    tfidf_docs: int = option(6, "documents shown in the report", min=1)
    bpe_vocab_size: int = option(4000, "BPE vocabulary size", min=1)
    bpe_pretokenizer: str = option("bytelevel", "BPE pre-tokenizer: bytelevel (lossless: tokens decode to the "
                                   "exact text) or whitespace (tokenizers' Whitespace split)",
                                   choices=BPE_PRETOKENIZERS)
    w2v: Word2VecConfig = option(help="word2vec settings", default_factory=job_w2v)
    query_words: tuple[str, ...] = option((), "words whose neighbours are shown (default: a few common words "
                                          "of the language; those missing from the vectors are replaced by the "
                                          "most frequent words that are not stop words)")
    query_count: int = option(5, "how many words to show when query_words is empty", min=1)
    neighbours: int = option(6, "neighbours shown per word", min=1)
    analogy: str = option("", "an analogy 'a - b + c' to answer (default: ru 'граф - князь + княгиня', "
                          "en 'king - man + woman')")
    map_method: str = option("tsne", "embedding map: pca or tsne", choices=("pca", "tsne"))
    lm: LMConfig = option(help="LSTM language-model settings", default_factory=job_lm)
    lm_random_baseline: bool = option(False, "also train the same LSTM from a random embedding layer, "
                                      "to see what the vectors bring")
    ngram_order: int = option(3, "order of the Kneser-Ney baseline", min=1)
    generate_prefix: str = option("", "prefix of the generated texts (default: ru 'князь андрей', en 'the')")
    generate_num: int = option(3, "texts to generate", min=1)
    # the sampling defaults are those of 'embeddings lm generate' (embeddings.lm.sampling)
    generate_length: int = option(DEFAULT_LENGTHS["words"][1], "words per generated text at most", min=1)
    generate_min_length: int = option(DEFAULT_LENGTHS["words"][0], "words per generated text at least", min=0)
    temperature: float = option(SAMPLING.temperature, "sampling temperature", min=0)
    top_p: float = option(SAMPLING.top_p, "nucleus sampling: draw from this much probability", gt=0, max=1)
    workers: int = option(2, "worker processes for lemmatization and BPE counting (0: one per CPU)", min=0)
    device: str = option("auto", DEVICE_HELP)
    seed: int = option(0, "random seed")

    def __post_init__(self):
        # lang is checked here rather than by choices in the metadata: with a choice list the
        # flag parser would refuse it first, as argparse words it, not as the config error does
        if self.lang not in LANG_DEFAULTS:
            raise ConfigError(f"lang must be one of {', '.join(LANG_DEFAULTS)}, got {self.lang!r}")
        check_fields(self)
        check_encoding(self.encoding)
        check_device_name(self.device)
        if self.generate_min_length > self.generate_length:
            raise ConfigError(f"generate_min_length must be between 0 and generate_length, "
                             f"got {self.generate_min_length!r}")
        if isinstance(self.query_words, str) or not all(isinstance(w, str) for w in self.query_words):
            raise ConfigError(f"query_words must be a list of words, got {self.query_words!r}")
        object.__setattr__(self, "query_words", tuple(self.query_words))
        for name, kind in (("w2v", Word2VecConfig), ("lm", LMConfig)):
            if not isinstance(getattr(self, name), kind):
                raise ConfigError(f"{name} must be a {kind.__name__}, got {type(getattr(self, name)).__name__}")
        object.__setattr__(self, "w2v", dataclasses.replace(self.w2v, **self._owned("w2v", self.w2v)))
        object.__setattr__(self, "lm", dataclasses.replace(self.lm, **self._owned("lm", self.w2v)))

    def _owned(self, section: str, w2v: Word2VecConfig) -> dict[str, Any]:
        """The values the run gives the nested fields it owns (see :data:`OWNED`)."""
        if section == "w2v":
            return {"seed": self.seed, "device": self.device}
        return {"level": "word", "word_tokenizer": "whitespace", "lang": self.lang, "arch": "lstm",
                "order": _default(LMConfig, "order"), "emb_dim": w2v.dim, "seed": self.seed,
                "bpe_pretokenizer": _default(LMConfig, "bpe_pretokenizer"),
                "bpe_vocab_size": _default(LMConfig, "bpe_vocab_size")}

    @property
    def analogy_expr(self) -> str:
        return self.analogy or LANG_DEFAULTS[self.lang][0]

    @property
    def prefix(self) -> str:
        return self.generate_prefix or LANG_DEFAULTS[self.lang][1]

    def ngram_config(self) -> LMConfig:
        """The Kneser-Ney baseline: the LSTM's vocabulary settings, the n-gram order."""
        return LMConfig(level="word", word_tokenizer="whitespace", lang=self.lang, min_count=self.lm.min_count,
                        max_vocab=self.lm.max_vocab, arch="ngram", order=self.ngram_order)

    def flat(self, name: str) -> Any:
        """The value of a flat name, as its flag shows it."""
        alias = ALIASES[name]
        value = getattr(getattr(self, alias.section), alias.field)
        return 0.0 if alias.zero_is_none and value is None else value

    def to_dict(self) -> dict:
        """The JSON form: own fields, and each nested config less the fields the run owns."""
        d: dict[str, Any] = {}
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if f.name in OWNED:
                value = {k: v for k, v in dataclasses.asdict(value).items() if k not in OWNED[f.name]}
            d[f.name] = list(value) if f.name == "query_words" else value
        return d

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], **overrides: Any) -> RunConfig:
        """Settings from the JSON form (or flat names), then ``overrides`` (the same forms) on top.

        Nested fields not given keep the job's defaults, so ``{"lm": {"hidden": 64}}`` changes
        the LSTM's size only.
        """
        own, nested = _split(data)
        own_over, nested_over = _split(overrides)
        own.update(own_over)
        base = cls(**own)
        parts = {}
        for section, default in (("w2v", base.w2v), ("lm", base.lm)):
            given = {**nested[section][0], **nested_over[section][0]}
            names = {**nested[section][1], **nested_over[section][1]}
            owned = base._owned(section, parts.get("w2v", base.w2v))
            try:
                parts[section] = dataclasses.replace(default, **given, **owned)
            except ValueError as exc:
                raise ConfigError(_rename(str(exc), section, names)) from None
        return dataclasses.replace(base, **parts)

    @classmethod
    def from_json(cls, path: str | Path, **overrides: Any) -> RunConfig:
        """Settings from a JSON file (a ``--config`` file or a run's ``config.json``), then ``overrides``."""
        data = read_json(path, "pipeline config file")
        if isinstance(data, dict) and data.get("format") == CONFIG_FORMAT:
            data = data.get("config", {})  # a RUN_DIR/config.json written by an earlier run
        if not isinstance(data, dict):
            raise ConfigError(f"{path}: a pipeline config must be a JSON object")
        try:
            return cls.from_dict(data, **overrides)
        except (TypeError, ValueError) as exc:
            raise ConfigError(f"{path}: {exc}") from None


_FIXED = "the job trains a word-level LSTM on its whitespace-separated text"
#: per nested config, the fields the run sets (left out of the JSON form, refused in it), and why
OWNED = {
    "w2v": {"seed": "give seed instead", "device": "give device instead"},
    "lm": {"level": _FIXED, "word_tokenizer": _FIXED, "arch": _FIXED, "order": "give ngram_order instead",
           "lang": "give lang instead", "emb_dim": "it is w2v.dim, the size of the vectors the LSTM starts from",
           "seed": "give seed instead", "bpe_pretokenizer": _FIXED + " (bpe_pretokenizer sets the BPE stage)",
           "bpe_vocab_size": _FIXED + " (bpe_vocab_size sets the BPE stage)"},
}
_SECTIONS = {"w2v": Word2VecConfig, "lm": LMConfig}


def _default(cls: type, name: str) -> Any:
    return next(f.default for f in dataclasses.fields(cls) if f.name == name)


def _split(data: Mapping[str, Any]) -> tuple[dict, dict[str, tuple[dict, dict]]]:
    """Own fields, and per section (values, the name each value was given under)."""
    own_names = {f.name for f in dataclasses.fields(RunConfig)} - set(_SECTIONS)
    own: dict[str, Any] = {}
    nested: dict[str, tuple[dict, dict]] = {s: ({}, {}) for s in _SECTIONS}
    unknown: list[str] = []

    def put(section: str, name: str, value: Any, given_as: str) -> None:
        values, names = nested[section]
        if name in names:
            raise ConfigError(f"{names[name]} and {given_as} both set {section}.{name}; give one")
        if name in OWNED[section]:
            raise ConfigError(f"{given_as} is set by the run ({OWNED[section][name]})")
        values[name], names[name] = value, given_as

    for key, value in data.items():
        if key in _SECTIONS:
            if not isinstance(value, Mapping):
                raise ConfigError(f"{key} must be a JSON object of {_SECTIONS[key].__name__} settings, got {value!r}")
            fields = {f.name for f in dataclasses.fields(_SECTIONS[key])}
            for name, v in value.items():
                if name in fields:
                    put(key, name, v, f"{key}.{name}")
                else:
                    unknown.append(f"{key}.{name}")
        elif key in ALIASES:
            alias = ALIASES[key]
            if alias.zero_is_none and value is not None:
                check_value(key, value, (float,), {"min": 0})
                value = value or None
            put(alias.section, alias.field, value, key)
        elif key in own_names:
            own[key] = value
        else:
            unknown.append(key)
    if unknown:
        raise ConfigError(f"unknown setting(s) {', '.join(unknown)}")
    return own, nested


def _rename(message: str, section: str, names: dict[str, str]) -> str:
    """A nested config's error under the name the value was given as (``lm_epochs``, ``lm.epochs``)."""
    field = message.split(" ", 1)[0]
    if field in names:
        return names[field] + message[len(field):]
    return f"{section}.{message}" if field in {f.name for f in dataclasses.fields(_SECTIONS[section])} \
        else f"{section}: {message}"
