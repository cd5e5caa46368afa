"""A full disk: every artefact write fails with one line naming the file and "no space left on device".

The disk fills through ``RLIMIT_FSIZE`` in a subprocess: a write past the limit fails with EFBIG
(SIGXFSZ ignored), which the atomic writers report as a full disk.  The subprocess is this file
run as a script: it makes each artefact once with no limit, then makes it again under a limit
smaller than the artefact and records what the command printed and what it left on disk.  The
tests check that record: exit 2, one line, the earlier artefact byte for byte as it was, and no
temporary file anywhere.
"""
from __future__ import annotations

import contextlib
import io
import json
import re
import resource
import signal
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TEMP_NAME = re.compile(r"^\..+\.tmp(\.\w+)?$")


# -- the subprocess -----------------------------------------------------------------------------
@contextlib.contextmanager
def file_size_limit(limit: int | None):
    """Files this process writes may not grow past ``limit`` bytes (the soft limit: raised again after)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    if limit is not None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))


def call(prog: str, argv: list[str], limit: int | None = None) -> tuple[int, list[str]]:
    from cli.embeddings import main as embeddings_main
    from cli.textprep import main as textprep_main

    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()), file_size_limit(limit):
        rc = {"textprep": textprep_main, "embeddings": embeddings_main}[prog](["-q", *argv])
    lines = [ln for ln in err.getvalue().splitlines() if ln.strip()]
    if limit is None and rc != 0:
        raise SystemExit(f"{prog} {' '.join(argv)} failed without a limit: {lines}")
    return rc, lines


def snapshot(*paths: Path) -> dict[str, str]:
    return {str(p): p.read_bytes().hex() for p in paths}


def temporary_files(folder: Path) -> list[str]:
    return [str(p) for p in folder.rglob("*") if TEMP_NAME.match(p.name)]


def scenarios(work: Path) -> dict[str, dict]:
    from corpora import corpus_path

    lines = corpus_path("war_and_peace").read_text(encoding="utf-8").splitlines()[300:700]
    corpus = work / "corpus.txt"
    corpus.write_text("\n".join(lines) + "\n", encoding="utf-8")
    results = {}

    def record(name: str, rc: int, lines: list[str], named: Path, kept: dict[str, str]):
        results[name] = {"rc": rc, "lines": lines, "named": str(named), "kept": kept == snapshot(*map(Path, kept)),
                         "temporary": temporary_files(work)}

    # preprocess output: the old file stays
    out = work / "tokens.txt"
    out.write_text("old tokens\n", encoding="utf-8")
    kept = snapshot(out)
    record("preprocess", *call("textprep", ["preprocess", str(corpus), "-o", str(out)], limit=4096), out, kept)

    # the BPE model: the model trained before stays
    bpe = work / "bpe"
    call("textprep", ["bpe", "train", str(corpus), "--vocab-size", "400", "-o", str(bpe)])
    kept = snapshot(bpe / "vocab.json", bpe / "merges.txt", bpe / "bpe_config.json")
    rc, lines = call("textprep", ["bpe", "train", str(corpus), "--vocab-size", "600", "-o", str(bpe)], limit=2048)
    record("bpe", rc, lines, bpe / "vocab.json", kept)

    # word2vec: the checkpoint (and the vectors) of the run before stay
    vec, ckpt = work / "vectors.txt", work / "ckpt"
    w2v = ["train", "w2v", str(corpus), "--skipgram", "--dim", "48", "--epochs", "1", "--min-count", "1",
           "--no-progress", "-o", str(vec), "--checkpoint-dir", str(ckpt)]
    call("embeddings", w2v)
    kept = snapshot(vec, ckpt / "checkpoint.pt")
    largest_other = max(p.stat().st_size for p in ckpt.rglob("*") if p.is_file() and p.name != "checkpoint.pt")
    rc, lines = call("embeddings", [*w2v, "--seed", "1"], limit=largest_other + 1)
    record("checkpoint", rc, lines, ckpt / "checkpoint.pt", kept)
    # a limit that lets the checkpoint through but not the vectors (text: more bytes than the tables)
    assert vec.stat().st_size > (ckpt / "checkpoint.pt").stat().st_size
    rc, lines = call("embeddings", [*w2v, "--seed", "2"], limit=(ckpt / "checkpoint.pt").stat().st_size + 64)
    record("vectors", rc, lines, vec, snapshot(vec))

    # the language model's weights: safetensors reports the full disk in its own words
    lm = work / "lm"
    lm_train = ["lm", "train", str(corpus), "-o", str(lm), "--epochs", "1", "--hidden", "32", "--emb-dim", "32",
                "--layers", "1", "--word-tokenizer", "whitespace", "--no-progress"]
    call("embeddings", lm_train)
    kept = snapshot(lm / "model.safetensors", lm / "checkpoint.pt")
    small = max(p.stat().st_size for p in lm.iterdir() if p.suffix not in (".safetensors", ".pt", ".png"))
    rc, lines = call("embeddings", [*lm_train, "--seed", "1"], limit=small + 1)
    record("lm", rc, lines, lm / "model.safetensors", kept)

    # the pipeline's report: made again (its record removed from the state), on a full disk
    run = work / "run"
    pipeline = ["pipeline", str(corpus), "-o", str(run), "--lm-epochs", "1", "--lm-hidden", "8", "--lm-layers", "1",
                "--w2v-epochs", "1", "--w2v-dim", "8", "--map-method", "pca", "--generate-num", "1",
                "--bpe-vocab-size", "300", "--workers", "1", "--no-lemmatize", "--query-count", "20",
                "--neighbours", "20"]
    call("embeddings", pipeline)
    state = json.loads((run / "state.json").read_text(encoding="utf-8"))
    state["stages"]["report"]["fingerprint"] = "changed"
    (run / "state.json").write_text(json.dumps(state), encoding="utf-8")
    kept = snapshot(run / "report.md", run / "vectors.txt")
    # room for the files written before the report (the settings, the state), not for the report
    limit = max((run / name).stat().st_size for name in ("config.json", "state.json")) + 256
    assert (run / "report.md").stat().st_size > limit + 512
    rc, lines = call("embeddings", pipeline, limit=limit)
    record("report", rc, lines, run / "report.md", kept)
    return results


if __name__ == "__main__":
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)   # a write past the limit fails with EFBIG, not a signal
    folder, out = Path(sys.argv[1]), Path(sys.argv[2])
    out.write_text(json.dumps(scenarios(folder)), encoding="utf-8")
    sys.exit(0)


# -- the tests ----------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def full_disk(tmp_path_factory) -> dict[str, dict]:
    work = tmp_path_factory.mktemp("full_disk")
    out = work / "results.json"
    proc = subprocess.run([sys.executable, __file__, str(work), str(out)], cwd=ROOT, capture_output=True,
                          text=True, timeout=600, env={**__import__("os").environ, "OMP_NUM_THREADS": "1"})
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(out.read_text(encoding="utf-8"))


@pytest.mark.parametrize("what, prog", [("preprocess", "textprep"), ("bpe", "textprep"), ("checkpoint", "embeddings"),
                                        ("vectors", "embeddings"), ("lm", "embeddings"), ("report", "embeddings")])
def test_a_full_disk_is_one_line_naming_the_file_and_the_earlier_artefact_stays(full_disk, what, prog):
    r = full_disk[what]
    assert r["rc"] == 2
    assert len(r["lines"]) == 1, r["lines"]
    line = r["lines"][0]
    assert line.startswith(f"{prog}: error: ") and line.endswith(": no space left on device"), line
    named = line[len(f"{prog}: error: "):-len(": no space left on device")]
    assert Path(named).name == Path(r["named"]).name, (named, r["named"])
    assert r["kept"], "an earlier artefact was changed"
    assert r["temporary"] == []
