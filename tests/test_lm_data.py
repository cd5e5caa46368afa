"""Token streams, BPTT windows and padded line batches."""
import numpy as np
import pytest
import torch
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from embeddings.lm.data import batchify, bptt_windows, line_batches, stream_ids
from embeddings.lm.tokenizers import VocabTokenizer


def test_batchify_cuts_the_stream_into_columns_and_drops_the_tail():
    data = batchify(np.arange(13), 3)
    assert data.tolist() == [[0, 4, 8], [1, 5, 9], [2, 6, 10], [3, 7, 11]]


def test_batchify_refuses_columns_of_fewer_than_two_tokens():
    with pytest.raises(ValueError, match="too few for batch_size=3"):
        batchify(np.arange(5), 3)


def test_windows_predict_the_next_token_and_cover_each_column_once():
    data = batchify(np.arange(12), 2)  # columns 0..5 and 6..11
    wins = list(bptt_windows(data, 2))
    assert [x[:, 0].tolist() for x, _ in wins] == [[0, 1], [2, 3], [4]]
    assert [y[:, 0].tolist() for _, y in wins] == [[1, 2], [3, 4], [5]]


@settings(max_examples=40, deadline=None)
@given(st.integers(4, 200), st.integers(1, 5), st.integers(1, 9))
def test_windows_targets_reassemble_each_column(n, bs, bptt):
    assume(n // bs >= 2)  # batchify refuses a column of fewer than two tokens
    data = batchify(np.arange(n), bs)
    targets = torch.cat([y for _, y in bptt_windows(data, bptt)])
    assert torch.equal(targets, data[1:])


def test_stream_puts_eos_after_each_line():
    assert stream_ids([[5, 6], [7]], eos_id=3).tolist() == [5, 6, 3, 7, 3]


def test_line_batches_pad_and_shift():
    (x, y), = line_batches([[5, 6], [7]], batch_size=2, bos_id=2, eos_id=3, pad_id=0)
    # <bos> 5 6 <eos> and <bos> 7 <eos> <pad>, time-major
    assert x.t().tolist() == [[2, 5, 6], [2, 7, 3]]
    assert y.t().tolist() == [[5, 6, 3], [7, 3, 0]]


@settings(max_examples=50, deadline=None)
@given(st.text(alphabet="абвгд efg", min_size=1, max_size=30))
def test_char_tokens_decode_back_to_the_text(text):
    tok = VocabTokenizer.fit("char", ["абвгд efg"])
    assert tok.decode(tok.encode(text)) == text


def test_whitespace_words_keep_the_corpus_unk_as_the_one_special():
    tok = VocabTokenizer.fit("word", ["the <unk> cat", "the dog"], word_tokenizer="whitespace")
    assert tok.encode("the <unk> bird") == [tok.vocab["the"], tok.unk_id, tok.unk_id]
    assert len(tok) == 4 + 3  # specials + the, cat, dog
