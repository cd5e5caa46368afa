"""Judging word vectors: analogy accuracy, similarity correlation, analogy expressions.

* ``evaluate_word_analogies(kv, path)``: files in the ``questions-words.txt`` format
  (``: section`` lines, then ``a b c d`` meaning a:b = c:d).  Conventions as in gensim's
  ``KeyedVectors.evaluate_word_analogies``: only the ``restrict_vocab`` most frequent words
  take part (30,000 here, the figure of the original ``compute-accuracy`` tool and of older
  gensim releases; gensim 4 defaults to 300,000), words are compared upper-cased, a question
  with a word outside that set is skipped, and the answer is the best 3CosAdd word other
  than the three question words.  Accuracy = correct / answered, per section and in total.
* ``evaluate_word_pairs(kv, path)``: ``word1<TAB>word2<TAB>score`` files (``#`` comments,
  e.g. WordSim-353); Spearman's rho (and Pearson's r) between the human scores and cosine
  similarity over the pairs whose two words are known.
* ``parse_analogy("король - мужчина + женщина")``: (positive words, negative words).
* ``guess_language(kv)`` and ``bundled_sets(lang)``: the language of the vectors, told by the
  script of their most frequent words, and the evaluation files bundled for it.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from corpora import corpus_path
from textprep.corpus import iter_lines
from textprep.errors import InputError

if TYPE_CHECKING:  # annotations only: KeyedVectors calls this module for its evaluate method
    from .keyedvectors import KeyedVectors

RESTRICT_VOCAB = 30_000

#: per language, the bundled evaluation sets (names for ``corpora.corpus_path``): analogies, similarity.
#: None is bundled for Russian yet.
BUNDLED_SETS: dict[str, tuple[str | None, str | None]] = {"en": ("questions_words", "wordsim353")}
#: the language each script stands for among those the toolkit reads
SCRIPT_LANGUAGES = {"cyrillic": "ru", "latin": "en"}
LANGUAGE_NAMES = {"ru": "Russian", "en": "English"}


@dataclass
class Section:
    name: str
    correct: int = 0
    incorrect: int = 0
    skipped: int = 0          # questions with a word outside the restricted vocabulary
    # the answered questions as upper-cased 4-tuples, as gensim lists them
    correct_questions: list[tuple[str, ...]] = field(default_factory=list, repr=False)
    incorrect_questions: list[tuple[str, ...]] = field(default_factory=list, repr=False)

    @property
    def accuracy(self) -> float:
        n = self.correct + self.incorrect
        return self.correct / n if n else 0.0

    def to_dict(self) -> dict:
        return {"section": self.name, "correct": self.correct, "incorrect": self.incorrect,
                "skipped": self.skipped, "accuracy": self.accuracy}


@dataclass
class AnalogyResult:
    sections: list[Section] = field(default_factory=list)
    restrict_vocab: int = RESTRICT_VOCAB

    @property
    def total(self) -> Section:
        t = Section("total")
        for s in self.sections:
            t.correct, t.incorrect, t.skipped = t.correct + s.correct, t.incorrect + s.incorrect, t.skipped + s.skipped
        return t

    @property
    def accuracy(self) -> float:
        return self.total.accuracy

    @property
    def answered(self) -> int:
        """Questions with all four words among the restricted vocabulary."""
        return self.total.correct + self.total.incorrect

    @property
    def questions(self) -> int:
        return self.answered + self.total.skipped

    def to_dict(self) -> dict:
        return {"restrict_vocab": self.restrict_vocab, "accuracy": self.accuracy,
                "total": self.total.to_dict(), "sections": [s.to_dict() for s in self.sections]}


def _upper_vocab(kv: KeyedVectors, restrict_vocab: int) -> dict[str, int]:
    """Upper-cased word -> index among the first ``restrict_vocab`` words; the most frequent
    spelling wins when two words differ only in case."""
    out: dict[str, int] = {}
    for i, w in enumerate(kv.index_to_key[:restrict_vocab]):
        out.setdefault(w.upper(), i)
    return out


def evaluate_word_analogies(
    kv: KeyedVectors, path: str | os.PathLike, restrict_vocab: int = RESTRICT_VOCAB
) -> AnalogyResult:
    """Analogy accuracy per section and in total (see the module docstring for the rules)."""
    vocab = _upper_vocab(kv, restrict_vocab)
    limit = min(restrict_vocab, len(kv))
    unit = kv.unit_vectors[:limit]
    result = AnalogyResult(restrict_vocab=restrict_vocab)
    questions: list[tuple[int, int, int, int]] = []
    asked: list[tuple[str, ...]] = []

    def flush() -> None:
        if not questions:
            return
        q = np.array(questions)
        # 3CosAdd for a whole section at once: (n, dim) @ (dim, limit).
        query = unit[q[:, 1]] - unit[q[:, 0]] + unit[q[:, 2]]
        query /= np.maximum(np.linalg.norm(query, axis=1, keepdims=True), 1e-12)
        scores = query @ unit.T
        np.put_along_axis(scores, q[:, :3], -np.inf, axis=1)
        guess = scores.argmax(1)
        sec = result.sections[-1]
        sec.correct += int((guess == q[:, 3]).sum())
        sec.incorrect += int((guess != q[:, 3]).sum())
        for words, hit in zip(asked, (guess == q[:, 3]).tolist()):
            (sec.correct_questions if hit else sec.incorrect_questions).append(words)
        questions.clear()
        asked.clear()

    for n, line in enumerate(iter_lines(path), start=1):
        line = line.strip()
        if not line:
            continue
        if line.startswith(":"):
            flush()
            result.sections.append(Section(line[1:].strip()))
            continue
        words = line.upper().split()
        if len(words) != 4:
            raise InputError(f"{path}: line {n}: expected 4 words, got {len(words)}: {line!r}")
        if not result.sections:
            raise InputError(f"{path}: line {n}: question before the first ': section' line")
        if all(w in vocab for w in words):
            questions.append(tuple(vocab[w] for w in words))  # type: ignore[arg-type]
            asked.append(tuple(words))
        else:
            result.sections[-1].skipped += 1
    flush()
    return result


@dataclass
class SimilarityResult:
    spearman: float
    pearson: float
    pairs: int
    skipped: int

    def to_dict(self) -> dict:
        nan_to_none = lambda x: None if x != x else x  # noqa: E731  (JSON has no NaN)
        return {"spearman": nan_to_none(self.spearman), "pearson": nan_to_none(self.pearson),
                "pairs": self.pairs, "skipped": self.skipped}


def evaluate_word_pairs(
    kv: KeyedVectors, path: str | os.PathLike, restrict_vocab: int = 300_000
) -> SimilarityResult:
    """Spearman and Pearson correlation of cosine similarity with human scores
    (both NaN when fewer than 2 pairs have both words in the vocabulary)."""
    from scipy.stats import pearsonr, spearmanr

    vocab = _upper_vocab(kv, restrict_vocab)
    human, model, skipped = [], [], 0
    for n, line in enumerate(iter_lines(path), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        parts = line.split("\t")
        try:
            a, b, score = parts[0].upper(), parts[1].upper(), float(parts[2])
        except (IndexError, ValueError):
            raise InputError(f"{path}: line {n}: expected 'word1<TAB>word2<TAB>score', got {line!r}") from None
        if a in vocab and b in vocab:
            human.append(score)
            model.append(float(kv.unit_vectors[vocab[a]] @ kv.unit_vectors[vocab[b]]))
        else:
            skipped += 1
    if len(human) < 2:       # nothing to correlate (say, Russian vectors and English pairs)
        return SimilarityResult(float("nan"), float("nan"), len(human), skipped)
    return SimilarityResult(float(spearmanr(human, model)[0]), float(pearsonr(human, model)[0]), len(human), skipped)


def parse_analogy(expr: str) -> tuple[list[str], list[str]]:
    """``"король - мужчина + женщина"`` -> (["король", "женщина"], ["мужчина"]).

    Terms are words joined by ``+`` or ``-``; a sign is a token of its own or glued to the
    front of its word (``король -мужчина +женщина``).  A hyphen inside a word
    (``северо-запад``) is part of the word.  The first word may carry a sign.
    """
    tokens: list[str] = []
    for tok in expr.split():
        if len(tok) > 1 and tok[0] in "+-":
            tokens += [tok[0], tok[1:]]
        else:
            tokens.append(tok)
    if not tokens:
        raise InputError("empty analogy expression")
    positive: list[str] = []
    negative: list[str] = []
    sign, expect_word = "+", True
    for i, tok in enumerate(tokens):
        if tok in ("+", "-"):
            if expect_word and i > 0:
                raise InputError(f"bad analogy expression {expr!r}: two signs in a row")
            sign, expect_word = tok, True
        elif not expect_word:
            raise InputError(f"bad analogy expression {expr!r}: missing '+' or '-' before {tok!r}")
        else:
            (positive if sign == "+" else negative).append(tok)
            sign, expect_word = "+", False
    if expect_word:
        raise InputError(f"bad analogy expression {expr!r}: it ends with a sign")
    if not positive:
        raise InputError(f"bad analogy expression {expr!r}: no positive word")
    return positive, negative


def script_of(word: str) -> str | None:
    """``"cyrillic"``, ``"latin"`` or None: the script most letters of ``word`` are written in."""
    cyr = lat = 0
    for ch in word:
        if "\u0400" <= ch <= "\u04ff":
            cyr += 1
        elif ch.isalpha() and (ch.isascii() or "\u00c0" <= ch <= "\u024f"):
            lat += 1
    if cyr == lat:
        return None
    return "cyrillic" if cyr > lat else "latin"


def guess_language(kv: KeyedVectors, sample: int = 2000) -> str | None:
    """The language of the vectors from the script of their ``sample`` most frequent words:
    ``"ru"`` (Cyrillic), ``"en"`` (Latin) or None (neither has most of them)."""
    scripts = [script_of(w) for w in kv.index_to_key[:sample]]
    for script, lang in SCRIPT_LANGUAGES.items():
        if scripts and scripts.count(script) > len(scripts) / 2:
            return lang
    return None


def bundled_sets(lang: str | None) -> tuple[Path | None, Path | None]:
    """The bundled analogy and similarity files for ``lang`` (None where there is none)."""
    names = BUNDLED_SETS.get(lang or "", (None, None))
    return tuple(corpus_path(n) if n else None for n in names)  # type: ignore[return-value]


def unanswerable(result: AnalogyResult | SimilarityResult, path: str | os.PathLike, vocab_size: int) -> str | None:
    """Why ``result`` (from the file ``path``, on vectors of ``vocab_size`` words) measures
    nothing, as a phrase; None when it measures something.  An accuracy over no question, or a
    correlation over fewer than two pairs, is not a score of zero."""
    name = Path(path).name
    if isinstance(result, AnalogyResult):
        if result.answered:
            return None
        where = ("in the vectors" if vocab_size <= result.restrict_vocab
                 else f"among the vectors' {result.restrict_vocab:,} most frequent words")
        return f"none of the {result.questions:,} analogy questions in {name} has all its words {where}"
    if result.pairs >= 2:
        return None
    return (f"{'none' if result.pairs == 0 else 'only 1'} of the {result.pairs + result.skipped:,} word pairs "
            f"in {name} has both words in the vectors")
