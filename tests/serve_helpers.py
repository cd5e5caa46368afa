"""Vectors whose answers are known, for the explorer's tests.

Each of the 16 named words is a sum of features (royal, male, female, young, and its
language), so by hand: «король - мужчина + женщина» = royal + female + ru = «королева», the
nearest word to «король» is «принц» (3 shared features of 3 and 4: cos 0.87), and the
same holds in English.  Filler words follow them, random, so the map has some bulk.
"""
from __future__ import annotations

import http.client
import json
from urllib.parse import quote

import numpy as np

from embeddings.keyedvectors import KeyedVectors

FEATURES = ["royal", "male", "female", "young", "ru", "en"]
NAMED = {
    "король": "royal male ru", "королева": "royal female ru", "принц": "royal male young ru",
    "принцесса": "royal female young ru", "мужчина": "male ru", "женщина": "female ru",
    "мальчик": "male young ru", "девочка": "female young ru",
    "king": "royal male en", "queen": "royal female en", "prince": "royal male young en",
    "princess": "royal female young en", "man": "male en", "woman": "female en",
    "boy": "male young en", "girl": "female young en",
}


def known_vectors(fillers: int = 300, dim: int = 16, seed: int = 0) -> KeyedVectors:
    rng = np.random.default_rng(seed)
    rows = []
    for features in NAMED.values():
        v = np.zeros(dim)
        for f in features.split():
            v[FEATURES.index(f)] = 1.0
        rows.append(v + 0.02 * rng.standard_normal(dim))
    rows += list(rng.standard_normal((fillers, dim)))
    words = list(NAMED) + [f"w{i}" for i in range(fillers)]
    return KeyedVectors(words, np.array(rows, dtype=np.float32))


def get(url: str, path: str, timeout: float = 10.0) -> tuple[int, dict | str]:
    """GET ``path`` exactly as written (no client-side clean-up of ``../``), JSON decoded when it is JSON."""
    host, port = url.split("//")[1].rstrip("/").rsplit(":", 1)
    conn = http.client.HTTPConnection(host, int(port), timeout=timeout)
    try:
        conn.request("GET", path)
        resp = conn.getresponse()
        body = resp.read().decode("utf-8", "replace")
        kind = resp.getheader("Content-Type", "")
        return resp.status, json.loads(body) if kind.startswith("application/json") else body
    finally:
        conn.close()


def q(text: str) -> str:
    return quote(text, safe="")
