"""``embeddings lm generate`` prints what it drew: lengths in printed words, a visible ``<unk>``,
BPE samples that read as words, and the main job's sampling defaults."""
from __future__ import annotations

import dataclasses

import pytest

from cli.embeddings import main
from corpora import corpus_path
from embeddings.job import RunConfig
from embeddings.lm import LMConfig, load_lm, train_lm
from embeddings.lm.config import BPE_PRETOKENIZERS
from embeddings.lm.generate import generate
from embeddings.lm.sampling import SAMPLING, SamplingConfig
from textprep.bpe.pretokenize import PRETOKENIZERS

pytestmark = pytest.mark.usefixtures("one_torch_thread")

PREFIX = "князь"


@pytest.fixture(scope="module")
def word_lm(tmp_path_factory):
    """A barely trained word model of War and Peace: it draws <unk> often and <eos> early."""
    tmp = tmp_path_factory.mktemp("word")
    lines = corpus_path("war_and_peace").read_text(encoding="utf-8").lower().splitlines()[:400]
    (tmp / "wp.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert main(["lm", "train", str(tmp / "wp.txt"), "--level", "word", "--word-tokenizer", "whitespace",
                 "--min-count", "3", "--hidden", "16", "--emb-dim", "16", "--layers", "1", "--bptt", "10",
                 "--epochs", "1", "--max-steps", "20", "--no-progress", "--device", "cpu", "-o", str(tmp / "lm")]) == 0
    return tmp / "lm"


def _printed(capsys, *args) -> list[list[str]]:
    """The words each printed sample adds to the prefix."""
    capsys.readouterr()
    assert main(["lm", "generate", *map(str, args)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert all(line.startswith(PREFIX) for line in lines)
    return [line.split()[len(PREFIX.split()):] for line in lines]


@pytest.mark.parametrize("min_length, max_length", [(15, 18), (30, 30)])
def test_min_length_counts_the_words_printed(word_lm, capsys, min_length, max_length):
    samples = _printed(capsys, word_lm, "--prefix", PREFIX, "--num", 8, "--temperature", 1.5,
                       "--min-length", min_length, "--max-length", max_length, "--allow-unk", "--top-p", 1)
    assert len(samples) == 8
    assert all(min_length <= len(s) <= max_length for s in samples), [len(s) for s in samples]


def test_unk_is_drawn_only_when_asked_and_then_printed(word_lm, capsys):
    hot = ("--prefix", PREFIX, "--num", 8, "--temperature", 3, "--top-p", 1, "--min-length", 20, "--max-length", 20)
    shown = _printed(capsys, word_lm, *hot, "--allow-unk")
    assert any("<unk>" in s for s in shown)
    assert all(len(s) == 20 for s in shown)            # the <unk> printed are counted, none went missing
    never = _printed(capsys, word_lm, *hot)
    assert not any("<unk>" in s for s in never) and all(len(s) == 20 for s in never)
    lm = load_lm(word_lm)
    assert not any(lm.tokenizer.unk_id in ids for ids in generate(lm, prefix=PREFIX, num=8, temperature=3.0,
                                                                  top_p=1.0).ids)


def test_the_command_samples_as_the_main_job_report_does(word_lm, capsys):
    job = RunConfig()
    assert (SAMPLING.temperature, SAMPLING.top_p, SAMPLING.allow_unk) == (job.temperature, job.top_p, False)
    assert SAMPLING.for_level("word").min_length == job.generate_min_length
    assert SAMPLING.for_level("word").max_length == job.generate_length
    # no flags: 10 to 30 words, no <unk>, as in the report
    samples = _printed(capsys, word_lm, "--prefix", PREFIX, "--num", 6)
    assert all(10 <= len(s) <= 30 and "<unk>" not in s for s in samples)


def test_lengths_default_per_level_and_clash_in_one_message():
    assert (SAMPLING.for_level("bpe").min_length, SAMPLING.for_level("bpe").max_length) == (10, 30)
    assert (SAMPLING.for_level("char").min_length, SAMPLING.for_level("char").max_length) == (0, 100)
    assert SamplingConfig(min_length=50).for_level("word").max_length == 50
    with pytest.raises(ValueError, match=r"min_length must be between 0 and max_length \(5\), got 6"):
        SamplingConfig(min_length=6, max_length=5)
    with pytest.raises(ValueError, match=r"top_p must be in \(0, 1\], got 1.5"):
        SamplingConfig(top_p=1.5)


def test_the_lm_offers_the_pre_tokenizers_of_textprep_bpe():
    assert set(BPE_PRETOKENIZERS) == set(PRETOKENIZERS)
    assert LMConfig().bpe_pretokenizer == "bytelevel"


def test_a_bpe_sample_decodes_to_words(tmp_path):
    """Four sentences of War and Peace, learnt by heart: the sample is their words, whole,
    though most of them take several tokens (a space-joined print would cut them up)."""
    lines = [line.strip() for line in corpus_path("war_and_peace").read_text(encoding="utf-8").splitlines()
             if len(line.split()) > 6][20:24]
    text = "\n".join(lines * 20) + "\n"
    (tmp_path / "c.txt").write_text(text, encoding="utf-8")
    cfg = LMConfig(level="bpe", bpe_vocab_size=330, layers=1, hidden=64, emb_dim=32, dropout=0.0,
                   optimizer="adam", lr=0.01, epochs=8, bptt=20, batch_size=8)
    train_lm(tmp_path / "c.txt", cfg, tmp_path / "lm", progress=False, device="cpu")
    assert (tmp_path / "lm" / "bpe" / "merges.txt").is_file()      # the model trained for it is kept
    lm = load_lm(tmp_path / "lm")
    bpe = lm.tokenizer.bpe
    assert bpe.pretokenizer == "bytelevel"

    known = set(text.split())
    gen = generate(lm, num=4, seed=0, temperature=0.3)
    printed = [w for t in gen.texts for w in t.split()]
    assert len(printed) >= 4 * 10                                  # the default min_length, in words
    assert sum(w in known for w in printed) >= 0.9 * len(printed)
    assert sum(len(bpe.encode(" " + w)) > 1 for w in printed) >= 0.5 * len(printed)
    # the same tokens, printed one by one with spaces between them, are not words
    pieces = [bpe.decode([i]).strip() for ids in gen.ids for i in ids]
    assert sum(p in known for p in pieces if p) < 0.5 * len(pieces)
    # and the printed text is the exact decoding of the drawn tokens
    assert gen.texts == [bpe.decode(ids) for ids in gen.ids]


def test_a_whitespace_bpe_model_is_used_with_a_warning(tmp_path, caplog):
    from textprep.bpe import BPETokenizer

    lines = corpus_path("war_and_peace").read_text(encoding="utf-8").splitlines()[:100]
    (tmp_path / "c.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    BPETokenizer.train([str(tmp_path / "c.txt")], vocab_size=300, pretokenizer="whitespace").save(tmp_path / "bpe")
    cfg = dataclasses.replace(LMConfig(level="bpe"), hidden=8, emb_dim=8, layers=1, epochs=1, max_steps=2)
    with caplog.at_level("WARNING"):
        train_lm(tmp_path / "c.txt", cfg, tmp_path / "lm", bpe_model=tmp_path / "bpe", progress=False, device="cpu")
    assert "whitespace-mode BPE model" in caplog.text
