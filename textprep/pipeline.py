"""The preprocessing pipeline: one document in, one token list out.

::

    document ─▶ normalize (NFC, lower, ё→е) ─▶ tokenize (words | chars) ─▶ stop words
             ─▶ lemmatize | stem  (per distinct form, cached; new forms in worker processes)

A :class:`Pipeline` is a callable (``pipe(doc) -> list[str]``), so it also serves as a
scikit-learn ``analyzer``.  :meth:`Pipeline.map` runs it over many documents, in order,
optionally with worker processes.  The corpus-level half, :class:`TokenizedCorpus` (a
restartable iterable of token lists with rare/frequent-word filtering), builds on this
module in :mod:`textprep.filtering`.

Why it is fast: lemmatizing is the costly step and text is Zipf-distributed, so the
pipeline keeps a cache ``form -> lemma`` and lemmatizes each distinct form once (45 thousand
forms for 426 thousand tokens of Russian prose); every other token costs one dictionary
lookup.  In :meth:`Pipeline.map` with ``workers > 1`` the calling process tokenizes a chunk
of documents and finds the forms it has never seen.  Most of them it looks up in the
dictionary itself (:meth:`textprep.forms.FormMapper.known`); those the dictionary does not
know, which need pymorphy3's full analysis, and a share of the others go to ``workers - 1``
worker processes (to ``workers`` of them for stems and English lemmas, which have no
dictionary half).  The cache stays in this process; no form is ever lemmatized twice, and
chunks come back in input order.
"""
from __future__ import annotations

import collections
import concurrent.futures
import dataclasses
import functools
import itertools
import operator
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass

from .config import check_fields, option
from .corpus import check_readable
from .errors import ConfigError, InputError
from .forms import FormMapper, worker_form_mapper
from .lemma import check_pos
from .normalize import fold_yo, normalize_text
from .parallel import call_worker, can_start_pool, chunks, init_worker, process_pool, resolve_workers
from .stopwords import check_spec, load_stopwords
from .tokenize import char_tokenize, word_tokenize

LANGS = ("ru", "en")
LEVELS = ("word", "char")


@dataclass(frozen=True)
class PipelineConfig:
    """How documents become tokens; shared by the Python API and the CLI flags."""

    lang: str = option("ru", "language", choices=LANGS)
    lowercase: bool = option(True, "lower-case the text")
    fold_yo: bool = option(True, "write ё as е")
    punctuation: bool = option(False, "keep punctuation tokens")
    numbers: bool = option(True, "keep number tokens")
    stopwords: str = option("none", "stop words: ru, en, none or a word-list file")
    stopwords_add: tuple[str, ...] = option((), "words to add to the stop-word list")
    stopwords_remove: tuple[str, ...] = option((), "words to take out of the stop-word list")
    stopwords_on_lemmas: bool = option(False, "match stop words against lemmas instead of word forms")
    lemmatize: bool = option(False, "replace words by lemmas (ru: pymorphy3, en: simplemma)")
    stem: bool = option(False, "replace words by Snowball stems")
    prefer_pos: tuple[str, ...] = option((), "ru lemmas: prefer parses with these parts of speech, e.g. VERB INFN")
    lemma_overrides: str | None = option(None, "file of 'form<TAB>lemma' lines that override the lemmatizer")
    level: str = option("word", "tokens: word or char", choices=LEVELS)

    def __post_init__(self):
        check_fields(self)
        for name in ("stopwords_add", "stopwords_remove", "prefer_pos"):
            value = getattr(self, name)
            if isinstance(value, str) or not all(isinstance(v, str) for v in value):
                raise TypeError(f"{name} must be a tuple of strings, got {value!r}")
            object.__setattr__(self, name, tuple(value))
        check_spec(self.stopwords)
        if self.stopwords_on_lemmas and not self.lemmatize:
            raise ConfigError("stopwords_on_lemmas=True needs lemmatize=True")
        if self.lemmatize and self.stem:
            raise ConfigError("lemmatize and stem cannot both be set; choose one")
        if self.prefer_pos:
            if not (self.lemmatize and self.lang == "ru"):
                raise ConfigError(f"prefer_pos={list(self.prefer_pos)} needs lemmatize=True and lang='ru'")
            check_pos(self.prefer_pos)
        if self.lemma_overrides is not None:
            if not self.lemmatize:
                raise ConfigError(f"lemma_overrides={self.lemma_overrides!r} needs lemmatize=True")
            check_readable(self.lemma_overrides)
        if self.level == "char" and (self.lemmatize or self.stem or self.stopwords != "none"):
            raise ConfigError("level='char' cannot be combined with lemmatize, stem or stop words")

    @property
    def changes_forms(self) -> bool:
        """Whether words go through a lemmatizer or stemmer (the cached, parallel stage)."""
        return self.lemmatize or self.stem


def _make_form_mapper(config: PipelineConfig) -> FormMapper:
    """The lemmatizer or stemmer for ``config``, as ``forms -> outputs`` (no cache)."""
    return FormMapper(config)


class Pipeline:
    """A configured preprocessing pipeline.

    >>> pipe = Pipeline(lang="ru", stopwords="ru", lemmatize=True)
    >>> pipe("Копали яму на пляже")
    ['копать', 'яма', 'пляж']
    >>> list(pipe.map(["Ел картошки", "", "и картошку"]))
    [['есть', 'картошка'], [], ['картошка']]
    """

    #: a chunk with fewer new forms than this is lemmatized in the calling process (stems and
    #: English lemmas; Russian forms that need the full analyzer go to the workers from the first)
    MIN_PARALLEL_FORMS = 256
    #: at most this many forms per task sent to a worker
    PART_SIZE = 500
    #: in the parallel map, the calling process looks up this many shares of a chunk's new
    #: Russian forms in the dictionary for each one a worker gets: it also tokenizes, but the
    #: workers load pymorphy3's analyzer and analyze the forms the dictionary lacks (2 balances
    #: the two sides on two cores for Russian prose)
    LOOKUP_SHARES = 2

    def __init__(self, config: PipelineConfig | None = None, **overrides):
        if config is None:
            config = PipelineConfig(**overrides)
        elif overrides:
            config = dataclasses.replace(config, **overrides)
        if not isinstance(config, PipelineConfig):
            raise TypeError(f"config must be a PipelineConfig, got {type(config).__name__}")
        self.config = config
        stop = load_stopwords(config.stopwords, config.stopwords_add, config.stopwords_remove)
        # stop words are matched either on the word forms (here, in ``tokens``) or on the lemmas
        self._stop = frozenset() if config.stopwords_on_lemmas else stop
        self._stop_lemmas = stop if config.stopwords_on_lemmas else frozenset()
        self._mapper: Callable[[Sequence[str]], list[str]] | None = None
        self._cache: dict[str, str] = {}   # form -> lemma or stem
        # with stop words matched on lemmas: form -> its output, or None if the lemma is a stop word
        self._kept: dict[str, str | None] = {}

    # -- one document ------------------------------------------------------------------
    def tokens(self, doc: str) -> list[str]:
        """Normalized surface tokens of one document (no lemmas yet), stop words removed
        unless they are matched on lemmas."""
        cfg = self.config
        if not isinstance(doc, str):
            raise TypeError(f"a document must be a string, got {type(doc).__name__}")
        text = normalize_text(doc, cfg.lowercase, cfg.fold_yo)
        if cfg.level == "char":
            return char_tokenize(text, punctuation=cfg.punctuation, numbers=cfg.numbers)
        toks = word_tokenize(text, punctuation=cfg.punctuation, numbers=cfg.numbers)
        stop = self._stop
        if stop:
            if cfg.lowercase and cfg.fold_yo:
                toks = list(itertools.filterfalse(stop.__contains__, toks))   # a C loop
            else:
                toks = [t for t in toks if fold_yo(t.lower()) not in stop]
        return toks

    def __call__(self, doc: str) -> list[str]:
        """One document -> its tokens (lemmas or stems if configured)."""
        toks = self.tokens(doc)
        if not self.config.changes_forms or not toks:
            return toks
        try:
            return self._lemmas(toks)   # most documents hold no form unseen so far
        except KeyError:
            pass
        cache = self._cache
        new = [t for t in dict.fromkeys(toks) if t not in cache]
        self._learn(new, self._form_mapper()(new))
        return self._lemmas(toks)

    def _lemmas(self, toks: list[str]) -> list[str]:
        """Cached outputs of known forms, less lemmas that are stop words (if so configured);
        ``KeyError`` for a form not in the cache."""
        if self._stop_lemmas:
            return list(filter(_is_kept, map(self._kept.__getitem__, toks)))
        return list(map(self._cache.__getitem__, toks))

    def _form_mapper(self) -> Callable[[Sequence[str]], list[str]]:
        if self._mapper is None:
            self._mapper = _make_form_mapper(self.config)
        return self._mapper

    def _learn(self, forms: Sequence[str], outputs: Sequence[str]) -> None:
        if self._stop_lemmas:
            # decided once per form, like the lemma itself (before the cache has the form, so
            # that a form in the cache is always in here too)
            stop = self._stop_lemmas
            self._kept.update((f, None if _stop_key(x) in stop else x) for f, x in zip(forms, outputs))
        self._cache.update(zip(forms, outputs))

    @property
    def cache_size(self) -> int:
        """How many distinct forms have been lemmatized or stemmed so far."""
        return len(self._cache)

    # -- many documents ----------------------------------------------------------------
    def map(self, docs: Iterable[str], workers: int = 1, chunk_size: int = 1000) -> Iterator[list[str]]:
        """Token lists of ``docs``, in input order, lazily.

        ``workers > 1`` lemmatizes/stems new forms in worker processes (``0``: one per
        available CPU): ``workers - 1`` of them for Russian lemmas, this process doing the
        dictionary lookups, ``workers`` for stems and English lemmas.  Tokenizing and the cache
        stay in this process.  Without a lemmatizer or stemmer there is nothing worth sending
        to workers and ``workers`` is ignored.
        """
        if isinstance(docs, str):
            raise TypeError("Pipeline.map expects an iterable of documents, not a single string")
        workers = resolve_workers(workers)
        if chunk_size < 1:
            raise InputError(f"chunk_size must be >= 1, got {chunk_size}")
        if workers == 1 or not self.config.changes_forms or not can_start_pool():
            return (self(doc) for doc in docs)
        return self._parallel_map(docs, workers, chunk_size)

    def _parallel_map(self, docs: Iterable[str], workers: int, chunk_size: int) -> Iterator[list[str]]:
        cache = self._cache
        mapper = self._form_mapper()
        known = mapper.known if getattr(mapper, "has_known", False) else None
        # with a dictionary half, this process is one of the ``workers``
        procs = workers - 1 if known is not None else workers
        in_flight: set[str] = set()   # forms sent to a worker, answer not yet back
        # each entry: (token lists of one chunk, [(forms, future), ...]) in input order; enough
        # chunks to tokenize on while a worker starts (pymorphy3 loads in 0.15 s)
        pending: collections.deque = collections.deque()
        max_pending = 2 * procs + 16
        pool: concurrent.futures.ProcessPoolExecutor | None = None

        def collect(entry) -> Iterator[list[str]]:
            tdocs, jobs = entry
            for forms, fut in jobs:
                self._learn(forms, fut.result())
                in_flight.difference_update(forms)
            for toks in tdocs:
                yield self._lemmas(toks)

        try:
            for chunk in chunks(docs, chunk_size):
                tdocs = [self.tokens(d) for d in chunk]
                # set operations in C; the order in which forms are lemmatized does not matter
                fresh = dict.fromkeys(itertools.chain.from_iterable(tdocs)).keys() - cache.keys()
                new = list(fresh - in_flight if in_flight else fresh)
                if known is not None and new and (pool is not None or len(new) >= self.MIN_PARALLEL_FORMS):
                    # this process looks up its share of the new forms and keeps those the
                    # dictionary knows; the workers get the rest whole, and the unknown forms
                    cut = len(new) * self.LOOKUP_SHARES // (self.LOOKUP_SHARES + procs)
                    mine, theirs = new[:cut], new[cut:]
                    outputs = [known(t) for t in mine]
                    found = [i for i, x in enumerate(outputs) if x is not None]
                    self._learn([mine[i] for i in found], [outputs[i] for i in found])
                    new = [t for t, x in zip(mine, outputs) if x is None] + theirs
                jobs = []
                if new and (pool is not None or len(new) >= self.MIN_PARALLEL_FORMS):
                    if pool is None:  # started at the first chunk with enough new forms
                        pool = process_pool(procs, init_worker, (worker_form_mapper, (self.config,)))
                    # small parts keep every worker busy while this process tokenizes on
                    step = min(self.PART_SIZE, -(-len(new) // procs))
                    for i in range(0, len(new), step):
                        part = new[i:i + step]
                        jobs.append((part, pool.submit(call_worker, part)))
                    in_flight.update(new)
                elif new:
                    self._learn(new, mapper(new))
                pending.append((tdocs, jobs))
                while pending and (len(pending) > max_pending or all(f.done() for _, f in pending[0][1])):
                    yield from collect(pending.popleft())
            while pending:
                yield from collect(pending.popleft())
        finally:
            if pool is not None:
                pool.shutdown(wait=True, cancel_futures=True)

    # -- pickling (scikit-learn clones analyzers; worker processes get the config) -----
    def __getstate__(self) -> dict:
        return {"config": self.config}

    def __setstate__(self, state: dict) -> None:
        self.__init__(state["config"])

    def __repr__(self) -> str:
        changed = {
            f.name: getattr(self.config, f.name)
            for f in dataclasses.fields(self.config)
            if getattr(self.config, f.name) != f.default
        }
        args = ", ".join(f"{k}={v!r}" for k, v in changed.items())
        return f"Pipeline({args})"


#: ``x is not None`` without a Python-level call, for ``filter``
_is_kept = functools.partial(operator.is_not, None)


def _stop_key(word: str) -> str:
    return fold_yo(word.lower())
