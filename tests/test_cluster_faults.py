"""A worker process killed (SIGKILL) in the middle of a run: Dask reruns its tasks, and the output
is still identical to one machine's.

The kill comes from the progress hook, after the first partitions are done, aimed at a worker that
is running a task at that moment, so work really is lost.  The cluster is this module's own (its
nannies start a new worker process after the kill), so the other cluster tests are not disturbed.
"""
from __future__ import annotations

import io
import os
import signal
import time
from pathlib import Path

import pytest

from corpora import corpus_path
from textprep.cluster import jobs
from textprep.filtering import write_tokenized
from textprep.pipeline import Pipeline, PipelineConfig
from textprep.vocab import Vocabulary

CONFIG = PipelineConfig(lang="ru", stopwords="ru", lemmatize=True)


pytestmark = pytest.mark.usefixtures("no_hang")   # from conftest: a hang ends the run


@pytest.fixture(scope="module")
def session():
    from dask.distributed import Client, LocalCluster

    from textprep.cluster.session import Session

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0",
                      silence_logs=50) as cluster, Client(cluster, set_as_default=False) as client:
        yield Session(client, cluster, progress=False)


@pytest.fixture(scope="module")
def wp(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("corpus") / "war_and_peace_start.txt"
    with open(corpus_path("war_and_peace"), "rb") as fh:
        path.write_bytes(b"".join(fh.readline() for _ in range(3000)))
    return path


class Killer:
    """Progress hook: at ``at`` partitions done, SIGKILL the worker process holding the most work
    of the run (tasks running, or results not yet collected: both must be computed again)."""

    def __init__(self, session, at: int = 3):
        self.session, self.at = session, at
        self.killed: dict | None = None

    def __call__(self, done: int, total: int) -> None:
        if done != self.at or self.killed is not None:
            return
        client = self.session.client
        pids = client.run(os.getpid)                       # worker address -> process id
        for _ in range(200):                               # until some worker holds work of this run
            # running tasks, or finished ones whose results wait on the worker for the client (this
            # hook holds the client back, so the tasks in flight may all end while it looks); one
            # snapshot for the choice and the record
            running, held = client.processing(), client.has_what()
            busy = [(w, [*running.get(w, ()), *held.get(w, ())]) for w in pids
                    if running.get(w) or held.get(w)]
            if busy:
                break
            time.sleep(0.01)
        assert busy, "no worker held work of the run to lose"
        victim, tasks = max(busy, key=lambda b: len(b[1]))
        self.killed = {"address": victim, "pid": pids[victim], "tasks": list(tasks)}
        os.kill(pids[victim], signal.SIGKILL)


def _gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def _wait_for_two_workers(session) -> None:
    session.client.wait_for_workers(2, timeout=60)


def test_a_killed_worker_leaves_the_preprocess_output_identical(session, wp):
    _wait_for_two_workers(session)
    one = io.StringIO()
    write_tokenized(iter(wp.read_text(encoding="utf-8").splitlines()), one, Pipeline(CONFIG))
    parts = jobs.partitions([str(wp)], size=1 << 14)
    killer = session.on_progress = Killer(session)
    try:
        out = io.StringIO()
        n = jobs.write_preprocessed(session, parts, CONFIG, out)
    finally:
        session.on_progress = None
    assert killer.killed is not None and killer.killed["tasks"], "the run ended before a worker was killed"
    assert _gone(killer.killed["pid"])
    assert killer.killed["address"] not in session.client.scheduler_info()["workers"]
    assert n == 3000 and out.getvalue() == one.getvalue()


def test_a_killed_worker_leaves_the_tree_of_counts_identical(session, wp):
    _wait_for_two_workers(session)
    pipe = Pipeline(CONFIG)
    docs = [pipe(line) for line in wp.read_text(encoding="utf-8").splitlines()]
    one = Vocabulary.build(docs, max_df=0.2)
    parts = jobs.partitions([str(wp)], size=1 << 14)
    killer = session.on_progress = Killer(session, at=2)
    try:
        dask = jobs.build_vocabulary(session, parts, CONFIG, max_df=0.2)
    finally:
        session.on_progress = None
    assert killer.killed is not None and killer.killed["tasks"]
    assert _gone(killer.killed["pid"])
    assert dask.to_dict() == one.to_dict() and len(one) > 1000
