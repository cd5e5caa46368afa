"""One live run per directory: an exclusive ``fcntl.flock`` on a lock file inside it.

A training run or a pipeline run owns its directory (checkpoints, scratch, artefacts).  A
second process that starts on the same directory must not write there, so each run takes
the directory's lock first; a second one fails at once, with one line naming the process
that holds it, before it has written anything::

    DIR/.lock    "<pid>\\n" of the process holding the lock (for that message only)

The kernel drops an ``flock`` when the last descriptor of its open file closes, that is when
the process ends, however it ends (``kill -9`` included).  A lock file that a killed run
left behind thus holds nothing: the next run locks it and carries on.  A run that ends
normally removes the file while it still holds the lock; a process that opened the old
file just before sees, once it has the lock, that the path no longer names that file, and
starts again with the new one.

Worker processes forked while a lock is held would share its open file, and keep the lock
alive after their parent is killed: they close their copy as they start.

Writes that :mod:`textprep.fileio` left half done when a process was killed
(``.NAME.XXXXXXXX.tmp`` beside their targets) belong to no live process once the lock is
held: :meth:`DirectoryLock.acquire` removes them (``sweep``).
"""
from __future__ import annotations

import contextlib
import fcntl
import os
import re
import time
from collections.abc import Iterable
from pathlib import Path

from .errors import InputError

LOCK_NAME = ".lock"
#: the temporary names of textprep.fileio's atomic writes: ``.NAME.XXXXXXXX.tmp`` (atomic_write) and
#: ``.STEM.XXXXXXXX.tmp.SUFFIX`` (atomic_path), both for the final name NAME = STEM.SUFFIX
_TEMPORARY = re.compile(r"^\.(?P<base>.+)\.[A-Za-z0-9_]{8}\.tmp(?P<suffix>\.[^.]+)?$")

_held: set[int] = set()   # descriptors of the locks this process holds
_depth: dict[str, int] = {}   # lock file -> how many DirectoryLock objects of this process hold it


def _close_inherited() -> None:
    # in a forked child: drop the inherited descriptors (closing, not unlocking: an unlock
    # would release the parent's lock, which shares the open file)
    for fd in list(_held):
        with contextlib.suppress(OSError):
            os.close(fd)
    _held.clear()
    _depth.clear()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_close_inherited)


class DirectoryInUse(InputError):
    """Another live process holds the directory's lock (the message names it)."""


class DirectoryLock:
    """``with DirectoryLock(folder, "run directory"):`` — this process alone writes in ``folder``.

    ``what`` names the folder in the message a second process gets.  ``lock_file`` is the
    lock's path when it is not ``folder/.lock``.  Within one process the lock nests: a command
    that holds it may call a library function that takes it again.
    """

    def __init__(self, folder: str | os.PathLike, what: str = "directory", lock_file: str | os.PathLike | None = None,
                 sweep: bool = True):
        self.folder = Path(folder)
        self.path = Path(lock_file) if lock_file is not None else self.folder / LOCK_NAME
        self.what, self.sweep = what, sweep
        self._fd: int | None = None
        self._made = False   # whether acquire created the lock's folder (removed again if left empty)

    def acquire(self) -> DirectoryLock:
        if self._fd is not None:
            raise RuntimeError(f"{self.path}: already held by this object")
        key = os.path.abspath(self.path)
        if _depth.get(key):
            _depth[key] += 1
            self._fd = -1      # nested: the outer holder keeps the file and the lock
            return self
        self._made = not self.path.parent.exists()
        for _ in range(100):
            self.path.parent.mkdir(parents=True, exist_ok=True)
            try:
                # no O_TRUNC: the holder's pid stays readable until this process has the lock
                fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
            except FileNotFoundError:
                continue   # the folder went away between the two calls (an ending run tidies up)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                pid = _holder(fd)
                os.close(fd)
                raise DirectoryInUse(f"{self.folder}: {self.what} in use by process {pid}; wait for it to end "
                                     "or stop it, or choose another directory") from None
            except BaseException:
                os.close(fd)
                raise
            try:
                same = os.path.samestat(os.fstat(fd), os.stat(self.path))
            except FileNotFoundError:
                same = False
            if not same:  # the previous holder removed this file as it ended: lock the new one
                os.close(fd)
                continue
            os.ftruncate(fd, 0)
            os.write(fd, f"{os.getpid()}\n".encode())
            self._fd = fd
            _held.add(fd)
            _depth[key] = 1
            if self.sweep:
                remove_temporaries(self.folder)
            return self
        raise DirectoryInUse(f"{self.path}: the lock file keeps being replaced; another program is using "
                             f"this {self.what}")

    def release(self) -> None:
        """Remove the lock file, then let go of the lock (the order matters: see the module docstring)."""
        fd, self._fd = self._fd, None
        if fd is None:
            return
        _depth[os.path.abspath(self.path)] -= 1
        if fd == -1:
            return
        _held.discard(fd)
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.path)
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)
        if self._made:  # a run that failed before writing anything leaves no empty folder behind
            with contextlib.suppress(OSError):
                self.path.parent.rmdir()

    def __enter__(self) -> DirectoryLock:
        return self.acquire()

    def __exit__(self, *exc) -> None:
        self.release()


def _holder(fd: int) -> str:
    """The pid written in a lock file another process holds (it writes it just after locking)."""
    for _ in range(50):
        os.lseek(fd, 0, os.SEEK_SET)
        text = os.read(fd, 64).decode("ascii", "replace").strip()
        if text.isdigit():
            return text
        time.sleep(0.01)
    return "(unknown)"


def remove_temporaries(folder: str | os.PathLike, names: Iterable[str] | None = None) -> list[Path]:
    """Delete the leftovers of interrupted atomic writes under ``folder`` (recursively), or only
    those meant for the files ``names`` directly in it; returns them.

    Only call this while holding the lock that guards those files: a live writer's temporary
    file has the same name.
    """
    if names is not None:
        names = set(names)
        folder = Path(folder)
        found = [(folder, f) for f in (os.listdir(folder) if folder.is_dir() else [])]
    else:
        found = [(Path(root), f) for root, _dirs, files in os.walk(folder) for f in files]
    gone: list[Path] = []
    for root, name in found:
        m = _TEMPORARY.match(name)
        if m and (names is None or m["base"] + (m["suffix"] or "") in names):
            with contextlib.suppress(FileNotFoundError):
                (root / name).unlink()
                gone.append(root / name)
    return gone
