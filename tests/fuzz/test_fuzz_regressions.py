"""What the command-line fuzzer caught, one test each, named after the finding.

Each runs the command in-process through ``main(argv)`` and asserts the contract: exit 2 and
one line on standard error (or exit 0), never a traceback.
"""
from __future__ import annotations

import io
import sys

import pytest

from cli.embeddings import main as embeddings_main
from cli.textprep import main as textprep_main


def run(main, argv, capsys, stdin: bytes | None = None, monkeypatch=None) -> tuple[int, list[str]]:
    if stdin is not None:
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(stdin), encoding="utf-8"))
    try:
        rc = main(argv)
    except SystemExit as exc:
        rc = exc.code
    err = capsys.readouterr().err
    return rc, [line for line in err.splitlines() if line.strip()]


@pytest.mark.parametrize("encoding", ["base64", "rot13", "hex", "zlib"])
def test_a_codec_that_is_not_a_text_encoding_is_refused_in_one_line(encoding, capsys, monkeypatch):
    # caught: ``--encoding base64`` passed the codec lookup, then failed inside the line reader
    # with a TypeError traceback
    rc, lines = run(textprep_main, ["preprocess", "-", "--encoding", encoding], capsys, "абв\n".encode(), monkeypatch)
    assert rc == 2
    assert lines == [f"textprep: error: {encoding!r} is not a text encoding"]


@pytest.mark.parametrize("main, argv, prog", [
    (textprep_main, [], "textprep"),
    (textprep_main, ["-q", "bpe"], "textprep bpe"),
    (embeddings_main, [], "embeddings"),
    (embeddings_main, ["lm"], "embeddings lm"),
    (embeddings_main, ["train"], "embeddings train"),
])
def test_a_missing_subcommand_is_one_line_not_the_help_page(main, argv, prog, capsys):
    # caught: ``textprep bpe`` (no subcommand) printed the 16-line help page and exited 2
    rc, lines = run(main, argv, capsys)
    assert rc == 2
    assert len(lines) == 1 and lines[0].startswith(f"{prog}: error: the following arguments are required")
