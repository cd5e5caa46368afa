"""Load on the explorer: a fixed number of mixed requests from concurrent clients, 127.0.0.1 only.

The server runs in a child process (as ``embeddings serve`` would) on random unit vectors
(100,000 words of dimension 100 by default: random is as good as trained for latency); the
clients are threads of this process, each with one keep-alive connection, taking requests
from one shuffled list until it is empty.  Every loop is bounded: the list has ``--requests``
entries, each request has a timeout, and the whole run a deadline.

    python benchmarks/bench_serve.py                       # 1,000 requests, 20 clients, 100k x 100
    python benchmarks/bench_serve.py --requests 2000 --clients 40 --json out.json

Prints one JSON line per request kind (count, p50/p95/p99/max in ms, statuses) and a total
line with requests per second; the target is p95 < 50 ms for ``similar``.
"""
from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing as mp
import os
import random
import sys
import threading
import time
from pathlib import Path
from urllib.parse import quote

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from embeddings.keyedvectors import KeyedVectors  # noqa: E402
from embeddings.serve import LocalServer, WordMap, create_app  # noqa: E402

HOST = "127.0.0.1"   # never anything else: the load stays on this machine
TARGET_P95_MS = 50.0


def make_words(n: int) -> list[str]:
    # half Latin, half Cyrillic, so the URL-decoding path is exercised as in real use
    return [f"w{i}" if i % 2 else f"слово{i}" for i in range(n)]


def run_server(n_words: int, dim: int, map_words: int, map_method: str, conn) -> None:
    rng = np.random.default_rng(0)
    kv = KeyedVectors(make_words(n_words), rng.standard_normal((n_words, dim), dtype=np.float32))
    word_map = WordMap(kv, map_words, map_method)
    server = LocalServer(create_app(kv, word_map), HOST, 0)
    word_map.start()
    conn.send(server.port)
    conn.close()
    server.run()


KINDS = ["similar"] * 60 + ["analogy"] * 15 + ["similarity"] * 10 + ["map"] * 10 + ["unknown"] * 5


def plan(n_requests: int, words: list[str], seed: int, only: str | None = None) -> list[tuple[str, str]]:
    """``(kind, path)`` pairs: 60% similar, 15% analogy, 10% similarity, 10% map, 5% unknown words."""
    rng = random.Random(seed)
    w = lambda: quote(rng.choice(words))   # noqa: E731
    kinds = [only] if only else KINDS
    out = []
    for _ in range(n_requests):
        kind = rng.choice(kinds)
        if kind == "similar":
            path = f"/api/similar?word={w()}&topn=10"
        elif kind == "analogy":
            path = f"/api/analogy?expr={w()}%20-%20{w()}%20%2B%20{w()}&topn=5"
        elif kind == "similarity":
            path = f"/api/similarity?a={w()}&b={w()}"
        elif kind == "map":
            path = rng.choice(["/api/map", f"/api/map?words={w()}&words={w()}&points=0"])
        else:
            path = f"/api/similar?word=nope{rng.randrange(10**6)}"
        out.append((kind, path))
    return out


def client(port: int, jobs: list, lock: threading.Lock, results: list, deadline: float) -> None:
    conn = http.client.HTTPConnection(HOST, port, timeout=30)
    try:
        while time.monotonic() < deadline:
            with lock:
                if not jobs:
                    return
                kind, path = jobs.pop()
            start = time.perf_counter()
            try:
                conn.request("GET", path)
                resp = conn.getresponse()
                resp.read()
                status = resp.status
            except (OSError, http.client.HTTPException):
                conn.close()
                conn = http.client.HTTPConnection(HOST, port, timeout=30)
                status = 0
            results.append((kind, status, (time.perf_counter() - start) * 1000))
    finally:
        conn.close()


def wait_for_map(port: int, timeout: float) -> float:
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        conn = http.client.HTTPConnection(HOST, port, timeout=10)
        try:
            conn.request("GET", "/api/info")
            if json.loads(conn.getresponse().read())["map"]["status"] == "ready":
                return time.monotonic() - start
        except OSError:
            pass
        finally:
            conn.close()
        time.sleep(0.1)
    raise SystemExit(f"the map was not ready within {timeout} s")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux /proc; 0.0 elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def summarize(results: list, seconds: float) -> list[dict]:
    lines = []
    for kind in ["similar", "analogy", "similarity", "map", "unknown", "all"]:
        rows = [r for r in results if kind == "all" or r[0] == kind]
        if not rows:
            continue
        ms = np.array([r[2] for r in rows])
        statuses: dict[str, int] = {}
        for r in rows:
            statuses[str(r[1])] = statuses.get(str(r[1]), 0) + 1
        line = {"kind": kind, "requests": len(rows), "p50_ms": round(float(np.percentile(ms, 50)), 1),
                "p95_ms": round(float(np.percentile(ms, 95)), 1), "p99_ms": round(float(np.percentile(ms, 99)), 1),
                "max_ms": round(float(ms.max()), 1), "statuses": statuses}
        if kind == "all":
            line["seconds"] = round(seconds, 2)
            line["requests_per_s"] = round(len(rows) / seconds, 1)
        lines.append(line)
    return lines


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--words", type=int, default=100_000)
    ap.add_argument("--dim", type=int, default=100)
    ap.add_argument("--requests", type=int, default=1000)
    ap.add_argument("--clients", type=int, default=20)
    ap.add_argument("--map-words", type=int, default=1000)
    ap.add_argument("--map", choices=["pca", "tsne"], default="pca")
    ap.add_argument("--during-map", action="store_true", help="start the load at once, while the map is computed")
    ap.add_argument("--deadline", type=float, default=300.0, help="seconds the whole load may take")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--only", choices=sorted(set(KINDS)), help="one kind of request instead of the mix")
    ap.add_argument("--json", type=Path, help="write the summary lines here too")
    args = ap.parse_args(argv)

    ctx = mp.get_context("fork" if "fork" in mp.get_all_start_methods() else "spawn")
    parent, child = ctx.Pipe()
    proc = ctx.Process(target=run_server, args=(args.words, args.dim, args.map_words, args.map, child), daemon=True)
    t0 = time.perf_counter()
    proc.start()
    try:
        if not parent.poll(120):
            raise SystemExit("the server did not start within 120 s")
        port = parent.recv()
        started = time.perf_counter() - t0
        map_s = None if args.during_map else wait_for_map(port, 600)
        jobs = plan(args.requests, make_words(args.words), args.seed, args.only)
        jobs.reverse()   # popped from the end: in plan order
        results: list = []
        lock = threading.Lock()
        deadline = time.monotonic() + args.deadline
        server_cpu, client_cpu = cpu_seconds(proc.pid), time.process_time()
        start = time.perf_counter()
        threads = [threading.Thread(target=client, args=(port, jobs, lock, results, deadline))
                   for _ in range(args.clients)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(args.deadline + 60)
        seconds = time.perf_counter() - start
        server_cpu, client_cpu = cpu_seconds(proc.pid) - server_cpu, time.process_time() - client_cpu
    finally:
        proc.terminate()
        proc.join(10)
    lines = summarize(results, seconds)
    setup = {"kind": "setup", "words": args.words, "dim": args.dim, "clients": args.clients, "only": args.only,
             "map": f"{args.map} of {args.map_words}", "during_map": args.during_map,
             "server_start_s": round(started, 2), "map_ready_s": None if map_s is None else round(map_s, 2),
             "cpus": os.cpu_count(), "load_avg": [round(x, 2) for x in os.getloadavg()],
             "server_cpu_ms_per_request": round(server_cpu * 1000 / max(len(results), 1), 2),
             "client_cpu_ms_per_request": round(client_cpu * 1000 / max(len(results), 1), 2)}
    for line in [setup, *lines]:
        print(json.dumps(line, ensure_ascii=False), flush=True)
    similar = next((line for line in lines if line["kind"] == "similar"), None)
    if similar:
        verdict = "met" if similar["p95_ms"] < TARGET_P95_MS else "NOT met"
        print(f"similar p95 {similar['p95_ms']} ms: target < {TARGET_P95_MS:g} ms {verdict}")
    if args.json:
        args.json.write_text("\n".join(json.dumps(x, ensure_ascii=False) for x in [setup, *lines]) + "\n",
                             encoding="utf-8")
    failed = len(results) != args.requests or any(r[1] == 0 or r[1] >= 500 for r in results)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
