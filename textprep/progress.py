"""Progress of long loops: a tqdm bar on a terminal, a plain line every few seconds elsewhere.

A bar redraws itself with carriage returns.  On a terminal that is what people want; in a log
file (CI, ``nohup``, ``2> log``, a pipe) every redraw stays, and a minute of training leaves
tens of kilobytes of half-drawn bars.  So :func:`progress_bar` looks at the stream first:

    terminal (or a notebook)   tqdm, as it always was
    anything else              one line every ``interval`` seconds, and one at the end:

        word2vec: 1.20M/5.00M word (24%), 181k word/s, elapsed 0:07, ETA 0:21, loss=2.345

A bar that is kept (``leave=True``, tqdm's default) ends with one closing line however short
its loop; one that is not kept (an epoch's batches) shows only its periodic lines.  Both kinds
answer tqdm's calls that the toolkit uses (``update``, ``set_postfix``, ``n``, ``close``,
iteration, ``with``), so the code that drives a bar never asks which one it has.  The interval
is 5 s unless the environment sets ``TEXTPREP_PROGRESS_INTERVAL`` (seconds); :func:`set_enabled`
turns every bar of the process off (the command line's ``--no-progress``).
"""
from __future__ import annotations

import os
import sys
import threading
from collections.abc import Iterable, Iterator
from time import monotonic
from typing import Any, TextIO

DEFAULT_INTERVAL = 5.0
INTERVAL_ENV = "TEXTPREP_PROGRESS_INTERVAL"

_enabled = True


def set_enabled(enabled: bool) -> bool:
    """Show (True) or hide (False) every progress bar this process makes from now on; returns
    the previous setting, to put back."""
    global _enabled
    previous, _enabled = _enabled, bool(enabled)
    return previous


def is_terminal(stream: TextIO) -> bool:
    """Whether ``stream`` redraws in place: a terminal, or a Jupyter kernel's output cell."""
    try:
        if stream.isatty():
            return True
    except (AttributeError, ValueError):  # no isatty, or a closed stream
        return False
    return "ipykernel" in sys.modules


def progress_bar(iterable: Iterable | None = None, *, total: float | None = None, desc: str = "",
                 unit: str = "it", unit_scale: bool = False, initial: float = 0, leave: bool = True,
                 enabled: bool = True, stream: TextIO | None = None, **tqdm_kw: Any):
    """A progress bar over ``iterable`` (or one driven by ``update(n)``) on ``stream`` (stderr).

    A tqdm bar when the stream is a terminal, a :class:`LineProgress` otherwise, and a silent
    counter when ``enabled`` is false or :func:`set_enabled` turned bars off.  ``tqdm_kw``
    (``smoothing``, ``mininterval``, ...) only reach tqdm.
    """
    stream = sys.stderr if stream is None else stream
    if not (enabled and _enabled):
        return SilentProgress(iterable, initial)
    if is_terminal(stream):
        from tqdm import tqdm

        return tqdm(iterable, total=total, desc=desc, unit=unit, unit_scale=unit_scale, initial=initial,
                    leave=leave, file=stream, **tqdm_kw)
    return LineProgress(iterable, total=total, desc=desc, unit=unit, unit_scale=unit_scale, initial=initial,
                        leave=leave, stream=stream)


class SilentProgress:
    """Counts like a bar and shows nothing."""

    def __init__(self, iterable: Iterable | None = None, initial: float = 0):
        self.iterable, self.n = iterable, initial

    def __iter__(self) -> Iterator:
        for item in self.iterable or ():
            yield item
            self.n += 1

    def update(self, n: float = 1) -> None:
        self.n += n

    def set_postfix(self, ordered_dict: dict | None = None, refresh: bool = True, **kw: Any) -> None:
        pass

    def set_postfix_str(self, s: str = "", refresh: bool = True) -> None:
        pass

    def set_description(self, desc: str | None = None, refresh: bool = True) -> None:
        pass

    def close(self) -> None:
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class LineProgress(SilentProgress):
    """One line per ``interval`` seconds (count, share of the total, rate, elapsed, ETA, postfix)."""

    def __init__(self, iterable: Iterable | None = None, *, total: float | None = None, desc: str = "",
                 unit: str = "it", unit_scale: bool = False, initial: float = 0, leave: bool = True,
                 stream: TextIO | None = None, interval: float | None = None):
        super().__init__(iterable, initial)
        if total is None and iterable is not None and hasattr(iterable, "__len__"):
            total = len(iterable)  # type: ignore[arg-type]
        self.total, self.desc, self.unit, self.unit_scale, self.leave = total, desc, unit, unit_scale, leave
        self.stream = sys.stderr if stream is None else stream
        self.interval = interval_from_env() if interval is None else interval
        self.postfix = ""
        self.lines = 0  # lines written so far
        self._initial = initial
        self._start = monotonic()
        self._due = self._start + self.interval
        self._lock = threading.Lock()  # Hogwild threads may report at once
        self._closed = False

    def update(self, n: float = 1) -> None:
        with self._lock:
            self.n += n
            now = monotonic()
            if now >= self._due and not self._closed:
                self._write(now)
                self._due = now + self.interval

    def __iter__(self) -> Iterator:
        for item in self.iterable or ():
            yield item
            self.update(1)
        self.close()  # as tqdm does at the end of its iterable

    def set_postfix(self, ordered_dict: dict | None = None, refresh: bool = True, **kw: Any) -> None:
        items = {**(ordered_dict or {}), **kw}
        self.postfix = ", ".join(f"{k}={_postfix_value(v)}" for k, v in items.items())

    def set_postfix_str(self, s: str = "", refresh: bool = True) -> None:
        self.postfix = s

    def set_description(self, desc: str | None = None, refresh: bool = True) -> None:
        self.desc = desc or ""

    def close(self) -> None:
        with self._lock:
            if self._closed:
                return
            self._closed = True
            if self.leave:  # the log keeps the total, the rate and the time of every kept bar
                self._write(monotonic(), done=True)

    def line(self, now: float | None = None, done: bool = False) -> str:
        """The text of one progress line."""
        elapsed = (monotonic() if now is None else now) - self._start
        rate = (self.n - self._initial) / elapsed if elapsed > 0 else 0.0
        count = _number(self.n, self.unit_scale)
        parts = []
        if self.total:
            parts.append(f"{count}/{_number(self.total, self.unit_scale)} {self.unit} "
                         f"({100 * self.n / self.total:.0f}%)")
        else:
            parts.append(f"{count} {self.unit}")
        parts.append(f"{_number(rate, True)} {self.unit}/s")
        parts.append(f"elapsed {_clock(elapsed)}")
        if self.total and rate > 0 and not done:
            parts.append(f"ETA {_clock(max(self.total - self.n, 0) / rate)}")
        if done:
            parts.append("done")
        if self.postfix:
            parts.append(self.postfix)
        return (f"{self.desc}: " if self.desc else "") + ", ".join(parts)

    def _write(self, now: float, done: bool = False) -> None:
        try:
            self.stream.write(self.line(now, done) + "\n")
            self.stream.flush()
        except (OSError, ValueError):  # a closed pipe or stream must not stop the work it reports on
            return
        self.lines += 1


def interval_from_env() -> float:
    """Seconds between progress lines: ``TEXTPREP_PROGRESS_INTERVAL`` when set to a positive number."""
    try:
        value = float(os.environ.get(INTERVAL_ENV, ""))
    except ValueError:
        return DEFAULT_INTERVAL
    return value if value > 0 else DEFAULT_INTERVAL


def _number(x: float, scale: bool) -> str:
    """``1234567`` -> ``1.23M`` when scaling, else ``1234567`` (a fraction keeps 3 significant digits)."""
    if scale:
        for suffix in ("", "k", "M", "G", "T"):
            if abs(x) < 999.5:
                return f"{x:.3g}{suffix}"
            x /= 1000
        return f"{x:.3g}P"
    return f"{x:g}" if isinstance(x, float) and not x.is_integer() else f"{int(x)}"


def _clock(seconds: float) -> str:
    """``75`` -> ``1:15``, ``3725`` -> ``1:02:05``."""
    s = int(seconds)
    h, m, s = s // 3600, s // 60 % 60, s % 60
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


def _postfix_value(v: Any) -> str:
    return f"{v:.4g}" if isinstance(v, float) else str(v)
