"""The explorer's map: computed once in the background, cached beside the vectors, rebuilt when they change."""
from __future__ import annotations

import json

import numpy as np
import pytest
from serve_helpers import known_vectors

from embeddings.keyedvectors import KeyedVectors
from embeddings.plot import project_2d
from embeddings.serve import WordMap, cache_path_for


class CountingProjection:
    """PCA that counts its calls, so a test can tell a cache hit from a computation."""

    def __init__(self):
        self.calls = 0

    def __call__(self, vectors, method, seed):
        self.calls += 1
        return project_2d(vectors, "pca", seed)


def ready(word_map: WordMap) -> WordMap:
    assert word_map.start().wait(30), "the map did not finish"
    assert word_map.status == "ready", word_map.error
    return word_map


@pytest.fixture
def vectors_file(tmp_path):
    path = tmp_path / "run" / "vectors.txt"
    known_vectors().save_word2vec_format(path)
    return path


def test_the_cache_sits_beside_the_vectors_and_the_next_start_reads_it(vectors_file):
    project = CountingProjection()
    kv = KeyedVectors.load_word2vec_format(vectors_file)
    cache = cache_path_for(vectors_file, "pca")
    assert cache == vectors_file.parent / "vectors.txt.map-pca.npz"
    first = ready(WordMap(kv, 200, "pca", cache, project=project))
    assert project.calls == 1 and not first.from_cache and cache.is_file()
    # the write was atomic: no temporary file is left beside it
    assert sorted(p.name for p in vectors_file.parent.iterdir()) == ["vectors.txt", "vectors.txt.map-pca.npz"]

    again = ready(WordMap(KeyedVectors.load_word2vec_format(vectors_file), 200, "pca", cache, project=project))
    assert project.calls == 1 and again.from_cache
    assert again.points_json() == first.points_json()


def test_changed_vectors_rebuild_the_map(vectors_file):
    project = CountingProjection()
    cache = cache_path_for(vectors_file, "pca")
    ready(WordMap(KeyedVectors.load_word2vec_format(vectors_file), 200, "pca", cache, project=project))
    before = cache.read_bytes()
    retrained = known_vectors(seed=1)
    retrained.save_word2vec_format(vectors_file)
    word_map = ready(WordMap(KeyedVectors.load_word2vec_format(vectors_file), 200, "pca", cache, project=project))
    assert project.calls == 2 and not word_map.from_cache and cache.read_bytes() != before
    # so do a different number of words and a different method (which has its own file)
    ready(WordMap(retrained, 150, "pca", cache, project=project))
    assert project.calls == 3
    ready(WordMap(retrained, 150, "tsne", cache_path_for(vectors_file, "tsne"), project=project))
    assert project.calls == 4 and cache_path_for(vectors_file, "tsne").is_file()


def test_a_damaged_cache_is_computed_again(vectors_file):
    project = CountingProjection()
    cache = cache_path_for(vectors_file, "pca")
    cache.write_bytes(b"not an npz file")
    word_map = ready(WordMap(known_vectors(), 100, "pca", cache, project=project))
    assert project.calls == 1 and not word_map.from_cache
    assert np.load(cache)["xy"].shape == (100, 2)


def test_a_folder_that_cannot_hold_the_cache_still_gets_its_map(tmp_path):
    blocker = tmp_path / "not_a_folder"
    blocker.write_text("a file where the cache's folder would be", encoding="utf-8")
    word_map = ready(WordMap(known_vectors(), 100, "pca", blocker / "vectors.txt.map-pca.npz"))
    assert not word_map.from_cache and len(word_map.place(["w5"])) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["not_a_folder"]


def test_a_word_off_the_map_lands_near_its_nearest_mapped_words():
    kv = known_vectors()
    # copy "princess" under a rare name: its vector equals princess's, so it must land on it
    rare = KeyedVectors(kv.index_to_key + ["княжна"], np.vstack([kv.vectors, kv["princess"]]))
    word_map = ready(WordMap(rare, 100))
    (placed,) = word_map.place(["княжна"])
    (princess,) = word_map.place(["princess"])
    assert placed["on_map"] is False and princess["on_map"] is True
    body = json.loads(word_map.points_json())
    mapped = np.column_stack([body["x"], body["y"]])
    here = np.array([placed["x"], placed["y"]])
    to_princess = np.linalg.norm(here - [princess["x"], princess["y"]])
    assert to_princess < 0.1 and (np.linalg.norm(mapped - here, axis=1) > to_princess).mean() > 0.9


def test_bad_settings_are_refused_at_once():
    with pytest.raises(ValueError, match="map method must be one of pca, tsne, got 'umap'"):
        WordMap(known_vectors(), 100, "umap")
    with pytest.raises(ValueError, match="at least 2 words, got 1"):
        WordMap(known_vectors(), 1)
    tiny = WordMap(KeyedVectors(["один"], np.ones((1, 3))), 10).start()
    assert tiny.wait(10) and tiny.status == "failed" and "at least 2 words" in tiny.error
