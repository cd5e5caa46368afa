"""Resumable stages: an artefact appears whole or not at all, and finished stages are skipped."""
from __future__ import annotations

import pytest

from embeddings.job.state import RunState, fingerprint


def _writer(calls: list, text: str = "x"):
    def body(out, scratch):
        calls.append(out)
        out.write_text(text, encoding="utf-8")
        return {"chars": len(text)}
    return body


def test_a_finished_stage_is_skipped_on_the_next_run(tmp_path):
    calls: list = []
    RunState(tmp_path).run("a", {"k": 1}, "a.txt", _writer(calls))
    rec = RunState(tmp_path).run("a", {"k": 1}, "a.txt", _writer(calls))
    assert len(calls) == 1 and rec["chars"] == 1
    assert (tmp_path / "a.txt").read_text(encoding="utf-8") == "x"
    assert not (tmp_path / ".work" / "a").exists()


def test_changed_settings_rerun_the_stage_and_replace_the_artefact(tmp_path):
    calls: list = []
    RunState(tmp_path).run("a", {"k": 1}, "a.txt", _writer(calls, "old"))
    RunState(tmp_path).run("a", {"k": 2}, "a.txt", _writer(calls, "new"))
    assert len(calls) == 2 and (tmp_path / "a.txt").read_text(encoding="utf-8") == "new"


def test_a_failing_stage_leaves_no_artefact_and_no_record(tmp_path):
    def body(out, scratch):
        out.write_text("half", encoding="utf-8")
        raise RuntimeError("killed")

    with pytest.raises(RuntimeError):
        RunState(tmp_path).run("a", {}, "a.txt", body)
    assert not (tmp_path / "a.txt").exists()
    assert not RunState(tmp_path).done("a", {})
    # the next run starts the stage again and completes it
    calls: list = []
    RunState(tmp_path).run("a", {}, "a.txt", _writer(calls))
    assert RunState(tmp_path).done("a", {})


def test_scratch_checkpoints_survive_a_crash_with_the_same_settings_only(tmp_path):
    def crash(out, scratch):
        (scratch / "ckpt").write_text("epoch 1", encoding="utf-8")
        raise RuntimeError("killed")

    with pytest.raises(RuntimeError):
        RunState(tmp_path).run("lm", {"e": 3}, "lm", crash)
    seen = []

    def resume(out, scratch):
        seen.append((scratch / "ckpt").exists())
        out.mkdir()
        (out / "weights").write_text("w", encoding="utf-8")

    with pytest.raises(RuntimeError):
        RunState(tmp_path).run("lm", {"e": 3}, "lm", crash)
    RunState(tmp_path).run("lm", {"e": 3}, "lm", resume)
    assert seen == [True] and (tmp_path / "lm" / "weights").exists()
    # other settings: the stale checkpoint is not offered
    with pytest.raises(RuntimeError):
        RunState(tmp_path).run("lm2", {"e": 3}, "lm2", crash)
    RunState(tmp_path).run("lm2", {"e": 4}, "lm2", resume)
    assert seen == [True, False]


def test_a_stage_that_writes_nothing_is_an_error(tmp_path):
    with pytest.raises(RuntimeError, match="without writing"):
        RunState(tmp_path).run("a", {}, "a.txt", lambda out, scratch: None)


def test_fingerprint_is_order_independent():
    assert fingerprint({"a": 1, "b": 2}) == fingerprint({"b": 2, "a": 1}) != fingerprint({"a": 2, "b": 1})
