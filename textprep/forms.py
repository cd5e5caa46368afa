"""Word form -> output (lemma or stem) for one pipeline configuration, with no cache.

:class:`FormMapper` wraps the configured lemmatizer or stemmer as ``forms -> outputs`` and
applies the ё-folding of the configuration to its outputs.  For Russian lemmas it also has
a quick half, :meth:`FormMapper.known`: the lemma of a word the dictionary knows, read
straight from it (:mod:`textprep.morph`).  The pipeline's parallel map does that half itself
and sends only the rest (about one distinct form in eight, half of the work) to its worker
processes, which load pymorphy3's full analyzer as soon as they start
(:func:`worker_form_mapper`).
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from .lemma import EnglishLemmatizer, RussianLemmatizer, read_overrides
from .normalize import fold_yo, normalize_text
from .stem import SnowballStemmer

if TYPE_CHECKING:
    from .pipeline import PipelineConfig


class FormMapper:
    """The lemmatizer or stemmer of ``config``, as ``forms -> outputs``.

    >>> from textprep.pipeline import PipelineConfig
    >>> mapper = FormMapper(PipelineConfig(lang="ru", lemmatize=True))
    >>> mapper(["пошёл", "полуответы"]), mapper.known("пошёл"), mapper.known("полуответы")
    (['пойти', 'полуответ'], 'пойти', None)
    """

    def __init__(self, config: PipelineConfig):
        if config.stem:
            self._base = SnowballStemmer(config.lang)
        else:
            overrides = {}
            if config.lemma_overrides is not None:
                for form, lemma in read_overrides(config.lemma_overrides).items():
                    overrides[normalize_text(form, config.lowercase, config.fold_yo)] = lemma
            if config.lang == "ru":
                self._base = RussianLemmatizer(prefer_pos=config.prefer_pos, overrides=overrides)
            else:
                self._base = EnglishLemmatizer(overrides=overrides)
        # pymorphy3 writes lemmas with ё («пошёл» -> «пойти», «всё» -> «весь»)
        self._fold = config.fold_yo
        self._known = self._base.known_lemma if getattr(self._base, "reads_dictionary", False) else None

    @property
    def has_known(self) -> bool:
        """Whether :meth:`known` can answer anything (Russian lemmas)."""
        return self._known is not None

    def __call__(self, forms: Sequence[str]) -> list[str]:
        outputs = self._base(forms)
        return [fold_yo(x) for x in outputs] if self._fold else outputs

    def known(self, form: str) -> str | None:
        """The output of ``form`` if a dictionary lookup gives it, else ``None``."""
        if self._known is None:
            return None
        out = self._known(form)
        return fold_yo(out) if self._fold and out is not None else out

    def warm_up(self) -> None:
        """Load now what the first form would load (pymorphy3's full analyzer)."""
        load = getattr(self._base, "load_analyzer", None)
        if load is not None:
            load()


def worker_form_mapper(config: PipelineConfig) -> FormMapper:
    """A worker process's mapper: it gets the forms the dictionary lookup left, so its
    analyzer is loaded at once, while the calling process tokenizes its first chunk."""
    mapper = FormMapper(config)
    mapper.warm_up()
    return mapper
