"""Paragraphs from hard-wrapped lines, chapters at number-only heading lines."""
from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from corpora import corpus_path
from textprep.corpus import iter_lines
from textprep.segment import chapters, paragraphs


def test_blank_and_indented_lines_start_paragraphs():
    lines = ["  Он сказал, что", "придёт завтра.", "  - Нет, - ответила она.", "", "", "Конец", "главы."]
    assert list(paragraphs(lines)) == ["Он сказал, что придёт завтра.", "- Нет, - ответила она.", "Конец главы."]


def test_a_long_paragraph_is_cut_at_a_line_end():
    assert list(paragraphs(["aaaa", "bbbb", "cccc"], max_chars=8)) == ["aaaa bbbb", "cccc"]


@given(st.lists(st.text(alphabet="ab \n", max_size=8), max_size=20))
def test_paragraphs_keep_every_word_in_order(lines):
    lines = [piece for line in lines for piece in line.split("\n")]
    words = [w for line in lines for w in line.split()]
    paras = list(paragraphs(lines))
    assert [w for p in paras for w in p.split()] == words
    assert all(p and p == p.strip() for p in paras)


def test_chapters_start_at_roman_or_arabic_numbers_alone_on_a_line():
    lines = ["ВОЙНА И МИР", "", "I.", "  Первая.", "  Вторая.", "  II  ", "Текст", "3", "Ещё", "XIV глава"]
    assert list(chapters(lines)) == [
        ("", ["ВОЙНА И МИР"]),
        ("I", ["Первая.", "Вторая."]),
        ("II", ["Текст"]),
        ("3", ["Ещё XIV глава"]),   # a number followed by words is text, not a heading
    ]


def test_no_opening_chapter_when_the_text_starts_with_a_heading():
    assert [t for t, _ in chapters(["", "I", "a", "II", "b"])] == ["I", "II"]


def test_war_and_peace_volume_one_has_its_chapters():
    found = list(chapters(iter_lines(corpus_path("war_and_peace"))))
    titles = [t for t, _ in found]
    # the title page, then four parts of 28, 21, 15 and 21 chapters (as counted with grep;
    # the third part has no heading «XI»)
    assert titles[0] == "" and titles.count("I") == 4 and titles.count("XXVIII") == 1
    assert len(titles) == 1 + 28 + 21 + 15 + 21
    first = found[1][1][0]
    assert first.startswith("- Еh bien, mon prince.")
