"""Units that run over several lines (sentences, paragraphs, chapters), cut into partitions where
one starts, so that each partition gives exactly its share of :mod:`textprep.segment`'s output.

Where a cut is safe, line by line (``prev`` is the line before)::

    paragraphs, sentences   the line is blank, or indented, or follows a blank line: in each case
                            :func:`~textprep.segment.paragraphs` starts the line with an empty buffer
    chapters                the line is a chapter heading: :func:`~textprep.segment.chapters` starts
                            a new chapter there, whatever came before
    lines                   anywhere

A stretch with no safe line (a file without blank or indented lines) simply makes a larger
partition.  Numbered titles (``paragraph 12``, ``line 40``) depend on what came before, so the
workers return local numbers and the client, which sees the partitions in order, adds the offsets.
"""
from __future__ import annotations

from ..pipeline import PipelineConfig
from ..segment import HEADING, chapters, paragraphs, sentences
from .partitions import Partition, SafeCut, iter_partition_lines
from .tasks import pipeline_for


def paragraph_start(prev: str, line: str) -> bool:
    return not line.strip() or line[:1].isspace() or not prev.strip()


def chapter_start(prev: str, line: str) -> bool:
    return HEADING.match(line) is not None


def safe_cut(unit: str) -> SafeCut | None:
    """The cut rule for ``unit`` (None: any line end)."""
    return {"lines": None, "paragraphs": paragraph_start, "sentences": paragraph_start,
            "chapters": chapter_start}[unit]


def sentences_part(part: Partition, lang: str, unit: str) -> tuple[str, int, int, int]:
    """Training text of one partition: ``(lines of word forms, lines, tokens, chapter headings seen)``;
    units are sentences of paragraphs, or lines (``unit == "lines"``); empty units are left out."""
    words = pipeline_for(PipelineConfig(lang=lang))
    headings = 0

    def lines():
        nonlocal headings
        for line in iter_partition_lines(part):
            headings += HEADING.match(line) is not None
            yield line

    out, n_units, n_tokens = [], 0, 0
    for text in (lines() if unit == "lines" else sentences(lines())):
        toks = words(text)
        if toks:
            out.append(" ".join(toks) + "\n")
            n_units += 1
            n_tokens += len(toks)
    return "".join(out), n_units, n_tokens, headings


def documents_part(part: Partition, config: PipelineConfig, unit: str) -> tuple[str, list, int, int]:
    """TF-IDF documents of one partition: ``(token lines, titles, tokens, lines read)``.

    Titles: chapters' own (``(opening)`` before the first heading of the file); for paragraphs and
    lines, their numbers within the partition (ints), which the client turns into global ones.
    """
    pipe = pipeline_for(config)
    n_lines = 0

    def lines():
        nonlocal n_lines
        for line in iter_partition_lines(part):
            n_lines += 1
            yield line

    if unit == "chapters":
        docs = ((title or "(opening)", " ".join(paras)) for title, paras in chapters(lines()))
    elif unit == "paragraphs":
        docs = ((i, p) for i, p in enumerate(paragraphs(lines()), 1))
    elif unit == "lines":
        docs = ((i, line) for i, line in enumerate(lines(), 1) if line.strip())
    else:
        raise ValueError(f"unknown document unit {unit!r}")
    out, titles, n_terms = [], [], 0
    for title, text in docs:
        toks = pipe(text)
        out.append(" ".join(toks) + "\n")
        titles.append(title)
        n_terms += len(toks)
    return "".join(out), titles, n_terms, n_lines
