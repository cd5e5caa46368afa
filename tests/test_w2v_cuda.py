"""word2vec on a CUDA device: GPU-sized blocks, a cache streamed to the device and kept there,
checkpoints that load on the CPU.  Skipped, with the reason shown, where there is no GPU; the same
arithmetic runs on the CPU in test_w2v_train.py and test_w2v_cache.py."""
from __future__ import annotations

import re

import numpy as np
import pytest
import torch

from corpora import corpus_path
from embeddings.word2vec import Word2VecConfig, train_word2vec
from embeddings.word2vec.checkpoint import CHECKPOINT

pytestmark = [pytest.mark.gpu, pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")]

WORD = re.compile(r"[^\W\d_]+")
SPEECH = {"отвечал", "проговорил", "спросил", "продолжал", "повторил", "закричал", "прибавил", "крикнул",
          "говорил", "сказала"}


@pytest.fixture(scope="module")
def war_and_peace():
    docs = [WORD.findall(line.lower()) for line in open(corpus_path("war_and_peace"), encoding="utf-8")]
    return [d for d in docs if d]


@pytest.mark.parametrize("sg", [True, False])
def test_large_blocks_on_cuda_learn_neighbours_from_a_cache_kept_on_the_device(war_and_peace, tmp_path,
                                                                              w2v_chunk_reads, sg):
    read = w2v_chunk_reads
    # 8,192 centre words a block on a 3,000-word vocabulary, the update `auto` picks on a GPU
    config = Word2VecConfig(sg=sg, dim=50, epochs=10, min_count=5, device="cuda", batch_size=8192,
                            chunk_words=10_000)
    kv = train_word2vec(war_and_peace, config, progress=False, cache_dir=tmp_path / "c")
    assert np.isfinite(kv.vectors).all()
    assert len(read) >= 8 and max(read) <= 10_000
    assert len(read) < 2 * 8, "the chunks were read from disk again after the first epoch"
    assert len({w for w, _ in kv.most_similar("сказал", topn=10)} & SPEECH) >= 4


def test_a_cuda_run_stopped_after_an_epoch_resumes_and_its_checkpoint_loads_on_the_cpu(war_and_peace, tmp_path,
                                                                                     w2v_stop_at_checkpoint):
    config = Word2VecConfig(sg=True, dim=32, epochs=2, min_count=5, device="cuda")
    w2v_stop_at_checkpoint()
    with pytest.raises(KeyboardInterrupt):
        train_word2vec(war_and_peace[:4000], config, checkpoint_dir=tmp_path, progress=False)
    assert int(torch.load(tmp_path / CHECKPOINT, weights_only=True)["epochs_done"]) == 1
    w2v_stop_at_checkpoint(False)
    kv = train_word2vec(war_and_peace[:4000], config, checkpoint_dir=tmp_path, resume=True, progress=False)
    assert np.isfinite(kv.vectors).all()
    state = torch.load(tmp_path / CHECKPOINT, weights_only=True)      # no map_location: saved on the CPU
    assert int(state["epochs_done"]) == 2
    assert state["w_in"].device.type == "cpu" and state["w_out"].device.type == "cpu"
    np.testing.assert_array_equal(state["w_in"].numpy(), kv.vectors)
