"""pymorphy3 set up for speed: which dictionary reader is in use, a quick analyzer load, and
the lemma of a word the dictionary knows, read straight from the dictionary's files.

The reader
----------
pymorphy3's dictionaries are DAWG files.  pymorphy3 reads them with the ``DAWG2`` C extension
(``import dawg``) when it imports, and otherwise with the pure-Python ``DAWG2-Python``: the same
files and the same answers, about five times slower.  ``DAWG2`` is a dependency of this
package (``pymorphy3[fast]``); where it cannot be installed the pure-Python reader is used and
a warning says so once per process.  :func:`dawg_reader` names the reader in use.

The lemma of a known word
-------------------------
``MorphAnalyzer().parse(w)[0].normal_form`` runs every analyzer unit, builds a tag object and
a tuple per parse, and ranks the parses by P(tag | word).  For a word in the dictionary most
of that cannot change the answer: pymorphy3's first group of units (the dictionary, then the
two analyzers of initials, which only answer for a single capital letter such as «А») ends
the analysis, so when the dictionary knows the word nothing else is asked.
:class:`KnownWords` does that much itself: the dictionary's parses in pymorphy3's order, their
normal forms built from the paradigm tables, and, only when they disagree, the P(tag | word)
values that decide which comes first (the highest, the earliest on ties, the first parse when
none is known: the order ``ProbabilityEstimator.apply_to_parses`` gives).  A word the
dictionary does not know (hyphenated, prefixed, unknown, Latin, a number) gives ``None`` and
goes to the full analyzer.  About 87% of the distinct forms of a Russian novel are known; each
costs about a fifth of a full parse, and loading these tables takes a third of the time
pymorphy3 takes to load (it also builds 5,500 tag objects and finds its dictionary by scanning
every installed package's entry points).  ``tests/test_lemma_readers.py`` checks the answers
against the stock analyzer with both readers on a real word list.
"""
from __future__ import annotations

import array
import functools
import json
import logging
import os
import struct

log = logging.getLogger(__name__)

#: the dictionary format whose files :class:`KnownWords` reads
FORMAT_VERSION = "2.4"

_reported = False


def dawg_reader() -> str:
    """The DAWG reader pymorphy3 uses in this process: ``"DAWG2"`` (the C extension) or
    ``"DAWG2-Python"`` (pure Python)."""
    from pymorphy3 import dawg

    return "DAWG2" if dawg.EXTENSION_AVAILABLE else "DAWG2-Python"


def report_reader() -> None:
    """Log, once per process, which reader is in use (a warning for the slow one)."""
    global _reported
    if _reported:
        return
    _reported = True
    if dawg_reader() == "DAWG2":
        log.debug("pymorphy3 reads its dictionaries with the DAWG2 C extension")
    else:
        log.warning("pymorphy3 reads its dictionaries with the pure-Python DAWG reader (the DAWG2 extension "
                    "is not installed or does not import here): the same lemmas, about 5x slower")


def dictionary_path() -> str | None:
    """The Russian dictionary's folder: the one pymorphy3's environment variable names, else
    the ``pymorphy3-dicts-ru`` package's; ``None`` leaves the search to pymorphy3."""
    from pymorphy3 import MorphAnalyzer

    env = os.environ.get(MorphAnalyzer.DICT_PATH_ENV_VARIABLE)
    if env:
        return env
    try:
        import pymorphy3_dicts_ru
    except ImportError:
        return None
    get_path = getattr(pymorphy3_dicts_ru, "get_path", None)
    return get_path() if get_path is not None else None


def load_analyzer(**kwargs):
    """``pymorphy3.MorphAnalyzer(lang="ru", **kwargs)`` on :func:`dictionary_path` (found
    without the entry-point scan); says once per process which reader is in use."""
    import pymorphy3

    report_reader()
    return pymorphy3.MorphAnalyzer(path=dictionary_path(), lang="ru", **kwargs)


@functools.cache
def known_words(path: str | None = None) -> KnownWords:
    """One :class:`KnownWords` per dictionary and process (its tables are read-only, and
    worker processes forked later share them)."""
    return KnownWords(path)


def _standard_first_group():
    """The letters of the initials analyzers if Russian's default units start with pymorphy3's
    usual first group (dictionary, first-name initial, patronymic initial), else ``None``."""
    from pymorphy3.lang import ru
    from pymorphy3.units import AbbreviatedFirstNameAnalyzer, AbbreviatedPatronymicAnalyzer, DictionaryAnalyzer

    units = getattr(ru, "DEFAULT_UNITS", None)
    first = units[0] if units else None
    kinds = (DictionaryAnalyzer, AbbreviatedFirstNameAnalyzer, AbbreviatedPatronymicAnalyzer)
    if not isinstance(first, list) or [type(u) for u in first] != list(kinds):
        return None
    return frozenset(first[1].letters) | frozenset(first[2].letters)


class KnownWords:
    """``word -> MorphAnalyzer().parse(word)[0].normal_form`` for the words the Russian
    dictionary knows, ``None`` for the others (see the module docstring).

    If the dictionary's format or pymorphy3's default units are not the ones this reads,
    :attr:`enabled` is false and every answer is ``None``: the full analyzer does all.

    >>> known = KnownWords()
    >>> known("копали"), known("стали"), known("по-французски"), known("empereur")
    ('копать', 'стать', 'по-французски', None)
    """

    def __init__(self, path: str | None = None):
        from pymorphy3.dawg import ConditionalProbDistDAWG, WordsDawg
        from pymorphy3.lang import ru

        report_reader()
        path = path or dictionary_path()
        self._initials = _standard_first_group()
        meta = self._meta(path) if path else {}
        self.enabled = (self._initials is not None and meta.get("format_version") == FORMAT_VERSION
                        and meta.get("language_code") == "ru")
        if not self.enabled:
            return

        def file(name: str) -> str:
            return os.path.join(path, name)

        with open(file(meta["gramtab_formats"]["opencorpora-int"]), encoding="utf-8") as f:
            self._tag_names: list[str] = json.load(f)
        with open(file("suffixes.json"), encoding="utf-8") as f:
            self._suffixes: list[str] = json.load(f)
        self._prefixes: list[str] = meta["compile_options"]["paradigm_prefixes"]
        self._paradigms = self._read_paradigms(file("paradigms.array"))
        words = WordsDawg().load(file("words.dawg"))
        self._similar_items = words.similar_items
        self._get = words.get
        substitutes = getattr(ru, "CHAR_SUBSTITUTES", {})
        self._substitutes = words.compile_replaces(substitutes)
        # «е» may stand for «ё»: a word without it has only its own spelling to look up
        self._variable = next(iter(substitutes)) if len(substitutes) == 1 else None
        # pymorphy3 ranks parses only where the dictionary was compiled with P(tag | word)
        self._prob = (ConditionalProbDistDAWG().load(file("p_t_given_w.intdawg")).get
                      if meta.get("P(t|w)") else None)

    @staticmethod
    def _meta(path: str) -> dict:
        try:
            with open(os.path.join(path, "meta.json"), encoding="utf-8") as f:
                return dict(json.load(f))
        except (OSError, ValueError, TypeError):
            return {}

    @staticmethod
    def _read_paradigms(filename: str) -> list[array.array]:
        """``paradigms.array``: a count, then each paradigm as a length and that many uint16
        (in the machine's byte order, as pymorphy3 writes and reads them)."""
        with open(filename, "rb") as f:
            data = f.read()
        (count,) = struct.unpack_from("<H", data, 0)
        pos, out = 2, []
        for _ in range(count):
            (n,) = struct.unpack_from("<H", data, pos)
            para = array.array("H")
            para.frombytes(data[pos + 2:pos + 2 + 2 * n])
            out.append(para)
            pos += 2 + 2 * n
        return out

    def __call__(self, word: str) -> str | None:
        if not self.enabled or word in self._initials:
            return None
        word_lower = word.lower()
        if self._variable is not None and self._variable not in word_lower:
            values = self._get(word_lower)   # the same answer as ``similar_items``, a third faster
            found = [(word_lower, values)] if values else None
        else:
            found = self._similar_items(word_lower, self._substitutes)
        if not found:
            return None
        paradigms, suffixes, prefixes = self._paradigms, self._suffixes, self._prefixes
        lemmas: list[str] = []
        tags: list[int] = []
        for fixed, pairs in found:   # ``fixed``: the word with ё where the dictionary has it
            for para_id, idx in pairs:
                # a paradigm is three equal rows: suffix ids, tag ids, prefix ids; form 0 is the lemma
                para = paradigms[para_id]
                n = len(para) // 3
                tags.append(para[n + idx])
                if idx == 0:
                    lemmas.append(fixed)
                    continue
                stem = fixed[len(prefixes[para[2 * n + idx]]):len(fixed) - len(suffixes[para[idx]])]
                lemmas.append(prefixes[para[2 * n]] + stem + suffixes[para[0]])
        first = lemmas[0]
        if self._prob is None or lemmas.count(first) == len(lemmas):
            return first
        prob, names = self._prob, self._tag_names
        probs = [prob(f"{word_lower}:{names[t]}", 0) for t in tags]
        best = max(probs)
        # none known: pymorphy3 keeps the dictionary's order; else a stable sort, highest first
        return first if best == 0 else lemmas[probs.index(best)]
