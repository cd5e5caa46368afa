"""Tokenize + stop words + lemmatize on one process, our process pool and a 2-process Dask
LocalCluster: same input, one run, byte-identical outputs, and a 10-machine estimate.

    python benchmarks/bench_cluster.py                       # ../shared/data/ru_corpus + War and Peace
    python benchmarks/bench_cluster.py --limit-mb 10         # the first 10 MB of it, for a quick look

Each side runs in a fresh process (cold lemma caches, pymorphy3 loaded inside the timing) and
writes ``textprep preprocess --lemmatize --stopwords ru`` output to a file; the script exits 1 if
the three outputs differ.  Throughput is in input word tokens (whitespace-separated, as ``wc -w``).

* **single**: ``write_tokenized(..., workers=1)``, everything in one process;
* **pool**: the same with ``workers=2``: this process tokenizes and keeps the lemma cache, the
  pool lemmatizes forms it has not seen;
* **dask**: ``--dask-workers 2``: each worker reads its 4 MiB partitions and runs the whole
  pipeline; the client writes the partitions' output in order.  Timed with the cluster's start
  and without it.

Peak RSS is the client's (this side's own process: for dask that includes the LocalCluster's
scheduler, not the worker processes).  From the cluster's per-partition task times (Dask's task
stream) the script estimates 10 machines of this kind (2 worker processes each): the makespan of
these partitions on 20 workers, the rate of a corpus large enough to keep them all busy, and the
client's limit: its CPU seconds per partition (receiving and writing the output) bound the
partitions per second one client can take in.
"""
from __future__ import annotations

import argparse
import hashlib
import heapq
import json
import math
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
SIDES = ("single", "pool", "dask")
CONFIG = dict(lang="ru", stopwords="ru", lemmatize=True)


def default_inputs() -> list[str]:
    return [str(p) for p in sorted((DATA / "ru_corpus").glob("*.txt"))] + [str(DATA / "war_and_peace.txt")]


def limited_copy(paths: list[str], mb: float, folder: Path) -> list[str]:
    """The first ``mb`` MB of the inputs, cut at a line end, as one file."""
    limit, out = int(mb * 1e6), folder / "corpus.txt"
    with open(out, "wb") as dst:
        for p in paths:
            with open(p, "rb") as src:
                for line in src:
                    if dst.tell() >= limit:
                        return [str(out)]
                    dst.write(line)
    return [str(out)]


def count_words(paths: list[str]) -> int:
    n = 0
    for p in paths:
        with open(p, "rb") as fh:
            n += sum(len(line.split()) for line in fh)
    return n


def digest(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 24), b""):
            h.update(block)
    return h.hexdigest()


def cpu_seconds() -> float:
    """CPU time of this process and of its finished descendants (pool workers; Dask's nannies and
    workers, once the cluster is closed): what the work cost, whatever else the machine runs."""
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def run_side(side: str, paths: list[str], out_path: str, workers: int) -> dict:
    """One side, timed in this process; what the parent needs, as a dict."""
    from textprep.corpus import TextCorpus
    from textprep.filtering import write_tokenized
    from textprep.pipeline import Pipeline, PipelineConfig

    config = PipelineConfig(**CONFIG)
    result: dict = {"side": side}
    t0, c0, cpu0 = time.perf_counter(), time.process_time(), cpu_seconds()
    if side in ("single", "pool"):
        with open(out_path, "w", encoding="utf-8") as out:
            write_tokenized(TextCorpus(paths), out, Pipeline(config), workers=1 if side == "single" else workers)
        result["seconds"] = result["job_seconds"] = time.perf_counter() - t0
    else:
        from distributed import get_task_stream

        from textprep.cluster import jobs
        from textprep.cluster.session import ClusterSpec, open_session

        parts = jobs.partitions(paths)
        with open_session(ClusterSpec(workers=workers, progress=False)) as session:
            t1, c1 = time.perf_counter(), time.process_time()
            with get_task_stream(client=session.client) as stream, open(out_path, "w", encoding="utf-8") as out:
                jobs.write_preprocessed(session, parts, config, out)
            result["job_seconds"] = time.perf_counter() - t1
            result["job_client_cpu"] = time.process_time() - c1
            tasks = []
            for rec in stream.data:
                compute = [s for s in rec["startstops"] if s["action"] == "compute"]
                if compute and rec["key"].startswith("preprocess_part"):
                    part = int(rec["key"].split("-")[1])
                    tasks.append({"partition": part, "bytes": parts[part].size,
                                  "seconds": sum(s["stop"] - s["start"] for s in compute)})
            result["tasks"] = sorted(tasks, key=lambda t: t["partition"])
            # the merge step of the counting commands: one 8-way merge of real partition counters
            from textprep.cluster.session import FAN_IN

            with get_task_stream(client=session.client) as stream:
                stats = jobs.token_stats(session, parts[:FAN_IN], config, dfs=True)
            merges = [rec for rec in stream.data if rec["key"].startswith("merge_stats")]
            result["merge_seconds"] = sum(s["stop"] - s["start"] for rec in merges for s in rec["startstops"]
                                          if s["action"] == "compute")
            result["merged_distinct"] = len(stats.counts)
        result["seconds"] = time.perf_counter() - t0
    result["client_cpu"] = time.process_time() - c0
    result["cpu"] = cpu_seconds() - cpu0
    result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    result["digest"] = digest(out_path)
    return result


def spawn(side: str, paths: list[str], out_path: str, workers: int) -> dict:
    cmd = [sys.executable, __file__, *paths, "--run", side, "--out", out_path, "--workers", str(workers)]
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"{side} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def makespan(durations: list[float], workers: int) -> float:
    """Longest-first greedy schedule of ``durations`` on ``workers`` (what a pull scheduler does)."""
    loads = [0.0] * workers
    for d in sorted(durations, reverse=True):
        heapq.heapreplace(loads, loads[0] + d)
    return max(loads)


def estimate(dask: dict, words: int, total_bytes: int, machines: int = 10, per_machine: int = 2) -> list[str]:
    tasks = dask["tasks"]
    n = len(tasks)
    task_s = sum(t["seconds"] for t in tasks)
    per_core = words / task_s
    cores = machines * per_machine
    span = makespan([t["seconds"] for t in tasks], cores)
    client_per_part = dask["job_client_cpu"] / n
    parts_per_s_client = 1 / client_per_part if client_per_part > 0 else float("inf")
    words_per_part = words / n
    out_mb_per_part = Path(dask["out_path"]).stat().st_size / n / 1e6
    rate_compute = per_core * cores
    rate_client = parts_per_s_client * words_per_part
    return [
        f"per-partition task times: {n} partitions, mean {task_s / n:.2f} s, "
        f"min {min(t['seconds'] for t in tasks):.2f} s, max {max(t['seconds'] for t in tasks):.2f} s "
        f"(one core each: {per_core:,.0f} words/s per core)",
        f"{machines} machines x {per_machine} workers: these {n} partitions take {span:.1f} s "
        f"({words / span:,.0f} words/s; too few partitions for {cores} workers: {n / cores:.1f} each)",
        f"  a corpus large enough to keep {cores} workers busy: {rate_compute:,.0f} words/s of compute",
        f"  the client's share: {client_per_part * 1000:.0f} ms of its CPU per partition "
        f"({out_mb_per_part:.1f} MB of output each) -> at most {parts_per_s_client:.1f} partitions/s = "
        f"{rate_client:,.0f} words/s; output at {rate_compute / words_per_part * out_mb_per_part:.0f} MB/s "
        f"for the compute rate above",
        f"  => limit: {'the client (receiving and writing the output)' if rate_client < rate_compute else 'compute'}"
        f", about {min(rate_client, rate_compute):,.0f} words/s ({total_bytes / 1e6:.0f} MB of input in "
        f"{words / min(rate_client, rate_compute):.0f} s at that rate)",
        f"  counting commands (vocab, tf-idf, bpe, word2vec): one 8-way merge of partition counters took "
        f"{dask['merge_seconds']:.2f} s ({dask['merged_distinct']:,} distinct words after 8 partitions); "
        f"a tree over {n} partitions is {max(1, math.ceil(math.log(n, 8)))} merge levels deep, "
        f"run on the workers while partitions are still being counted",
    ]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("corpus", nargs="*", help="input files (default: ../shared/data/ru_corpus/*.txt + War and Peace)")
    ap.add_argument("--limit-mb", type=float, default=None, help="only the first MB of the inputs")
    ap.add_argument("--workers", type=int, default=2, help="pool processes and Dask workers")
    ap.add_argument("--repeat", type=int, default=1,
                    help="time each side this many times, the order of the sides alternating; keep the fastest")
    ap.add_argument("--run", choices=SIDES, help=argparse.SUPPRESS)
    ap.add_argument("--out", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    paths = args.corpus or default_inputs()
    if args.run:
        print(json.dumps(run_side(args.run, paths, args.out, args.workers)))
        return 0
    with tempfile.TemporaryDirectory(prefix="bench_cluster.") as tmp:
        folder = Path(tmp)
        if args.limit_mb:
            paths = limited_copy(paths, args.limit_mb, folder)
        total_bytes = sum(os.path.getsize(p) for p in paths)
        words = count_words(paths)
        print(f"input: {len(paths)} files, {total_bytes / 1e6:.1f} MB, {words:,} words; "
              f"{platform.machine()}, {os.cpu_count()} CPUs; load {os.getloadavg()[0]:.2f} at the start")
        results: dict = {}
        for rep in range(args.repeat):
            for side in (SIDES if rep % 2 == 0 else SIDES[::-1]):
                out_path = str(folder / f"{side}.txt")
                r = spawn(side, paths, out_path, args.workers)
                r["out_path"] = out_path
                print(f"  run {rep + 1} {side}: {r['job_seconds']:.1f} s, load {os.getloadavg()[0]:.2f}", flush=True)
                if side not in results or r["job_seconds"] < results[side]["job_seconds"]:
                    results[side] = r
        pool = results["pool"]["job_seconds"]
        print(f"{'side':<8} {'seconds':>8} {'words/s':>10} {'vs pool':>8} {'CPU s':>7} {'client peak RSS':>16}")
        for side in SIDES:
            r = results[side]
            print(f"{side:<8} {r['job_seconds']:8.1f} {words / r['job_seconds']:10,.0f} "
                  f"{r['job_seconds'] / pool:7.2f}x {r['cpu']:7.0f} {r['peak_rss_mb']:13.0f} MB")
        d = results["dask"]
        print(f"dask with the LocalCluster's start: {d['seconds']:.1f} s ({d['seconds'] / pool:.2f}x the pool)")
        for line in estimate(d, words, total_bytes):
            print(line)
        same = len({r["digest"] for r in results.values()}) == 1
        print(f"outputs identical: {same}; load {os.getloadavg()[0]:.2f} at the end")
        return 0 if same else 1


if __name__ == "__main__":
    raise SystemExit(main())
