"""Bag-of-words, one-hot and TF-IDF: equal to scikit-learn's vectorizers with the same
analyzer, the plain idf by hand, and use inside a scikit-learn Pipeline."""
from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.base import clone
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline

from corpora import corpus_path
from textprep.corpus import TextCorpus
from textprep.filtering import TokenizedCorpus
from textprep.pipeline import Pipeline
from textprep.vectorize import BagOfWords, TfIdf, load_matrix, save_matrix, top_terms


@pytest.fixture(scope="module")
def wp_docs() -> list[str]:
    return [d for d in list(TextCorpus(corpus_path("war_and_peace")))[:600] if d.strip()]


@pytest.mark.parametrize("options", [
    dict(),
    dict(norm="l1"),
    dict(norm=None, sublinear_tf=True),
    dict(min_df=2, max_df=0.5),
])
def test_smoothed_tfidf_equals_sklearn_tfidfvectorizer(wp_docs, options):
    pipe = Pipeline(lang="ru", stopwords="ru", lemmatize=True)
    ours = TfIdf(pipeline=pipe, **options)
    X = ours.fit_transform(wp_docs)
    ref = TfidfVectorizer(analyzer=pipe, **options)
    R = ref.fit_transform(wp_docs)
    assert list(ours.get_feature_names_out()) == list(ref.get_feature_names_out())
    assert X.shape == R.shape and X.shape[1] > 500
    assert abs(X - R).max() <= 1e-12
    assert np.allclose(ours.idf_, ref.idf_, rtol=0, atol=1e-12)
    new = wp_docs[:5] + ["Князь Андрей и картошка"]
    assert abs(ours.transform(new) - ref.transform(new)).max() <= 1e-12


def test_plain_idf_matches_a_hand_computation():
    docs = ["a cat", "a dog", "a cat and a cat"]
    tf = TfIdf(pipeline=Pipeline(lang="en"), idf="plain")
    X = tf.fit_transform(docs).toarray()
    assert list(tf.get_feature_names_out()) == ["a", "and", "cat", "dog"]
    # N = 3; df: a 3, and 1, cat 2, dog 1  ->  idf = ln(N / df)
    idf = {"a": math.log(3 / 3), "and": math.log(3 / 1), "cat": math.log(3 / 2), "dog": math.log(3 / 1)}
    rows = [
        {"a": 1 * idf["a"], "cat": 1 * idf["cat"]},
        {"a": 1 * idf["a"], "dog": 1 * idf["dog"]},
        {"a": 2 * idf["a"], "cat": 2 * idf["cat"], "and": 1 * idf["and"]},
    ]
    for i, row in enumerate(rows):
        norm = math.sqrt(sum(v * v for v in row.values()))
        expected = [row.get(t, 0.0) / norm for t in ["a", "and", "cat", "dog"]]
        assert X[i].tolist() == pytest.approx(expected, abs=1e-12)
    assert X[2].tolist() == pytest.approx([0.0, 0.8045, 0.5939, 0.0], abs=1e-4)   # worked on paper
    raw = TfIdf(pipeline=Pipeline(lang="en"), idf="plain", norm=None).fit_transform(docs)
    assert raw[2, 2] == pytest.approx(2 * math.log(1.5), abs=1e-12)
    assert raw[0, 0] == 0 and raw.nnz == 4      # the term in every document weighs 0 and is not stored


def test_bag_of_words_and_one_hot_equal_countvectorizer(wp_docs):
    pipe = Pipeline(lang="ru")
    for binary in (False, True):
        X = BagOfWords(pipeline=pipe, binary=binary).fit_transform(wp_docs)
        R = CountVectorizer(analyzer=pipe, binary=binary).fit_transform(wp_docs)
        assert (X != R).nnz == 0
    onehot = BagOfWords(pipeline=pipe, binary=True).fit_transform(["мама мама мыла", "мыла"])
    assert onehot.toarray().tolist() == [[1, 1], [0, 1]]


def test_token_lists_and_worker_processes_give_the_same_matrix(wp_docs):
    pipe = Pipeline(lang="ru", lemmatize=True)
    X = TfIdf(pipeline=pipe).fit_transform(wp_docs)
    tokens = list(TokenizedCorpus(wp_docs, pipe))
    assert abs(TfIdf(pipeline=pipe).fit_transform(tokens) - X).max() == 0
    assert abs(TfIdf(pipeline=Pipeline(lang="ru", lemmatize=True), workers=2).fit_transform(wp_docs) - X).max() == 0


def test_usable_inside_a_sklearn_pipeline():
    docs = ["отличный фильм, прекрасный фильм", "ужасный фильм", "прекрасная игра актёров",
            "ужасная скучная игра", "отличная музыка", "скучный и ужасный сюжет"]
    labels = [1, 0, 1, 0, 1, 0]
    model = make_pipeline(TfIdf(pipeline=Pipeline(lang="ru", lemmatize=True)), LogisticRegression(C=10.0))
    model.fit(docs, labels)
    assert model.predict(["прекрасный сюжет", "скучный фильм"]).tolist() == [1, 0]
    copy = clone(model)
    assert copy.get_params()["tfidf__idf"] == "smooth"
    copy.set_params(tfidf__idf="plain").fit(docs, labels)
    assert copy.named_steps["tfidf"].idf_.min() > 0


def test_bad_inputs_are_refused():
    with pytest.raises(TypeError, match="not a single string"):
        TfIdf().fit("один документ")
    with pytest.raises(ValueError, match="idf must be one of smooth, plain, got 'log'"):
        TfIdf(idf="log").fit(["a"])
    with pytest.raises(ValueError, match="norm must be"):
        TfIdf(norm="l3").fit(["a"])
    with pytest.raises(TypeError, match="Pipeline or PipelineConfig"):
        BagOfWords(pipeline="ru").fit(["a"])


def test_parameters_are_keyword_only_as_in_scikit_learn():
    # CountVectorizer(*, ...) takes no positional parameter; neither do ours
    for cls in (BagOfWords, TfIdf, CountVectorizer):
        with pytest.raises(TypeError, match="positional"):
            cls(Pipeline(lang="en"))
    assert set(TfIdf(pipeline=Pipeline(lang="en"), norm=None).get_params()) == {
        "pipeline", "idf", "norm", "sublinear_tf", "binary", "min_df", "max_df", "max_features", "workers"}


def test_top_terms_and_matrix_file_round_trip(tmp_path):
    tf = TfIdf(pipeline=Pipeline(lang="en"), idf="plain", norm=None)
    X = tf.fit_transform(["a cat", "a dog", "a cat and a cat"])
    names = tf.get_feature_names_out()
    assert top_terms(X, names, 2) == [[("cat", pytest.approx(math.log(1.5)))], [("dog", pytest.approx(math.log(3)))],
                                      [("and", pytest.approx(math.log(3))), ("cat", pytest.approx(2 * math.log(1.5)))]]
    path = tmp_path / "m.npz"
    save_matrix(path, X, names, tf.idf_)
    Y, names2 = load_matrix(path)
    assert names2 == list(names) and (Y != X).nnz == 0
    assert (sp.load_npz(path) != X).nnz == 0          # scipy reads the same file
    with pytest.raises(ValueError, match="no such file"):
        load_matrix(tmp_path / "none.npz")


@pytest.mark.parametrize(("option", "value", "words"), [
    ("max_df", 2.0, "max_df as a fraction must be in (0, 1], got 2.0"),
    ("min_df", 1.5, "min_df as a fraction must be in [0, 1], got 1.5"),
    ("min_df", 0, "min_df as a document count must be >= 1, got 0"),
])
def test_document_frequency_cut_offs_out_of_range_are_one_line_errors(option, value, words):
    # scikit-learn's own check raised its InvalidParameterError, which reached the command line as
    # a traceback; the cut-offs are now checked by the same rule as the vocabulary's max_df
    from textprep.errors import InputError

    with pytest.raises(InputError, match=words.replace("(", r"\(").replace(")", r"\)").replace("[", r"\[")):
        TfIdf(**{option: value}).fit(["a b", "b c"])


def test_tfidf_command_with_a_float_max_df_above_one_exits_2_with_one_line(tmp_path):
    import subprocess
    import sys

    src = tmp_path / "docs.txt"
    src.write_text("a b c\nb c d\n", encoding="utf-8")
    out = subprocess.run([sys.executable, "-m", "cli.textprep", "tfidf", str(src), "--max-df", "2.0",
                          "-o", str(tmp_path / "tf")], capture_output=True, text=True)
    assert out.returncode == 2
    assert out.stderr.strip().splitlines() == [
        "textprep: error: max_df as a fraction must be in (0, 1], got 2.0 (give an int for a count)"]
    assert not list(tmp_path.glob("tf*"))
