"""Shared test fixtures: paths to the bundled corpora and to the shared evaluation data."""
from __future__ import annotations

import faulthandler
import os
import signal
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# The evaluation data lives beside the project (../shared/data), also on CI.
SHARED_DATA = Path(os.environ.get("TEXTPREP_SHARED_DATA", ROOT.parent / "shared" / "data"))


def pytest_configure(config):
    # Started in the background by a non-interactive shell (`./run.sh test &`), the tests inherit
    # SIGINT ignored, and so would every process they start: the Ctrl-C tests would see nothing.
    # A handler (unlike an ignored signal) does not pass through exec, so children get the default.
    if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The folder of larger real corpora; tests that need it fail loudly if it is missing."""
    if not SHARED_DATA.is_dir():
        raise FileNotFoundError(f"shared evaluation data not found at {SHARED_DATA} (set TEXTPREP_SHARED_DATA)")
    return SHARED_DATA


@pytest.fixture(scope="module")
def one_torch_thread():
    """Torch on one thread for the module: small models train faster so, the arithmetic is the
    same from run to run, and a shared 2-core machine is not oversubscribed."""
    import torch

    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


@pytest.fixture
def no_hang():
    """A test that runs past 120 s ends the run with every thread's stack, not a hang (for tests
    that wait on other processes, such as a Dask cluster's)."""
    faulthandler.dump_traceback_later(120, exit=True)
    yield
    faulthandler.cancel_dump_traceback_later()


@pytest.fixture
def w2v_chunk_reads(monkeypatch) -> list[int]:
    """The sizes of the chunks word2vec reads from its corpus cache, in order (a spy on
    ``CorpusCache.chunks`` for the test's duration)."""
    from embeddings.word2vec import cache

    read, real = [], cache.CorpusCache.chunks

    def counted(self, size):
        for chunk in real(self, size):
            read.append(len(chunk[0]))
            yield chunk

    monkeypatch.setattr(cache.CorpusCache, "chunks", counted)
    return read


@pytest.fixture
def w2v_stop_at_checkpoint(monkeypatch):
    """``stop()`` makes word2vec raise KeyboardInterrupt right after it saves its next checkpoint,
    as a kill between two epochs would; ``stop(False)`` lets training run on again."""
    from embeddings.word2vec import trainer

    real = trainer.save_checkpoint

    def save_then_stop(*args):
        real(*args)
        raise KeyboardInterrupt

    def stop(on: bool = True) -> None:
        monkeypatch.setattr(trainer, "save_checkpoint", save_then_stop if on else real)

    return stop
