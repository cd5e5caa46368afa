"""The command line's conventions, checked on every command of ``textprep`` and ``embeddings``:

- ``--help`` loads no third-party package (no torch, gensim, scikit-learn, pymorphy3, not even numpy);
  queries on a text vectors file never load torch;
- argparse's usage errors are one line that names the flag (and the allowed values), exit 2;
- the project's own errors are one line, exit 2; any other exception is a bug: traceback, exit 1;
- one spelling of the shared flags (``--progress/--no-progress``, ``--device``, ``--workers``).
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

import pytest

from cli import embeddings as embeddings_cli
from cli import textprep as textprep_cli
from cli.common import CLIError
from textprep.errors import ConfigError, InputError, UnknownWordError

ROOT = Path(__file__).resolve().parents[1]
PROGRAMS = {"embeddings": embeddings_cli, "textprep": textprep_cli}
OURS = {"cli", "textprep", "embeddings", "corpora", "tests"}
#: third-party packages that building a parser may load: none.  torch alone takes 1.5 s, gensim,
#: scikit-learn, scipy, pymorphy3 and fastapi each a good part of one, and even numpy ~50 ms
#: of a --help that takes ~100 ms without it: the commands import them when they run
LIGHT: set[str] = set()


def _commands(parser: argparse.ArgumentParser, path: tuple[str, ...] = ()):
    """``(path, parser)`` for the program and every subcommand under it, depth first."""
    yield path, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from _commands(sub, (*path, name))


PARSERS = {prog: module.build_parser() for prog, module in PROGRAMS.items()}
COMMANDS = [(prog, path) for prog, parser in PARSERS.items() for path, _ in _commands(parser)]
LEAVES = [(prog, path, p) for prog, parser in PARSERS.items() for path, p in _commands(parser)
          if p.get_default("func") is not None]


def _python(code: str, **kw) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120, **kw)


def _third_party(modules: list[str]) -> set[str]:
    top = {m.split(".")[0] for m in modules}
    return {m for m in top if m not in sys.stdlib_module_names and m not in OURS and not m.startswith("_")}


def test_every_help_loads_no_third_party_package():
    # every --help of both programs in one fresh interpreter: the union of what they load
    paths = {prog: [list(path) for p, path in COMMANDS if p == prog] for prog in PROGRAMS}
    code = f"""
import contextlib, io, json, sys
from cli import embeddings, textprep
for prog, paths in {paths!r}.items():
    main = {{"embeddings": embeddings.main, "textprep": textprep.main}}[prog]
    for path in paths:
        with contextlib.redirect_stdout(io.StringIO()):
            try:
                main(path + ["--help"])
            except SystemExit as exc:
                assert exc.code == 0, (prog, path, exc.code)
print(json.dumps(sorted(sys.modules)))
"""
    run = _python(code)
    assert run.returncode == 0, run.stderr
    loaded = json.loads(run.stdout)
    assert len(COMMANDS) >= 20  # both programs and all their subcommands were asked
    assert _third_party(loaded) <= LIGHT, f"--help loads {sorted(_third_party(loaded) - LIGHT)}"


def test_queries_on_a_text_vectors_file_never_load_torch(tmp_path):
    vectors = tmp_path / "v.txt"
    vectors.write_text("4 3\nking 1 0 0.1\nqueen 1 1 0.1\nman 0 0 1\nwoman 0 1 1\n", encoding="utf-8")
    (tmp_path / "q.txt").write_text(": family\nman woman king queen\n", encoding="utf-8")
    (tmp_path / "s.tsv").write_text("king\tqueen\t8.5\nman\twoman\t8.3\nking\tman\t5.0\n", encoding="utf-8")
    code = f"""
import contextlib, io, json, sys
from cli.embeddings import main
v = {str(vectors)!r}
runs = [["similar", v, "king", "--topn", "2"], ["analogy", v, "king - man + woman", "--topn", "1"],
        ["evaluate", v, "--analogies", {str(tmp_path / "q.txt")!r}, "--similarity", {str(tmp_path / "s.tsv")!r}]]
out = io.StringIO()
with contextlib.redirect_stdout(out):
    codes = [main(argv) for argv in runs]
print(json.dumps({{"codes": codes, "out": out.getvalue(), "modules": sorted(sys.modules)}}))
"""
    run = _python(code)
    assert run.returncode == 0, run.stderr
    result = json.loads(run.stdout)
    assert result["codes"] == [0, 0, 0]
    assert "queen" in result["out"]  # the queries answered
    assert not {"torch", "gensim", "sklearn"} & {m.split(".")[0] for m in result["modules"]}


# -- argparse's own errors -------------------------------------------------------------------
def _usage_error(capsys, prog: str, argv: list[str]) -> str:
    capsys.readouterr()
    with pytest.raises(SystemExit) as exc:
        PARSERS[prog].parse_args(argv)
    err = capsys.readouterr().err
    assert exc.value.code == 2, (argv, err)
    assert len(err.splitlines()) == 1, f"{argv}: not one line:\n{err}"
    return err


def _options(parser: argparse.ArgumentParser):
    for action in parser._actions:
        if action.option_strings and not isinstance(action, (argparse._HelpAction, argparse._SubParsersAction)):
            yield action


def _rejects(action: argparse.Action, text: str) -> bool:
    if action.type is None or action.type in (str, Path):
        return False
    try:
        action.type(text)
    except (ValueError, TypeError, argparse.ArgumentTypeError):
        return True
    return False


@pytest.mark.parametrize("prog, path, parser", LEAVES, ids=[" ".join((p, *path)) for p, path, _ in LEAVES])
def test_usage_errors_are_one_line_naming_the_flag(capsys, prog, path, parser):
    argv = list(path)
    err = _usage_error(capsys, prog, [*argv, "--no-such-flag"])
    assert "--no-such-flag" in err or "required" in err
    required = [a for a in parser._actions if a.required]
    if required or any(g.required for g in parser._mutually_exclusive_groups):
        err = _usage_error(capsys, prog, argv)
        assert "required" in err and f"{prog} {' '.join(path)}: error:" in err
    checked = 0
    for action in _options(parser):
        flag = action.option_strings[-1]
        if action.choices is not None:
            err = _usage_error(capsys, prog, [*argv, flag, "bogus-choice"])
            assert flag in err and "bogus-choice" in err
            assert all(repr(c) in err or str(c) in err for c in action.choices), err
            checked += 1
        if _rejects(action, "x!"):
            err = _usage_error(capsys, prog, [*argv, flag, "x!"])
            assert flag in err and "'x!'" in err
            checked += 1
        if action.nargs is None:
            err = _usage_error(capsys, prog, [*argv, flag])
            assert flag in err and "expected one argument" in err
            checked += 1


GROUPS = [(prog, path, p) for prog, parser in PARSERS.items() for path, p in _commands(parser)
          if any(isinstance(a, argparse._SubParsersAction) for a in p._actions)]


@pytest.mark.parametrize("prog, path, parser", GROUPS, ids=[" ".join((p, *path)) for p, path, _ in GROUPS])
def test_a_missing_subcommand_is_one_line_naming_the_subcommands(capsys, prog, path, parser):
    err = _usage_error(capsys, prog, list(path))
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    assert "required" in err and f"(choose from {', '.join(sub.choices)})" in err


def test_the_usage_checks_cover_choices_types_and_missing_values_on_many_commands():
    kinds = {"choices": 0, "types": 0}
    for _, _, parser in LEAVES:
        for action in _options(parser):
            kinds["choices"] += action.choices is not None
            kinds["types"] += _rejects(action, "x!")
    assert len(LEAVES) >= 15 and kinds["choices"] >= 10 and kinds["types"] >= 40, (len(LEAVES), kinds)


def test_an_unknown_choice_names_the_flag_and_the_allowed_values(capsys):
    err = _usage_error(capsys, "embeddings", ["analogy", "v.txt", "a - b + c", "--method", "cosine"])
    assert err == ("embeddings analogy: error: argument --method: invalid choice: 'cosine' "
                   "(choose from '3cosadd', '3cosmul')\n")


# -- the project's errors against bugs -------------------------------------------------------
@pytest.mark.parametrize("error, line", [
    (CLIError("give an expression"), "give an expression"),
    (InputError("v.txt: line 3: expected 3 values, got 2"), "v.txt: line 3: expected 3 values, got 2"),
    (ConfigError("dim must be a positive integer, got 0"), "dim must be a positive integer, got 0"),
    (UnknownWordError("not in the vocabulary: 'zz'"), "not in the vocabulary: 'zz'"),
    (FileNotFoundError(2, "No such file or directory", "nope.txt"), "nope.txt: No such file or directory"),
    (PermissionError(13, "Permission denied", "/root/x"), "/root/x: Permission denied"),
])
def test_the_projects_errors_are_one_line_and_exit_2(monkeypatch, capsys, error, line):
    def fail(args):
        raise error

    monkeypatch.setattr("cli.w2v_commands.cmd_similar", fail)
    assert embeddings_cli.main(["similar", "v.txt", "king"]) == 2
    assert capsys.readouterr().err == f"embeddings: error: {line}\n"


@pytest.mark.parametrize("bug", [TypeError("unsupported operand"), KeyError("k"), RuntimeError("shape"),
                                 ValueError("too many values to unpack"), AttributeError("no attribute")])
def test_other_exceptions_are_bugs_and_propagate(monkeypatch, bug):
    def fail(args):
        raise bug

    monkeypatch.setattr("cli.w2v_commands.cmd_similar", fail)
    with pytest.raises(type(bug)):
        embeddings_cli.main(["similar", "v.txt", "king"])


def test_a_bug_shows_its_traceback_and_exits_1():
    code = """
import cli.w2v_commands as commands
def buggy(args):
    return {}["missing key"]
commands.cmd_similar = buggy
from cli.embeddings import main
raise SystemExit(main(["similar", "v.txt", "king"]))
"""
    run = _python(code)
    assert run.returncode == 1
    assert "Traceback (most recent call last)" in run.stderr and "KeyError: 'missing key'" in run.stderr
    assert "in buggy" in run.stderr


def test_bad_input_from_the_library_is_still_one_line(tmp_path, capsys):
    bad = tmp_path / "v.txt"
    bad.write_text("2 3\nking 1 0\nqueen 1 1 0\n", encoding="utf-8")
    assert embeddings_cli.main(["similar", str(bad), "king"]) == 2
    assert capsys.readouterr().err == f"embeddings: error: {bad}: line 2: expected 3 values, got 2\n"
    good = tmp_path / "w.txt"
    good.write_text("2 2\nking 1 0\nqueen 1 1\n", encoding="utf-8")
    assert embeddings_cli.main(["similar", str(good), "prince"]) == 2
    assert capsys.readouterr().err == "embeddings: error: not in the vocabulary: 'prince'\n"


# -- one vocabulary for the shared flags -----------------------------------------------------
def test_progress_is_spelled_progress_no_progress_everywhere():
    seen = 0
    for prog, path, parser in LEAVES:
        flags = {s for a in _options(parser) for s in a.option_strings if "progress" in s}
        if flags:
            seen += 1
            assert flags == {"--progress", "--no-progress"}, (prog, path, flags)
    assert seen >= 5  # preprocess, bpe train, train w2v, lm train, pipeline


def test_every_lm_subcommand_takes_device_with_one_default():
    lm = {path[-1]: parser for prog, path, parser in LEAVES if path[:1] == ("lm",)}
    assert set(lm) >= {"train", "eval", "generate"}
    defaults = {name: parser.get_default("device") for name, parser in lm.items()}
    assert set(defaults.values()) == {"auto"}, defaults


def test_workers_zero_means_every_cpu_everywhere():
    for prog, path, parser in LEAVES:
        for action in _options(parser):
            if {"--workers", "--tokenize-workers"} & set(action.option_strings):
                assert "0: one per" in (action.help or ""), (prog, path, action.option_strings, action.help)
                if action.type is int:
                    assert action.type("0") == 0


def test_no_help_page_says_default_none():
    # "(default: None)" says nothing; where a flag's default is None its help says what happens
    pages = {(prog, path): parser.format_help() for prog, path, parser in LEAVES}
    assert len(pages) >= 15
    assert [key for key, text in pages.items() if "default: None" in text] == []
    generate = pages[("embeddings", ("lm", "generate"))]
    assert "default 10 words" in " ".join(generate.split())          # the real default, from the help
    assert "(default: 0.95)" in " ".join(generate.split())           # other defaults still shown
