"""Ctrl-C during training: stop at the next safe point, never in the middle of a write.

Python raises ``KeyboardInterrupt`` wherever the main thread happens to be, which may be
halfway through a step or a checkpoint.  While a training loop runs inside
:func:`safe_points`, the first SIGINT only raises a flag; the loop calls
:func:`stop_if_interrupted` between steps (and between epochs, after the epoch's files are written), which raises
:class:`Interrupted` there::

    Ctrl-C ─▶ flag ─▶ next step boundary ─▶ Interrupted ─▶ the CLI prints how to resume, exit 130
    Ctrl-C again ─▶ Interrupted at once (the files are still whole: every write is atomic)

Outside the main thread, or where the program has its own SIGINT handler, nothing changes.
"""
from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator


class Interrupted(KeyboardInterrupt):
    """Training stopped on Ctrl-C at a safe point: every file it wrote is whole.

    ``needs_resume``: the same call continues only with ``resume=True`` (the command line's
    ``--resume``); False where running it again resumes by itself (the main job).
    """

    def __init__(self, message: str = "interrupted", needs_resume: bool = True):
        super().__init__(message)
        self.needs_resume = needs_resume

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else "interrupted"


_pending = False
_depth = 0


def pending() -> bool:
    """Whether Ctrl-C was pressed and not yet acted on."""
    return _pending


def stop_if_interrupted(message: str = "interrupted") -> None:
    """A safe point: raise :class:`Interrupted` with ``message`` if Ctrl-C was pressed."""
    global _pending
    if _pending:
        _pending = False
        raise Interrupted(message)


def _on_sigint(signum, frame) -> None:
    global _pending
    if _pending:  # pressed twice: the user does not want to wait for the safe point
        _pending = False
        raise Interrupted("interrupted")
    _pending = True


@contextlib.contextmanager
def safe_points() -> Iterator[None]:
    """Defer SIGINT to the :func:`stop_if_interrupted` calls made inside the block.

    A Ctrl-C the block never reached a safe point for is raised as it ends normally, so a
    caller that goes on with other work (the main job's next stage) stops too.
    """
    global _pending, _depth
    mine = (threading.current_thread() is threading.main_thread()
            and (_depth > 0 or signal.getsignal(signal.SIGINT) is signal.default_int_handler))
    if not mine:
        yield
        return
    previous = signal.signal(signal.SIGINT, _on_sigint) if _depth == 0 else None
    _depth += 1
    pressed = False
    try:
        yield
    finally:
        _depth -= 1
        if _depth == 0:
            signal.signal(signal.SIGINT, previous)
            pressed, _pending = _pending, False
    if pressed:
        raise Interrupted("interrupted")
