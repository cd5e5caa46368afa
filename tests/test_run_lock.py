"""Two runs on one directory: the second exits at once naming the first, and touches nothing;
a lock left by a killed run blocks nobody (textprep.runlock)."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from cli.embeddings import main
from textprep.runlock import LOCK_NAME, DirectoryInUse, DirectoryLock, remove_temporaries

ROOT = Path(__file__).resolve().parents[1]

#: a process that takes a directory's lock, says so, and holds it until killed; with "fork" it
#: first starts a worker process that outlives it (as a process pool's workers may)
HOLDER = """
import os, sys, time
from textprep.runlock import DirectoryLock
folder, lock_file, fork = sys.argv[1], sys.argv[2] or None, sys.argv[3] == "fork"
DirectoryLock(folder, lock_file=lock_file).acquire()
if not fork or os.fork() == 0:
    print("held", flush=True)   # with fork, the worker says it: it has started (and run its fork hooks)
    time.sleep(60)
    os._exit(0)
time.sleep(60)
"""


class Holder:
    """A live process holding the lock of ``folder`` (``lock_file`` where it is not folder/.lock)."""

    def __init__(self, folder: Path, lock_file: Path | None = None, fork: bool = False):
        self.proc = subprocess.Popen([sys.executable, "-c", HOLDER, str(folder), str(lock_file or ""),
                                      "fork" if fork else "-"], cwd=ROOT, stdout=subprocess.PIPE, text=True,
                                     env={**os.environ, "PYTHONPATH": str(ROOT)}, start_new_session=True)
        assert self.proc.stdout.readline() == "held\n"
        self.pid = self.proc.pid

    def kill(self, group: bool = False) -> None:
        """kill -9 (the holder alone, or with its worker)."""
        (os.killpg if group else os.kill)(self.pid, signal.SIGKILL)
        self.proc.wait()

    def close(self) -> None:
        if self.proc.poll() is None:
            self.kill()
        self.proc.stdout.close()
        try:
            os.killpg(self.pid, signal.SIGKILL)   # the forked worker, if any
        except ProcessLookupError:
            pass


@pytest.fixture
def holder():
    made: list[Holder] = []

    def make(*args, **kw) -> Holder:
        made.append(Holder(*args, **kw))
        return made[-1]

    yield make
    for h in made:
        h.close()


def snapshot(folder: Path) -> dict:
    """Every path under ``folder`` with its bytes and modification time."""
    return {p.relative_to(folder).as_posix(): (p.read_bytes() if p.is_file() else None, p.stat().st_mtime_ns)
            for p in sorted(folder.rglob("*"))}


# -- the lock itself ---------------------------------------------------------------------------
def test_a_second_process_is_refused_with_the_first_ones_pid(tmp_path, holder):
    first = holder(tmp_path / "run")
    before = snapshot(tmp_path / "run")
    with pytest.raises(DirectoryInUse, match=rf"^{tmp_path / 'run'}: directory in use by process {first.pid};"):
        DirectoryLock(tmp_path / "run").acquire()
    assert snapshot(tmp_path / "run") == before
    assert (tmp_path / "run" / LOCK_NAME).read_text() == f"{first.pid}\n"


def test_a_lock_left_by_a_killed_process_does_not_block_the_next(tmp_path, holder):
    first = holder(tmp_path / "run")
    first.kill()
    assert (tmp_path / "run" / LOCK_NAME).exists()        # kill -9 left the file behind
    with DirectoryLock(tmp_path / "run"):
        assert (tmp_path / "run" / LOCK_NAME).read_text() == f"{os.getpid()}\n"
    assert not (tmp_path / "run" / LOCK_NAME).exists()    # a run that ends removes it


def test_worker_processes_forked_by_a_killed_run_do_not_keep_its_lock(tmp_path, holder):
    # a forked child shares its parent's open lock file: unless it closes its copy, the lock
    # outlives the killed parent for as long as the child lives
    first = holder(tmp_path / "run", fork=True)
    first.kill()
    with DirectoryLock(tmp_path / "run"):
        pass


def test_the_lock_removes_the_folder_it_made_when_nothing_was_written(tmp_path):
    with DirectoryLock(tmp_path / "new" / "dir"):
        assert (tmp_path / "new" / "dir").is_dir()
    assert not (tmp_path / "new" / "dir").exists() and (tmp_path / "new").is_dir()
    (tmp_path / "kept").mkdir()
    with DirectoryLock(tmp_path / "kept"):
        pass
    assert (tmp_path / "kept").is_dir()                  # a folder that was there stays


def test_taking_the_lock_clears_what_killed_writers_left_half_written(tmp_path):
    folder = tmp_path / "ckpt"
    (folder / "corpus").mkdir(parents=True)
    left = [folder / ".checkpoint.k2j_x9ab.tmp.pt", folder / "corpus" / ".meta.json.abcdefgh.tmp"]
    kept = [folder / "checkpoint.pt", folder / ".hidden", folder / "notes.tmp"]
    for p in left + kept:
        p.write_text("x")
    with DirectoryLock(folder):
        assert [p.exists() for p in left] == [False, False] and all(p.exists() for p in kept)


def test_only_the_leftovers_of_the_named_files_go_when_names_are_given(tmp_path):
    left = [tmp_path / ".vectors.txt.js0i5gps.tmp", tmp_path / ".vectors.txt.json.abcdefgh.tmp"]
    kept = [tmp_path / ".other.txt.abcdefgh.tmp", tmp_path / "vectors.txt"]
    for p in left + kept:
        p.write_text("x")
    assert sorted(remove_temporaries(tmp_path, ["vectors.txt", "vectors.txt.json"])) == sorted(left)
    assert all(p.exists() for p in kept)


def test_the_lock_nests_within_one_process(tmp_path):
    # a command holds its checkpoint folder while the library function it calls takes it again
    with DirectoryLock(tmp_path / "ckpt"):
        with DirectoryLock(tmp_path / "ckpt"):
            pass
        assert (tmp_path / "ckpt" / LOCK_NAME).exists()       # still held by the outer one
    assert not (tmp_path / "ckpt" / LOCK_NAME).exists()


def test_after_a_release_the_same_object_can_lock_again(tmp_path):
    lock = DirectoryLock(tmp_path)
    for _ in range(2):
        with lock:
            assert (tmp_path / LOCK_NAME).read_text() == f"{os.getpid()}\n"
        assert not (tmp_path / LOCK_NAME).exists()


# -- the commands ----------------------------------------------------------------------------
def _corpus(tmp_path: Path) -> Path:
    path = tmp_path / "corpus.txt"
    path.write_text("the cat sat on the mat\nthe dog sat on the log\n" * 20, encoding="utf-8")
    return path


def _refused(capsys, argv: list[str], pid: int, folder: Path) -> None:
    # what the command imports is not what is timed
    import embeddings.job.run
    import embeddings.lm.train
    import embeddings.word2vec.trainer  # noqa: F401

    t0 = time.perf_counter()
    rc = main(argv)
    err = capsys.readouterr().err
    assert rc == 2 and time.perf_counter() - t0 < 5
    assert err.count("\n") == 1 and f"{folder}: " in err and f"in use by process {pid};" in err, err


def test_a_second_pipeline_on_a_live_run_directory_exits_at_once_touching_nothing(tmp_path, holder, capsys):
    run_dir = tmp_path / "run"
    (run_dir / "text").mkdir(parents=True)
    (run_dir / "config.json").write_text('{"format": "embeddings.pipeline"}\n')
    (run_dir / "state.json").write_text('{"stages": {}}\n')
    (run_dir / "text" / "train.txt").write_text("a b c\n")
    first = holder(run_dir, lock_file=run_dir / ".work" / "lock")
    before = snapshot(run_dir)
    _refused(capsys, ["pipeline", str(_corpus(tmp_path)), "-o", str(run_dir)], first.pid, run_dir)
    assert snapshot(run_dir) == before


def test_a_second_lm_training_on_a_live_lm_directory_exits_at_once_touching_nothing(tmp_path, holder, capsys):
    lm_dir = tmp_path / "lm"
    lm_dir.mkdir()
    (lm_dir / "config.json").write_text("{}\n")
    first = holder(lm_dir)
    before = snapshot(lm_dir)
    _refused(capsys, ["lm", "train", str(_corpus(tmp_path)), "--epochs", "1", "-o", str(lm_dir), "--resume"],
             first.pid, lm_dir)
    assert snapshot(lm_dir) == before


def test_a_second_word2vec_on_a_live_checkpoint_directory_exits_at_once_touching_nothing(tmp_path, holder, capsys):
    ckpt = tmp_path / "ckpt"
    ckpt.mkdir()
    (ckpt / "config.json").write_text("{}\n")
    first = holder(ckpt)
    before = snapshot(ckpt)
    _refused(capsys, ["train", "w2v", str(_corpus(tmp_path)), "--skipgram", "--tokenized", "--min-count", "1",
                      "--checkpoint-dir", str(ckpt), "--resume", "-o", str(tmp_path / "v.txt")], first.pid, ckpt)
    assert snapshot(ckpt) == before and not (tmp_path / "v.txt").exists()


def test_a_live_training_process_holds_its_directory_and_a_killed_one_does_not(tmp_path, capsys):
    corpus = tmp_path / "ptb.txt"
    corpus.write_text("the cat sat on the mat and the dog sat on the log\n" * 300, encoding="utf-8")
    lm_dir = tmp_path / "lm"
    argv = ["lm", "train", str(corpus), "--level", "word", "--word-tokenizer", "whitespace", "--hidden", "8",
            "--emb-dim", "8", "--layers", "1", "--epochs", "500", "--device", "cpu", "--resume", "-o", str(lm_dir)]
    proc = subprocess.Popen([sys.executable, "-m", "cli.embeddings", *argv, "--no-progress"], cwd=ROOT,
                            env={**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(ROOT)},
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        while not (lm_dir / "checkpoint.pt").exists():   # training, not only starting
            assert proc.poll() is None and time.monotonic() < deadline
            time.sleep(0.05)
        _refused(capsys, argv, proc.pid, lm_dir)
        assert proc.poll() is None                        # the first run carries on
    finally:
        proc.kill()
        proc.wait()
    # killed: the next run takes the directory over (one more epoch, then it stops as asked)
    assert main([*argv[:-7], "--epochs", "1", "--device", "cpu", "--resume", "-o", str(lm_dir)]) == 0
    assert not (lm_dir / LOCK_NAME).exists()
