"""Tokenization, normalization and stop words: hand-worked cases, properties, a real corpus."""
from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from corpora import corpus_path
from textprep.corpus import TextCorpus
from textprep.normalize import fold_yo, normalize_text
from textprep.stopwords import load_stopwords, read_word_list
from textprep.tokenize import (
    EDGE_CHARS,
    SPACE,
    WORD_RE,
    char_tokenize,
    chars,
    is_number,
    sentence_split,
    word_tokenize,
    words,
)


def test_hyphenated_words_and_apostrophes_stay_whole():
    text = "Он говорил по-французски, кто-нибудь слышал? Don't ask O'Brien about rock'n'roll."
    assert word_tokenize(text) == [
        "Он", "говорил", "по-французски", "кто-нибудь", "слышал", "Don't", "ask", "O'Brien", "about", "rock'n'roll",
    ]


def test_dashes_between_words_are_punctuation_not_hyphens():
    assert word_tokenize("Москва – столица — России", punctuation=True) == ["Москва", "–", "столица", "—", "России"]
    assert word_tokenize("слово- другое -третье") == ["слово", "другое", "третье"]


def test_numbers_keep_inner_separators_and_can_be_dropped():
    text = "В 1812 году, в 12:30, курс 3.14 или 1,5; 2-й том"
    assert word_tokenize(text) == ["В", "1812", "году", "в", "12:30", "курс", "3.14", "или", "1,5", "2-й", "том"]
    # «2-й» is a word that contains a digit, not a number
    assert word_tokenize(text, numbers=False) == ["В", "году", "в", "курс", "или", "2-й", "том"]
    assert is_number("3.14") and is_number("1812") and not is_number("2-й") and not is_number("mp3")


def test_punctuation_tokens_one_character_each_ellipsis_whole():
    assert word_tokenize("Да... «Нет»!", punctuation=True) == ["Да", "...", "«", "Нет", "»", "!"]


def test_normalize_folds_yo_lowercases_and_removes_stress_marks():
    assert normalize_text("Ёжик ЕЩЁ Замо\u0301к don\u2019t") == "ежик еще замок don't"
    assert normalize_text("Ёжик", lowercase=False, fold=False) == "Ёжик"
    assert normalize_text("Ёжик", lowercase=False) == "Ежик"
    # decomposed é (e + combining acute) becomes the precomposed letter, not a bare e
    assert normalize_text("cafe\u0301") == "café"
    assert fold_yo("Ёлка, ёж") == "Елка, еж"


def test_every_character_of_the_clean_up_table_is_cleaned_up():
    from textprep.normalize import _TABLE

    for code, replacement in _TABLE.items():   # «ж» and «д» have no accented forms NFC could make
        assert normalize_text(f"ж{chr(code)}д") == f"ж{replacement or ''}д"


def test_soft_hyphen_does_not_split_a_word():
    assert word_tokenize(normalize_text("при\u00adмер")) == ["пример"]


def test_sentence_split_respects_abbreviations_initials_and_direct_speech():
    text = ("В 1805 г. Л. Н. Толстой не жил. — Кто там? — спросил он. — Я! Mr. Smith left at 5 p.m. "
            "Then he slept... И всё.")
    assert sentence_split(text) == [
        "В 1805 г. Л. Н. Толстой не жил.",
        "— Кто там? — спросил он.",
        "— Я!",
        "Mr. Smith left at 5 p.m.",
        "Then he slept...",
        "И всё.",
    ]
    assert sentence_split("") == [] and sentence_split("без точки") == ["без точки"]


def test_char_tokens_mark_whitespace_runs():
    assert char_tokenize("ёж,  да") == ["ё", "ж", ",", SPACE, "д", "а"]
    assert char_tokenize("а1, б", punctuation=False, numbers=False) == ["а", SPACE, "б"]


def test_the_two_character_conventions_on_one_text():
    text = " ёж,\t да "
    assert chars(text) == [" ", "ё", "ж", ",", "\t", " ", "д", "а", " "]       # every character
    assert char_tokenize(text) == ["ё", "ж", ",", SPACE, "д", "а"]              # written space-separated


@given(st.text(max_size=60))
def test_chars_lose_nothing_and_char_tokens_differ_only_in_whitespace(text):
    assert "".join(chars(text)) == text
    assert [t for t in char_tokenize(text) if t != SPACE] == [c for c in chars(text) if not c.isspace()]


_alphabet = st.sampled_from(list("абвгдеёжзийклмнопрстуфхцчшщъыьэюяАБЁabcxyzXYZ0123456789 -'.,:;!?«»—\n\t_"))


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=_alphabet, max_size=60))
def test_tokens_are_pieces_of_the_text_and_retokenize_to_themselves(text):
    for punct in (False, True):
        toks = word_tokenize(text, punctuation=punct)
        pos = 0
        for t in toks:                       # every token occurs in order, uncut
            pos = text.index(t, pos) + len(t)
            assert t.strip() == t and t
        assert word_tokenize(" ".join(toks), punctuation=punct) == toks


# letters and digits of several kinds (² and ٣ are digits, only ٣ a decimal one), the edge
# characters the quick path strips, others it does not know, and several kinds of space
_mixed = st.sampled_from(list("аеёяАЁaZ09²٣ⅻ_-'.,:;!?«»—–()*/ \u00a0\u2009\t") + ["§", "\u0301", "\ufeff", "\u200b"])


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet=_mixed, max_size=40))
def test_quick_word_split_equals_the_word_pattern(text):
    assert words(text) == WORD_RE.findall(text)


def test_quick_word_split_on_hand_worked_pieces_and_a_real_corpus():
    assert all(not c.isalnum() for c in EDGE_CHARS)
    assert words("«Ну,  что-то...» 3.14, 1805. -а- 'б' x_y —") == ["Ну", "что-то", "3.14", "1805", "а", "б", "x", "y"]
    text = "\n".join(normalize_text(d) for d in list(TextCorpus(corpus_path("war_and_peace")))[:3000])
    assert words(text) == WORD_RE.findall(text)


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=_alphabet, max_size=80))
def test_sentences_cover_the_text(text):
    sents = sentence_split(text)
    assert "".join("".join(s.split()) for s in sents) == "".join(text.split())


def test_bundled_stop_word_lists_and_edits(tmp_path):
    ru = load_stopwords("ru")
    en = load_stopwords("en")
    assert len(ru) == 151 and len(en) == 179
    assert {"и", "на", "ее"} <= ru and {"the", "and"} <= en
    edited = load_stopwords("ru", add=["Пляж"], remove=["на"])
    assert "пляж" in edited and "на" not in edited and "и" in edited
    assert load_stopwords("none") == frozenset()
    mine = tmp_path / "stop.txt"
    mine.write_text("# my list\nКартошка\n\nЁлка\n", encoding="utf-8")
    assert read_word_list(mine) == ["Картошка", "Ёлка"]
    assert load_stopwords(str(mine)) == {"картошка", "елка"}


def test_unknown_stop_word_list_and_directory_are_refused(tmp_path):
    with pytest.raises(ValueError, match="unknown stop-word list 'de'"):
        load_stopwords("de")
    with pytest.raises(ValueError, match="is a directory"):
        load_stopwords(str(tmp_path))


def test_real_corpus_tokens_are_clean():
    docs = list(TextCorpus(corpus_path("war_and_peace")))[:2000]
    toks = [t for d in docs for t in word_tokenize(normalize_text(d))]
    assert len(toks) > 15000
    assert all(not t.startswith(("-", "'")) and not t.endswith(("-", "'")) for t in toks)
    assert "по-французски" in toks and "анна" in toks
    assert not any("ё" in t for t in toks)
