"""Progress: a tqdm bar on a terminal, one plain line every few seconds in a log or a pipe."""
from __future__ import annotations

import io
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
from tqdm import tqdm

from corpora import corpus_path
from textprep import progress
from textprep.progress import LineProgress, SilentProgress, progress_bar

ROOT = Path(__file__).resolve().parents[1]


class Clock:
    """A stand-in for ``time.monotonic`` that moves only when told."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch) -> Clock:
    c = Clock()
    monkeypatch.setattr(progress, "monotonic", c)
    return c


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_log_gets_one_line_per_interval_with_rate_eta_and_postfix(clock):
    out = io.StringIO()
    bar = LineProgress(total=1000, desc="word2vec", unit="word", stream=out, interval=5)
    for _ in range(10):           # 100 words a second for 10 s, reported every second
        clock.now += 1
        bar.set_postfix(loss=f"{2.5:.3f}", refresh=False)
        bar.update(100)
    bar.close()
    assert out.getvalue().splitlines() == [
        "word2vec: 500/1000 word (50%), 100 word/s, elapsed 0:05, ETA 0:05, loss=2.500",
        "word2vec: 1000/1000 word (100%), 100 word/s, elapsed 0:10, ETA 0:00, loss=2.500",
        "word2vec: 1000/1000 word (100%), 100 word/s, elapsed 0:10, done, loss=2.500",
    ]
    assert "\r" not in out.getvalue()


def test_a_loop_shorter_than_the_interval_prints_only_its_closing_line(clock):
    out = io.StringIO()
    seen = list(LineProgress(range(50), desc="vocab", unit="doc", stream=out, interval=5))
    assert seen == list(range(50))
    assert out.getvalue() == "vocab: 50/50 doc (100%), 0 doc/s, elapsed 0:00, done\n"
    out = io.StringIO()
    assert list(LineProgress(range(50), desc="epoch 1", stream=out, interval=5, leave=False)) == list(range(50))
    assert out.getvalue() == ""


def test_a_bar_that_is_not_kept_has_no_closing_line(clock):
    out = io.StringIO()
    bar = LineProgress(range(4), desc="epoch 1", unit="batch", stream=out, interval=5, leave=False)
    for _ in bar:
        clock.now += 3            # a line after the 2nd and the 4th batch
    assert out.getvalue().splitlines() == [
        "epoch 1: 2/4 batch (50%), 0.333 batch/s, elapsed 0:06, ETA 0:06",
        "epoch 1: 4/4 batch (100%), 0.333 batch/s, elapsed 0:12, ETA 0:00",
    ]


def test_large_counts_are_scaled_and_a_resumed_run_rates_only_its_own_work(clock):
    out = io.StringIO()
    bar = LineProgress(total=5_000_000, initial=2_000_000, desc="w2v", unit="word", unit_scale=True,
                       stream=out, interval=1)
    clock.now += 10
    bar.update(1_500_000)
    assert out.getvalue() == "w2v: 3.5M/5M word (70%), 150k word/s, elapsed 0:10, ETA 0:10\n"


def test_the_stream_decides_the_kind_of_bar():
    assert isinstance(progress_bar(total=3, stream=io.StringIO()), LineProgress)
    bar = progress_bar(total=3, stream=Terminal())
    assert isinstance(bar, tqdm)
    bar.close()
    assert isinstance(progress_bar(total=3, stream=Terminal(), enabled=False), SilentProgress)


def test_set_enabled_hides_every_bar_until_it_is_put_back():
    before = progress.set_enabled(False)
    try:
        assert type(progress_bar(total=3, stream=Terminal())) is SilentProgress
    finally:
        progress.set_enabled(before)
    assert isinstance(progress_bar(total=3, stream=io.StringIO()), LineProgress)


def test_a_silent_bar_still_counts():
    bar = SilentProgress(initial=5)
    bar.update(7)
    assert bar.n == 12 and list(SilentProgress([1, 2])) == [1, 2]


def test_a_command_logging_to_a_file_writes_periodic_lines_not_redraws(tmp_path):
    log, interval = tmp_path / "log", 0.01
    env = {**os.environ, progress.INTERVAL_ENV: str(interval)}
    start = time.monotonic()
    with open(log, "w", encoding="utf-8") as err:
        run = subprocess.run([sys.executable, "-m", "cli.textprep", "preprocess", str(corpus_path("war_and_peace")),
                              "-o", str(tmp_path / "tokens.txt"), "--workers", "1", "--progress"],
                             cwd=ROOT, stderr=err, env=env, timeout=300)
    wall = time.monotonic() - start
    assert run.returncode == 0
    text = log.read_text(encoding="utf-8")
    assert "\r" not in text
    lines = [line for line in text.splitlines() if line.startswith("preprocess:")]
    pattern = re.compile(r"preprocess: (\d+)/12370 doc \(\d+%\), [\d.]+k? doc/s, elapsed \d+:\d\d"
                         r"(, ETA \d+:\d\d|, done)$")
    assert all(pattern.match(line) for line in lines), lines
    # periodic: several lines, never more than one per interval (plus the closing one)
    assert 3 <= len(lines) <= wall / interval + 1, (len(lines), wall)
    counts = [int(pattern.match(line).group(1)) for line in lines]
    assert counts == sorted(counts) and counts[-1] == 12370 and lines[-1].endswith("done")
