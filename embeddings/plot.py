"""A 2-D map of chosen words: PCA or t-SNE (scikit-learn), drawn with matplotlib's Agg.

PCA shows the main directions of the chosen vectors; t-SNE (van der Maaten & Hinton 2008)
keeps near neighbours near and suits larger word sets.  Its perplexity must stay below the
number of words, so it is capped at ``n - 1``.
"""
from __future__ import annotations

import os
from collections.abc import Sequence

import numpy as np

from textprep.errors import InputError
from textprep.fileio import atomic_path

from .keyedvectors import KeyedVectors


def project_2d(vectors: np.ndarray, method: str = "pca", seed: int = 0) -> np.ndarray:
    """(n, dim) -> (n, 2) coordinates by ``pca`` or ``tsne``."""
    n = vectors.shape[0]
    if n < 2:
        raise InputError(f"a map needs at least 2 words, got {n}")
    if method == "pca":
        from sklearn.decomposition import PCA

        return PCA(n_components=2, random_state=seed).fit_transform(vectors)
    if method == "tsne":
        from sklearn.manifold import TSNE

        perplexity = float(min(30, n - 1))
        return TSNE(n_components=2, perplexity=perplexity, init="pca", random_state=seed).fit_transform(vectors)
    raise InputError(f"method must be 'pca' or 'tsne', got {method!r}")


def plot_words(
    kv: KeyedVectors, words: Sequence[str], path: str | os.PathLike, method: str = "pca",
    seed: int = 0, title: str | None = None, groups: Sequence[str] | None = None, unit: bool = False,
) -> np.ndarray:
    """Save a labelled scatter of ``words`` to ``path`` (PNG); returns the (n, 2) coordinates.

    ``groups`` (one label per word) colours the points by group, with a legend; ``unit``
    projects the unit-length vectors, so that frequent words (longer vectors) do not stretch
    the map and the distances shown follow cosine similarity.  Unknown words raise
    ``KeyError`` naming them all.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    if groups is not None and len(groups) != len(words):
        raise InputError(f"groups has {len(groups)} labels for {len(words)} words")
    first = {}
    for i, w in enumerate(words):
        first.setdefault(w, i)
    words = list(first)
    labels = [groups[first[w]] for w in words] if groups is not None else None
    idx = kv._indices(words)
    vectors = (kv.unit_vectors if unit else kv.vectors)[idx].astype(np.float64)
    xy = project_2d(vectors, method, seed)
    fig, ax = plt.subplots(figsize=(8, 6), dpi=100)
    if labels is None:
        ax.scatter(xy[:, 0], xy[:, 1], s=12, color="tab:blue")
    else:
        for k, label in enumerate(dict.fromkeys(labels)):
            mask = np.array([lab == label for lab in labels])
            ax.scatter(xy[mask, 0], xy[mask, 1], s=14, color=plt.cm.tab10(k % 10), label=label)
        ax.legend(fontsize=8, loc="best")
    for (x, y), w in zip(xy, words):
        ax.annotate(w, (x, y), xytext=(3, 3), textcoords="offset points", fontsize=9)
    ax.set_title(title or f"{method.upper()} of {len(words)} words")
    ax.set_xticks([])
    ax.set_yticks([])
    fig.tight_layout()
    try:
        with atomic_path(path) as tmp:
            fig.savefig(tmp, format="png")
    finally:
        plt.close(fig)
    return xy
