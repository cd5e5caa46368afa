"""Torch's thread defaults that let two trainings share a machine (embeddings.threads): OpenMP's idle
threads sleep instead of spinning, and torch never runs more threads than the CPUs it may use."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from embeddings import threads

ROOT = Path(__file__).resolve().parents[1]

#: records OMP_WAIT_POLICY at the moment torch is first imported, then imports what the commands import
WATCH = """
import importlib.abc, os, sys
seen = []
class Watch(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name == "torch" and not seen:
            seen.append(os.environ.get("OMP_WAIT_POLICY"))
        return None
sys.meta_path.insert(0, Watch())
from cli.embeddings import build_parser
build_parser()
import embeddings.word2vec.trainer, embeddings.lm.train, embeddings.job.run
print(seen[0] if seen else "torch never imported")
"""


def _policy_when_torch_loads(env: dict) -> str:
    proc = subprocess.run([sys.executable, "-c", WATCH], cwd=ROOT, env={**env, "PYTHONPATH": str(ROOT)},
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc.stdout.strip()


def test_openmp_threads_wait_passively_from_the_moment_torch_loads():
    env = {k: v for k, v in os.environ.items() if k != "OMP_WAIT_POLICY"}
    assert _policy_when_torch_loads(env) == "PASSIVE"


def test_a_wait_policy_the_user_chose_is_kept(monkeypatch):
    monkeypatch.setenv("OMP_WAIT_POLICY", "ACTIVE")
    threads.passive_openmp_waits()
    assert os.environ["OMP_WAIT_POLICY"] == "ACTIVE"
    monkeypatch.delenv("OMP_WAIT_POLICY")
    threads.passive_openmp_waits()
    assert os.environ["OMP_WAIT_POLICY"] == "PASSIVE"


@pytest.fixture
def two_threads():
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    yield
    torch.set_num_threads(before)


def test_torch_threads_are_lowered_to_the_usable_cpus_and_put_back(monkeypatch, two_threads):
    monkeypatch.setattr(threads, "usable_cpus", lambda: 1)
    with threads.fit_torch_threads() as n:
        assert n == 1 == torch.get_num_threads()
    assert torch.get_num_threads() == 2


def test_a_thread_count_set_lower_is_kept_and_an_explicit_one_wins(monkeypatch, two_threads):
    monkeypatch.setattr(threads, "usable_cpus", lambda: 8)
    with threads.fit_torch_threads() as n:      # never more threads than torch was given
        assert n == 2 == torch.get_num_threads()
    with threads.fit_torch_threads(1) as n:
        assert n == 1 == torch.get_num_threads()
    assert torch.get_num_threads() == 2


@pytest.mark.parametrize("text, cpus", [("150000 100000\n", 1.5), ("max 100000\n", None), ("200000 100000", 2.0),
                                        ("garbage", None)])
def test_a_cgroup_cpu_quota_is_read_in_cpus(tmp_path, text, cpus):
    path = tmp_path / "cpu.max"
    path.write_text(text)
    assert threads._cgroup_cpus(str(path)) == cpus
    assert threads._cgroup_cpus(str(tmp_path / "absent")) is None


def test_usable_cpus_rounds_a_fractional_quota_up_within_the_affinity_mask(monkeypatch):
    monkeypatch.setattr(threads, "available_cpus", lambda: 2)
    monkeypatch.setattr(threads, "_cgroup_cpus", lambda: 0.5)
    assert threads.usable_cpus() == 1
    monkeypatch.setattr(threads, "_cgroup_cpus", lambda: 6.0)
    assert threads.usable_cpus() == 2
