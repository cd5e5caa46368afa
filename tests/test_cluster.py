"""The per-line commands on a 2-process Dask LocalCluster give what one machine gives, byte for byte.

One cluster serves the whole module (processes, 2 workers, 1 thread each); the commands reach it
with ``--scheduler``, as they would reach a real one.  Small partitions (``--partition-mb``) make
a bundled corpus dozens of partitions, so the ordering and the tree of merges are exercised.
"""
from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cli.embeddings import main as embeddings_main
from cli.textprep import main as textprep_main
from corpora import corpus_path
from textprep.cluster.partitions import iter_partition_lines, plan_partitions
from textprep.corpus import iter_lines

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
SMALL = ["--partition-mb", "0.02"]   # the slice of War and Peace below in 20 partitions


pytestmark = pytest.mark.usefixtures("no_hang")   # from conftest: a hang ends the run


@pytest.fixture(scope="module")
def scheduler():
    from dask.distributed import LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0",
                      silence_logs=40) as cluster:
        yield cluster.scheduler_address


@pytest.fixture(scope="module")
def wp(tmp_path_factory) -> Path:
    """The first 3,000 lines of War and Peace (420 kB, Russian and French, CRLF line ends as bundled)."""
    path = tmp_path_factory.mktemp("corpus") / "war_and_peace_start.txt"
    with open(corpus_path("war_and_peace"), "rb") as fh:
        path.write_bytes(b"".join(fh.readline() for _ in range(3000)))
    return path


def _twice(main, args: list[str], out_flag_values: tuple[str, str], scheduler: str) -> None:
    """``main`` once on one machine (output ``a``) and once on the cluster (output ``b``)."""
    a, b = out_flag_values
    assert main([*args, "-o", a]) == 0
    assert main([*args, "-o", b, "--scheduler", scheduler, *SMALL]) == 0


# -- partitions: every line once, in order, decoded as the one-machine reader does --------------
@settings(max_examples=60, deadline=None)
@given(lines=st.lists(st.text(alphabet="ab ё\r\t\u00a0", max_size=12), max_size=30),
       crlf=st.booleans(), bom=st.booleans(), size=st.integers(1, 40))
def test_partitions_give_every_line_once_in_order(tmp_path_factory, lines, crlf, bom, size):
    path = tmp_path_factory.mktemp("p") / "t.txt"
    text = ("\r\n" if crlf else "\n").join(lines)
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8"))
    parts = plan_partitions([str(path)], size=size)
    assert [p.start for p in parts] == [0, *(p.end for p in parts)][:len(parts)]  # contiguous
    assert (parts[-1].end if parts else 0) == path.stat().st_size              # and complete
    data = path.read_bytes()
    assert all(data[p.end - 1:p.end] == b"\n" for p in parts[:-1])            # cut at line ends
    assert [x for p in parts for x in iter_partition_lines(p)] == list(iter_lines(path))


def test_a_bad_byte_is_reported_with_its_offset_in_the_file(tmp_path):
    path = tmp_path / "bad.txt"
    path.write_bytes(b"good line\n" * 10 + b"bad \xff here\n" + b"more\n" * 10)
    parts = plan_partitions([str(path)], size=16)
    with pytest.raises(ValueError, match=r"bad.txt: invalid utf-8 byte 0xff at byte offset 104"):
        for p in parts:
            list(iter_partition_lines(p))


# -- the commands: identical results ---------------------------------------------------------------
def test_preprocess_output_is_byte_identical(scheduler, wp, tmp_path):
    args = ["preprocess", str(wp), "--lemmatize", "--stopwords", "ru"]
    _twice(textprep_main, args, (str(tmp_path / "one.txt"), str(tmp_path / "dask.txt")), scheduler)
    one, dask = (tmp_path / "one.txt").read_bytes(), (tmp_path / "dask.txt").read_bytes()
    assert one.count(b"\n") == sum(1 for _ in iter_lines(wp)) and one == dask


def test_an_fsspec_url_reads_like_the_path(scheduler, wp, tmp_path):
    url = wp.resolve().as_uri()   # file:///...: what s3:// or gs:// are to a worker with their backend
    assert textprep_main(["vocab", str(wp), "-o", str(tmp_path / "one.json")]) == 0
    assert textprep_main(["vocab", url, "-o", str(tmp_path / "url.json"), "--scheduler", scheduler, *SMALL]) == 0
    assert (tmp_path / "one.json").read_bytes() == (tmp_path / "url.json").read_bytes()


def test_preprocess_with_min_count_drops_the_same_rare_words(scheduler, wp, tmp_path):
    args = ["preprocess", str(wp), "--stem", "--min-count", "3"]
    _twice(textprep_main, args, (str(tmp_path / "one.txt"), str(tmp_path / "dask.txt")), scheduler)
    assert (tmp_path / "one.txt").read_bytes() == (tmp_path / "dask.txt").read_bytes()


def test_vocabulary_is_identical(scheduler, wp, tmp_path):
    args = ["vocab", str(wp), "--lemmatize", "--min-count", "2", "--max-df", "0.3", "--max-size", "2000"]
    _twice(textprep_main, args, (str(tmp_path / "one.json"), str(tmp_path / "dask.json")), scheduler)
    one = json.loads((tmp_path / "one.json").read_text(encoding="utf-8"))
    assert len(one["tokens"]) == 2000
    assert (tmp_path / "one.json").read_bytes() == (tmp_path / "dask.json").read_bytes()


def test_tfidf_matrix_is_identical_to_the_last_bit(scheduler, wp, tmp_path):
    args = ["tfidf", str(wp), "--lemmatize", "--stopwords", "ru", "--min-df", "2", "--max-df", "0.5"]
    _twice(textprep_main, args, (str(tmp_path / "one.npz"), str(tmp_path / "dask.npz")), scheduler)
    with np.load(tmp_path / "one.npz") as one, np.load(tmp_path / "dask.npz") as dask:
        assert one.files == dask.files and one["data"].size > 5_000
        for name in one.files:
            assert one[name].dtype == dask[name].dtype and np.array_equal(one[name], dask[name]), name


@pytest.mark.parametrize("pretokenizer", ["whitespace", "bytelevel"])
def test_bpe_merges_are_identical(scheduler, wp, tmp_path, monkeypatch, pretokenizer):
    import textprep.bpe.counting as counting

    monkeypatch.setattr(counting, "BLOCK_BYTES", 1 << 14)   # both paths: the same 26 blocks
    args = ["bpe", "train", str(wp), "--vocab-size", "400", "--pretokenizer", pretokenizer]
    _twice(textprep_main, args, (str(tmp_path / "one"), str(tmp_path / "dask")), scheduler)
    for name in ("merges.txt", "vocab.json"):
        assert (tmp_path / "one" / name).read_bytes() == (tmp_path / "dask" / name).read_bytes(), name
    assert len((tmp_path / "one" / "merges.txt").read_text(encoding="utf-8").splitlines()) > 100


def test_word2vec_corpus_cache_is_identical(scheduler, wp, tmp_path, monkeypatch):
    # training itself is not what is compared: a 1-epoch, 4-dimension run just gets to the cache
    args = ["train", "w2v", str(wp), "--skipgram", "--dim", "4", "--epochs", "1", "--min-count", "3",
            "--lemmatize", "--no-progress", "--workers", "1"]
    _twice(embeddings_main, args, (str(tmp_path / "one.txt"), str(tmp_path / "dask.txt")), scheduler)
    one, dask = tmp_path / "one.txt.ckpt" / "corpus", tmp_path / "dask.txt.ckpt" / "corpus"
    for name in ("ids.u32", "ends.u64", "vocab.json", "meta.json"):
        assert (one / name).read_bytes() == (dask / name).read_bytes(), name
    assert (one / "ids.u32").stat().st_size > 4 * 20_000


@pytest.mark.parametrize("units", [{}, {"unit": "lines", "tfidf_unit": "lines"}, {"tfidf_unit": "paragraphs"}],
                         ids=["sentences+chapters", "lines", "paragraphs"])
def test_the_main_jobs_preprocess_stage_writes_identical_files(scheduler, wp, tmp_path, units):
    from embeddings.job import stages
    from embeddings.job.config import RunConfig
    from textprep.cluster.session import ClusterSpec

    config = RunConfig(**units)
    spec = ClusterSpec(scheduler=scheduler, partition_bytes=20_000, progress=False)
    for name in ("s1", "s2"):
        (tmp_path / name).mkdir()
    one = stages.preprocess(wp, config, tmp_path / "one", tmp_path / "s1")
    dask = stages.preprocess(wp, config, tmp_path / "dask", tmp_path / "s2", cluster=spec)
    assert one == dask and one["documents"] > 20
    for name in ("train.txt", "valid.txt", "documents.txt", "titles.json"):
        assert (tmp_path / "one" / name).read_bytes() == (tmp_path / "dask" / name).read_bytes(), name


@pytest.mark.parametrize("unit", ["paragraphs", "chapters"])
def test_units_are_cut_only_where_one_starts(tmp_path, unit):
    from textprep.cluster.units import safe_cut
    from textprep.segment import documents

    text = "Title\r\nI.\r\n  One goes\r\non.\r\n\r\nTwo.\r\nII\r\n  Three\r\n  Four.\r\n" * 5
    path = tmp_path / "book.txt"
    path.write_bytes(text.encode("utf-8"))
    parts = plan_partitions([str(path)], size=3, safe=safe_cut(unit))
    assert len(parts) > 5
    joined = [d for p in parts for d in documents(iter_partition_lines(p), unit)]
    assert [t for _, t in joined] == [t for _, t in documents(iter_lines(path), unit)]


def test_the_guides_scheduler_and_worker_commands_run_as_written(wp, tmp_path):
    """docs/cluster.md's last shell block: ``dask scheduler``, ``dask worker``, then a command
    pointed at the scheduler, as three processes (on a free port instead of 8786)."""
    import re

    from textprep.cluster.session import probe_scheduler

    block = re.findall(r"```bash\n(.*?)```", (ROOT / "docs" / "cluster.md").read_text(encoding="utf-8"), re.S)[-1]
    port = str(_closed_port())
    scheduler_cmd, worker_cmd, run_cmd = [line.replace("8786", port).split() for line in block.strip().splitlines()]
    assert scheduler_cmd[0] == worker_cmd[0] == "dask" and run_cmd[0] == "textprep"
    (tmp_path / "corpora").mkdir()
    (tmp_path / "corpora" / "war_and_peace.txt").symlink_to(wp)
    procs = [subprocess.Popen([str(BIN / cmd[0]), *cmd[1:]], cwd=tmp_path, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL, start_new_session=True)
             for cmd in (scheduler_cmd, worker_cmd)]
    try:
        from dask.distributed import Client

        for _ in range(100):   # the scheduler takes a second or two to listen
            try:
                probe_scheduler(f"tcp://127.0.0.1:{port}", 1)
                break
            except ValueError:
                time.sleep(0.2)
        with Client(f"tcp://127.0.0.1:{port}", timeout=10, set_as_default=False) as client:
            client.wait_for_workers(2, timeout=60)
        done = subprocess.run([str(BIN / run_cmd[0]), *run_cmd[1:]], cwd=tmp_path, capture_output=True, text=True,
                              timeout=120)
        assert done.returncode == 0, done.stderr
    finally:
        for proc in procs:
            os.killpg(proc.pid, 15)
        for proc in procs:
            proc.wait(timeout=30)
    assert textprep_main(["vocab", str(wp), "-o", str(tmp_path / "one.json"), "--lemmatize"]) == 0
    assert (tmp_path / "vocab.json").read_bytes() == (tmp_path / "one.json").read_bytes()


# -- progress, errors, and no Dask without the flags ------------------------------------------------
def test_progress_counts_partitions_done_out_of_all(scheduler, wp, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("TEXTPREP_PROGRESS_INTERVAL", "0.001")
    assert textprep_main(["preprocess", str(wp), "-o", str(tmp_path / "t.txt"), "--scheduler", scheduler,
                          *SMALL]) == 0
    err = capsys.readouterr().err
    n = len(plan_partitions([str(wp)], size=int(0.02 * (1 << 20))))
    assert n >= 15
    assert f"preprocess: {n}/{n} partition (100%)" in err
    assert f"preprocess: {n} of {n} partitions done on 2 Dask workers" in err
    assert "Dask dashboard: http://" in err   # the fixture's scheduler serves one


def _cli(*args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run([str(BIN / "textprep"), *args], capture_output=True, text=True, timeout=timeout)


def _server(reply: bytes | None) -> tuple[socket.socket, int]:
    """A TCP server that answers every connection with ``reply`` (or says nothing at all)."""
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(8)
    held = []

    def serve():
        while True:
            try:
                conn, _ = srv.accept()
            except OSError:
                return
            held.append(conn)
            if reply is not None:
                conn.sendall(reply)

    threading.Thread(target=serve, daemon=True).start()
    return srv, srv.getsockname()[1]


def _closed_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


@pytest.mark.parametrize("kind", ["closed port", "web server"])
def test_a_bad_scheduler_fails_with_one_line_within_the_timeout(wp, tmp_path, capsys, kind):
    srv = None
    if kind == "closed port":
        port = _closed_port()
    else:
        srv, port = _server(b"HTTP/1.0 200 OK\r\n\r\nhello\r\n")
    try:
        t0 = time.monotonic()
        rc = textprep_main(["preprocess", str(wp), "-o", str(tmp_path / "t.txt"),
                            "--scheduler", f"tcp://127.0.0.1:{port}", "--scheduler-timeout", "2"])
        took = time.monotonic() - t0
    finally:
        if srv is not None:
            srv.close()
    err = capsys.readouterr().err
    assert rc == 2 and err.count("\n") == 1, err
    assert err.startswith("textprep: error: ") and f"127.0.0.1:{port}" in err
    assert took < 2 + 3, took   # the timeout, plus loading Dask the first time
    assert not (tmp_path / "t.txt").exists()


def test_a_server_that_never_answers_fails_with_one_line_after_the_timeout(wp, tmp_path):
    # distributed's own Client would wait for ever here: the address is probed with a hard timeout first
    srv, port = _server(None)
    try:
        t0 = time.monotonic()
        proc = _cli("preprocess", str(wp), "-o", str(tmp_path / "t.txt"), "--scheduler", f"127.0.0.1:{port}",
                    "--scheduler-timeout", "2")
        took = time.monotonic() - t0
    finally:
        srv.close()
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr == f"textprep: error: no Dask scheduler answered at 127.0.0.1:{port} within 2 s\n"
    assert took < 2 + 10, took   # the timeout, plus starting Python and loading the toolkit and Dask
    assert not (tmp_path / "t.txt").exists()


def test_an_address_that_is_no_address_fails_with_one_line(wp, tmp_path):
    proc = _cli("vocab", str(wp), "-o", str(tmp_path / "v.json"), "--scheduler", "nonsense")
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1 and "nonsense" in proc.stderr


def test_without_the_flags_dask_is_never_imported(wp, tmp_path):
    code = ("import sys; from cli.textprep import main; from cli.embeddings import build_parser\n"
            "build_parser()\n"
            f"assert main(['preprocess', {str(wp)!r}, '-o', {str(tmp_path / 't.txt')!r}, '--workers', '1']) == 0\n"
            f"assert main(['bpe', 'train', {str(wp)!r}, '-o', {str(tmp_path / 'b')!r}, '--vocab-size', '300']) == 0\n"
            "loaded = sorted(m for m in sys.modules if m.split('.')[0] in ('dask', 'distributed'))\n"
            "print(loaded); sys.exit(1 if loaded else 0)")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=ROOT,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert proc.returncode == 0, proc.stdout + proc.stderr[-2000:]
    assert proc.stdout.strip() == "[]"
