"""Bag-of-words, one-hot and TF-IDF matrices: scikit-learn's vectorizers with our analyzer.

Counting, document-frequency cut-offs and the smoothed TF-IDF are scikit-learn's own
(``CountVectorizer``, ``TfidfTransformer``); this module plugs a :class:`Pipeline` in as
the analyzer and adds the textbook idf that scikit-learn does not offer.

Two idf formulas, for N documents and a term found in df of them:

====================  =================================  ===================================
``idf="smooth"``       ln((1 + N) / (1 + df)) + 1          scikit-learn's default: as if one
                                                           extra document held every term;
                                                           never 0, never divides by 0
``idf="plain"``        ln(N / df)                          the textbook formula: a term found
                                                           in every document weighs 0
====================  =================================  ===================================

Then tf-idf = tf x idf (tf = raw count, or 1 + ln(count) with ``sublinear_tf``), and each
row is scaled to unit ``norm`` ("l2", "l1" or None).

Documents may be strings (run through the pipeline) or token lists (used as they are, e.g.
from a :class:`textprep.pipeline.TokenizedCorpus`).

References: K. Spärck Jones, *A statistical interpretation of term specificity and its
application in retrieval* (1972); scikit-learn user guide, "Tf–idf term weighting".
"""
from __future__ import annotations

import os
from collections.abc import Iterable, Sequence

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.feature_extraction.text import CountVectorizer, TfidfTransformer
from sklearn.preprocessing import normalize
from sklearn.utils.validation import check_is_fitted

from .errors import InputError
from .fileio import atomic_path
from .pipeline import Pipeline, PipelineConfig
from .vocab import check_max_df, check_min_df

# the starts of CountVectorizer's messages when min_df/max_df leave no term
_PRUNED = ("After pruning, no terms remain", "max_df corresponds to < documents than min_df")

IDF_KINDS = ("smooth", "plain")
NORMS = ("l2", "l1", None)


class _Analyzer:
    """String -> pipeline tokens; a token list passes through unchanged."""

    def __init__(self, pipeline: Pipeline):
        self.pipeline = pipeline

    def __call__(self, doc) -> list[str]:
        if isinstance(doc, str):
            return self.pipeline(doc)
        if isinstance(doc, (list, tuple)):
            return list(doc)
        raise TypeError(f"a document must be a string or a token list, got {type(doc).__name__}")


def _as_pipeline(pipeline: Pipeline | PipelineConfig | None) -> Pipeline:
    if pipeline is None:
        return Pipeline()
    if isinstance(pipeline, PipelineConfig):
        return Pipeline(pipeline)
    if isinstance(pipeline, Pipeline):
        return pipeline
    raise TypeError(f"pipeline must be a Pipeline or PipelineConfig, got {type(pipeline).__name__}")


class BagOfWords(TransformerMixin, BaseEstimator):
    """Sparse document-term counts (``binary=True``: one-hot, 1 if the term occurs).

    ``min_df``/``max_df``/``max_features`` are scikit-learn's document-frequency cut-offs.
    ``workers > 1`` tokenizes in worker processes first (see :meth:`Pipeline.map`).

    >>> bow = BagOfWords(pipeline=Pipeline(lang="ru", stopwords="ru", lemmatize=True))
    >>> X = bow.fit_transform(["Копали яму", "Ел картошки и картошку"])
    >>> bow.get_feature_names_out().tolist(), X.toarray().tolist()
    (['есть', 'картошка', 'копать', 'яма'], [[0, 0, 1, 1], [1, 2, 0, 0]])
    """

    def __init__(self, *, pipeline=None, binary=False, min_df=1, max_df=1.0, max_features=None, workers=1):
        self.pipeline = pipeline
        self.binary = binary
        self.min_df = min_df
        self.max_df = max_df
        self.max_features = max_features
        self.workers = workers

    def _docs(self, docs: Iterable) -> Iterable:
        if isinstance(docs, str):
            raise TypeError(f"{type(self).__name__} expects an iterable of documents, not a single string")
        if self.workers == 1:
            return docs
        # tokenize the string documents with worker processes, keeping token lists as they are
        docs = list(docs)
        tokens = self.analyzer_.pipeline.map([d for d in docs if isinstance(d, str)], workers=self.workers)
        return [next(tokens) if isinstance(d, str) else d for d in docs]

    def _counts_fit(self, docs) -> sp.csr_matrix:
        check_min_df(self.min_df)    # scikit-learn's own check would come as its traceback, after the pass
        check_max_df(self.max_df)
        self.analyzer_ = _Analyzer(_as_pipeline(self.pipeline))
        cv = CountVectorizer(
            analyzer=self.analyzer_,
            binary=self.binary,
            min_df=self.min_df,
            max_df=self.max_df,
            max_features=self.max_features,
        )
        try:
            X = cv.fit_transform(self._docs(docs))
        except ValueError as exc:   # scikit-learn's word for min_df/max_df that leave no term, or contradict
            if isinstance(exc, InputError) or not str(exc).startswith(_PRUNED):
                raise
            raise InputError(f"TF-IDF: no terms left with min_df={self.min_df!r} and max_df={self.max_df!r} "
                             f"({' '.join(str(exc).split())})") from None
        self.vectorizer_ = cv
        self.vocabulary_ = cv.vocabulary_
        return X

    def _counts(self, docs) -> sp.csr_matrix:
        check_is_fitted(self, "vectorizer_")
        return self.vectorizer_.transform(self._docs(docs))

    def fit(self, docs, y=None):
        self.fit_transform(docs)
        return self

    def fit_transform(self, docs, y=None) -> sp.csr_matrix:
        return self._counts_fit(docs)

    def transform(self, docs) -> sp.csr_matrix:
        return self._counts(docs)

    def get_feature_names_out(self, input_features=None) -> np.ndarray:
        check_is_fitted(self, "vectorizer_")
        return self.vectorizer_.get_feature_names_out()


class TfIdf(BagOfWords):
    """Sparse TF-IDF matrix, ``idf="smooth"`` (scikit-learn's) or ``"plain"`` (ln(N/df)).

    >>> tf = TfIdf(pipeline=Pipeline(lang="en"), idf="plain", norm=None)
    >>> X = tf.fit_transform(["a cat", "a dog", "a cat and a cat"])
    >>> tf.idf_.round(4).tolist()     # a, and, cat, dog
    [0.0, 1.0986, 0.4055, 1.0986]
    """

    def __init__(self, *, pipeline=None, idf="smooth", norm="l2", sublinear_tf=False, binary=False,
                 min_df=1, max_df=1.0, max_features=None, workers=1):
        super().__init__(pipeline=pipeline, binary=binary, min_df=min_df, max_df=max_df,
                         max_features=max_features, workers=workers)
        self.idf = idf
        self.norm = norm
        self.sublinear_tf = sublinear_tf

    def check_params(self) -> None:
        """Raise ``ValueError`` for an unknown ``idf`` or ``norm`` (before any work)."""
        if self.idf not in IDF_KINDS:
            raise InputError(f"idf must be one of {', '.join(IDF_KINDS)}, got {self.idf!r}")
        if self.norm not in NORMS:
            raise InputError(f"norm must be 'l2', 'l1' or None ('none' on the command line), got {self.norm!r}")

    def fit_transform(self, docs, y=None) -> sp.csr_matrix:
        self.check_params()
        return self.fit_counts(self._counts_fit(docs))

    def fit_counts(self, counts: sp.csr_matrix) -> sp.csr_matrix:
        """Learn the idf from a document-term count matrix and weigh it (the second half of
        :meth:`fit_transform`; the cluster path counts on its workers and weighs here)."""
        self.check_params()
        if self.idf == "smooth":
            self.transformer_ = TfidfTransformer(norm=self.norm, use_idf=True, smooth_idf=True,
                                                 sublinear_tf=self.sublinear_tf)
            X = self.transformer_.fit_transform(counts)
            self.idf_ = self.transformer_.idf_
            return X
        n_docs = counts.shape[0]
        df = np.bincount(counts.indices, minlength=counts.shape[1]).astype(np.float64)
        with np.errstate(divide="ignore"):
            # a column kept by the cut-offs always has df >= 1; guard the empty corpus anyway
            self.idf_ = np.where(df > 0, np.log(n_docs / np.maximum(df, 1.0)), 0.0)
        return self._weigh(counts)

    def transform(self, docs) -> sp.csr_matrix:
        counts = self._counts(docs)
        if self.idf == "smooth":
            return self.transformer_.transform(counts)
        return self._weigh(counts)

    def _weigh(self, counts: sp.csr_matrix) -> sp.csr_matrix:
        X = sp.csr_matrix(counts, dtype=np.float64, copy=True)
        if self.sublinear_tf:
            np.log(X.data, out=X.data)
            X.data += 1.0
        X = X @ sp.diags(self.idf_, format="csr")
        if self.norm is not None:
            X = normalize(X, norm=self.norm, copy=False)
        X.eliminate_zeros()
        return sp.csr_matrix(X)


# -- helpers for the CLI and for users ------------------------------------------------
def top_terms(X: sp.spmatrix, feature_names: Sequence[str], k: int = 10) -> list[list[tuple[str, float]]]:
    """Each row's ``k`` highest-weighted terms, highest first (ties: by term)."""
    if k < 1:
        raise InputError(f"top_k must be >= 1, got {k}")
    X = sp.csr_matrix(X)
    out = []
    for i in range(X.shape[0]):
        lo, hi = X.indptr[i], X.indptr[i + 1]
        row = sorted(zip(X.data[lo:hi], X.indices[lo:hi]), key=lambda vi: (-vi[0], feature_names[vi[1]]))
        out.append([(str(feature_names[j]), float(v)) for v, j in row[:k] if v != 0])
    return out


def save_matrix(path: str | os.PathLike, X: sp.spmatrix, feature_names: Sequence[str],
                idf: np.ndarray | None = None) -> None:
    """Save a CSR matrix with its column names (and idf) in one ``.npz`` file, atomically.

    The file is what ``scipy.sparse.save_npz`` writes plus the arrays ``feature_names``
    (unicode, no pickle) and ``idf``, so ``scipy.sparse.load_npz`` also reads it.
    """
    X = sp.csr_matrix(X)
    arrays = dict(
        format=np.array("csr"), shape=np.array(X.shape), data=X.data, indices=X.indices, indptr=X.indptr,
        feature_names=np.array([str(f) for f in feature_names], dtype=str),
    )
    if idf is not None:
        arrays["idf"] = np.asarray(idf, dtype=np.float64)
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as fh:
            np.savez_compressed(fh, **arrays)


def load_matrix(path: str | os.PathLike) -> tuple[sp.csr_matrix, list[str]]:
    """Read a file written by :func:`save_matrix`: (matrix, feature names)."""
    try:
        with np.load(path, allow_pickle=False) as z:
            X = sp.csr_matrix((z["data"], z["indices"], z["indptr"]), shape=tuple(z["shape"]))
            names = [str(s) for s in z["feature_names"]]
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise InputError(f"{path}: is a directory, expected a .npz file") from None
    except (KeyError, ValueError, OSError, EOFError) as exc:
        raise InputError(f"{path}: not a textprep matrix file ({exc})") from None
    return X, names
