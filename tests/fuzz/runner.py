"""Run one command-line invocation in a forked child, under a time and a memory limit, and judge it.

The driver's process imports the toolkit once; each invocation is a ``fork`` of it that runs
``cli.textprep.main(argv)`` or ``cli.embeddings.main(argv)`` in a fresh working folder, with
standard input, output and error on files (file descriptors 0-2, so worker processes and native
code are captured too).  The child gets ``RLIMIT_AS`` (its address space: a memory bound that
holds for native allocations too) and its own process group, which is killed after the run, so a
hang or a leftover worker costs nothing to the next invocation.

The verdict: exit 0, or exit 2 with one ``PROG ...: error: ...`` line as the last line of standard
error (log lines may come before it: progress, and warnings even under ``-q``).  Never a
traceback, another exit code, a death by signal, a run past the timeout, a temporary file left
in the folder, a failed run's output file under its final name, or a JSON file that does not
parse.  ``serve`` runs until it prints its address, then gets SIGINT (Ctrl-C) and must exit 130.
"""
from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import re
import resource
import shlex
import shutil
import signal
import sys
import time
import traceback
from pathlib import Path

ERROR_LINE = re.compile(r"^(textprep|embeddings)( [\w-]+)*: error: \S")
TEMP_NAME = re.compile(r"^\..+\.tmp(\.\w+)?$")
READY = "serving "          # the first words ``embeddings serve`` prints once it listens


@dataclasses.dataclass
class Invocation:
    prog: str                          # "textprep" or "embeddings"
    argv: list[str]
    stdin: str | None = None           # a file fed as standard input (None: /dev/null)
    copies: dict[str, str] = dataclasses.field(default_factory=dict)   # name in the folder -> source
    outputs: list[str] = dataclasses.field(default_factory=list)       # fresh files a failure must not leave
    path: tuple[str, ...] = ()         # the command: ("textprep", "bpe", "encode")
    stdout_full: bool = False          # standard output on /dev/full (every write fails: no space)

    @property
    def command(self) -> str:
        """The shell command that reproduces it (from inside the folder, the copies made)."""
        line = shlex.join([self.prog, *self.argv])
        line += f" < {shlex.quote(self.stdin)}" if self.stdin else ""
        return line + (" > /dev/full" if self.stdout_full else "")

    @property
    def kind(self) -> str:
        """The subcommand, e.g. ``textprep bpe encode``."""
        return " ".join(self.path or (self.prog,))


@dataclasses.dataclass
class Outcome:
    rc: int | None              # exit status; None when killed by a signal
    signal: int | None
    seconds: float
    max_rss_mb: float
    stderr: str
    problems: list[str]


def preload() -> None:
    """Import what the commands import, once, before any fork (each child then starts at once)."""
    import importlib

    import matplotlib

    matplotlib.use("Agg")
    # ``embeddings`` first: it sets torch's thread defaults (passive OpenMP waits) before torch loads
    for name in ("embeddings", "cli.textprep", "cli.embeddings", "torch", "numpy", "scipy.sparse", "sklearn",
                 "matplotlib.pyplot",
                 "textprep.pipeline", "textprep.bpe", "textprep.vectorize", "embeddings.keyedvectors",
                 "embeddings.evaluate", "embeddings.plot", "embeddings.word2vec", "embeddings.lm",
                 "embeddings.lm.generate", "embeddings.job", "embeddings.serve", "embeddings.serve.app", "gensim"):
        with contextlib.suppress(ImportError):
            importlib.import_module(name)
    import cli.embeddings
    import cli.textprep

    for build in (cli.textprep.build_parser, cli.embeddings.build_parser):
        build()   # the command modules are imported while the parser is built


def address_space() -> int:
    """This process's virtual memory size in bytes (the baseline the children's limit adds to)."""
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmSize:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError("no VmSize in /proc/self/status")


class Runner:
    def __init__(self, scratch: Path, timeout: float, memory_mb: int):
        self.scratch, self.timeout = scratch, timeout
        self.memory_limit = address_space() + memory_mb * 2**20
        (scratch / "io").mkdir(parents=True, exist_ok=True)

    def run(self, inv: Invocation, name: str) -> Outcome:
        work = self.scratch / name
        work.mkdir(parents=True)
        for copy, source in inv.copies.items():
            (shutil.copytree if Path(source).is_dir() else shutil.copy)(source, work / copy)
        before = {p: p.stat().st_mtime_ns for p in work.rglob("*")}
        out, err = self.scratch / "io" / f"{name}.out", self.scratch / "io" / f"{name}.err"
        sys.stdout.flush()
        sys.stderr.flush()
        start = time.monotonic()
        pid = os.fork()
        if pid == 0:
            self._child(inv, work, out, err)   # never returns
        try:
            status, rusage, timed_out, interrupted = self._wait(pid, inv, out, start)
        except BaseException:   # the driver stopped (Ctrl-C, SIGTERM): the child goes with it
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(pid, signal.SIGKILL)
            raise
        seconds = time.monotonic() - start
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pid, signal.SIGKILL)     # workers the command left behind
        stderr = err.read_text(encoding="utf-8", errors="replace")
        rc = os.waitstatus_to_exitcode(status)
        sig = -rc if rc < 0 else None
        outcome = Outcome(rc=None if sig else rc, signal=sig, seconds=seconds,
                          max_rss_mb=rusage.ru_maxrss / 1024, stderr=stderr, problems=[])
        outcome.problems = judge(inv, outcome, work, before, timed_out, interrupted, self.timeout)
        if not outcome.problems:
            shutil.rmtree(work, ignore_errors=True)
            out.unlink(missing_ok=True)
            err.unlink(missing_ok=True)
        return outcome

    def _wait(self, pid: int, inv: Invocation, out: Path, start: float):
        timed_out = interrupted = False
        serve = inv.kind.startswith("embeddings serve")
        delay = 0.002
        while True:
            done, status, rusage = os.wait4(pid, os.WNOHANG)
            if done:
                return status, rusage, timed_out, interrupted
            if serve and not interrupted and out.exists() and READY in out.read_text(errors="replace"):
                os.kill(pid, signal.SIGINT)
                interrupted = True
            if time.monotonic() - start > self.timeout and not timed_out:
                timed_out = True
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(pid, signal.SIGKILL)
            time.sleep(delay)
            delay = min(delay * 1.5, 0.05)

    def _child(self, inv: Invocation, work: Path, out: Path, err: Path) -> None:
        rc = 1
        try:
            os.setpgid(0, 0)
            resource.setrlimit(resource.RLIMIT_AS, (self.memory_limit, self.memory_limit))
            os.chdir(work)
            for fd, (path, flags) in enumerate([(inv.stdin or os.devnull, os.O_RDONLY),
                                                ("/dev/full" if inv.stdout_full else out,
                                                 os.O_WRONLY | os.O_CREAT | os.O_TRUNC),
                                                (err, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)]):
                os.dup2(os.open(path, flags, 0o644), fd)
            signal.signal(signal.SIGINT, signal.default_int_handler)
            if inv.prog == "textprep":
                from cli.textprep import main
            else:
                from cli.embeddings import main
            try:
                code = main(list(inv.argv))
            except SystemExit as exc:
                code = exc.code
            if code is None:
                rc = 0
            elif isinstance(code, int):
                rc = code
            else:
                print(code, file=sys.stderr)
                rc = 1
        except BaseException:   # noqa: B036 - anything that escapes main is what we look for
            traceback.print_exc()
            rc = 1
        finally:
            with contextlib.suppress(BaseException):
                sys.stdout.flush()
            with contextlib.suppress(BaseException):
                sys.stderr.flush()
            os._exit(rc & 0xFF if rc >= 0 else 1)


def judge(inv: Invocation, o: Outcome, work: Path, before: dict[Path, int], timed_out: bool, interrupted: bool,
          timeout: float) -> list[str]:
    """What is wrong with one run (empty: nothing)."""
    problems = []
    lines = [ln for ln in o.stderr.splitlines() if ln.strip()]
    if timed_out:
        problems.append(f"hang: still running after {timeout:.0f} s")
    elif o.signal is not None:
        problems.append(f"killed by signal {signal.Signals(o.signal).name}")
    if "Traceback (most recent call last)" in o.stderr:
        problems.append("traceback")
    if interrupted:
        if o.rc != 130:
            problems.append(f"exit {o.rc} after Ctrl-C (expected 130)")
    elif o.rc not in (0, 2, None):
        problems.append(f"exit {o.rc}")
    if o.rc == 2:
        errors = [ln for ln in lines if ERROR_LINE.match(ln)]
        if len(errors) != 1 or lines[-1] != errors[0]:
            problems.append(f"exit 2 without one error line last on stderr ({len(lines)} lines)")
    for path in sorted(work.rglob("*")):
        rel = path.relative_to(work)
        if TEMP_NAME.match(path.name):
            problems.append(f"temporary file left: {rel}")
        elif path.suffix == ".json" and path.is_file() and before.get(path) != path.stat().st_mtime_ns:
            try:   # a JSON file the run wrote
                json.loads(path.read_text(encoding="utf-8"))
            except (ValueError, UnicodeDecodeError):
                problems.append(f"JSON file does not parse: {rel}")
    if o.rc not in (0, None) and not interrupted:
        for name in inv.outputs:
            if (work / name).is_file():
                problems.append(f"output {name} written by a failed run")
    return problems
