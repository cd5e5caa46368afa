"""The explorer on a real socket: uvicorn on 127.0.0.1, raw requests (no client-side clean-up of
paths), a small concurrent load, and the ``embeddings serve`` command with its errors and Ctrl-C."""
from __future__ import annotations

import os
import re
import select
import signal
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from serve_helpers import get, known_vectors, q

from embeddings.serve import LocalServer, WordMap, create_app

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def server():
    kv = known_vectors()
    word_map = WordMap(kv, 100).start()
    with LocalServer(create_app(kv, word_map), "127.0.0.1", 0) as running:
        assert word_map.wait(30)
        yield running


def test_it_listens_on_the_loopback_address_only(server):
    assert server.url.startswith("http://127.0.0.1:")
    assert server.sock.getsockname()[0] == "127.0.0.1"


@pytest.mark.parametrize("path", [
    "/static/../app.py", "/static/../../../../etc/passwd", "/static/..%2fapp.py", "/static/%2e%2e/%2e%2e/etc/passwd",
    "/static/%2e%2e%2fserver.py", "/static/..%252fapp.py", "/static//etc/passwd", "/static/%2Fetc%2Fpasswd",
    "/static/..\\app.py", "/static/..%5capp.py", "//etc/passwd", "/../../etc/passwd", "/%2e%2e/%2e%2e/etc/passwd",
    "/static/app.js/../../queries.py", "/static/app.js%00.py", "/static/", "/static/.", "/api/../../etc/passwd",
])
def test_no_file_outside_the_assets_is_served(server, path):
    status, body = get(server.url, path)
    assert status in (400, 404), (path, status)
    text = str(body)
    assert "root:" not in text and "import " not in text and "def " not in text


def test_the_assets_themselves_are_served(server):
    status, body = get(server.url, "/static/app.js")
    assert status == 200 and "use strict" in body
    status, body = get(server.url, "/")
    assert status == 200 and "<canvas" in body


def test_cyrillic_words_arrive_url_encoded(server):
    status, body = get(server.url, f"/api/similar?word={q('Король')}&topn=2")
    assert status == 200 and body["word"] == "король" and body["neighbours"][0]["word"] == "принц"
    status, body = get(server.url, f"/api/analogy?expr={q('король - мужчина + женщина')}")
    assert status == 200 and body["answers"][0]["word"] == "королева"
    status, body = get(server.url, "/api/similar?word=%FF%FE")   # not UTF-8: a word that is not there
    assert status == 404 and body["param"] == "word"


def test_a_100_kb_expression_is_refused_quickly_as_json(server):
    start = time.perf_counter()
    status, body = get(server.url, "/api/analogy?expr=" + "x%20%2B%20" * 10_240)   # 40 KB of text, 100 KB of URL
    assert status == 422 and body["param"] == "expr" and body["limit"] == 300
    assert time.perf_counter() - start < 2.0


def test_a_request_line_past_the_protocol_limit_is_cut_off(server):
    start = time.perf_counter()
    try:
        status, _ = get(server.url, "/api/analogy?expr=" + "x" * 2_000_000)
        assert 400 <= status < 500
    except ConnectionError:
        pass   # refused while it was still being sent
    assert time.perf_counter() - start < 5
    assert get(server.url, "/api/similar?word=king")[0] == 200


def test_concurrent_clients_all_get_answers(server):
    paths = [f"/api/similar?word={q(w)}&topn=10" for w in ("король", "king", "w7", "девочка")] + [
        f"/api/analogy?expr={q('king - man + woman')}", f"/api/similarity?a={q('принц')}&b=prince", "/api/map",
        "/api/similar?word=nothing"]
    jobs = [paths[i % len(paths)] for i in range(200)]
    with ThreadPoolExecutor(8) as pool:
        statuses = list(pool.map(lambda p: get(server.url, p, timeout=20)[0], jobs))
    assert statuses.count(404) == 25 and statuses.count(200) == 175


# -- the command ------------------------------------------------------------------------------
def command(*args: str) -> list[str]:
    return [sys.executable, "-m", "cli.embeddings", *args]


ENV = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(command(*args), capture_output=True, text=True, timeout=60, env=ENV, cwd=ROOT)


def test_the_command_serves_a_run_directory_and_stops_on_ctrl_c(tmp_path):
    run_dir = tmp_path / "runs" / "main"
    known_vectors().save_word2vec_format(run_dir / "vectors.txt")
    proc = subprocess.Popen(command("serve", str(run_dir), "--port", "0", "--map-words", "50"), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=ENV, cwd=ROOT)
    try:
        ready, _, _ = select.select([proc.stdout], [], [], 60)   # the first line is the address
        assert ready, "no address printed within 60 s"
        line = proc.stdout.readline()
        match = re.search(r"(http://127\.0\.0\.1:\d+/)", line)
        assert match, line + proc.stderr.read() if proc.poll() is not None else line
        assert "316 words" in line and "vectors.txt" in line
        url = match.group(1)
        status, body = get(url, f"/api/similar?word={q('королева')}")
        assert status == 200 and body["neighbours"]
        deadline = time.monotonic() + 30
        while get(url, "/api/map")[0] != 200:
            assert time.monotonic() < deadline, "the map was not ready in 30 s"
            time.sleep(0.1)
        assert (run_dir / "vectors.txt.map-pca.npz").is_file()
        proc.send_signal(signal.SIGINT)
        rc = proc.wait(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)
    err = [line for line in proc.stderr.read().splitlines() if line.strip()]
    assert rc in (0, 130)
    assert [line for line in err if "interrupted" in line or "Traceback" in line] == ["embeddings: interrupted"]


@pytest.mark.parametrize("args, says", [
    (["serve", "no/such/vectors.txt"], "no/such/vectors.txt: no such file or directory"),
    (["serve", "."], "a directory without vectors.txt"),
    (["serve", "corpora/war_and_peace.txt"], "not a word2vec file"),
    (["serve", "x.txt", "--port", "70000"], "port must be an integer from 0 to 65535"),
    (["serve", "x.txt", "--port", "eighty"], "port must be an integer"),
    (["serve", "x.txt", "--map", "umap"], "invalid choice: 'umap'"),
])
def test_command_errors_are_one_line_and_exit_2(args, says):
    proc = run(*args)
    assert proc.returncode == 2 and proc.stdout == ""
    assert len(proc.stderr.strip().splitlines()) == 1 and says in proc.stderr, proc.stderr


def test_a_taken_port_or_too_many_map_words_is_one_line(tmp_path):
    vectors = tmp_path / "v.txt"
    known_vectors().save_word2vec_format(vectors)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        proc = run("serve", str(vectors), "--port", str(port))
    assert proc.returncode == 2 and proc.stderr.strip() == \
        f"embeddings: error: cannot listen on 127.0.0.1:{port}: Address already in use"
    proc = run("serve", str(vectors), "--map-words", "5001")
    assert proc.returncode == 2 and "map words must be from 2 to 5000, got 5001" in proc.stderr


def test_the_help_does_not_load_the_web_stack():
    code = ("import sys; from cli.embeddings import build_parser; build_parser();"
            "print(sorted(m for m in ('fastapi', 'uvicorn', 'starlette') if m in sys.modules))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, env=ENV, cwd=ROOT)
    assert proc.returncode == 0 and proc.stdout.strip() == "[]", proc.stderr
    proc = run("serve", "--help")
    assert proc.returncode == 0 and "embeddings serve runs/main" in proc.stdout and "--map-words" in proc.stdout
