"""The pipeline: the four-document example, cached and parallel lemmatization that agrees
with pymorphy3's first parse, rare/frequent filtering, configuration errors."""
from __future__ import annotations

import copy
import io
import multiprocessing

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from corpora import corpus_path
from textprep.corpus import TextCorpus
from textprep.filtering import TokenizedCorpus, write_tokenized
from textprep.pipeline import Pipeline, PipelineConfig
from textprep.vectorize import BagOfWords
from textprep.vocab import Vocabulary

FOUR = ["Нежился на пляже", "Копали яму на пляже", "Копал картошку", "Ел картошки и картошку"]


def bow_table(pipe: Pipeline, docs: list[str]) -> dict[str, list[int]]:
    """{term: [count in doc 1, doc 2, ...]}: the bag-of-words table, column by column."""
    bow = BagOfWords(pipeline=pipe)
    X = bow.fit_transform(docs).toarray()
    return {term: X[:, j].tolist() for j, term in enumerate(bow.get_feature_names_out())}


def test_four_documents_bag_of_words_with_pymorphy_first_parse():
    pipe = Pipeline(lang="ru", stopwords="ru", lemmatize=True)
    assert [pipe(d) for d in FOUR] == [
        ["нежиться", "пляж"],
        ["копать", "яма", "пляж"],
        ["копал", "картошка"],            # first parse: the noun «копал» (a resin)
        ["есть", "картошка", "картошка"],
    ]
    assert bow_table(pipe, FOUR) == {
        #              doc 1  2  3  4
        "есть":        [0, 0, 0, 1],
        "картошка":    [0, 0, 1, 2],
        "копал":       [0, 0, 1, 0],
        "копать":      [0, 1, 0, 0],
        "нежиться":    [1, 0, 0, 0],
        "пляж":        [1, 1, 0, 0],
        "яма":         [0, 1, 0, 0],
    }


def test_four_documents_with_verbs_preferred_or_an_override_file(tmp_path):
    expected = {
        "есть":        [0, 0, 0, 1],
        "картошка":    [0, 0, 1, 2],
        "копать":      [0, 1, 1, 0],      # «копал» now joins «копали»
        "нежиться":    [1, 0, 0, 0],
        "пляж":        [1, 1, 0, 0],
        "яма":         [0, 1, 0, 0],
    }
    verbs = Pipeline(lang="ru", stopwords="ru", lemmatize=True, prefer_pos=("VERB", "INFN"))
    assert bow_table(verbs, FOUR) == expected
    overrides = tmp_path / "lemmas.tsv"
    overrides.write_text("# form<TAB>lemma\nКопал\tкопать\n", encoding="utf-8")
    fixed = Pipeline(lang="ru", stopwords="ru", lemmatize=True, lemma_overrides=str(overrides))
    assert bow_table(fixed, FOUR) == expected


def test_without_stop_words_and_with_stemming():
    assert Pipeline(lang="ru")("Ел картошки и картошку") == ["ел", "картошки", "и", "картошку"]
    stems = Pipeline(lang="ru", stopwords="ru", stem=True)
    assert [stems(d) for d in FOUR] == [["неж", "пляж"], ["копа", "ям", "пляж"], ["копа", "картошк"],
                                        ["ел", "картошк", "картошк"]]


def test_stop_words_can_be_matched_on_lemmas():
    on_forms = Pipeline(lang="ru", stopwords="ru", lemmatize=True)
    on_lemmas = Pipeline(lang="ru", stopwords="ru", lemmatize=True, stopwords_on_lemmas=True)
    # «ел» -> «есть», which is itself a stop word; «этому» is not in the list but «этот» is
    assert on_forms("Ел этому и картошку") == ["есть", "этот", "картошка"]
    assert on_lemmas("Ел этому и картошку") == ["картошка"]
    docs = ["Ел этому и картошку", "Копал картошку"] * 200
    parallel = Pipeline(on_lemmas.config)
    parallel.MIN_PARALLEL_FORMS = 1          # send even a handful of new forms to the workers
    assert list(parallel.map(docs, workers=2, chunk_size=10)) == [on_lemmas(d) for d in docs]
    with pytest.raises(ValueError, match="stopwords_on_lemmas=True needs lemmatize=True"):
        PipelineConfig(stopwords="ru", stopwords_on_lemmas=True)


def test_english_lemmas_and_stems_offline():
    assert Pipeline(lang="en", stopwords="en", lemmatize=True)("The mice were running to the geese") == [
        "mouse", "run", "goose"]
    assert Pipeline(lang="en", stem=True)("connected connections") == ["connect", "connect"]


def test_yo_is_folded_in_lemmas_too():
    # pymorphy3 writes the lemma of «еще» with ё: «ещё»
    assert Pipeline(lang="ru", lemmatize=True)("Ещё еще, всё") == ["еще", "еще", "все"]
    assert Pipeline(lang="ru", lemmatize=True, fold_yo=False)("Ещё еще, всё") == ["ещё", "ещё", "всё"]


def test_each_distinct_form_is_lemmatized_once():
    pipe = Pipeline(lang="ru", lemmatize=True)
    seen: list[str] = []
    real = pipe._form_mapper()

    def spy(forms):
        seen.extend(forms)
        return real(forms)

    pipe._mapper = spy
    docs = ["мама мыла раму", "мама мыла маму", "раму мыла мама"] * 50
    out = list(pipe.map(docs))
    assert out[0] == ["мама", "мыло", "рама"] and len(out) == 150   # pymorphy3: «мыла» as the noun
    assert sorted(seen) == sorted({"мама", "мыла", "раму", "маму"})


def test_first_parse_shortcut_agrees_with_pymorphy_on_a_real_corpus():
    import pymorphy3

    pipe = Pipeline(lang="ru", fold_yo=False)
    forms = sorted({t for d in list(TextCorpus(corpus_path("war_and_peace")))[:2000] for t in pipe(d)})
    forms += ["ска-зала", "по-французски", "полу-ответ", "сверхчеловек", "копал", "стали", "мыла"]
    morph = pymorphy3.MorphAnalyzer()
    lem = Pipeline(lang="ru", fold_yo=False, lemmatize=True)
    assert len(forms) > 5000
    assert [lem(f)[0] for f in forms] == [morph.parse(f)[0].normal_form for f in forms]


def test_parallel_map_keeps_order_and_matches_sequential():
    docs = list(TextCorpus(corpus_path("war_and_peace")))[:1200]
    docs[5:5] = ["", "   ", "Копал картошку"]
    seq = Pipeline(lang="ru", stopwords="ru", lemmatize=True)
    par = Pipeline(lang="ru", stopwords="ru", lemmatize=True)
    expected = list(seq.map(docs))
    got = list(par.map(docs, workers=2, chunk_size=100))
    assert got == expected and got[5:8] == [[], [], ["копал", "картошка"]]
    assert par.cache_size == seq.cache_size
    stems = Pipeline(lang="ru", stem=True)
    assert list(stems.map(docs, workers=2, chunk_size=50)) == [Pipeline(lang="ru", stem=True)(d) for d in docs]


def _new_processes(before: set) -> set:
    return set(multiprocessing.active_children()) - before


def test_worker_pool_ends_when_the_map_is_closed_early_or_read_to_the_end():
    docs = list(TextCorpus(corpus_path("war_and_peace")))[:1500]
    expected = list(Pipeline(lang="ru", lemmatize=True).map(docs))
    before = set(multiprocessing.active_children())

    early = Pipeline(lang="ru", lemmatize=True)
    it = early.map(docs, workers=2, chunk_size=100)
    head = [next(it) for _ in range(250)]         # into the third chunk: the pool is at work
    pool = _new_processes(before)
    assert 1 <= len(pool) <= 2 and all(p.is_alive() for p in pool)
    it.close()                                    # the caller stops early: the pool shuts down
    assert head == expected[:250]
    assert not any(p.is_alive() for p in pool) and not _new_processes(before)

    full = Pipeline(lang="ru", lemmatize=True)
    it = full.map(docs, workers=2, chunk_size=100)
    got = [next(it)]
    pool = _new_processes(before)
    assert 1 <= len(pool) <= 2
    got.extend(it)                                # read to the end: every document, in order
    assert got == expected
    assert not any(p.is_alive() for p in pool) and not _new_processes(before)


def test_tokenized_corpus_is_restartable_and_filters_rare_and_frequent_words():
    docs = ["a b c", "a b", "a d", "a b d"]
    pipe = Pipeline(lang="en")
    plain = TokenizedCorpus(docs, pipe)
    assert list(plain) == list(plain) == [["a", "b", "c"], ["a", "b"], ["a", "d"], ["a", "b", "d"]]
    # counts a:4 b:3 c:1 d:2; document frequencies the same
    assert list(TokenizedCorpus(docs, pipe, min_count=2)) == [["a", "b"], ["a", "b"], ["a", "d"], ["a", "b", "d"]]
    assert list(TokenizedCorpus(docs, pipe, max_df=0.75)) == [["b", "c"], ["b"], ["d"], ["b", "d"]]
    assert list(TokenizedCorpus(docs, pipe, min_count=2, max_df=2)) == [[], [], ["d"], ["d"]]
    with pytest.raises(TypeError, match="one-shot"):
        TokenizedCorpus((d for d in docs), pipe, min_count=2)
    with pytest.raises(ValueError, match="min_count must be an integer >= 1, got 0"):
        TokenizedCorpus(docs, pipe, min_count=0)
    with pytest.raises(TypeError, match="not a single string"):
        TokenizedCorpus("a b c", pipe)


@pytest.mark.parametrize("max_df, kept", [
    # document frequencies of the four documents below: a 4, b 3, d 2, c 1
    (0.25, {"c"}), (0.5, {"c", "d"}), (0.75, {"b", "c", "d"}), (1.0, {"a", "b", "c", "d"}),   # fractions
    (1, {"c"}), (2, {"c", "d"}), (3, {"b", "c", "d"}), (4, {"a", "b", "c", "d"}),            # counts
])
def test_vocabulary_and_filtering_read_max_df_the_same_way(max_df, kept):
    docs, pipe = ["a b c", "a b", "a d", "a b d"], Pipeline(lang="en")
    filtered = {t for toks in TokenizedCorpus(docs, pipe, max_df=max_df) for t in toks}
    vocab = Vocabulary.build(TokenizedCorpus(docs, pipe), max_df=max_df, specials=())
    assert filtered == set(vocab) == kept


@pytest.mark.parametrize("max_df", [1.5, 2.0, 0.0, -0.5, 0, -2, True, "0.5"])
def test_vocabulary_and_filtering_refuse_the_same_max_df_values(max_df):
    docs, pipe = ["a b c", "a b"], Pipeline(lang="en")
    with pytest.raises(ValueError) as by_filter:
        TokenizedCorpus(docs, pipe, max_df=max_df)
    with pytest.raises(ValueError) as by_vocab:
        Vocabulary.build([["a", "b"]], max_df=max_df)
    assert str(by_filter.value) == str(by_vocab.value)
    assert str(by_filter.value).startswith("max_df ") and f"got {max_df!r}" in str(by_filter.value)
    if isinstance(max_df, float) and max_df > 1:   # a float above 1 is not read as a count
        assert "max_df as a fraction must be in (0, 1]" in str(by_filter.value)


def test_write_tokenized_filters_rare_words_reading_the_input_once():
    out = io.StringIO()
    n = write_tokenized(iter(["a b c", "", "a b", "b"]), out, Pipeline(lang="en"), min_count=2)
    assert n == 4 and out.getvalue() == "a b\n\na b\nb\n"


_text = st.text(alphabet=st.sampled_from(list("абвгдеёжАБЁabcXY019 -'.,!?«»—\t\u00a0\u2019\u0301")), max_size=40)


@settings(max_examples=100, deadline=None)
@given(st.lists(_text, max_size=6), st.sampled_from(["word", "char"]), st.booleans())
def test_written_token_lines_read_back_to_the_same_token_lists(docs, level, punctuation):
    pipe = Pipeline(lang="ru", level=level, punctuation=punctuation, stem=level == "word")
    out = io.StringIO()
    assert write_tokenized(docs, out, pipe) == len(docs)
    lines = out.getvalue().split("\n")[:-1] if docs else []
    assert [line.split(" ") if line else [] for line in lines] == [pipe(d) for d in docs]


def test_char_level_and_punctuation_options():
    assert Pipeline(level="char")("Да, нет") == ["д", "а", "▁", "н", "е", "т"]
    assert Pipeline(punctuation=True, numbers=False)("Цена: 3.14 руб.") == ["цена", ":", "руб", "."]


def test_keyword_shortcut_and_copy():
    cfg = PipelineConfig(lang="en")
    assert Pipeline(cfg, lemmatize=True).config == PipelineConfig(lang="en", lemmatize=True)
    pipe = Pipeline(lang="ru", lemmatize=True)
    pipe("копали")
    clone = copy.deepcopy(pipe)             # what scikit-learn's clone does with an analyzer
    assert clone.config == pipe.config and clone.cache_size == 0 and clone("копали") == ["копать"]


@pytest.mark.parametrize("kwargs, message", [
    (dict(lang="de"), "lang must be one of ru, en, got 'de'"),
    (dict(level="byte"), "level must be one of word, char"),
    (dict(stopwords="fr"), "unknown stop-word list 'fr'"),
    (dict(lemmatize=True, stem=True), "lemmatize and stem cannot both be set"),
    (dict(prefer_pos=("VERB",)), "needs lemmatize=True"),
    (dict(lemmatize=True, prefer_pos=("VERBS",)), "unknown part of speech 'VERBS'"),
    (dict(lemma_overrides="x.tsv"), "needs lemmatize=True"),
    (dict(level="char", stem=True), "level='char' cannot be combined"),
])
def test_bad_configurations_name_the_field_and_value(kwargs, message):
    with pytest.raises(ValueError, match=message):
        PipelineConfig(**kwargs)


def test_bad_documents_and_arguments():
    pipe = Pipeline()
    with pytest.raises(TypeError, match="not a single string"):
        list(pipe.map("один документ"))
    with pytest.raises(TypeError, match="must be a string"):
        pipe(["уже", "токены"])
    with pytest.raises(ValueError, match="workers must be"):
        pipe.map(["x"], workers=-1)
    assert list(pipe.map([])) == [] and pipe("") == []
