"""The line a command prints when Ctrl-C stops it: what was kept, and the command that resumes."""
from __future__ import annotations

import shlex
import sys
from collections.abc import Sequence


def interrupted_line(prog: str, argv: Sequence[str] | None, exc: KeyboardInterrupt) -> str:
    """``prog: interrupted ...; resume with: prog ARGS [--resume]`` for training stopped at a safe
    point (:class:`embeddings.interrupt.Interrupted`); a plain ``prog: interrupted`` otherwise."""
    from embeddings.interrupt import Interrupted

    if not isinstance(exc, Interrupted):
        return f"{prog}: interrupted"
    words = list(sys.argv[1:] if argv is None else argv)
    if exc.needs_resume and "--resume" not in words:
        words.append("--resume")
    return f"{prog}: {' '.join(str(exc).split())}; resume with: {prog} {shlex.join(words)}"
