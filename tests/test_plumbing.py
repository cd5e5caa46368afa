"""The shared plumbing: config fields that check themselves, device lookup, worker pools."""
from __future__ import annotations

import argparse
from dataclasses import dataclass

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from cli.common import add_config_args, config_from_args
from embeddings.device import check_device_name, resolve_device
from textprep.config import check_fields, option
from textprep.parallel import available_cpus, chunks, ordered_map, process_pool, resolve_workers


@dataclass(frozen=True)
class Demo:
    size: int = option(3, "a positive size", min=1)
    rate: float = option(0.5, "a fraction", min=0, lt=1)
    step: float | None = option(None, "optional, above zero", gt=0)
    mode: str = option("fast", "how", choices=("fast", "slow"))
    flag: bool = option(False, "a switch")

    def __post_init__(self):
        check_fields(self)


@pytest.mark.parametrize("kwargs, message", [
    (dict(size=0), "size must be a positive integer, got 0"),
    (dict(size=2.5), "size must be a positive integer, got 2.5"),
    (dict(size=True), "size must be a positive integer, got True"),
    (dict(rate=1.0), "rate must be in [0, 1), got 1.0"),
    (dict(rate=-0.1), "rate must be in [0, 1), got -0.1"),
    (dict(rate="x"), "rate must be a number, got 'x'"),
    (dict(step=0.0), "step must be > 0, got 0.0"),
    (dict(mode="medium"), "mode must be one of fast, slow, got 'medium'"),
    (dict(flag=1), "flag must be True or False, got 1"),
])
def test_a_bad_value_is_named_with_the_rule_it_breaks(kwargs, message):
    with pytest.raises(ValueError) as info:
        Demo(**kwargs)
    assert str(info.value) == message


def test_good_values_and_none_pass():
    assert Demo(size=1, rate=0.0, step=None, mode="slow", flag=True).size == 1
    assert Demo(rate=0.999, step=1e-9).step == 1e-9


def test_flags_come_from_the_same_fields_with_their_defaults_and_choices():
    parser = argparse.ArgumentParser()
    add_config_args(parser, Demo)
    assert config_from_args(Demo, parser.parse_args([])) == Demo()
    got = config_from_args(Demo, parser.parse_args(["--size", "7", "--mode", "slow", "--flag", "--step", "2"]))
    assert got == Demo(size=7, mode="slow", flag=True, step=2.0)
    with pytest.raises(SystemExit):  # argparse rejects a value outside the choices
        parser.parse_args(["--mode", "medium"])


@pytest.mark.parametrize("name", ["auto", "cpu", "cuda", "cuda:0", "cuda:12"])
def test_device_names_that_are_accepted(name):
    assert check_device_name(name) == name


@pytest.mark.parametrize("name", ["tpu", "gpu", "cuda:", "cuda:x", "CPU", "", None])
def test_device_names_that_are_refused(name):
    with pytest.raises(ValueError, match="device must be auto"):
        check_device_name(name)


def test_cuda_is_chosen_by_auto_only_when_present(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert resolve_device("auto") == torch.device("cpu")
    with pytest.raises(ValueError, match="'cuda:1' requested, but CUDA is not available"):
        resolve_device("cuda:1")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 1)
    assert resolve_device("auto") == torch.device("cuda")
    assert resolve_device("cuda:0") == torch.device("cuda:0")
    with pytest.raises(ValueError, match="has 1 CUDA device"):
        resolve_device("cuda:1")


@given(st.lists(st.integers(), max_size=50), st.integers(min_value=1, max_value=7))
def test_chunks_cut_a_sequence_into_consecutive_pieces(items, size):
    pieces = list(chunks(iter(items), size))
    assert [x for p in pieces for x in p] == items
    assert all(len(p) == size for p in pieces[:-1])
    assert all(1 <= len(p) <= size for p in pieces)


def test_workers_default_to_the_available_cpus():
    assert resolve_workers(0) == resolve_workers(None) == available_cpus() >= 1
    assert resolve_workers(3) == 3
    with pytest.raises(ValueError, match="workers must be an integer >= 0, got -1"):
        resolve_workers(-1)


def _square(x: int) -> int:
    return x * x


def test_ordered_map_keeps_input_order_and_reads_ahead_only_so_far():
    taken = []

    def items():
        for i in range(40):
            taken.append(i)
            yield i

    with process_pool(2) as pool:
        results = ordered_map(pool, _square, items(), max_pending=4)
        first = next(results)
        assert first == 0 and len(taken) <= 4  # the stream is not read ahead into memory
        assert [first, *results] == [i * i for i in range(40)]
