"""Resumable multi-stage runs: every stage's artefact appears whole or not at all.

A run directory holds one artefact per stage (a file or a folder) and ``state.json``,
which records, per finished stage, a fingerprint of the settings it was made with::

    RUN_DIR/
      state.json            {"stages": {"bpe": {"fingerprint": "...", "seconds": 3.1}, ...}}
      bpe/                  finished artefacts (renamed into place in one step)
      .work/bpe/            scratch space of a stage in progress (checkpoints live here)

A stage writes into its scratch folder and the folder is renamed onto its final name only
when the stage returns; then ``state.json`` is rewritten atomically.  A run killed at any
point (``kill -9`` included) thus leaves finished stages intact, no half-written artefact
under a final name, and a scratch folder that the next run either resumes from (training
checkpoints) or clears.  A stage is skipped on the next run when its fingerprint matches.
"""
from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from textprep.errors import InputError
from textprep.fileio import DiskFullError, read_json, write_json

STATE_FILE = "state.json"


def fingerprint(settings: Any) -> str:
    """A short stable hash of JSON-able settings."""
    blob = json.dumps(settings, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()[:16]


class RunState:
    """The record of which stages of a run directory are complete."""

    def __init__(self, run_dir: str | os.PathLike):
        self.dir = Path(run_dir)
        if self.dir.exists() and not self.dir.is_dir():
            raise InputError(f"{self.dir}: exists and is not a directory")
        self.dir.mkdir(parents=True, exist_ok=True)
        path = self.dir / STATE_FILE
        self.stages: dict[str, dict] = read_json(path, "run state file").get("stages", {}) if path.exists() else {}

    def done(self, name: str, settings: Any) -> bool:
        rec = self.stages.get(name)
        return bool(rec) and rec.get("fingerprint") == fingerprint(settings) and (self.dir / rec["artefact"]).exists()

    def record(self, name: str) -> dict:
        return self.stages.get(name, {})

    def scratch(self, name: str) -> Path:
        """The stage's scratch folder, kept across interrupted runs for resuming."""
        path = self.dir / ".work" / name
        path.mkdir(parents=True, exist_ok=True)
        return path

    def run(self, name: str, settings: Any, artefact: str, body: Callable[[Path, Path], dict | None]) -> dict:
        """Run stage ``name`` unless it is already done with these ``settings``.

        ``body(out, scratch)`` must write the artefact at ``out`` (a path inside the
        scratch folder, renamed to ``RUN_DIR/artefact`` on success) and may keep
        checkpoints in ``scratch``.  It returns a dict of figures stored in the state.
        """
        if self.done(name, settings):
            return self.stages[name]
        fp = fingerprint(settings)
        scratch = self.scratch(name)
        marker = scratch / "fingerprint"
        if marker.exists() and marker.read_text(encoding="utf-8") != fp:
            # Checkpoints made with other settings must not be resumed.
            shutil.rmtree(scratch)
            scratch.mkdir(parents=True)
        marker.write_text(fp, encoding="utf-8")
        out = scratch / ("out-" + Path(artefact).name)
        if out.exists():
            _remove(out)
        start = time.perf_counter()
        try:
            figures = body(out, scratch) or {}
        except DiskFullError as exc:
            if exc.filename == str(out):   # the artefact itself: named where the user will look for it
                raise DiskFullError(self.dir / artefact) from None
            raise
        if not out.exists():
            raise RuntimeError(f"stage {name!r} finished without writing {artefact}")
        final = self.dir / artefact
        # The old artefact (made with other settings) goes first; a crash in between
        # leaves no artefact, which the state then does not claim.
        self.stages.pop(name, None)
        self._save()
        if final.exists():
            _remove(final)
        os.replace(out, final)
        self.stages[name] = {
            "fingerprint": fp,
            "artefact": artefact,
            "seconds": round(time.perf_counter() - start, 2),
            **figures,
        }
        self._save()
        shutil.rmtree(scratch, ignore_errors=True)
        return self.stages[name]

    def _save(self) -> None:
        write_json(self.dir / STATE_FILE, {"stages": self.stages})


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    else:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
