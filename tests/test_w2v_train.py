"""word2vec training: the SGD steps by hand, configuration errors, seeds, resume, real text."""
from __future__ import annotations

import os
import re

import numpy as np
import pytest
import torch

from corpora import corpus_path
from embeddings.device import resolve_device
from embeddings.sgns import SGNSTables, cbow_flatten, cbow_step, skipgram_step
from embeddings.word2vec import DeviceSampler, Word2VecConfig, default_batch_size, encode_corpus, train_word2vec
from embeddings.word2vec import blocks as w2v_blocks
from embeddings.word2vec import forked as w2v_forked

WORD = re.compile(r"[^\W\d_]+")


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def _tables(seed=0) -> SGNSTables:
    t = SGNSTables(4, 3, torch.device("cpu"), torch.Generator().manual_seed(seed))
    t.w_out.copy_(torch.rand(4, 3, generator=torch.Generator().manual_seed(seed + 1)) - 0.5)
    return t


def test_tables_start_uniform_in_half_over_dim_and_zero():
    t = SGNSTables(500, 20, torch.device("cpu"), torch.Generator().manual_seed(0))
    assert t.w_in.abs().max() <= 0.5 / 20
    assert t.w_in.abs().max() > 0.45 / 20
    assert (t.w_out == 0).all()


def test_skipgram_step_is_the_hand_written_sgd_update():
    t = _tables()
    w_in, w_out = t.w_in.numpy().copy(), t.w_out.numpy().copy()
    lr = 0.1
    # window of centre 0: one real context word (1) and one padded slot (2); noise word 3.
    loss = skipgram_step(t, torch.tensor([[1, 2]]), torch.tensor([[True, False]]), torch.tensor([[0, 3]]),
                         lr, with_loss=True)
    h = w_in[1]
    s_pos, s_neg = w_out[0] @ h, w_out[3] @ h
    g_pos, g_neg = lr * (1 - _sigmoid(s_pos)), lr * (0 - _sigmoid(s_neg))
    want_out = w_out.copy()
    want_out[0] += g_pos * h
    want_out[3] += g_neg * h
    want_in = w_in.copy()
    want_in[1] += g_pos * w_out[0] + g_neg * w_out[3]
    np.testing.assert_allclose(t.w_out.numpy(), want_out, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(t.w_in.numpy(), want_in, rtol=1e-5, atol=1e-7)    # padded slot untouched
    assert float(loss) == pytest.approx(-np.log(_sigmoid(s_pos)) - np.log(_sigmoid(-s_neg)), rel=1e-5)


def test_cbow_step_averages_context_and_gives_each_word_the_whole_step():
    t = _tables(3)
    w_in, w_out = t.w_in.numpy().copy(), t.w_out.numpy().copy()
    lr = 0.05
    cbow_step(t, torch.tensor([[1, 2]]), torch.tensor([[True, True]]), torch.tensor([[0, 3]]), lr)
    h = (w_in[1] + w_in[2]) / 2
    g_pos, g_neg = lr * (1 - _sigmoid(w_out[0] @ h)), lr * (0 - _sigmoid(w_out[3] @ h))
    step = g_pos * w_out[0] + g_neg * w_out[3]
    want_in = w_in.copy()
    want_in[1] += step
    want_in[2] += step
    want_out = w_out.copy()
    want_out[0] += g_pos * h
    want_out[3] += g_neg * h
    np.testing.assert_allclose(t.w_in.numpy(), want_in, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(t.w_out.numpy(), want_out, rtol=1e-5, atol=1e-7)


def test_cbow_window_without_context_changes_nothing():
    t = _tables(5)
    before_in, before_out = t.w_in.clone(), t.w_out.clone()
    cbow_step(t, torch.tensor([[1, 2]]), torch.tensor([[False, False]]), torch.tensor([[0, 3]]), 0.05)
    assert torch.equal(t.w_in, before_in) and torch.equal(t.w_out, before_out)


def test_default_block_is_a_tenth_of_the_vocabulary_within_bounds_and_half_for_cbow():
    cpu, gpu = torch.device("cpu"), torch.device("cuda")
    assert default_batch_size(5_000, cpu) == 500
    assert default_batch_size(1_000, cpu) == 256
    assert default_batch_size(100_000, cpu) == 1024
    assert default_batch_size(30_000, gpu) == 3_000
    assert default_batch_size(100_000, gpu) == 10_000
    assert default_batch_size(1_000_000, gpu) == 16_384            # the block shown to keep quality
    assert default_batch_size(1_000_000, gpu, sg=False) == 8_192
    assert default_batch_size(30_000, gpu, sg=False) == 1_500
    assert default_batch_size(5_000, cpu, sg=False) == 250
    assert default_batch_size(100_000, cpu, sg=False) == 512


@pytest.mark.parametrize("sg", [True, False])
@pytest.mark.parametrize("n, block", [(37, 8), (32, 8), (5, 8), (9, 1)])
def test_windows_drawn_ahead_split_into_the_same_blocks(sg, n, block):
    # Windows are drawn for many blocks at once; each block's step must see exactly the
    # windows it would have drawn alone (for CBOW: the flattened context of those rows).
    cfg = Word2VecConfig(sg=sg, window=3, negative=2)
    gen = torch.Generator().manual_seed(0)
    counts = np.arange(20, 0, -1)
    sampler = DeviceSampler(counts, cfg, torch.device("cpu"), gen)
    ids = torch.randint(0, 20, (n,), generator=gen)
    docs = torch.tensor([i // 11 for i in range(n)])
    centres, context, mask = sampler.windows(ids, docs, 0, n)
    targets = torch.cat([centres.unsqueeze(1), sampler.negatives(centres)], dim=1)
    run = w2v_blocks.BlockTrainer(cfg, None, sampler, block, total=1)
    got = list(run._blocks(context, mask, targets, block))
    starts = list(range(0, n, block))
    assert [size for _, size, _ in got] == [min(block, n - s) for s in starts]
    for (args, size, examples), s in zip(got, starts):
        e = s + size
        if sg:
            want = (context[s:e], mask[s:e], targets[s:e])
            assert int(examples()) == int(mask[s:e].sum())
        else:
            want = (*cbow_flatten(context[s:e], mask[s:e]), targets[s:e])
            assert int(examples()) == int(mask[s:e].any(1).sum())
        assert len(args) == len(want)
        for a, w in zip(args, want):
            assert torch.equal(a, w)


def test_span_groups_by_hand():
    # window 2: offsets -2, -1, 1, 2 in columns 0..3; a span 1 fills columns 1..2, a span 2 all four
    groups = list(w2v_blocks.span_groups(torch.tensor([2, 1, 2, 1, 1]), 2))
    assert [(rows.tolist(), cols.tolist()) for rows, cols in groups] == [([1, 3, 4], [1, 2]),
                                                                         ([0, 2], [0, 1, 2, 3])]
    # a span nobody drew gives no group
    assert [cols.tolist() for _, cols in w2v_blocks.span_groups(torch.tensor([3, 3]), 3)] == [[0, 1, 2, 3, 4, 5]]


@pytest.mark.parametrize("n, block", [(200, 16), (7, 64)])
def test_skipgram_blocks_of_one_span_train_the_same_pairs_without_padding(n, block):
    # Sum-update skip-gram blocks hold windows of one span: every (context, centre, noise words)
    # pair of the padded blocks is trained once, and no slot outside the span is kept.
    cfg = Word2VecConfig(sg=True, window=3, negative=2, block_update="sum")
    gen = torch.Generator().manual_seed(1)
    sampler = DeviceSampler(np.arange(1000, 0, -1), cfg, torch.device("cpu"), gen)
    ids = torch.randint(0, 30, (n,), generator=gen)
    docs = torch.tensor([i // 13 for i in range(n)])
    spans = sampler.spans(n, gen)
    centres, context, mask = sampler.windows(ids, docs, 0, n, spans=spans)
    targets = torch.cat([centres.unsqueeze(1), sampler.negatives(centres, gen)], dim=1)
    run = w2v_blocks.BlockTrainer(cfg, None, sampler, block, total=1)
    assert run.by_span

    def pairs(blocks):
        return sorted((int(c), tuple(t.tolist())) for (ctx, msk, tgt), _, _ in blocks
                      for row_c, row_m, t in zip(ctx, msk, tgt) for c in row_c[row_m])

    grouped = list(run._blocks(context, mask, targets, block, spans))
    assert pairs(grouped) == pairs(run._blocks(context, mask, targets, block))
    assert sum(size for _, size, _ in grouped) == n
    for (ctx, msk, tgt), size, examples in grouped:
        assert ctx.shape[0] == msk.shape[0] == tgt.shape[0] == size <= block
        span = ctx.shape[1] // 2
        assert ctx.shape[1] == 2 * span and int(examples()) == int(msk.sum())
        centre_rows = [int(torch.nonzero((targets == t).all(1))[0]) for t in tgt]
        assert {int(spans[r]) for r in centre_rows} == {span}      # one span per block
    # CBOW, the newton update and the online loop (which skips padded slots anyway) keep blocks of
    # consecutive windows
    for other in (dict(sg=False, block_update="sum"), dict(block_update="newton"), dict(block_update="online")):
        assert not w2v_blocks.BlockTrainer(Word2VecConfig(**other), None, sampler, block, total=1).by_span


@pytest.mark.parametrize("field, value", [("dim", 0), ("window", -1), ("negative", 0), ("epochs", 0),
                                          ("min_count", 0), ("sample", 1.5), ("lr", 0.0), ("device", "tpu"),
                                          ("workers", -1), ("batch_size", 0)])
def test_bad_config_values_are_named(field, value):
    with pytest.raises(ValueError, match=field):
        Word2VecConfig(**{field: value})


def test_cuda_without_a_gpu_is_a_clear_error(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(ValueError, match="CUDA is not available"):
        train_word2vec([["a", "b"]] * 5, Word2VecConfig(device="cuda", min_count=1))
    assert resolve_device("auto").type == "cpu"


def test_no_word_reaching_min_count_is_an_error():
    with pytest.raises(ValueError, match="min_count=3"):
        train_word2vec([["a", "b"], ["c"]], Word2VecConfig(min_count=3))


def test_encode_corpus_orders_by_frequency_and_drops_rare_words():
    enc = encode_corpus([["b", "a", "x", "a"], ["b", "a"]], min_count=2)
    assert enc.vocab.id_to_token == ["a", "b"]
    assert enc.ids.tolist() == [1, 0, 0, 1, 0]
    assert enc.docs.tolist() == [0, 0, 0, 1, 1]
    assert enc.counts.tolist() == [3, 2]
    assert enc.n_tokens == 6


def test_a_string_is_not_a_corpus():
    with pytest.raises(TypeError):
        train_word2vec("some text", Word2VecConfig())


def _small_corpus():
    docs = [WORD.findall(line.lower()) for line in open(corpus_path("war_and_peace"), encoding="utf-8")]
    return [d for d in docs if d][:1500]


SMALL = Word2VecConfig(dim=16, epochs=2, min_count=3, threads=1, workers=1)


def test_same_seed_same_vectors_other_seed_other_vectors():
    docs = _small_corpus()
    a = train_word2vec(docs, SMALL, progress=False)
    b = train_word2vec(docs, SMALL, progress=False)
    c = train_word2vec(docs, Word2VecConfig(**{**SMALL.to_dict(), "seed": 1}), progress=False)
    assert a.index_to_key == b.index_to_key
    assert np.array_equal(a.vectors, b.vectors)
    assert not np.allclose(a.vectors, c.vectors)


@pytest.mark.parametrize("sg", [True, False])
def test_resume_after_an_interrupted_epoch_gives_the_uninterrupted_result(tmp_path, w2v_stop_at_checkpoint, sg):
    docs = _small_corpus()
    config = Word2VecConfig(**{**SMALL.to_dict(), "sg": sg})
    full = train_word2vec(docs, config, checkpoint_dir=tmp_path / "full", progress=False)

    w2v_stop_at_checkpoint()
    with pytest.raises(KeyboardInterrupt):
        train_word2vec(docs, config, checkpoint_dir=tmp_path / "cut", progress=False)
    w2v_stop_at_checkpoint(False)
    resumed = train_word2vec(docs, config, checkpoint_dir=tmp_path / "cut", resume=True, progress=False)
    np.testing.assert_allclose(resumed.vectors, full.vectors, atol=1e-6)


def test_resume_with_other_settings_names_the_setting(tmp_path):
    docs = _small_corpus()
    train_word2vec(docs, SMALL, checkpoint_dir=tmp_path, progress=False)
    with pytest.raises(ValueError, match="dim=16"):
        train_word2vec(docs, Word2VecConfig(**{**SMALL.to_dict(), "dim": 8}), checkpoint_dir=tmp_path,
                       resume=True, progress=False)


@pytest.fixture(scope="module")
def war_and_peace_vectors():
    docs = [WORD.findall(line.lower()) for line in open(corpus_path("war_and_peace"), encoding="utf-8")]
    config = Word2VecConfig(sg=True, dim=50, epochs=10, min_count=5, threads=1, workers=1)
    return train_word2vec([d for d in docs if d], config, progress=False)


def test_war_and_peace_speech_verbs_are_neighbours(war_and_peace_vectors):
    kv = war_and_peace_vectors
    speech = {"отвечал", "проговорил", "спросил", "продолжал", "повторил", "закричал", "прибавил",
              "крикнул", "говорил", "сказала"}
    top = {w for w, _ in kv.most_similar("сказал", topn=10)}
    assert len(top & speech) >= 4, top


def test_war_and_peace_women_near_women(war_and_peace_vectors):
    kv = war_and_peace_vectors
    women = {"графиня", "княгиня", "княжна", "наташа", "соня", "вера", "марья", "она", "анна"}
    assert len({w for w, _ in kv.most_similar("княжна", topn=10)} & women) >= 2
    assert len({w for w, _ in kv.most_similar("она", topn=10)} & women) >= 2


def test_war_and_peace_related_words_rank_near_the_top(war_and_peace_vectors):
    # Raw cosines on a small corpus are all high (the vectors share a common direction), so
    # compare ranks: a related word should sit far above where a random word would (the middle).
    kv = war_and_peace_vectors
    related = [("князь", "граф"), ("княжна", "княгиня"), ("сказал", "проговорил"), ("глаза", "лицо"),
               ("графиня", "княгиня"), ("пьер", "ростов"), ("мать", "дочь"), ("офицеры", "солдаты"),
               ("отвечал", "спросил")]
    ranks = []
    for a, b in related:
        sims = kv.unit_vectors @ kv.unit_vectors[kv.key_to_index[a]]
        ranks.append(int((sims > sims[kv.key_to_index[b]]).sum()) - 1)   # words closer than b, a itself excluded
    assert np.median(ranks) < 0.02 * len(kv), ranks
    assert max(ranks) < 0.1 * len(kv), ranks


def test_hogwild_workers_learn_the_same_kind_of_neighbours():
    docs = [WORD.findall(line.lower()) for line in open(corpus_path("war_and_peace"), encoding="utf-8")]
    config = Word2VecConfig(sg=False, dim=50, epochs=10, min_count=5, workers=2)
    kv = train_word2vec([d for d in docs if d], config, progress=False)
    speech = {"отвечал", "проговорил", "спросил", "продолжал", "повторил", "закричал", "прибавил",
              "крикнул", "говорил", "сказала"}
    assert len({w for w, _ in kv.most_similar("сказал", topn=10)} & speech) >= 4


def test_hogwild_threads_restore_the_interpreter_switch_interval(monkeypatch):
    import sys

    monkeypatch.setattr(w2v_forked, "available", lambda: False)   # threads, as where fork is missing
    before = sys.getswitchinterval()
    docs = [["a", "b", "c", "d"] * 50, ["b", "c", "a", "d"] * 50] * 20
    train_word2vec(docs, Word2VecConfig(dim=8, epochs=1, min_count=1, workers=2, batch_size=64), progress=False)
    assert sys.getswitchinterval() == before


@pytest.mark.parametrize("sg", [True, False])
@pytest.mark.parametrize("workers, threads, want, processes", [(1, 0, 1, True), (2, 0, 1, True), (2, 0, 1, False),
                                                                (1, 2, 2, True)])
def test_each_worker_runs_its_steps_on_one_torch_thread_unless_told(monkeypatch, tmp_path, sg, workers, threads, want,
                                                                    processes):
    # a block's operations are too short to share between sleeping OpenMP threads (CBOW ran at half
    # the speed on two threads as on one): one thread per worker, unless threads= says otherwise
    monkeypatch.setattr(w2v_forked, "available", lambda: processes)
    seen = tmp_path / "threads"          # appended to by forked workers too
    step_for = w2v_blocks.step_for

    def spied(*how):
        step = step_for(*how)

        def spy(*args, **kwargs):
            with open(seen, "a") as f:
                f.write(f"{os.getpid()} {torch.get_num_threads()}\n")
            return step(*args, **kwargs)
        return spy
    monkeypatch.setattr(w2v_blocks, "step_for", spied)
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        docs = [["a", "b", "c", "d"] * 50, ["b", "c", "a", "d"] * 50] * 20
        train_word2vec(docs, Word2VecConfig(sg=sg, dim=8, epochs=1, min_count=1, workers=workers, threads=threads,
                                            batch_size=64), progress=False)
        assert torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(before)
    records = [line.split() for line in seen.read_text().splitlines()]
    assert {int(n) for _, n in records} == {want}
    # worker processes step in processes of their own, worker threads and a single worker in this one
    pids = {int(pid) for pid, _ in records}
    assert (os.getpid() not in pids and len(pids) == workers) if workers > 1 and processes else pids == {os.getpid()}


def test_sequential_block_update_by_hand():
    from embeddings.sgns import apply_sequential, sequential_factor

    # row 0 gets two updates along (1, 0), each of curvature 2; row 1 one update of curvature 5
    table = torch.zeros(3, 2)
    index = torch.tensor([0, 0, 1])
    grads = torch.tensor([[1.0, 0.0], [1.0, 0.0], [0.0, 2.0]])
    apply_sequential(table, index, grads, torch.ones(3), torch.tensor([2.0, 2.0, 5.0]), 0.1)
    # row 0: n = 2 updates, curvature 4 -> a = 0.1 * 4 / 2 = 0.2 per update; two sequential
    # steps cover (1 - 0.8^2) / 0.2 = 1.8 gradients where the stale sum covers 2
    torch.testing.assert_close(table, torch.tensor([[1.8, 0.0], [0.0, 2.0], [0.0, 0.0]]))
    # many updates with a large contraction approach one Newton step, 1 / (n a) of the sum
    f = sequential_factor(torch.tensor([1000.0, 1.0]), torch.tensor([0.4, 0.9]))
    torch.testing.assert_close(f, torch.tensor([1 / 400, 1.0]))


def test_newton_block_update_by_hand():
    from embeddings.sgns import RowPairs, apply_newton

    # Centre-word pairs at score 0 (sigmoid 1/2, sigmoid' 1/4), lr 0.2, so each step is
    # 0.2 * (1 - 1/2) x = x / 10 for the other side x.  Row 0 gets two steps (1, 0) from x = (10, 0);
    # row 1 one step (0, 0.1) from x = (0, 1).
    table = torch.zeros(3, 2)
    index = torch.tensor([0, 0, 1])
    grads = torch.tensor([[1.0, 0.0], [1.0, 0.0], [0.0, 0.1]])
    other = torch.tensor([[10.0, 0.0], [10.0, 0.0], [0.0, 1.0]])
    pairs = RowPairs(torch.zeros(3, 1), torch.ones(()), torch.ones(()), 1)
    apply_newton(table, index, grads, 0.2, lambda G: (other * G).sum(1, keepdim=True), pairs)
    # row 0: G = (2, 0), |G|^2 / lr = 20, G^T H G = 2 * 1/4 * 20^2 = 200: the quadratic model of
    # the loss along G is lowest at t = 20 / 200 = 0.1 (scores 2).  The true loss -2 log s(20 t)
    # still falls there, so that guess stands, and the row takes half of it: 0.05 G = (0.1, 0).
    # row 1: G = (0, 0.1), |G|^2 / lr = 0.05, G^T H G = 1/4 * 0.1^2: lowest at t = 20, the whole step
    torch.testing.assert_close(table, torch.tensor([[0.1, 0.0], [0.0, 0.1], [0.0, 0.0]]))


def test_newton_block_update_stops_where_a_saturated_rows_loss_turns():
    from embeddings.sgns import RowPairs, apply_newton

    # An output row at u = (6, 0) with two pairs, both with the other side x = (1, 0): the centre
    # word's pair and a noise word's, both at score 6, where sigmoid(6) = 0.9975 and sigmoid' is
    # 0.0025.  With lr 10 the summed step is G = 10 (1 - 2 sigmoid(6)) x = (-9.95, 0).  Its loss
    # along G, -log s(6 - 9.95 t) - log s(9.95 t - 6), is lowest at score 0, t = 0.603.  The
    # quadratic model at the stale point sees almost no curvature there and puts the minimum at
    # t = 20: it would take the whole step, to score -3.95, past the turn.  The search on the true
    # loss finds t close to 0.603, and the row takes half of it: the score lands near 3.
    table = torch.tensor([[6.0, 0.0]])
    x = torch.tensor([1.0, 0.0])
    g = 10.0 * (torch.tensor([1.0, 0.0]) - torch.sigmoid(torch.tensor([6.0, 6.0])))
    grads = g.unsqueeze(1) * x
    pairs = RowPairs(torch.full((2, 1), 6.0), torch.tensor([[1.0], [0.0]]), torch.ones(()), 1)
    apply_newton(table, torch.tensor([0, 0]), grads, 10.0, lambda G: (G @ x).unsqueeze(1), pairs)
    score = float(table[0] @ x)
    assert 2.8 < score < 3.1
    assert table[0, 1] == 0.0


@pytest.mark.parametrize("update", ["newton", "sequential"])
@pytest.mark.parametrize("step", [skipgram_step, cbow_step])
def test_large_block_updates_change_nothing_when_every_row_is_updated_once(step, update):
    # one window with one real context word and distinct targets: no row is updated twice
    args = (torch.tensor([[1, 2]]), torch.tensor([[True, False]]), torch.tensor([[0, 3]]), 0.05)
    plain, other = _tables(), _tables()
    step(plain, *args)
    step(other, *args, update=update)
    assert torch.equal(plain.w_in, other.w_in) and torch.equal(plain.w_out, other.w_out)


@pytest.mark.parametrize("update", ["newton", "sequential"])
@pytest.mark.parametrize("step", [skipgram_step, cbow_step])
def test_large_block_updates_shrink_only_rows_pulled_the_same_way_several_times(step, update):
    # two windows share output row 0 (their centre); rows 2 and 3 are each one window's noise word.
    # Output rows at zero (sigmoid' = 1/4) and |x|^2 = 2.64 for the context row x: lr sigmoid' |x|^2
    # = 0.33, so one step stays within half of the row's minimum and two steps pass it
    context = torch.tensor([[1, 1], [1, 1]])
    mask = torch.tensor([[True, False], [True, False]])
    targets = torch.tensor([[0, 2], [0, 3]])
    plain, other, before = _tables(), _tables(), _tables()
    for t in (plain, other, before):
        t.w_in[1] = torch.tensor([1.0, 1.0, 0.8])
        t.w_out.zero_()
    step(plain, context, mask, targets, 0.5)
    step(other, context, mask, targets, 0.5, update=update)
    moved = lambda t, r: float((t.w_out[r] - before.w_out[r]).norm())   # noqa: E731
    assert moved(other, 0) < moved(plain, 0)                          # row 0: two stale updates, cut short
    for r in (2, 3):                                                   # updated once: unchanged step
        torch.testing.assert_close(other.w_out[r], plain.w_out[r])


def test_cbow_newton_counts_a_windows_context_rows_as_moving_together():
    # One CBOW window, four context rows at zero, centre output row u = (2, 0), noise row 0, lr 4.
    # h = 0, both scores 0, sigmoid' = 1/4.  Every context row gets the window's step
    # lr (1 - 1/2) u = (4, 0), so all four move together and the mean h moves by the same (4, 0).
    # The window's loss along that step, per unit t of it: -0.5 * (2 * 4) t + 1/2 * 1/4 * (2 * 4 t)^2,
    # lowest at t = 1/4 (the score at 2).  Plain sums: score 8, four times past it.  Newton: half
    # of the way, t = 1/8, each row (0.5, 0), the score at 1.  (Had a row counted only its own
    # share d/4 of the mean, the cut would have seen no overshoot and kept the whole step.)
    context, mask, targets = torch.tensor([[1, 2, 3, 4]]), torch.ones(1, 4, dtype=torch.bool), torch.tensor([[0, 5]])
    moved = {}
    for update in ("sum", "newton"):
        t = SGNSTables(6, 2, torch.device("cpu"), torch.Generator().manual_seed(0))
        t.w_in.zero_()
        t.w_out.zero_()
        t.w_out[0] = torch.tensor([2.0, 0.0])
        cbow_step(t, context, mask, targets, 4.0, update=update)
        moved[update] = t.w_in[1:5]
    torch.testing.assert_close(moved["sum"], torch.tensor([[4.0, 0.0]] * 4))
    torch.testing.assert_close(moved["newton"], torch.tensor([[0.5, 0.0]] * 4))


@pytest.mark.parametrize("update", ["newton", "sequential"])
def test_a_large_block_on_a_small_vocabulary_trains_with_the_large_block_updates(update):
    docs = [WORD.findall(line.lower()) for line in open(corpus_path("war_and_peace"), encoding="utf-8")]
    docs = [d for d in docs if d]
    # 8,192 centre words a step on a 3,000-word vocabulary: the hottest rows get hundreds of updates
    config = Word2VecConfig(sg=True, dim=50, epochs=10, min_count=5, threads=1, workers=1, batch_size=8192,
                            block_update=update)
    kv = train_word2vec(docs, config, progress=False)
    assert np.isfinite(kv.vectors).all()
    speech = {"отвечал", "проговорил", "спросил", "продолжал", "повторил", "закричал", "прибавил",
              "крикнул", "говорил", "сказала"}
    assert len({w for w, _ in kv.most_similar("сказал", topn=10)} & speech) >= 4


def test_auto_update_is_online_on_the_cpu_plain_sums_for_small_gpu_blocks_and_newton_beyond():
    auto = Word2VecConfig()
    # the CPU default block, on any vocabulary: each window in turn
    for vocab in (8, 2_000, 100_000):
        assert auto.update_for(default_batch_size(vocab, "cpu"), vocab, "cpu") == "online"
    # the GPU default on en_corpus
    assert auto.update_for(default_batch_size(40_242, "cuda"), 40_242, "cuda") == "newton"
    for device in ("cuda", torch.device("cuda")):
        assert auto.update_for(1024, None, device) == "sum" and auto.update_for(1025, None, device) == "newton"
    # the GPU's arithmetic run on the CPU: large blocks keep newton there too
    assert auto.update_for(1025, None, "cpu") == "newton" and auto.update_for(65_536) == "newton"
    assert Word2VecConfig(block_update="sum").update_for(65_536) == "sum"
    assert Word2VecConfig(block_update="sequential").update_for(1) == "sequential"
    assert Word2VecConfig(block_update="online").update_for(65_536, None, "cuda") == "online"
    # blocks larger than a tenth of the vocabulary: every word is updated many times a block
    assert auto.update_for(256, 3_000, "cuda") == "sum" and auto.update_for(256, 2_000, "cuda") == "newton"
    assert auto.update_for(256, 8, "cuda") == "newton"


def test_newton_blocks_above_4096_words_start_from_a_larger_learning_rate():
    from embeddings.word2vec.config import newton_lr_scale

    # 1 up to 4,096, sqrt(block / 4096) up to 8,192 (sqrt 2), then sqrt(16384 / block) down to 1 at
    # 16,384, then sqrt(block / 16384) up to 2 at 65,536 and 2 beyond; newton only
    assert newton_lr_scale(1024, "newton") == 1.0 and newton_lr_scale(4096, "newton") == 1.0
    assert newton_lr_scale(8192, "newton") == pytest.approx(2 ** 0.5)
    assert newton_lr_scale(6144, "newton") == pytest.approx(1.5 ** 0.5)
    assert newton_lr_scale(12_288, "newton") == pytest.approx((4 / 3) ** 0.5)
    assert newton_lr_scale(16_384, "newton") == 1.0
    assert newton_lr_scale(32_768, "newton") == pytest.approx(2 ** 0.5)
    assert newton_lr_scale(65_536, "newton") == 2.0 and newton_lr_scale(1 << 20, "newton") == 2.0
    assert newton_lr_scale(8192, "sum") == 1.0 and newton_lr_scale(8192, "sequential") == 1.0
    sg, cbow = Word2VecConfig(), Word2VecConfig(sg=False)
    assert sg.block_lr(1024) == 0.025 and sg.block_lr(16_384) == 0.025    # twice it diverged there on a GPU
    assert sg.block_lr(65_536) == 0.05
    assert cbow.block_lr(16_384) == 0.05 and cbow.block_lr(8192) == 0.05      # CBOW keeps its rate
    assert Word2VecConfig(lr=0.01).block_lr(8192) == pytest.approx(0.01 * 2 ** 0.5)
    assert Word2VecConfig(block_update="sum").block_lr(8192) == 0.025
    assert sg.block_lr(256, 8, "cuda") == 0.025          # newton on a tiny vocabulary, small block: no scale


def test_the_block_loop_starts_from_the_scaled_rate(monkeypatch):
    seen = []
    real = w2v_blocks.BlockTrainer.__init__

    def spy(self, *args, **kwargs):
        real(self, *args, **kwargs)
        seen.append((self.batch, self.update, self.start_lr, self.floor))

    monkeypatch.setattr(w2v_blocks.BlockTrainer, "__init__", spy)
    docs = [line.split() for line in corpus_path("war_and_peace").read_text(encoding="utf-8").splitlines()[:300]]
    train_word2vec(docs, Word2VecConfig(epochs=1, min_count=1, workers=1, batch_size=8192), progress=False)
    assert seen == [(8192, "newton", pytest.approx(0.025 * 2 ** 0.5), pytest.approx(0.025 * 2 ** 0.5 * 1e-4))]


def test_a_tiny_vocabulary_in_one_long_line_trains_with_the_default_settings():
    # caught by the fuzzer: a 50 MB line repeating 8 words diverged (loss nan) with the default
    # 256-word blocks and plain sums; every row was updated hundreds of times per block
    words = "the cat sat on a mat with hat".split()
    rng = np.random.default_rng(0)
    docs = [[words[i] for i in rng.integers(0, 8, 600_000)]]
    with pytest.raises(ValueError, match="diverged"):       # what the plain sums did
        train_word2vec(docs, Word2VecConfig(epochs=1, min_count=1, workers=1, block_update="sum"), progress=False)
    kv = train_word2vec(docs, Word2VecConfig(epochs=1, min_count=1, workers=1), progress=False)
    assert len(kv.index_to_key) == 8 and np.isfinite(kv.vectors).all()



def _eight_words(n: int) -> list[list[str]]:
    words = "the cat sat on a mat with hat".split()
    return [[words[i] for i in np.random.default_rng(0).integers(0, 8, n)]]


#: plain sums of 4,096-word blocks over 8 words, nothing subsampled: each row gets ~3,000 stale steps a block
OVERFLOWING = dict(epochs=1, min_count=1, workers=1, block_update="sum", batch_size=4096, sample=0)


def test_a_run_of_few_large_blocks_that_diverges_stops_with_the_error():
    # The loss used to be looked at every 200 blocks: a run of 73 blocks that overflowed after its
    # first block returned vectors full of NaN.  Now it is looked at every LOSS_EVERY_WORDS centre words.
    from embeddings.word2vec import blocks

    assert blocks.LOSS_EVERY_WORDS // 4096 < 73
    with pytest.raises(ValueError, match=r"diverged \(loss nan\)"):
        train_word2vec(_eight_words(300_000), Word2VecConfig(**OVERFLOWING), progress=False)


def test_a_table_that_is_no_longer_finite_is_caught_at_the_end_of_the_epoch():
    # 24 blocks, the loss looked at only before the first: the check of the tables stops the run
    with pytest.raises(ValueError, match="diverged .w_in has values that are not finite"):
        train_word2vec(_eight_words(100_000), Word2VecConfig(**OVERFLOWING), progress=False)
