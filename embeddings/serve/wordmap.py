"""The explorer's map: 2-D positions of the most frequent words, computed once in a background
thread and cached in a ``.npz`` file beside the vectors.

The projection (``embeddings.plot.project_2d``: PCA or t-SNE) runs on unit vectors, so that
distances on the map follow cosine similarity, the measure the neighbour lists use.  The
cache holds the words, their positions and a fingerprint of what was projected (method,
seed, the words and their vectors); a cache whose fingerprint differs, because the vectors
were retrained, is rebuilt.  A word outside the map is placed at the similarity-weighted mean
of its nearest mapped words (an approximation: t-SNE has no projection for new points), so the
page can show any neighbour near its company.

    computing ──▶ ready      (positions from the cache or from the projection)
        └───────▶ failed     (the projection raised; the error is kept for /api/map)
"""
from __future__ import annotations

import hashlib
import json
import logging
import os
import threading
from collections.abc import Callable
from pathlib import Path

import numpy as np

from textprep.errors import InputError
from textprep.fileio import atomic_path

from ..keyedvectors import KeyedVectors
from ..plot import project_2d

log = logging.getLogger(__name__)

MAP_METHODS = ("pca", "tsne")
NEAREST = 5          # mapped words that place a word outside the map,
SHARPNESS = 0.1      # weighted by softmax(cos / SHARPNESS): the closest counts most
Projection = Callable[[np.ndarray, str, int], np.ndarray]


def cache_path_for(vectors_path: str | os.PathLike, method: str) -> Path:
    """``runs/main/vectors.txt`` -> ``runs/main/vectors.txt.map-pca.npz``."""
    path = Path(vectors_path)
    return path.with_name(f"{path.name}.map-{method}.npz")


class WordMap:
    """Positions of the ``n_words`` most frequent words of ``kv`` (``start()`` computes them)."""

    def __init__(self, kv: KeyedVectors, n_words: int = 1000, method: str = "pca",
                 cache_path: str | os.PathLike | None = None, project: Projection = project_2d, seed: int = 0):
        if method not in MAP_METHODS:
            raise InputError(f"map method must be one of {', '.join(MAP_METHODS)}, got {method!r}")
        if n_words < 2:
            raise InputError(f"a map needs at least 2 words, got {n_words}")
        self.kv = kv
        self.method = method
        self.seed = seed
        self.n_words = min(n_words, len(kv))
        self.cache_path = Path(cache_path) if cache_path is not None else None
        self.from_cache = False
        self.error: str | None = None
        self._project = project
        self._unit = kv.unit_vectors[: self.n_words]
        self._xy: np.ndarray | None = None
        self._json: bytes | None = None
        self._done = threading.Event()
        self._thread: threading.Thread | None = None

    # -- state --------------------------------------------------------------------------
    @property
    def status(self) -> str:
        if not self._done.is_set():
            return "computing"
        return "ready" if self._xy is not None else "failed"

    def start(self) -> WordMap:
        """Compute (or read) the map in a daemon thread; returns at once."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._build, name="word-map", daemon=True)
            self._thread.start()
        return self

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the map is ready or failed (at most ``timeout`` seconds); True when done."""
        return self._done.wait(timeout)

    def fingerprint(self) -> str:
        h = hashlib.sha256(f"{self.method}|{self.seed}|{self.n_words}\n".encode())
        h.update("\n".join(self.kv.index_to_key[: self.n_words]).encode("utf-8"))
        h.update(np.ascontiguousarray(self._unit, dtype="<f4").tobytes())
        return h.hexdigest()

    # -- building -----------------------------------------------------------------------
    def _build(self) -> None:
        try:
            fingerprint = self.fingerprint()
            xy = self._read_cache(fingerprint)
            self.from_cache = xy is not None
            if xy is None:
                if self.n_words < 2:
                    raise InputError(f"a map needs at least 2 words, the vectors have {self.n_words}")
                xy = np.asarray(self._project(self._unit.astype(np.float64), self.method, self.seed))
                if xy.shape != (self.n_words, 2) or not np.isfinite(xy).all():
                    raise ValueError(f"the projection gave an array of shape {xy.shape}, expected ({self.n_words}, 2)")
                xy = _fit_square(xy)
                self._write_cache(fingerprint, xy)
            self._xy = xy
            self._json = self._encode()
            log.info("map of %d words ready (%s%s)", self.n_words, self.method, ", from the cache" * self.from_cache)
        except Exception as exc:  # the thread must not die silently: /api/map reports it
            self.error = f"{type(exc).__name__}: {exc}"
            log.error("the map could not be computed: %s", self.error)
        finally:
            self._done.set()

    def _read_cache(self, fingerprint: str) -> np.ndarray | None:
        if self.cache_path is None or not self.cache_path.is_file():
            return None
        try:
            with np.load(self.cache_path, allow_pickle=False) as data:
                if str(data["fingerprint"]) != fingerprint:
                    log.info("%s: the vectors changed, computing the map again", self.cache_path)
                    return None
                xy = data["xy"].astype(np.float32)
        except (OSError, ValueError, KeyError) as exc:
            log.warning("%s: unreadable map cache (%s), computing the map again", self.cache_path, exc)
            return None
        return xy if xy.shape == (self.n_words, 2) else None

    def _write_cache(self, fingerprint: str, xy: np.ndarray) -> None:
        if self.cache_path is None:
            return
        try:
            with atomic_path(self.cache_path) as tmp:
                with open(tmp, "wb") as fh:   # a file object: np.savez would add .npz to a bare path
                    np.savez(fh, xy=xy, fingerprint=np.array(fingerprint), method=np.array(self.method))
        except OSError as exc:   # a read-only folder: serve the map, skip the cache
            log.warning("%s: cannot write the map cache (%s)", self.cache_path, exc)

    def _encode(self) -> bytes:
        return json.dumps({"status": "ready", "method": self.method,
                           "words": self.kv.index_to_key[: self.n_words],
                           "x": np.round(self._xy[:, 0], 4).tolist(), "y": np.round(self._xy[:, 1], 4).tolist()},
                          ensure_ascii=False, separators=(",", ":")).encode("utf-8")

    # -- reading ------------------------------------------------------------------------
    def points_json(self) -> bytes:
        """The ready map as UTF-8 JSON: ``{"status", "method", "words", "x", "y"}`` (encoded once)."""
        if self._json is None:
            raise RuntimeError(f"the map is {self.status}")
        return self._json

    def place(self, words: list[str]) -> list[dict]:
        """Positions for known ``words``: their own when on the map, else near their nearest mapped words."""
        if self._xy is None:
            raise RuntimeError(f"the map is {self.status}")
        out = []
        for word in words:
            i = self.kv.key_to_index[word]
            if i < self.n_words:
                x, y = self._xy[i]
                out.append({"word": word, "x": round(float(x), 4), "y": round(float(y), 4), "on_map": True})
                continue
            sims = self._unit @ self.kv.unit_vectors[i]
            k = min(NEAREST, self.n_words)
            near = np.argpartition(-sims, k - 1)[:k]
            weights = np.exp((sims[near] - sims[near].max()) / SHARPNESS)
            x, y = (self._xy[near] * weights[:, None]).sum(0) / weights.sum()
            out.append({"word": word, "x": round(float(x), 4), "y": round(float(y), 4), "on_map": False})
        return out


def _fit_square(xy: np.ndarray) -> np.ndarray:
    """Centre on 0 and scale the larger side to [-1, 1], so four decimals are enough."""
    xy = xy - (xy.max(0) + xy.min(0)) / 2
    return (xy / max(float(np.abs(xy).max()), 1e-12)).astype(np.float32)
