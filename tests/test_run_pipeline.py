"""``embeddings pipeline``: every stage on a small real corpus, resuming, kill -9, errors."""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from cli.embeddings import main
from corpora import corpus_path
from embeddings.job import RunConfig

ROOT = Path(__file__).resolve().parents[1]

#: small models, so that a whole run takes seconds
SMALL = ["--w2v-dim", "16", "--w2v-epochs", "3", "--bpe-vocab-size", "300", "--lm-hidden", "24",
         "--lm-layers", "1", "--lm-epochs", "3", "--workers", "1", "--device", "cpu"]

#: what two runs with the same settings must write byte for byte
ARTEFACTS = ["text/train.txt", "text/valid.txt", "text/documents.txt", "text/titles.json", "tfidf/matrix.npz",
             "tfidf/top_terms.json", "bpe/vocab.json", "bpe/merges.txt", "vectors.txt", "queries/queries.json",
             "lm/vocab.json", "lm/model.safetensors", "ngram/ngram.json", "generated.txt"]


def _env() -> dict:
    # one torch thread: the same arithmetic in every run, and no fight over a shared machine
    return {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "PYTHONPATH": str(ROOT)}


def _command(corpus: Path, run_dir: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "cli.embeddings", "pipeline", str(corpus), "-o", str(run_dir), *SMALL, *extra]


def _run(corpus: Path, run_dir: Path, *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run(_command(corpus, run_dir, *extra), env=_env(), cwd=ROOT, capture_output=True,
                          text=True, timeout=600)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    """The opening chapters of War and Peace (about 1,400 sentences)."""
    lines = corpus_path("war_and_peace").read_text(encoding="utf-8").splitlines()[:1800]
    path = tmp_path_factory.mktemp("corpus") / "wp_start.txt"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def full_run(corpus, tmp_path_factory) -> tuple[Path, subprocess.CompletedProcess]:
    run_dir = tmp_path_factory.mktemp("runs") / "full"
    proc = _run(corpus, run_dir)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return run_dir, proc


def test_a_run_writes_every_artefact_in_formats_other_tools_read(full_run):
    run_dir, proc = full_run
    for name in ARTEFACTS + ["report.md", "config.json", "state.json", "queries/map.png", "lm/loss.png"]:
        assert (run_dir / name).is_file(), name
    assert not (run_dir / ".work").exists()
    for png in ("queries/map.png", "lm/loss.png"):
        assert (run_dir / png).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    # BPE: HuggingFace tokenizers reads our files and splits text as we do; byte-level tokens
    # decode back to the exact text
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers

    from textprep.bpe import BPETokenizer

    ours = BPETokenizer.load(run_dir / "bpe")
    assert ours.pretokenizer == "bytelevel"
    hf = Tokenizer(models.BPE.from_file(str(run_dir / "bpe" / "vocab.json"), str(run_dir / "bpe" / "merges.txt")))
    hf.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    hf.decoder = decoders.ByteLevel()
    sentence = (run_dir / "text" / "valid.txt").read_text(encoding="utf-8").splitlines()[0]
    assert hf.encode(sentence).ids == ours.encode(sentence)
    assert ours.decode(ours.encode(sentence)) == hf.decode(ours.encode(sentence)) == sentence

    # vectors: gensim reads them
    from gensim.models import KeyedVectors as GensimVectors

    kv = GensimVectors.load_word2vec_format(str(run_dir / "vectors.txt"))
    assert kv.vector_size == 16 and "князь" in kv.key_to_index

    # the LM directory loads and measures the held-out text as the report says
    from embeddings.lm import load_lm

    state = json.loads((run_dir / "state.json").read_text(encoding="utf-8"))["stages"]
    valid = (run_dir / "text" / "valid.txt").read_text(encoding="utf-8").splitlines()
    assert load_lm(run_dir / "lm").evaluate(valid).perplexity == pytest.approx(state["lm"]["valid_ppl"], abs=0.01)
    assert load_lm(run_dir / "ngram").evaluate(valid).perplexity == pytest.approx(state["ngram"]["valid_ppl"], abs=0.01)

    # the held-out sentences are the last tenth, and word2vec never saw them
    train = (run_dir / "text" / "train.txt").read_text(encoding="utf-8").splitlines()
    assert len(valid) == round(0.1 * (len(train) + len(valid)))

    config = json.loads((run_dir / "config.json").read_text(encoding="utf-8"))
    assert config["config"]["w2v"]["dim"] == 16 and config["config"]["lm"]["epochs"] == 3


def test_the_report_shows_each_stage_and_its_pictures(full_run):
    run_dir, proc = full_run
    report = (run_dir / "report.md").read_text(encoding="utf-8")
    for heading in ("## 1. Preprocessing", "## 2. TF-IDF", "## 3. Byte pair encoding", "## 4. word2vec",
                    "## 5. Language models", "## 6. Generated text", "## Timings"):
        assert heading in report
    assert "![the query words and their neighbours](queries/map.png)" in report
    assert "(lm/loss.png)" in report
    state = json.loads((run_dir / "state.json").read_text(encoding="utf-8"))["stages"]
    assert f"| {state['lm']['valid_ppl']:.2f} | `lm/` |" in report
    assert f"| {state['ngram']['valid_ppl']:.2f} | `ngram/` |" in report
    # each chapter's row lists words of that chapter: the titles stay aligned with the documents
    titles = json.loads((run_dir / "text" / "titles.json").read_text(encoding="utf-8"))
    docs = (run_dir / "text" / "documents.txt").read_text(encoding="utf-8").splitlines()
    assert titles[:3] == ["(opening)", "I", "II"] and len(docs) == len(titles)
    row_i = report.split("| I | ")[1].split(" |")[0].split(", ")
    row_ii = report.split("| II | ")[1].split(" |")[0].split(", ")
    assert len(row_i) == 8 and set(row_i) <= set(docs[1].split()) and row_i != row_ii
    # the command prints the summary and where the report is
    assert "validation perplexity: LSTM" in proc.stdout and "report.md" in proc.stdout


def test_running_again_redoes_nothing_and_a_changed_setting_redoes_only_its_stages(full_run, corpus, tmp_path):
    run_dir = tmp_path / "copy"
    shutil.copytree(full_run[0], run_dir)   # copies keep their mtimes
    before = {name: (run_dir / name).stat().st_mtime_ns for name in ARTEFACTS}
    again = _run(corpus, run_dir)
    assert again.returncode == 0, again.stderr[-3000:]
    assert again.stderr.count("done before") == 8
    assert {name: (run_dir / name).stat().st_mtime_ns for name in ARTEFACTS} == before

    changed = _run(corpus, run_dir, "--temperature", "0.5")
    assert changed.returncode == 0, changed.stderr[-3000:]
    assert changed.stderr.count("done before") == 7 and "[8/9] generate ..." in changed.stderr
    after = {name: (run_dir / name).stat().st_mtime_ns for name in ARTEFACTS}
    assert [n for n in ARTEFACTS if after[n] != before[n]] == ["generated.txt"]

    # nested LM fields, one in the JSON form, one by its flag: the LSTM and what reads it are redone
    settings = tmp_path / "settings.json"
    settings.write_text(json.dumps({"lm": {"bptt": 20}}), encoding="utf-8")
    nested = _run(corpus, run_dir, "--temperature", "0.5", "--config", str(settings), "--lm-hidden", "20")
    assert nested.returncode == 0, nested.stderr[-3000:]
    redone = [line.split()[1] for line in nested.stderr.splitlines() if line.endswith(" ...")]
    assert redone == ["lm", "generate", "report"]
    again = {name: (run_dir / name).stat().st_mtime_ns for name in ARTEFACTS}
    assert [n for n in ARTEFACTS if again[n] != after[n]] == ["lm/vocab.json", "lm/model.safetensors",
                                                              "generated.txt"]
    from safetensors.numpy import load_file

    weights = load_file(run_dir / "lm" / "model.safetensors")
    assert any(w.shape[-1] == 20 for w in weights.values()) and not any(w.shape[-1] == 24 for w in weights.values())
    lm_config = json.loads((run_dir / "lm" / "config.json").read_text(encoding="utf-8"))["config"]
    assert (lm_config["hidden"], lm_config["bptt"]) == (20, 20)


def _kill_when(corpus: Path, run_dir: Path, ready) -> None:
    """Start a run, ``kill -9`` it as soon as ``ready()`` holds; fail if it ended first."""
    proc = subprocess.Popen(_command(corpus, run_dir), env=_env(), cwd=ROOT, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 300
        while not ready():
            assert proc.poll() is None, "the run ended before the point where it was to be killed"
            assert time.monotonic() < deadline
            time.sleep(0.01)
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait()
    assert proc.returncode == -signal.SIGKILL


def _check_no_half_written_artefact(run_dir: Path) -> None:
    """Every stage state.json claims has its artefact; nothing else lies under a final name."""
    state_file = run_dir / "state.json"   # written when the first stage ends
    state = json.loads(state_file.read_text(encoding="utf-8"))["stages"] if state_file.exists() else {}
    finished = {rec["artefact"] for rec in state.values()}
    for name in finished:
        assert (run_dir / name).exists()
    present = {p.name for p in run_dir.iterdir()} - {".work", "state.json", "config.json"}
    assert present <= finished, present - finished


@pytest.mark.parametrize("point", ["lm-epoch", "first-stage"])
def test_a_run_killed_mid_way_completes_on_the_next_run_with_the_same_artefacts(full_run, corpus, tmp_path, point):
    run_dir = tmp_path / "killed"
    if point == "lm-epoch":
        # after the language model's first epoch checkpoint, before the last epoch ends
        checkpoint = run_dir / ".work" / "lm" / "lm" / "checkpoint.pt"
        _kill_when(corpus, run_dir, checkpoint.exists)
        assert not (run_dir / "lm").exists() and (run_dir / "vectors.txt").exists()
    else:
        # in the middle of the first stage
        _kill_when(corpus, run_dir, lambda: (run_dir / ".work" / "preprocess").exists())
        assert not (run_dir / "text").exists()
    _check_no_half_written_artefact(run_dir)

    resumed = _run(corpus, run_dir)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    if point == "lm-epoch":
        assert "resuming after epoch" in resumed.stderr and resumed.stderr.count("done before") == 5
    reference, _ = full_run
    for name in ARTEFACTS:
        assert (run_dir / name).read_bytes() == (reference / name).read_bytes(), name
    assert not (run_dir / ".work").exists()


def test_flags_override_the_config_file_which_overrides_the_defaults(tmp_path):
    from cli.embeddings import build_parser
    from cli.pipeline_commands import _settings

    cfg = tmp_path / "settings.json"
    cfg.write_text(json.dumps({"w2v_dim": 32, "lm_epochs": 7, "query_words": ["князь", "граф"]}), encoding="utf-8")
    args = build_parser().parse_args(["pipeline", "c.txt", "-o", "r", "--config", str(cfg), "--lm-epochs", "2"])
    s = _settings(args)
    assert (s.w2v.dim, s.lm.epochs, s.query_words, s.bpe_vocab_size) == (32, 2, ("князь", "граф"),
                                                                         RunConfig().bpe_vocab_size)
    # the LM's embedding layer follows the vector size
    assert s.lm.emb_dim == 32
    # the nested form of the file, and a flag on top of a nested field it sets
    cfg.write_text(json.dumps({"w2v": {"dim": 32, "negative": 7}, "lm": {"epochs": 7, "bptt": 20}}), encoding="utf-8")
    args = build_parser().parse_args(["pipeline", "c.txt", "-o", "r", "--config", str(cfg), "--lm-epochs", "2"])
    s = _settings(args)
    assert (s.w2v.dim, s.w2v.negative, s.lm.epochs, s.lm.bptt, s.lm.emb_dim) == (32, 7, 2, 20, 32)
    # nested fields the file leaves out keep the main job's defaults, not the trainers'
    assert (s.w2v.epochs, s.w2v.min_count, s.lm.hidden, s.lm.dropout) == (10, 3, 256, 0.3)
    # a run directory's own config.json can be passed back as --config
    (tmp_path / "run.json").write_text(json.dumps({"format": "embeddings.pipeline", "config": {"lang": "en"}}))
    args = build_parser().parse_args(["pipeline", "c.txt", "-o", "r", "--config", str(tmp_path / "run.json")])
    assert _settings(args).lang == "en"


BOOK = "Война и мир\nI\n  Он пришёл\nдомой. Было поздно.\nII\n  Она спала.\n\nУтро настало.\n"


@pytest.mark.parametrize("unit, tfidf_unit, sentences, documents", [
    # hard-wrapped lines joined into paragraphs, then split; chapters cut at the number-only lines
    ("sentences", "chapters",
     ["война и мир i", "он пришел домой", "было поздно", "ii", "она спала", "утро настало"],
     {"(opening)": "война мир", "I": "пришел домой поздно", "II": "спала утро настало"}),
    # every non-empty line as it is, the blank line 7 skipped
    ("lines", "lines",
     ["война и мир", "i", "он пришел", "домой было поздно", "ii", "она спала", "утро настало"],
     {"line 1": "война мир", "line 2": "i", "line 3": "пришел", "line 4": "домой поздно", "line 5": "ii",
      "line 6": "спала", "line 8": "утро настало"}),
])
def test_preprocess_cuts_sentences_and_documents_as_the_settings_say(tmp_path, unit, tfidf_unit, sentences,
                                                                     documents):
    from embeddings.job.stages import preprocess

    corpus = tmp_path / "book.txt"
    corpus.write_text(BOOK, encoding="utf-8")
    config = RunConfig.from_dict({"unit": unit, "tfidf_unit": tfidf_unit, "valid_fraction": 0.2, "workers": 1,
                                  "lemmatize": False})
    figures = preprocess(corpus, config, tmp_path / "text", tmp_path)
    train, valid, docs = ((tmp_path / "text" / name).read_text(encoding="utf-8").splitlines()
                          for name in ("train.txt", "valid.txt", "documents.txt"))
    assert train + valid == sentences and valid == sentences[-1:]
    titles = json.loads((tmp_path / "text" / "titles.json").read_text(encoding="utf-8"))
    assert dict(zip(titles, docs)) == documents and len(docs) == figures["documents"] == len(documents)


def test_english_defaults_and_a_corpus_with_one_text_per_line(tmp_path):
    lines = corpus_path("tinyshakespeare").read_text(encoding="utf-8").splitlines()[:3000]
    corpus = tmp_path / "shakespeare.txt"
    corpus.write_text("\n".join(lines) + "\n", encoding="utf-8")
    proc = _run(corpus, tmp_path / "run", "--lang", "en", "--unit", "lines", "--generate-prefix", "and the",
                "--lm-random-baseline")
    assert proc.returncode == 0, proc.stderr[-3000:]
    state = json.loads((tmp_path / "run" / "state.json").read_text(encoding="utf-8"))["stages"]
    # the LSTM from random embeddings stands beside the one started from word2vec
    assert "[7/10] lm_random" in proc.stderr and (tmp_path / "run" / "lm_random" / "model.safetensors").is_file()
    report = (tmp_path / "run" / "report.md").read_text(encoding="utf-8")
    assert f"random embeddings (best of 3 epochs: {state['lm_random']['best_epoch']}) | " \
           f"{state['lm_random']['valid_ppl']:.2f} | `lm_random/` |" in report
    # no chapter headings here: the TF-IDF documents fall back to paragraphs
    assert state["preprocess"]["document_unit"] == "paragraphs"
    assert state["preprocess"]["sentences"] == sum(1 for line in lines if any(c.isalnum() for c in line))
    assert state["queries"]["analogy"] == "king - man + woman"
    assert all(t.startswith("and the") for t in state["generate"]["texts"])


@pytest.mark.parametrize("setup, args, message", [
    (None, ["missing.txt"], "missing.txt: no such file"),
    ("empty", ["{corpus}"], "needs at least 2"),
    ("busy", ["{corpus}"], "not empty and holds no pipeline run"),
    ("badconfig", ["{corpus}", "--config", "{config}"], "unknown setting(s) w2v_dims"),
    (None, ["{corpus}", "--lang", "de"], "lang must be one of ru, en"),
    (None, ["{corpus}", "--lm-epochs", "0"], "lm_epochs must be a positive integer"),
    (None, ["{corpus}", "--valid-fraction", "1"], "valid_fraction must be in (0, 1), got 1"),
    (None, ["{corpus}", "--lm-max-minutes", "-1"], "lm_max_minutes must be >= 0, got -1"),
    ("nested", ["{corpus}", "--config", "{config}"], "w2v.window must be a positive integer, got 0"),
    ("owned", ["{corpus}", "--config", "{config}"], "lm.emb_dim is set by the run"),
    ("both", ["{corpus}", "--config", "{config}"], "w2v_dim and w2v.dim both set w2v.dim"),
])
def test_bad_input_is_one_line_and_a_non_zero_exit(tmp_path, capsys, setup, args, message):
    corpus = tmp_path / "c.txt"
    corpus.write_text("Один.\nДва.\n" if setup != "empty" else "\n\n", encoding="utf-8")
    run_dir = tmp_path / "run"
    if setup == "busy":
        run_dir.mkdir()
        (run_dir / "thesis.tex").write_text("precious")
    config = tmp_path / "settings.json"
    config.write_text(json.dumps({"nested": {"w2v": {"window": 0}}, "owned": {"lm": {"emb_dim": 50}},
                                  "both": {"w2v_dim": 50, "w2v": {"dim": 60}}}.get(setup, {"w2v_dims": 3})))
    argv = ["pipeline", *[a.format(corpus=corpus, config=config) for a in args], "-o", str(run_dir)]
    assert main(argv) == 2
    err = capsys.readouterr().err.splitlines()
    # progress lines may come first; the error is the last line, and one line
    assert err[-1].startswith("embeddings: error: ") and message in err[-1]
    assert sum("error" in line for line in err) == 1
    if setup == "busy":
        assert [p.name for p in run_dir.iterdir()] == ["thesis.tex"]
