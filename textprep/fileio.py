"""Atomic output files: write to a temporary file beside the target, then rename.

A reader never sees a half-written file, and an interrupted run (even ``kill -9``)
leaves either the old file or the new one, never a mix.  A full disk (or a file-size
limit) becomes :class:`DiskFullError`, one line naming the final path; the temporary file
is removed and the old file stays as it was.
"""
from __future__ import annotations

import contextlib
import errno
import json
import os
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from .errors import InputError

# mkstemp creates files readable by their owner only; output files get the usual
# permissions instead (0666 less the process's umask), like a file opened with open().
_UMASK = os.umask(0)
os.umask(_UMASK)
_FILE_MODE = 0o666 & ~_UMASK


#: errno values that mean "the data does not fit": no space, a file-size limit (RLIMIT_FSIZE), a quota
_FULL = {errno.ENOSPC, errno.EFBIG, errno.EDQUOT}
# Libraries that write files in native code report the errno only in their message
# (safetensors: "I/O error: No space left on device (os error 28)").
_OS_ERROR = re.compile(r"\(os error (\d+)\)")


class DiskFullError(InputError, OSError):
    """Writing an output file failed for lack of space: one line naming the file.

    An ``InputError`` (the user can fix it by freeing space) and an ``OSError`` with
    ``errno`` ENOSPC, so callers that catch either keep working.
    """

    def __init__(self, path: str | os.PathLike):
        super().__init__(f"{path}: no space left on device")
        self.errno = errno.ENOSPC
        self.filename = str(path)

    def __str__(self) -> str:
        return str(self.args[0])


def is_disk_full(exc: BaseException | None) -> bool:
    """Whether ``exc`` or an exception it was raised from is a full disk.

    Libraries wrap the ``OSError`` of a failed write in their own types (``torch.save``
    raises ``RuntimeError`` whose context is the ``OSError``), so the whole chain is searched.
    """
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, OSError) and exc.errno in _FULL:
            return True
        m = _OS_ERROR.search(str(exc))
        if m and int(m.group(1)) in _FULL:
            return True
        exc = exc.__cause__ or exc.__context__
    return False


@contextlib.contextmanager
def _full_disk_names(path: Path) -> Iterator[None]:
    """Turn a full disk met while writing ``path`` into :class:`DiskFullError` naming ``path``."""
    try:
        yield
    except DiskFullError:
        raise
    except Exception as exc:
        if is_disk_full(exc):
            raise DiskFullError(path) from None
        raise


def _temp_beside(path: Path, prefix: str, suffix: str) -> tuple[int, str]:
    with _full_disk_names(path):
        path.parent.mkdir(parents=True, exist_ok=True)
        return tempfile.mkstemp(prefix=prefix, suffix=suffix, dir=path.parent)


@contextlib.contextmanager
def atomic_write(path: str | os.PathLike, mode: str = "w", encoding: str | None = "utf-8") -> Iterator[IO]:
    """Open a temporary file for writing; on success it replaces ``path`` in one rename.

    On an exception the temporary file is removed and ``path`` is left untouched; a full
    disk raises :class:`DiskFullError` naming ``path``.  A library that can write to an
    open binary file (``torch.save``, ``np.savez``) should be given this one rather than
    :func:`atomic_path`: its write errors then keep their errno.
    """
    path = Path(path)
    if path.is_dir():
        raise IsADirectoryError(f"{path}: is a directory, expected a file path")
    binary = "b" in mode
    fd, tmp = _temp_beside(path, f".{path.name}.", ".tmp")
    try:
        with _full_disk_names(path):
            os.chmod(tmp, _FILE_MODE)
            with os.fdopen(fd, mode, encoding=None if binary else encoding) as fh:
                yield fh
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path to hand to a library that writes files itself
    (``fig.savefig``, ``safetensors``); renamed onto ``path`` on success.  A full disk raises
    :class:`DiskFullError` naming ``path`` when the library's error says so."""
    path = Path(path)
    fd, tmp = _temp_beside(path, f".{path.stem}.", f".tmp{path.suffix}")
    os.close(fd)
    try:
        with _full_disk_names(path):
            yield Path(tmp)
            os.chmod(tmp, _FILE_MODE)  # after the library wrote it: some recreate the file
            os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def write_json(path: str | os.PathLike, obj: Any) -> None:
    """Write ``obj`` as pretty UTF-8 JSON, atomically."""
    with atomic_write(path) as fh:
        json.dump(obj, fh, ensure_ascii=False, indent=2)
        fh.write("\n")


def read_json(path: str | os.PathLike, what: str = "JSON file") -> Any:
    """Read a JSON file, turning every failure into a one-line ``ValueError`` naming the file."""
    path = Path(path)
    if not path.exists():
        raise InputError(f"{path}: no such {what}")
    try:
        with open(path, encoding="utf-8") as fh:
            return json.load(fh)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: malformed {what} ({exc})") from None
