"""Cutting a stream of lines into larger units: paragraphs and chapters.

Books in plain text are usually hard-wrapped: a sentence runs over several lines, and a
paragraph starts after a blank line or on an indented line.  Models that look at word
neighbourhoods (word2vec windows, a language model's context) need the sentence back, and
TF-IDF needs documents larger than a line.  Both functions stream: they hold one unit at
a time, never the whole text.

>>> list(paragraphs(["  First line", "goes on.", "  Second.", "", "Third"]))
['First line goes on.', 'Second.', 'Third']
>>> [(title, len(ps)) for title, ps in chapters(["Title", "I.", "  One.", "  Two.", "II", "  Three."])]
[('', 1), ('I', 2), ('II', 1)]
"""
from __future__ import annotations

import re
from typing import Iterable, Iterator

#: a line holding only a chapter number: Roman (I, XIV.) or Arabic (12, 3.)
HEADING = re.compile(r"^\s*([IVXLCDM]+|\d{1,4})\.?\s*$")

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
