"""Cutting a stream of lines into other units: sentences, paragraphs, chapters, documents.

Books in plain text are usually hard-wrapped: a sentence runs over several lines, and a
paragraph starts after a blank line or on an indented line.  Models that look at word
neighbourhoods (word2vec windows, a language model's context) need the sentence back, and
TF-IDF needs documents larger than a line.  Every function streams: it holds one unit at a
time (a chapter for ``chapters``), never the whole text.

>>> list(paragraphs(["  First line", "goes on.", "  Second.", "", "Third"]))
['First line goes on.', 'Second.', 'Third']
>>> list(sentences(["  He came.", "She left. It", "rained."]))
['He came.', 'She left.', 'It rained.']
>>> [(title, len(ps)) for title, ps in chapters(["Title", "I.", "  One.", "  Two.", "II", "  Three."])]
[('', 1), ('I', 2), ('II', 1)]
>>> list(documents(["Title", "I.", "  One.", "  Two."], "chapters"))
[('(opening)', 'Title'), ('I', 'One. Two.')]
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from .errors import InputError
from .tokenize import sentence_split

#: a line holding only a chapter number: Roman (I, XIV.) or Arabic (12, 3.)
HEADING = re.compile(r"^\s*([IVXLCDM]+|\d{1,4})\.?\s*$")

#: what ``documents`` can cut a text into
DOCUMENT_UNITS = ("chapters", "paragraphs", "lines")

#: a paragraph longer than this is cut at the next line end, so memory stays bounded
MAX_PARAGRAPH_CHARS = 20_000


def paragraphs(lines: Iterable[str], max_chars: int = MAX_PARAGRAPH_CHARS) -> Iterator[str]:
    """Join hard-wrapped lines into paragraphs.

    A blank line ends a paragraph; an indented line starts a new one.  Lines are stripped
    and joined by single spaces.  A paragraph reaching ``max_chars`` is cut at a line end.
    """
    buf: list[str] = []
    size = 0
    for line in lines:
        text = line.strip()
        if buf and (not text or line[:1].isspace() or size >= max_chars):
            yield " ".join(buf)
            buf, size = [], 0
        if text:
            buf.append(text)
            size += len(text) + 1
    if buf:
        yield " ".join(buf)


def chapters(lines: Iterable[str], heading: re.Pattern = HEADING) -> Iterator[tuple[str, list[str]]]:
    """``(title, paragraphs)`` per chapter, a chapter starting at each heading line.

    The text before the first heading comes first with the title ``""`` (when it has any
    paragraph).  A chapter is held in memory while it is read.
    """
    title, body = "", []
    for line in lines:
        m = heading.match(line)
        if m:
            yield from _chapter(title, body)
            title, body = m.group(1), []
        else:
            body.append(line)
    yield from _chapter(title, body)


def _chapter(title: str, body: list[str]) -> Iterator[tuple[str, list[str]]]:
    paras = list(paragraphs(body))
    if title or paras:
        yield title, paras


def sentences(lines: Iterable[str]) -> Iterator[str]:
    """Sentences of hard-wrapped text: lines joined into paragraphs, each paragraph split.

    A sentence never runs over a paragraph break, so a heading or a line of dialogue stays
    apart from the text around it.
    """
    for paragraph in paragraphs(lines):
        yield from sentence_split(paragraph)


def count_headings(lines: Iterable[str], heading: re.Pattern = HEADING) -> int:
    """How many lines are chapter headings (one pass, nothing held)."""
    return sum(1 for line in lines if heading.match(line))


def documents(lines: Iterable[str], unit: str) -> Iterator[tuple[str, str]]:
    """``(title, text)`` per document of ``unit``: one of :data:`DOCUMENT_UNITS`.

    A chapter's text is its paragraphs joined by spaces, titled by its number (``(opening)``
    for the text before the first heading); paragraphs are titled ``paragraph N``; lines
    ``line N`` after their line number, blank lines skipped.
    """
    if unit == "chapters":
        return ((title or "(opening)", " ".join(paras)) for title, paras in chapters(lines))
    if unit == "paragraphs":
        return ((f"paragraph {i}", p) for i, p in enumerate(paragraphs(lines), 1))
    if unit == "lines":
        return ((f"line {i}", line) for i, line in enumerate(lines, 1) if line.strip())
    raise InputError(f"unit must be one of {', '.join(DOCUMENT_UNITS)}, got {unit!r}")
