"""The online update: each window's step in turn, as a compiled loop (embeddings.sgns_loop).

Hand-worked cases where a block's second window sees what its first one did (which the batched
sum does not), a property that the loop and the batched step agree wherever no row is touched
twice, and the trainer's use of it (the CPU default, one line where it cannot run).
"""
from __future__ import annotations

import math
import subprocess
import sys

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from embeddings.sgns import SGNSTables, cbow_flatten, cbow_step, skipgram_step
from embeddings.sgns_loop import cbow_step_online, skipgram_step_online
from embeddings.word2vec import DeviceSampler, Word2VecConfig
from embeddings.word2vec import blocks as w2v_blocks
from textprep.errors import InputError


def _s(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


def _tables(w_in, w_out) -> SGNSTables:
    t = SGNSTables(len(w_in), len(w_in[0]), torch.device("cpu"), torch.Generator())
    t.w_in.copy_(torch.tensor(w_in))
    t.w_out.copy_(torch.tensor(w_out))
    return t


def test_skipgram_online_second_window_sees_the_first_ones_step_by_hand():
    # input row 0 = (1, 0); output rows 1 (centre) and 2 (noise) start at zero; lr 0.5.
    # Two windows, each: context word 0, centre 1, noise word 2.
    t = _tables([[1.0, 0.0], [0.0, 0.0], [0.0, 0.0]], [[0.0, 0.0]] * 3)
    context, mask, targets = torch.tensor([[0], [0]]), torch.tensor([[True], [True]]), torch.tensor([[1, 2], [1, 2]])
    loss = skipgram_step_online(t, context, mask, targets, 0.5, with_loss=True)
    # window 1: both scores 0, sigmoid 1/2: g = +0.25 (centre), -0.25 (noise); the input row's
    # step uses the output rows before theirs (zero): u1 = (0.25, 0), u2 = (-0.25, 0), h unchanged
    # window 2: scores h.u1 = 0.25, h.u2 = -0.25: g = 0.5 (1 - s(0.25)) = a, and -a for the noise
    a = 0.5 * (1 - _s(0.25))
    want_out = [[0, 0], [0.25 + a, 0], [-0.25 - a, 0]]
    want_in = [[1 + a * 0.25 + a * 0.25, 0], [0, 0], [0, 0]]
    np.testing.assert_allclose(t.w_out.numpy(), want_out, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(t.w_in.numpy(), want_in, rtol=1e-6, atol=1e-7)
    # loss: 2 log 2 for window 1, then -log s(0.25) - log s(0.25) (the noise score is -0.25)
    assert loss == pytest.approx(2 * math.log(2) - 2 * math.log(_s(0.25)), rel=1e-6)
    # the batched sum takes both windows from the same tables: u1 = (0.5, 0), h unchanged
    s = _tables([[1.0, 0.0], [0.0, 0.0], [0.0, 0.0]], [[0.0, 0.0]] * 3)
    skipgram_step(s, context, mask, targets, 0.5, update="sum")
    np.testing.assert_allclose(s.w_out.numpy(), [[0, 0], [0.5, 0], [-0.5, 0]], atol=1e-7)


def test_cbow_online_averages_the_context_and_moves_every_context_row_by_hand():
    # context rows 0 = (1, 0) and 1 = (0, 1): h = (0.5, 0.5); centre 2, noise word 3; lr 1.
    t = _tables([[1.0, 0.0], [0.0, 1.0], [0.0, 0.0], [0.0, 0.0]], [[0.0, 0.0]] * 4)
    flat, n_ctx, targets = torch.tensor([0, 1, 0, 1]), torch.tensor([2, 2]), torch.tensor([[2, 3], [2, 3]])
    cbow_step_online(t, flat, torch.tensor([0, 0, 1, 1]), n_ctx, targets, 1.0)
    # window 1: scores 0, g = +0.5 / -0.5: u2 = 0.5 h = (0.25, 0.25), u3 = (-0.25, -0.25); e = 0
    # window 2: h.u2 = 0.25, h.u3 = -0.25: g = 1 - s(0.25) = a and -a; e = a u2 - a u3 = (a/2, a/2)
    a = 1 - _s(0.25)
    np.testing.assert_allclose(t.w_out.numpy(), [[0, 0], [0, 0], [0.25 + a / 2] * 2, [-0.25 - a / 2] * 2],
                               rtol=1e-6, atol=1e-7)
    # each context row takes the window's whole input step
    np.testing.assert_allclose(t.w_in.numpy(), [[1 + a / 2, a / 2], [a / 2, 1 + a / 2], [0, 0], [0, 0]],
                               rtol=1e-6, atol=1e-7)


def test_a_cbow_window_without_context_changes_nothing():
    t = _tables([[1.0, 0.0], [0.0, 1.0]], [[0.5, 0.5], [0.1, 0.2]])
    before = (t.w_in.clone(), t.w_out.clone())
    assert cbow_step_online(t, torch.tensor([], dtype=torch.int64), torch.tensor([], dtype=torch.int64),
                            torch.tensor([0]), torch.tensor([[0, 1]]), 1.0, with_loss=True) == 0.0
    assert torch.equal(t.w_in, before[0]) and torch.equal(t.w_out, before[1])


def _random_tables(vocab: int, dim: int, seed: int) -> tuple[SGNSTables, SGNSTables]:
    g = torch.Generator().manual_seed(seed)
    a = SGNSTables(vocab, dim, torch.device("cpu"), g)
    a.w_out.copy_(torch.rand(vocab, dim, generator=g) - 0.5)
    b = SGNSTables(vocab, dim, torch.device("cpu"), g)
    b.load_state_dict(a.state_dict())
    return a, b


@settings(max_examples=40, deadline=None)
@given(windows=st.integers(1, 12), slots=st.integers(1, 6), k=st.integers(1, 4), dim=st.integers(1, 9),
       seed=st.integers(0, 2**16))
def test_where_no_row_is_touched_twice_online_and_the_batched_sum_agree(windows, slots, k, dim, seed):
    # Distinct rows everywhere: no window sees another's step, so taking them in turn or from the
    # same stale tables is one arithmetic (for skip-gram, one real context word per window: the
    # loop's later context words of a window see its output rows moved by the earlier ones).
    rng = np.random.default_rng(seed)
    vocab = windows * (slots + 1 + k) + 1
    ids = torch.as_tensor(rng.permutation(vocab)[: windows * (slots + 1 + k)]).view(windows, -1)
    context, targets = ids[:, :slots].contiguous(), ids[:, slots:].contiguous()
    mask = torch.as_tensor(rng.random((windows, slots)) < 0.6)
    lr = float(rng.uniform(0.01, 1.0))

    online, batched = _random_tables(vocab, dim, seed)
    flat, rows, n_ctx = cbow_flatten(context, mask)
    got = cbow_step_online(online, flat, rows, n_ctx, targets, lr, with_loss=True)
    want = cbow_step(batched, context, mask, targets, lr, with_loss=True, update="sum")
    torch.testing.assert_close(online.w_in, batched.w_in, rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(online.w_out, batched.w_out, rtol=1e-5, atol=1e-6)
    assert got == pytest.approx(float(want), rel=1e-5, abs=1e-6)

    one = torch.zeros_like(mask)
    one[torch.arange(windows), torch.as_tensor(rng.integers(0, slots, windows))] = True
    online, batched = _random_tables(vocab, dim, seed + 1)
    got = skipgram_step_online(online, context, one, targets, lr, with_loss=True)
    want = skipgram_step(batched, context, one, targets, lr, with_loss=True, update="sum")
    torch.testing.assert_close(online.w_in, batched.w_in, rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(online.w_out, batched.w_out, rtol=1e-5, atol=1e-6)
    assert got == pytest.approx(float(want), rel=1e-5, abs=1e-6)


def test_the_loop_returns_no_loss_unless_asked():
    t = _tables([[1.0, 0.0], [0.0, 1.0]], [[0.5, 0.5], [0.1, 0.2]])
    assert skipgram_step_online(t, torch.tensor([[0]]), torch.tensor([[True]]), torch.tensor([[1, 0]]), 0.1) is None


def _sampler(sg: bool) -> DeviceSampler:
    return DeviceSampler(np.arange(1000, 0, -1), Word2VecConfig(sg=sg), torch.device("cpu"), torch.Generator())


@pytest.mark.parametrize("sg", [True, False])
def test_the_cpu_default_run_takes_the_online_loop(sg):
    run = w2v_blocks.BlockTrainer(Word2VecConfig(sg=sg), None, _sampler(sg), 512, total=1)
    assert run.update == "online"
    assert run.step is (skipgram_step_online if sg else cbow_step_online)
    # the GPU's arithmetic stays at hand on the CPU
    batched = w2v_blocks.BlockTrainer(Word2VecConfig(sg=sg, block_update="sum"), None, _sampler(sg), 512, total=1)
    assert batched.step is (w2v_blocks.skipgram_step if sg else w2v_blocks.cbow_step_flat)


def test_online_off_the_cpu_is_a_one_line_error():
    with pytest.raises(InputError, match=r"^block_update=online runs on the CPU only, not on meta: use auto, sum or "
                                         r"newton$"):
        w2v_blocks.step_for(True, "online", torch.device("meta"))


def test_numba_is_imported_only_when_a_run_takes_the_loop():
    code = ("import sys, embeddings, embeddings.word2vec, embeddings.sgns;"
            "print('numba' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["False"]
