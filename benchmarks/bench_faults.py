"""kill -9 at random moments: every interrupted training resumes and ends where an uninterrupted one does.

    python benchmarks/bench_faults.py --kills 20            # at least 20 kills for each command
    python benchmarks/bench_faults.py --kills 3 --commands w2v lm --json faults.json

For each command (``embeddings train w2v --checkpoint-dir``, ``embeddings lm train``,
``embeddings pipeline``, on small real text with one worker and one thread) it first runs the
command once, uninterrupted, as the reference, noting when its first file other than its lock
appeared (W: the seconds before are mostly imports, where a kill finds an empty directory) and
when it ended (T).  Then, in a fresh directory, it starts the same command, sends ``SIGKILL`` to its process
group at a moment drawn uniformly from [W, T], checks the directory, and runs the same command
again; each chain ends with a run that is left to finish::

    start ─kill at U(W,T)─▶ check ─▶ same command ─kill─▶ check ─▶ ... ─▶ same command, to the end ─▶ compare

After every kill no file under a final name may be half written: each one either is byte for
byte the reference's (the artefacts that do not depend on timing, once written) or parses whole
(JSON, PNG, safetensors, the torch checkpoint, the vectors, the npz; the LM's best weights so
far).  The last run must exit 0, leave no temporary file and no lock, and its final artefacts
(vectors, LM weights, and for the pipeline every deterministic artefact) must equal the
reference's byte for byte.

It prints, per command: kills injected (and how many hit a run that was itself resuming),
resumed runs left to finish and how many completed, bit-identical final artefacts, and the
kills counted by how far the work had come when they landed (the last milestone file present);
then the totals, with the load average.  ``--json`` writes them too.  Exit status 1 if any
check failed.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("TEXTPREP_SHARED_DATA", ROOT.parent / "shared" / "data"))
TEMPORARY = re.compile(r"^\..+\.[A-Za-z0-9_]{8}\.tmp(\.[^.]+)?$")   # textprep.fileio's atomic-write names
LOCKS = {".lock", "lock"}                                         # textprep.runlock (the pipeline's is .work/lock)


@dataclass
class Command:
    """One command line to kill and rerun; ``final`` are the files that must match the reference."""

    name: str
    argv: list[str]                 # with {corpus} and {dir} to fill in
    final: list[str]                # relative to the directory: byte-identical to the reference at the end
    deterministic: list[str] = field(default_factory=list)   # byte-identical whenever present (beside final)
    changing: list[str] = field(default_factory=list)   # final files rewritten as the run goes (whole, not equal)
    milestones: list[tuple[str, str]] = field(default_factory=list)   # (phase, the file that marks its start)

    def phase(self, folder: Path) -> str:
        """How far a run in ``folder`` had come: the last milestone whose file exists."""
        reached = [name for name, path in self.milestones if (folder / path).exists()]
        return reached[-1] if reached else "starting"

    def line(self, corpus: Path, folder: Path) -> list[str]:
        return [sys.executable, "-m", "cli.embeddings",
                *(a.format(corpus=corpus, dir=folder) for a in self.argv)]


COMMANDS = {
    "w2v": Command(
        "w2v",
        ["train", "w2v", "{corpus}", "--skipgram", "--tokenized", "--dim", "16", "--epochs", "4",
         "--min-count", "2", "--workers", "1", "--device", "cpu", "--checkpoint-dir", "{dir}/ckpt", "--resume",
         "-o", "{dir}/vectors.txt", "--no-progress"],
        final=["vectors.txt"],
        deterministic=["ckpt/vocab.json", "ckpt/corpus/ids.u32", "ckpt/corpus/ends.u64", "ckpt/corpus/vocab.json"],
        milestones=[("cache written", "ckpt/corpus/meta.json"), ("epochs checkpointed", "ckpt/checkpoint.pt"),
                    ("vectors written", "vectors.txt")]),
    "lm": Command(
        "lm",
        ["lm", "train", "{corpus}", "--level", "word", "--word-tokenizer", "whitespace", "--hidden", "16",
         "--emb-dim", "16", "--layers", "1", "--epochs", "2", "--valid-fraction", "0.1", "--device", "cpu",
         "--resume", "-o", "{dir}/lm", "--no-progress"],
        final=["lm/model.safetensors", "lm/vocab.json"],
        changing=["lm/model.safetensors"],      # the best epoch's weights so far
        milestones=[("vocabulary written", "lm/config.json"), ("epochs checkpointed", "lm/checkpoint.pt"),
                    ("curves drawn", "lm/loss.png")]),
    "pipeline": Command(
        "pipeline",
        ["pipeline", "{corpus}", "-o", "{dir}/run", "--w2v-dim", "16", "--w2v-epochs", "2", "--bpe-vocab-size",
         "300", "--lm-hidden", "16", "--lm-layers", "1", "--lm-epochs", "2", "--map-method", "pca", "--workers", "1",
         "--device", "cpu", "--no-progress"],
        final=["run/vectors.txt", "run/lm/model.safetensors", "run/text/train.txt", "run/text/valid.txt",
               "run/text/documents.txt", "run/tfidf/matrix.npz", "run/bpe/vocab.json", "run/bpe/merges.txt",
               "run/ngram/ngram.json", "run/generated.txt", "run/lm/vocab.json"],
        milestones=[("preprocessing", "run/config.json"), ("text done", "run/text"),
                    ("vectors done", "run/vectors.txt"), ("LSTM epochs checkpointed", "run/.work/lm/lm/checkpoint.pt"),
                    ("LSTM done", "run/lm"), ("report written", "run/report.md")]),
}


def corpora(work: Path, lines: dict[str, int] | None = None) -> dict[str, Path]:
    """Small real texts, ``lines[command]`` lines each (400 unless given): Penn Treebank sentences
    (already tokenized) for word2vec and the LM, the start of War and Peace for the pipeline."""
    from corpora import corpus_path

    lines = {**dict.fromkeys(COMMANDS, 400), **(lines or {})}
    texts = {}
    for name in ("w2v", "lm"):
        texts[name] = work / f"ptb_{lines[name]}.txt"
        with open(SHARED / "ptb.train.txt", encoding="utf-8") as fh:
            texts[name].write_text("".join(line for _, line in zip(range(lines[name]), fh)), encoding="utf-8")
    texts["pipeline"] = work / f"wp_{lines['pipeline']}.txt"
    text = corpus_path("war_and_peace").read_text(encoding="utf-8").splitlines()[:lines["pipeline"]]
    texts["pipeline"].write_text("\n".join(text) + "\n", encoding="utf-8")
    return texts


def env() -> dict:
    # one thread: the same arithmetic in every run (and the machine is shared)
    return {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "PYTHONPATH": str(ROOT),
            "PYTHONWARNINGS": "ignore"}


def run_to_end(cmd: list[str], timeout: float = 600) -> tuple[int, float, str]:
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, env=env(), cwd=ROOT, capture_output=True, text=True, timeout=timeout)
    return proc.returncode, time.perf_counter() - t0, proc.stderr


def run_and_kill(cmd: list[str], at: float) -> tuple[bool, int, str]:
    """Start ``cmd`` and SIGKILL its process group ``at`` seconds later: (killed, exit code, stderr)."""
    proc = subprocess.Popen(cmd, env=env(), cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            start_new_session=True)
    try:
        _, err = proc.communicate(timeout=at)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        return True, proc.returncode, ""
    except BaseException:        # the harness itself stopped: leave nothing running
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        raise
    return False, proc.returncode, err.decode("utf-8", "replace")


# -- the checks --------------------------------------------------------------------------------
def whole(path: Path) -> str | None:
    """Why ``path`` is not a whole file of its kind (None when it is)."""
    data = path.read_bytes()
    name = path.name
    try:
        if name.endswith(".json"):
            json.loads(data.decode("utf-8"))
        elif name.endswith(".png"):
            if not (data.startswith(b"\x89PNG\r\n\x1a\n") and data.rstrip(b"\x00")[-8:-4] == b"IEND"):
                return "PNG without its end"
        elif name.endswith(".safetensors"):
            from safetensors.numpy import load

            load(data)
        elif name.endswith(".pt"):
            import torch

            torch.load(path, map_location="cpu", weights_only=True)
        elif name.endswith(".npz"):
            import numpy as np

            with np.load(path) as z:
                [z[k] for k in z.files]
        elif name == "vectors.txt":
            from embeddings.keyedvectors import KeyedVectors

            KeyedVectors.load_word2vec_format(path)
        elif name.endswith((".md", ".txt")) and data and not data.endswith(b"\n"):
            return "text without its last newline"
    except Exception as exc:  # any failure to read is the finding
        return f"{type(exc).__name__}: {exc}"
    return None


def check_after_kill(command: Command, folder: Path, reference: Path) -> list[str]:
    """Problems with what a killed run left: half-written files under final names."""
    problems = []
    same = (set(command.final) | set(command.deterministic)) - set(command.changing)
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        rel = path.relative_to(folder).as_posix()
        if TEMPORARY.match(path.name) or path.name in LOCKS:
            continue            # not a final name: removed by the next run
        if rel in same:
            if path.read_bytes() != (reference / rel).read_bytes():
                problems.append(f"{rel}: differs from the reference")
            continue
        why = whole(path)
        if why:
            problems.append(f"{rel}: {why}")
    state = folder / "run" / "state.json"
    if state.exists():
        for name, rec in json.loads(state.read_text(encoding="utf-8"))["stages"].items():
            if not (folder / "run" / rec["artefact"]).exists():
                problems.append(f"state.json claims stage {name} but {rec['artefact']} is missing")
    return problems


def check_finished(command: Command, folder: Path, reference: Path) -> tuple[list[str], int]:
    """Problems with a completed run, and how many final artefacts equal the reference's."""
    problems, identical = [], 0
    for rel in command.final:
        if (folder / rel).read_bytes() == (reference / rel).read_bytes():
            identical += 1
        else:
            problems.append(f"{rel}: not bit-identical to the uninterrupted run")
    names = {p.relative_to(folder).as_posix() for p in folder.rglob("*")}
    expected = {p.relative_to(reference).as_posix() for p in reference.rglob("*")}
    problems += [f"{name}: left behind" for name in sorted(names - expected)]
    problems += [f"{name}: missing (the uninterrupted run wrote it)" for name in sorted(expected - names)]
    return problems, identical


# -- the chains ----------------------------------------------------------------------------------
@dataclass
class Tally:
    command: str
    reference_seconds: float = 0.0
    writing_from: float = 0.0       # when the reference run wrote its first file
    kills: int = 0
    phases: dict[str, int] = field(default_factory=dict)   # kills by how far the killed run had come
    killed_again: int = 0           # kills that hit a resumed run
    resumes: int = 0                # resumed runs left to finish
    resumes_completed: int = 0
    chains: int = 0                 # chains with at least one kill
    unkilled: int = 0               # chains whose first run ended before its kill
    identical_chains: int = 0
    identical_files: int = 0
    compared_files: int = 0
    problems: list[str] = field(default_factory=list)


def reference_run(command: Command, corpus: Path, folder: Path) -> tuple[float, float]:
    """Run ``command`` uninterrupted into ``folder``: (seconds until its first file appeared, seconds in all)."""
    proc = subprocess.Popen(command.line(corpus, folder), env=env(), cwd=ROOT, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, start_new_session=True)
    t0 = time.perf_counter()
    writing = None
    try:
        while proc.poll() is None:
            if writing is None and any(p.is_file() and p.name not in LOCKS for p in folder.rglob("*")):
                writing = time.perf_counter() - t0
            time.sleep(0.005)
        seconds = time.perf_counter() - t0
        err = proc.stderr.read().decode("utf-8", "replace")
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        proc.stderr.close()
    if proc.returncode != 0:
        raise SystemExit(f"{command.name}: the reference run failed ({proc.returncode}): {err[-2000:]}")
    return (writing if writing is not None else 0.0), seconds


def chain(command: Command, corpus: Path, folder: Path, reference: Path, window: tuple[float, float], kills: int,
          rng: random.Random, tally: Tally) -> None:
    """Up to ``kills`` kills of the same command in ``folder``, each at a moment drawn uniformly from
    ``window`` (seconds after the start), then a run to the end."""
    line = command.line(corpus, folder)
    done = 0
    while True:
        if done < kills:
            at = rng.uniform(*window)
            killed, rc, err = run_and_kill(line, at)
        else:
            killed, (rc, _, err) = False, run_to_end(line)
        if not killed:
            tally.resumes += done > 0
            if rc != 0:
                tally.problems.append(f"{command.name}: the run after kill {tally.kills} failed ({rc}): "
                                      f"{err.strip().splitlines()[-1:]}")
                return
            tally.resumes_completed += done > 0
            break
        done += 1
        tally.kills += 1
        phase = command.phase(folder)
        tally.phases[phase] = tally.phases.get(phase, 0) + 1
        tally.killed_again += done > 1
        tally.problems += [f"{command.name} after kill {tally.kills} at {at:.2f} s: {p}"
                           for p in check_after_kill(command, folder, reference)]
    problems, identical = check_finished(command, folder, reference)
    tally.problems += [f"{command.name}: {p}" for p in problems]
    if done == 0:
        tally.unkilled += 1       # it ended before its kill: nothing resumed, nothing to count
        return
    tally.chains += 1
    tally.identical_files += identical
    tally.compared_files += len(command.final)
    tally.identical_chains += not problems


def run(names: list[str], kills: int, per_chain: int, seed: int, work: Path, lines: dict[str, int] | None = None,
        say=print) -> list[Tally]:
    rng = random.Random(seed)
    texts = corpora(work, lines)
    tallies = []
    for name in names:
        command = COMMANDS[name]
        reference = work / f"{name}-reference"
        writing, seconds = reference_run(command, texts[name], reference)
        tally = Tally(name, reference_seconds=seconds, writing_from=writing)
        n = 0
        while tally.kills < kills:
            folder = work / f"{name}-{n}"
            chain(command, texts[name], folder, reference, (writing, seconds),
                  min(per_chain, kills - tally.kills), rng, tally)
            shutil.rmtree(folder, ignore_errors=True)
            n += 1
        say(f"{name}: reference {seconds:.1f} s (writing from {writing:.1f} s); kills injected {tally.kills} "
            f"({tally.killed_again} of them in resumed runs), resumes completed "
            f"{tally.resumes_completed}/{tally.resumes}, "
            f"bit-identical final artefacts "
            f"{tally.identical_files}/{tally.compared_files} ({tally.identical_chains}/{tally.chains} chains; "
            f"{tally.unkilled} more runs ended before their kill), problems {len(tally.problems)}")
        order = ["starting"] + [name for name, _ in command.milestones]
        say("  kills by how far the work had come: "
            + ", ".join(f"{k} {tally.phases[k]}" for k in order if k in tally.phases))
        for p in tally.problems:
            say("  " + p)
        tallies.append(tally)
    return tallies


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--kills", type=int, default=20, help="kills per command (at least)")
    p.add_argument("--per-chain", type=int, default=3, help="kills before a chain's run to the end")
    p.add_argument("--commands", nargs="+", choices=list(COMMANDS), default=list(COMMANDS))
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--lines", type=int, nargs=3, default=[400, 400, 400], metavar=("W2V", "LM", "PIPELINE"),
                   help="lines of each command's corpus (more: longer runs, more kills inside training)")
    p.add_argument("--json", type=Path, help="write the counts here")
    args = p.parse_args(argv)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))   # stopped: kill the run in flight too
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="faults-") as tmp:
        tallies = run(args.commands, args.kills, args.per_chain, args.seed, Path(tmp),
                      dict(zip(["w2v", "lm", "pipeline"], args.lines)))
    total = {k: sum(getattr(t, k) for t in tallies)
             for k in ("kills", "resumes", "resumes_completed", "identical_files", "compared_files", "chains",
                       "identical_chains")}
    problems = sum(len(t.problems) for t in tallies)
    print(f"total: kills injected {total['kills']}, resumes completed {total['resumes_completed']}/"
          f"{total['resumes']}, bit-identical final artefacts {total['identical_files']}/{total['compared_files']}, "
          f"problems {problems}, {time.perf_counter() - t0:.0f} s, load average "
          f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    if args.json:
        args.json.write_text(json.dumps({"total": total, "problems": problems,
                                         "commands": [t.__dict__ for t in tallies]}, indent=2), encoding="utf-8")
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
