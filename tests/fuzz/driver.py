"""The command-line fuzzer: N generated invocations of every command on hostile files, and counts.

    python -m tests.fuzz.driver --n 2000 --seed 1            # from the repository root
    python -m tests.fuzz.driver --n 200 --big-line-mb 1      # what the test suite runs

Prints the invocations tried, the exit codes seen, the tracebacks (must be 0) and every other
problem (see ``runner.judge``), each with the command that reproduces it; exits 1 if there was
any problem.  The hostile files and the good models they are derived from are made first (the
good ones by the commands themselves); the same seed draws the same invocations.
"""
from __future__ import annotations

import argparse
import collections
import hashlib
import json
import os
import re
import shutil
import signal
import sys
import tempfile
import time
import traceback
import zlib
from pathlib import Path

from . import broken_models, hostile
from .commands import SKIP, Files, big_line_runs, command_lines, commands, share
from .runner import Invocation, Runner, preload


def build_fixtures(folder: Path, runner: Runner, big_line_bytes: int) -> Files:
    text = hostile.write_texts(folder / "text", big_line_bytes)
    good = folder / "good"
    ok = str(text["ok_ru.txt"])
    for prog, argv in [
        ("textprep", ["bpe", "train", ok, "--vocab-size", "300", "-o", str(good / "bpe")]),
        ("embeddings", ["lm", "train", ok, "-o", str(good / "lm"), "--epochs", "1", "--hidden", "8", "--emb-dim",
                        "8", "--layers", "1", "--word-tokenizer", "whitespace", "--no-progress"]),
        ("embeddings", ["lm", "train", ok, "-o", str(good / "ngram"), "--arch", "ngram", "--word-tokenizer",
                        "whitespace", "--no-progress"]),
        ("embeddings", ["train", "w2v", ok, "--skipgram", "--epochs", "1", "--dim", "8", "--no-progress", "-o",
                        str(good / "w2v.txt"), "--checkpoint-dir", str(good / "w2v_ckpt")]),
    ]:
        outcome = runner.run(Invocation(prog, argv), f"fixture-{len(list(good.glob('*')))}")
        if outcome.rc != 0 or outcome.problems:
            raise SystemExit(f"making the fixtures failed: {prog} {' '.join(argv)}\n{outcome.stderr}")
    words = sorted({w.lower() for w in re.findall(r"\w+", text["ok_ru.txt"].read_text(encoding="utf-8"))})
    forked(lambda: (broken_models.derive_bpe(good / "bpe", folder / "bpe"),
                    broken_models.derive_lm(good / "lm", good / "ngram", folder / "lm"),
                    broken_models.derive_w2v(good / "w2v_ckpt", folder / "w2v")))

    def listed(sub: str, **good_ones: Path) -> dict[str, Path]:
        return {**good_ones, **{d.name: d for d in sorted((folder / sub).iterdir())}}

    return Files(
        text=text,
        vectors=hostile.write_vectors(folder / "vectors", words[:300] + ["king", "queen", "man", "woman"]),
        bpe=listed("bpe", ok=good / "bpe"),
        lm=listed("lm", ok=good / "lm", ngram=good / "ngram"),
        w2v=listed("w2v", ok=good / "w2v_ckpt"),
        misc=hostile.write_misc(folder / "misc"),
    )


def forked(build) -> None:
    """Run ``build()`` in a forked child.  Torch must not compute in the process that forks the
    invocations: an OpenMP pool started before a fork hangs or crawls in the children."""
    sys.stdout.flush()
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            build()
            code = 0
        except BaseException:   # noqa: B036 - reported, then the child ends
            traceback.print_exc()
        finally:
            os._exit(code)
    if os.waitpid(pid, 0)[1] != 0:
        raise SystemExit("making the broken model folders failed")


def digest(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha1(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def generate(files: Files, n: int, seed: int) -> list[Invocation]:
    """The one-line file through every command that reads a whole text, then ``n`` invocations
    drawn by hypothesis with a fixed seed (generation only: no shrinking), every command's share of
    them (``commands.WEIGHT``) drawn on its own, then interleaved."""
    from hypothesis import HealthCheck, Phase, given, settings
    from hypothesis import seed as hyp_seed

    import cli.embeddings
    import cli.textprep

    parsers = {"textprep": cli.textprep.build_parser(), "embeddings": cli.embeddings.build_parser()}
    leaves = commands(parsers)
    counts = share([path for path, _ in leaves], n)
    drawn: list[tuple[float, Invocation]] = []
    for path, parser in leaves:
        mine: list[Invocation] = []

        @hyp_seed(seed * 1000 + zlib.crc32(" ".join(path).encode()))
        @settings(max_examples=counts[path], phases=[Phase.generate], database=None, deadline=None,
                  suppress_health_check=list(HealthCheck))
        @given(command_lines(files, path, parser))
        def collect(inv: Invocation) -> None:
            mine.append(inv)  # noqa: B023 - run at once, inside this iteration

        collect()
        mine = mine[: counts[path]]
        drawn += [((k + 0.5) / len(mine), inv) for k, inv in enumerate(mine)]
    drawn.sort(key=lambda pair: pair[0])   # spread each command evenly over the run
    return big_line_runs(files) + [inv for _, inv in drawn]


def fuzz(n: int, seed: int, scratch: Path, big_line_bytes: int, timeout: float, memory_mb: int,
         log=print) -> dict:
    """Run ``n`` invocations; returns the counts (and the problems, with their commands)."""
    preload()
    runner = Runner(scratch / "runs", timeout=timeout, memory_mb=memory_mb)
    t0 = time.monotonic()
    files = build_fixtures(scratch / "fixtures", runner, big_line_bytes)
    before = digest(scratch / "fixtures")
    invocations = generate(files, n, seed)
    log(f"fixtures ready in {time.monotonic() - t0:.1f} s; {len(invocations)} invocations drawn (seed {seed})")
    codes: collections.Counter = collections.Counter()
    kinds: collections.Counter = collections.Counter()
    seconds: collections.Counter = collections.Counter()
    problem_kinds: collections.Counter = collections.Counter()
    problems, runs, slowest, max_rss = [], [], (0.0, ""), 0.0
    t1 = time.monotonic()
    for i, inv in enumerate(invocations):
        o = runner.run(inv, f"{i:05d}")
        codes["signal" if o.signal else o.rc] += 1
        last = (o.stderr.strip().splitlines() or [""])[-1][:300]
        runs.append({"command": inv.command, "rc": o.rc, "seconds": round(o.seconds, 2), "stderr": last})
        kinds[inv.kind] += 1
        seconds[inv.kind] += o.seconds
        max_rss = max(max_rss, o.max_rss_mb)
        slowest = max(slowest, (o.seconds, inv.command))
        for p in o.problems:
            problem_kinds[p.split(":")[0]] += 1
        if o.problems:
            tail = "\n".join(o.stderr.strip().splitlines()[-6:])
            problems.append({"command": inv.command, "copies": inv.copies, "folder": f"{runner.scratch}/{i:05d}",
                             "problems": o.problems, "stderr_tail": tail})
            log(f"[{i}] PROBLEM {o.problems}: {inv.command[:300]}\n    {tail[-600:]}")
        if (i + 1) % 100 == 0:
            log(f"  {i + 1} run, {len(problems)} with problems, {time.monotonic() - t1:.0f} s")
    after = digest(scratch / "fixtures")
    changed = sorted(k for k in before if before[k] != after.get(k)) + sorted(set(after) - set(before))
    if changed:
        problems.append({"command": "(any)", "problems": [f"input fixtures modified: {changed[:5]}"]})
        problem_kinds["input fixtures modified"] += 1
    return {"invocations": len(invocations), "exit_codes": {str(k): v for k, v in sorted(codes.items(), key=str)},
            "tracebacks": problem_kinds.get("traceback", 0), "problems": len(problems),
            "problem_kinds": dict(problem_kinds), "commands": dict(sorted(kinds.items())),
            "command_seconds": {k: round(v, 1) for k, v in sorted(seconds.items())},
            "seconds": round(time.monotonic() - t1, 1), "slowest_seconds": round(slowest[0], 2),
            "slowest_command": slowest[1][:200], "max_rss_mb": round(max_rss), "timeout_s": timeout,
            "memory_bound_mb": memory_mb, "big_line_bytes": big_line_bytes, "seed": seed,
            "details": problems, "runs": runs}


def print_counts(r: dict) -> None:
    print(f"invocations tried: {r['invocations']} in {r['seconds']} s")
    print("exit codes seen: " + ", ".join(f"{k}: {v}" for k, v in r["exit_codes"].items()))
    print(f"tracebacks: {r['tracebacks']}")
    print(f"invocations with a problem: {r['problems']} {r['problem_kinds'] or ''}")
    print(f"slowest: {r['slowest_seconds']} s ({r['slowest_command']}); peak RSS of one run: {r['max_rss_mb']} MB; "
          f"limits: {r['timeout_s']:.0f} s, address space +{r['memory_bound_mb']} MB")
    print("per command (runs, seconds): " + ", ".join(f"{k}: {v} ({r['command_seconds'][k]} s)"
                                                      for k, v in r["commands"].items()))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=2000, help="invocations to run")
    ap.add_argument("--seed", type=int, default=0, help="hypothesis seed (the same seed draws the same commands)")
    ap.add_argument("--big-line-mb", type=float, default=50, help="size of the one-line input file")
    ap.add_argument("--timeout", type=float, default=120, help="seconds one invocation may take")
    ap.add_argument("--memory-mb", type=int, default=4096, help="address space one invocation may add")
    ap.add_argument("--scratch", type=Path, help="work folder (default: a temporary one, removed at the end)")
    ap.add_argument("--json", type=Path, help="also write the counts and problems to this file")
    ap.add_argument("--skip-flag", action="append", default=[], metavar="DEST",
                    help="never draw this flag (its dest, e.g. dask_workers); may be repeated")
    args = ap.parse_args(argv)
    SKIP.update(args.skip_flag)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))   # so that the running child is killed too
    scratch = args.scratch or Path(tempfile.mkdtemp(prefix="fuzz-"))
    try:
        result = fuzz(args.n, args.seed, scratch, int(args.big_line_mb * 2**20), args.timeout, args.memory_mb)
    finally:
        if args.scratch is None and not (locals().get("result") or {}).get("problems"):
            shutil.rmtree(scratch, ignore_errors=True)
    print_counts(result)
    if result["problems"]:
        print(f"problem folders kept under {scratch}")
    if args.json:
        args.json.write_text(json.dumps(result, ensure_ascii=False, indent=1), encoding="utf-8")
    return 1 if result["problems"] else 0


if __name__ == "__main__":
    sys.exit(main())
