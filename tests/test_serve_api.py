"""The explorer's JSON API: answers worked out by hand, and every refusal as JSON naming what is wrong."""
from __future__ import annotations

import doctest
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from fastapi.testclient import TestClient
from serve_helpers import known_vectors, q

import embeddings.serve.queries
from embeddings.serve import Limits, WordMap, create_app
from embeddings.serve.nearest import NearestWords
from embeddings.serve.queries import error_position


def pca_now(vectors, method, seed):
    return vectors[:, :2] * 1.0


@pytest.fixture(scope="module")
def kv():
    return known_vectors()


@pytest.fixture(scope="module")
def client(kv):
    word_map = WordMap(kv, 100, project=pca_now).start()
    assert word_map.wait(10)
    with TestClient(create_app(kv, word_map, source="known.txt")) as c:
        yield c


def error_of(resp, status: int) -> dict:
    assert resp.status_code == status, resp.text
    assert resp.headers["content-type"].startswith("application/json")
    body = resp.json()
    assert isinstance(body["error"], str) and "Traceback" not in resp.text
    return body


# -- answers --------------------------------------------------------------------------------
def test_similar_in_russian_with_a_url_encoded_word(client):
    resp = client.get(f"/api/similar?word={q('король')}&topn=3")
    assert resp.status_code == 200
    body = resp.json()
    assert body["word"] == "король" and body["topn"] == 3
    assert [n["word"] for n in body["neighbours"]][0] == "принц"
    assert body["neighbours"][0]["score"] == pytest.approx(3 / np.sqrt(12), abs=0.02)
    assert len(body["neighbours"]) == 3


def test_similar_in_english_and_the_typed_case_is_forgiven(client):
    body = client.get("/api/similar", params={"word": "KING", "topn": 1}).json()
    assert body["query"] == "KING" and body["word"] == "king"
    assert body["neighbours"][0]["word"] == "prince"


def test_analogies_in_both_languages(client):
    ru = client.get("/api/analogy", params={"expr": "король - мужчина + женщина"}).json()
    assert ru["positive"] == ["король", "женщина"] and ru["negative"] == ["мужчина"]
    assert ru["answers"][0]["word"] == "королева" and len(ru["answers"]) == 5
    en = client.get("/api/analogy", params={"expr": "king -man +woman", "topn": 2, "method": "3cosmul"}).json()
    assert en["answers"][0]["word"] == "queen" and en["method"] == "3cosmul" and len(en["answers"]) == 2


def test_answers_batched_across_threads_equal_most_similar(kv):
    nearest = NearestWords(kv.unit_vectors, max_batch=8)
    queries = [([i], [], 7) for i in range(0, 300, 3)] + [([0, 5], [4], 5), ([9, 13], [12], 3)]
    with ThreadPoolExecutor(16) as pool:
        answers = list(pool.map(lambda qr: nearest.query(*qr), queries))
    assert nearest.queries == len(queries) and nearest.batches < len(queries)   # some went together
    for (pos, neg, topn), got in zip(queries, answers):
        want = kv.most_similar([kv.index_to_key[i] for i in pos], [kv.index_to_key[i] for i in neg], topn=topn)
        assert [kv.index_to_key[i] for i, _ in got] == [w for w, _ in want]
        assert [s for _, s in got] == pytest.approx([s for _, s in want], abs=1e-5)


def test_a_failed_product_reaches_its_caller_and_the_worker_goes_on(kv):
    nearest = NearestWords(kv.unit_vectors)
    with pytest.raises(ValueError):
        nearest.scores(np.ones(3, dtype=np.float32))     # 3 values for vectors of dimension 16
    assert nearest.query([0], [], 1) == [(2, pytest.approx(kv.similarity("король", "принц")))]


def test_similarity_is_the_cosine(client, kv):
    body = client.get("/api/similarity", params={"a": "король", "b": "королева"}).json()
    assert body["similarity"] == pytest.approx(kv.similarity("король", "королева"), abs=1e-4)
    assert body["similarity"] == pytest.approx(2 / 3, abs=0.03)


def test_info_states_the_limits(client):
    body = client.get("/api/info").json()
    assert body["words"] == 316 and body["dim"] == 16 and body["source"] == "known.txt"
    assert body["limits"]["topn"] == Limits().topn_max and body["map"]["status"] == "ready"


# -- refusals -------------------------------------------------------------------------------
def test_an_unknown_word_is_a_404_naming_it(client):
    body = error_of(client.get(f"/api/similar?word={q('ёжик')}"), 404)
    assert body["words"] == ["ёжик"] and "'ёжик'" in body["error"] and body["param"] == "word"
    body = error_of(client.get("/api/similarity", params={"a": "king", "b": "dragon"}), 404)
    assert body["param"] == "b" and body["words"] == ["dragon"]


@pytest.mark.parametrize("topn", ["0", "101", "-3", "abc", "1e9", "99999999999999999999"])
def test_topn_outside_its_limits_is_refused(client, topn):
    body = error_of(client.get("/api/similar", params={"word": "king", "topn": topn}), 422)
    assert body["param"] == "topn" and body["limit"] == 100


def test_the_largest_topn_is_answered(client):
    assert len(client.get("/api/similar", params={"word": "king", "topn": 100}).json()["neighbours"]) == 100


@pytest.mark.parametrize("path", ["/api/similar", "/api/similar?word=", "/api/similar?word=%20%20",
                                  "/api/analogy", "/api/similarity?a=king"])
def test_a_missing_parameter_is_named(client, path):
    body = error_of(client.get(path), 422)
    assert body["param"] in ("word", "expr", "b") and body["param"] in body["error"]


@pytest.mark.parametrize("expr, position, words", [
    ("король - ёжик + женщина", 9, ["ёжик"]),
    ("dragon - man + unicorn", 0, ["dragon", "unicorn"]),
])
def test_unknown_words_of_an_analogy_are_named_with_their_positions(client, expr, position, words):
    body = error_of(client.get("/api/analogy", params={"expr": expr}), 404)
    assert body["words"] == words and body["positions"][0] == position
    assert all(expr[p:].startswith(w) for w, p in zip(body["words"], body["positions"]))


@pytest.mark.parametrize("expr, position, says", [
    ("король мужчина", 7, "missing '+' or '-' before 'мужчина'"),
    ("король - - женщина", 9, "two signs in a row"),
    ("король - мужчина +", 17, "ends with a sign"),
    ("- король", 0, "no positive word"),
])
def test_a_bad_expression_is_a_400_with_the_position(client, expr, position, says):
    body = error_of(client.get("/api/analogy", params={"expr": expr}), 400)
    assert body["position"] == position and says in body["error"] and body["param"] == "expr"


def test_the_positions_point_into_the_expression():
    for expr in ["a b", "a - - b", "a +", "+ - a", "-a", "a  -b  +", "   x y"]:
        assert 0 <= error_position(expr) <= len(expr)
        assert error_position(expr) == 0 or not expr[error_position(expr)].isspace()


def test_a_long_expression_is_refused_before_it_is_parsed(client):
    start = time.perf_counter()
    body = error_of(client.get("/api/analogy", params={"expr": "king + " * 3_000}), 422)
    assert time.perf_counter() - start < 1.0
    assert body["limit"] == 300 and "21,000 characters" in body["error"]


def test_too_many_words_and_too_long_a_word_are_refused(client):
    body = error_of(client.get("/api/analogy", params={"expr": " + ".join(["king"] * 11)}), 422)
    assert body["limit"] == 10 and "11 words" in body["error"]
    body = error_of(client.get("/api/similar", params={"word": "я" * 101}), 422)
    assert body["limit"] == 100


def test_an_unknown_method_is_refused(client):
    body = error_of(client.get("/api/analogy", params={"expr": "king - man + woman", "method": "cos"}), 422)
    assert body["param"] == "method"


def test_unknown_pages_and_other_methods_are_json_errors(client):
    assert "no such page" in error_of(client.get("/api/nothing"), 404)["error"]
    assert "use GET" in error_of(client.post("/api/similar?word=king"), 405)["error"]
    assert "no such file" in error_of(client.get("/static/server.py"), 404)["error"]


def test_a_server_fault_is_a_json_500_without_a_traceback(kv, monkeypatch):
    app = create_app(kv, WordMap(kv, 10, project=pca_now).start())

    def broken(*args, **kwargs):
        raise RuntimeError("secret internals")

    monkeypatch.setattr(app.state.nearest, "unit", None)   # /api/similar fails too
    monkeypatch.setattr(kv, "most_similar", broken)
    with TestClient(app, raise_server_exceptions=False) as c:
        resp = c.get("/api/analogy?expr=king%20-%20man&method=3cosmul")
    body = error_of(resp, 500)
    assert "secret internals" not in resp.text and "internal error" in body["error"]
    with TestClient(app, raise_server_exceptions=False) as c:
        resp = c.get("/api/similar?word=king")
    body = error_of(resp, 500)
    assert "secret internals" not in resp.text and "internal error" in body["error"]


def test_the_page_and_its_assets_carry_a_strict_policy(client):
    page = client.get("/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    policy = page.headers["content-security-policy"]
    assert "default-src 'none'" in policy and "connect-src 'self'" in policy
    for name in ("app.js", "app.css"):
        asset = client.get(f"/static/{name}")
        assert asset.status_code == 200 and asset.headers["x-content-type-options"] == "nosniff"
    # nothing from the network: every script, style and link is a path on this server
    assert "http" not in page.text.replace('content="width=device-width', "")
    assert "http://" not in client.get("/static/app.js").text and "https://" not in client.get("/static/app.css").text
    assert error_of(client.get("/docs"), 404) and error_of(client.get("/openapi.json"), 404)


# -- the map --------------------------------------------------------------------------------
def test_the_map_gives_the_frequent_words_and_places_the_asked_ones(client, kv):
    body = client.get("/api/map").json()
    assert body["status"] == "ready" and body["words"] == kv.index_to_key[:100]
    assert len(body["x"]) == len(body["y"]) == 100 and max(map(abs, body["x"] + body["y"])) <= 1.0
    body = client.get("/api/map", params=[("words", "Король"), ("words", "w250"), ("points", "0")]).json()
    assert "words" not in body
    on, off = body["extra"]
    assert on == {"word": "король", "x": pytest.approx(client.get("/api/map").json()["x"][0]), "y": on["y"],
                  "on_map": True}
    assert off["word"] == "w250" and off["on_map"] is False
    assert client.get("/api/map", params={"words": "w250"}).json()["extra"] == [off]


def test_the_map_refuses_unknown_and_too_many_words(client):
    assert error_of(client.get("/api/map", params={"words": "дракон"}), 404)["words"] == ["дракон"]
    body = error_of(client.get("/api/map", params=[("words", "king")] * 51), 422)
    assert body["param"] == "words" and body["limit"] == 50


def test_queries_are_answered_while_the_map_is_still_computing(kv):
    release, entered = threading.Event(), threading.Event()

    def slow_projection(vectors, method, seed):
        entered.set()
        assert release.wait(30), "the test never released the projection"
        return vectors[:, :2]

    word_map = WordMap(kv, 50, project=slow_projection).start()
    try:
        assert entered.wait(10)
        with TestClient(create_app(kv, word_map)) as c:
            start = time.perf_counter()
            waiting = c.get("/api/map")
            assert waiting.status_code == 202 and waiting.json()["status"] == "computing"
            assert c.get(f"/api/similar?word={q('король')}").json()["neighbours"][0]["word"] == "принц"
            assert c.get("/api/analogy", params={"expr": "king - man + woman"}).status_code == 200
            assert time.perf_counter() - start < 5
            assert word_map.status == "computing"
            release.set()
            assert word_map.wait(10)
            assert c.get("/api/map").status_code == 200
    finally:
        release.set()


def test_a_failed_map_is_reported_and_the_rest_still_works(kv):
    def broken(vectors, method, seed):
        raise MemoryError("no room")

    word_map = WordMap(kv, 50, project=broken).start()
    assert word_map.wait(10)
    with TestClient(create_app(kv, word_map)) as c:
        body = error_of(c.get("/api/map"), 500)
        assert body["status"] == "failed" and "no room" in body["error"]
        assert c.get("/api/similar?word=king").status_code == 200


def test_the_query_module_examples_hold():
    result = doctest.testmod(embeddings.serve.queries)
    assert result.attempted > 0 and result.failed == 0
