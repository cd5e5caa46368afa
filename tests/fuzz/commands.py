"""Hypothesis strategies for whole command lines, read off the two argument parsers.

Every leaf command of ``textprep`` and ``embeddings`` (and each group without its subcommand) is
found by walking the parsers, so a flag added tomorrow is fuzzed tomorrow.  A flag's value comes
from its name first (an input text, a vectors file, a model directory, a word, an encoding...),
then from its type (hostile integers and floats, choices and a few that are not).

Values that would make a valid run long or large without being hostile (epochs, layer sizes,
generated lengths, n-gram orders, worker counts) are drawn from small ranges: a run that takes
minutes because it was asked to is not a finding.  Each training command also gets a small
budget first (one epoch, a tiny model), which a fuzzed flag may override.
"""
from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path

from hypothesis import strategies as st

from .runner import Invocation

HOSTILE_INTS = ["0", "-1", "-7", "1.5", "x", "", "nan", "inf", "1e3", " 3", "0x10", "٣", "+2", "1_0",
                "99999999999999999999999"]
HOSTILE_FLOATS = ["nan", "inf", "-inf", "-0.0", "0", "1e308", "-1e308", "1e-320", "x", "", "1,5", "2"]
ENCODINGS = ["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "utf-32", "cp1251", "latin-1", "ascii", "koi8-r",
             "no-such-codec", "", "rot13", "base64", "idna", "hex"]
DEVICES = ["cpu", "auto", "cuda", "cuda:3", "mps", "tpu", "", "cpu:0", "gpu"]
WORDS = ["князь", "андрей", "пьер", "и", "the", "king", "nosuchword", "", " ", "ё", "<unk>", "a" * 10_000,
         "\u202eлив", "👩\u200d👩\u200d👧", "e\u0301", "-", "+", "--", "1", "nan", "a b"]   # no NUL: argv has none
SANE_WORDS = ["князь", "андрей", "пьер", "и", "в", "nosuchword"]
EXPRESSIONS = ["князь - андрей + пьер", "князь + пьер", "- + -", "", "князь", "князь -", "+ князь + князь",
               "king - man + woman", "nosuchword - и + в", "князь -- пьер", "a" * 5000 + " + и"]

#: flags (by their dest) whose values stay small: (lowest, highest) of the sane draws
BUDGET = {
    "epochs": (1, 2), "lm_epochs": (1, 1), "w2v_epochs": (1, 2), "hidden": (1, 16), "lm_hidden": (1, 16),
    "emb_dim": (1, 16), "dim": (1, 16), "w2v_dim": (1, 16), "layers": (1, 2), "lm_layers": (1, 2),
    "max_steps": (1, 20), "max_length": (0, 40), "min_length": (0, 40), "generate_length": (3, 20),
    "generate_min_length": (0, 3), "num": (0, 3), "generate_num": (1, 2), "bptt": (1, 40),
    "batch_size": (1, 64), "eval_batch_size": (1, 64), "order": (1, 6), "ngram_order": (1, 6),
    "negative": (1, 20), "window": (1, 30), "workers": (0, 3), "tokenize_workers": (0, 3), "threads": (0, 3),
    "map_words": (2, 300), "tfidf_docs": (1, 20), "query_count": (1, 20), "dask_workers": (1, 2),
}
#: sane ranges of the float flags whose bounds are not (0, 1)
SANE_FLOATS = {"lr_decay": (1.0, 8.0), "temperature": (0.1, 2.0), "partition_mb": (0.001, 4.0),
               "scheduler_timeout": (0.05, 0.5)}
#: what a training command gets before its fuzzed flags (argparse: a later flag wins)
START = {
    ("embeddings", "lm", "train"): ["--epochs", "1", "--hidden", "8", "--emb-dim", "8", "--layers", "1",
                                    "--max-steps", "10", "--no-progress"],
    ("embeddings", "train", "w2v"): ["--epochs", "1", "--dim", "8", "--no-progress"],
    ("embeddings", "pipeline"): ["--lm-epochs", "1", "--lm-hidden", "8", "--lm-layers", "1", "--w2v-epochs", "1",
                                 "--w2v-dim", "8", "--map-method", "pca", "--generate-num", "1",
                                 "--generate-length", "5", "--generate-min-length", "2", "--workers", "1",
                                 "--lm-max-minutes", "0.05", "--bpe-vocab-size", "300"],
    ("textprep", "bpe", "train"): ["--vocab-size", "300"],
}
#: how many invocations each command gets, relative to 6 for the others: the slow ones and the bare
#: command groups (which only parse) fewer
WEIGHT = {("embeddings", "pipeline"): 2, ("embeddings", "serve"): 2, ("embeddings", "lm", "train"): 4,
          ("embeddings", "train", "w2v"): 4, ("textprep", "bpe", "train"): 4, ("textprep", "tfidf"): 4,
          ("embeddings", "lm", "generate"): 4, ("embeddings", "lm", "eval"): 4, ("embeddings",): 1,
          ("textprep",): 1, ("textprep", "bpe"): 1, ("embeddings", "lm"): 1, ("embeddings", "train"): 1}


#: flags (by dest) never drawn; the test suite leaves out those that start a Dask cluster (seconds each)
SKIP: set[str] = set()


@dataclasses.dataclass
class Files:
    text: dict[str, Path]
    vectors: dict[str, Path]
    bpe: dict[str, Path]
    lm: dict[str, Path]
    w2v: dict[str, Path]               # word2vec checkpoint folders (made from ok_ru.txt, --dim 8 --epochs 1)
    misc: dict[str, Path]


def leaves(prog: str, parser: argparse.ArgumentParser, path: tuple[str, ...] = ()):
    """``(path, parser)`` for every command: the groups themselves, then their subcommands."""
    path = path or (prog,)
    yield path, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from leaves(prog, sub, path + (name,))


def _int(dest: str, hostile_args: bool) -> st.SearchStrategy[str]:
    lo, hi = BUDGET.get(dest, (-3, 100_000))
    sane = st.integers(max(lo, 0 if hostile_args else 1), hi).map(str)
    if not hostile_args:
        return sane
    hostile = st.sampled_from([h for h in HOSTILE_INTS if dest not in BUDGET or not h.lstrip("+").isdigit()])
    return st.one_of(sane, sane, hostile)


def _float(dest: str, hostile_args: bool) -> st.SearchStrategy[str]:
    if dest in ("max_minutes", "lm_max_minutes"):
        return st.sampled_from(["0.01", "0.05", "0", "-1", "nan", "x"] if hostile_args else ["0.01", "0.05"])
    if not hostile_args:   # inside the bounds of the float settings: (0, 1) but for a few
        lo, hi = SANE_FLOATS.get(dest, (0.05, 0.95))
        return st.floats(lo, hi).map(lambda x: f"{x:.3g}")
    sane = st.floats(-2, 5, allow_nan=False).map(lambda x: f"{x:.3g}")
    return st.one_of(sane, st.sampled_from(["0.5", "0.9", "1", "0.1"]), st.sampled_from(HOSTILE_FLOATS))


class Draw:
    """The files and options of one invocation, drawn one value at a time."""

    def __init__(self, draw, files: Files, command: tuple[str, ...]):
        self.draw, self.files, self.command = draw, files, command
        # hostile files with sane flags reach deepest into the code; each alone, or both at once
        self.hostile_files, self.hostile_args = draw(st.sampled_from(
            [(True, False)] * 12 + [(False, True)] * 4 + [(True, True)] * 4))
        self.copies: dict[str, str] = {}
        self.outputs: list[str] = []
        self.stdin: str | None = None

    def pick(self, *options):
        return self.draw(st.sampled_from(options))

    def copy(self, source: Path, name: str) -> str:
        self.copies[name] = str(source)
        return name

    def text(self) -> str:
        t = self.files.text
        kind = self.pick("ok", "ok", "any", "any", "any", "stdin", "missing") if self.hostile_files else "ok"
        if kind == "ok":
            return str(t[self.pick("ok_ru.txt", "ok_en.txt")])
        if kind == "stdin":   # a shell cannot redirect a directory
            self.stdin = str(t[self.pick(*[k for k in t if k != "a_directory"])])
            return "-"
        if kind == "missing":
            return self.pick("no_such_file.txt", "", "no/such/dir/x.txt")
        return str(t[self.pick(*t)])

    def output(self) -> str:
        cmd = self.command
        is_dir = cmd[-1] in ("pipeline",) or cmd[-2:] in (("bpe", "train"), ("lm", "train"))
        kind = self.pick("fresh", "fresh", "fresh", "nested", "existing_dir", "existing_file", "dot", "empty")
        if not (self.hostile_files or self.hostile_args):
            kind = "fresh"
        if kind == "existing_dir":
            if cmd[-2:] == ("lm", "train"):
                return self.copy(self.files.lm[self.pick(*self.files.lm)], "old_lm")
            if cmd[-2:] == ("bpe", "train"):
                return self.copy(self.files.bpe[self.pick(*self.files.bpe)], "old_bpe")
            return self.copy(self.files.text["a_directory"], "existing_dir")
        if kind == "existing_file":
            return self.copy(self.files.text[self.pick("ok_ru.txt", "binary.bin")], "existing.txt")
        if kind in ("dot", "empty"):
            return "." if kind == "dot" else ""
        suffix = {"tfidf": ".npz", "plot": ".png", "w2v": self.pick(".bin", ".txt", ".vec")}.get(cmd[-1], ".txt")
        name = ("out" if is_dir else "out" + suffix)
        name = f"sub/dir/{name}" if kind == "nested" else name
        if not is_dir:
            self.outputs.append(name)
        return name

    def vectors(self) -> str:
        v = self.files.vectors
        name = self.pick("ok.txt", "ok.bin", *v, *v) if self.hostile_files else self.pick("ok.txt", "ok.bin")
        if self.command[-1] == "serve":   # the map is cached beside the vectors: never beside a fixture
            return self.copy(v[name], "vectors" + Path(name).suffix)
        if self.hostile_files and self.pick(False, False, False, True):
            return self.pick("missing.bin", "")
        return str(v[name])

    def lm_dir(self) -> str:
        lm = self.files.lm
        return str(lm[self.pick("ok", "ok", "ngram", *lm) if self.hostile_files else self.pick("ok", "ngram")])

    def bpe_dir(self) -> str:
        b = self.files.bpe
        if not self.hostile_files:
            return str(b["ok"])
        return str(b[self.pick("ok", "ok", *b)]) if self.pick(True, True, True, False) else "no_such_model"

    def words(self, many: bool) -> list[str]:
        n = self.draw(st.integers(1, 4)) if many else 1
        return [self.pick(*(WORDS if self.hostile_args else SANE_WORDS)) for _ in range(n)]

    def value(self, action: argparse.Action) -> list[str]:
        """The value(s) of one flag or positional, by its name and then its type."""
        dest, m = action.dest, self.files.misc
        if dest in ("input", "corpus", "text", "valid"):
            if action.nargs == "+":
                return [self.text() for _ in range(self.draw(st.integers(1, 3)))]
            return [self.text()]
        if dest == "output":
            return [self.output()]
        if dest in ("vectors", "init_vectors"):
            return [self.vectors()]
        if dest == "lm_dir":
            return [self.lm_dir()]
        if dest in ("model", "bpe_model"):
            return [self.bpe_dir()]
        if dest == "checkpoint_dir":
            choice = self.pick("ckpt", "w2v", "w2v", "lm", "file") if self.hostile_files else "ckpt"
            if choice == "w2v":   # resumed on the corpus it was made from, or not
                name = self.pick(*self.files.w2v)
                return [self.copy(self.files.w2v[name], "ckpt_w2v"), *self.pick(["--resume"], [])]
            if choice == "lm":
                return [self.copy(self.files.lm["ok"], "ckpt_lm")]
            if choice == "file":
                return [self.copy(self.files.text["ok_ru.txt"], "ckpt_file")]
            return ["ckpt"]
        if dest == "config":
            return [str(m[self.pick(*[k for k in m if k.startswith("settings")])])]
        if dest in ("analogies", "similarity"):
            return [str(self.pick(m["analogies_ok.txt"], m["analogies_bad.txt"], m["similarity_ok.tsv"],
                                  m["similarity_bad.tsv"], *self.files.text.values()))]
        if dest == "stopwords":
            bad = ("de", "", str(self.files.text["binary.bin"])) if self.hostile_args else ()
            return [self.pick("none", "ru", "en", str(m["stopwords.txt"]), *bad)]
        if dest == "lemma_overrides":
            return [self.pick(str(m["similarity_ok.tsv"]), str(m["settings_ok.json"]), "missing.tsv",
                              str(self.files.text["utf16_bom.txt"]))]
        if dest == "lang" and not self.hostile_args:
            return [self.pick("ru", "en")]
        if dest == "encoding":
            return [self.pick(*ENCODINGS)] if self.hostile_args else ["utf-8"]
        if dest == "device":
            return [self.pick(*DEVICES)] if self.hostile_args else [self.pick("cpu", "auto")]
        if dest == "host":
            return [self.pick("127.0.0.1", "999.1.1.1", "", "::1")] if self.hostile_args else ["127.0.0.1"]
        if dest == "port":
            return [self.pick("0", "-1", "65536", "x")] if self.hostile_args else ["0"]
        if dest == "scheduler":   # an address that refuses at once: nothing listens on port 1
            return [self.pick("tcp://127.0.0.1:1", "князь", "", "tcp://")] if self.hostile_args else \
                ["tcp://127.0.0.1:1"]
        if dest == "expression":
            return [self.pick(*EXPRESSIONS[:3])] if not self.hostile_args else [self.pick(*EXPRESSIONS)]
        if dest in ("word", "prefix", "generate_prefix", "analogy"):
            if not self.hostile_args:
                return [self.pick(*SANE_WORDS, *EXPRESSIONS[:3])]
            return [self.pick(*WORDS, *EXPRESSIONS)]
        if action.nargs in ("+", "*"):
            return self.words(many=True) if action.nargs == "+" or self.pick(True, False) else []
        if isinstance(action, argparse.BooleanOptionalAction) or action.nargs == 0:
            return []
        if action.choices:
            junk = ("", "NONE") if self.hostile_args else ()
            return [self.pick(*map(str, action.choices), *map(str, action.choices), *junk)]
        if action.type is int or getattr(action.type, "__name__", "") in ("_count",):
            return [self.draw(_int(dest, self.hostile_args))]
        if action.type is float:
            return [self.draw(_float(dest, self.hostile_args))]
        if getattr(action.type, "__name__", "") == "_fraction_or_count":
            junk = ("0", "-1", "1.5", "x", "nan", "100000") if self.hostile_args else ()
            return [self.pick("1", "2", "0.5", "0.99", "1.0", *junk)]
        return [self.pick(*(WORDS if self.hostile_args else SANE_WORDS))]


def _flag(action: argparse.Action, d: Draw) -> list[str]:
    if isinstance(action, argparse.BooleanOptionalAction):
        return [d.pick(*action.option_strings)]
    return [d.pick(*action.option_strings), *d.value(action)]


def commands(parsers: dict[str, argparse.ArgumentParser]) -> list[tuple[tuple[str, ...], argparse.ArgumentParser]]:
    """Every command of the parsers: ``(path, parser)``."""
    return [leaf for prog, parser in parsers.items() for leaf in leaves(prog, parser)]


def share(paths: list[tuple[str, ...]], n: int) -> dict[tuple[str, ...], int]:
    """``n`` invocations split over the commands by ``WEIGHT``, at least one each."""
    weights = {p: WEIGHT.get(p, 6) for p in paths}
    total = sum(weights.values())
    exact = {p: max(1.0, n * w / total) for p, w in weights.items()}
    counts = {p: int(x) for p, x in exact.items()}
    for p in sorted(exact, key=lambda p: counts[p] - exact[p])[: max(0, n - sum(counts.values()))]:
        counts[p] += 1
    return counts


def command_lines(files: Files, path: tuple[str, ...], parser: argparse.ArgumentParser) -> st.SearchStrategy:
    """Invocations of one command."""
    return _invocation(files, path, parser)


@st.composite
def _invocation(draw, files: Files, path: tuple[str, ...], parser: argparse.ArgumentParser) -> Invocation:
    d = Draw(draw, files, path)
    argv: list[str] = [*draw(st.sampled_from([[], ["-q"], ["-q"], ["-v"]])), *path[1:]]
    argv += START.get(path, [])
    grouped = {a for g in parser._mutually_exclusive_groups for a in g._group_actions}
    for group in parser._mutually_exclusive_groups:
        members = [a for a in group._group_actions if a.dest not in SKIP]
        if members and draw(st.integers(0, 9)) < (9 if group.required else 1):
            argv += _flag(d.pick(*members), d)
    body: list[list[str]] = []
    for action in parser._actions:
        if isinstance(action, (argparse._HelpAction, argparse._SubParsersAction)) or action in grouped:
            continue
        if action.dest in ("verbose", "quiet") or action.dest in SKIP:
            continue
        if not action.option_strings:   # a positional
            if action.nargs in ("?", "*") and draw(st.integers(0, 3)) == 0:
                continue
            if d.hostile_args and draw(st.integers(0, 19)) == 0:
                continue                  # a required one missing now and then
            body.append(d.value(action))
        elif draw(st.integers(0, 9)) < (9 if action.required else 2):
            body.append(_flag(action, d))
    extra = draw(st.integers(0, 19)) if d.hostile_args else -1
    if extra == 0:
        body.append(["--no-such-flag"])
    elif extra == 1:
        body.append(["stray-argument"])
    elif extra == 2:
        body.append(["--help"])
    for part in draw(st.permutations(body)) if d.hostile_args and draw(st.booleans()) else body:
        argv += part
    # standard output on a full device (/dev/full), now and then; never for serve, watched through it
    full = path[-1] != "serve" and draw(st.integers(0, 24)) == 0
    return Invocation(prog=path[0], argv=argv, stdin=d.stdin, copies=d.copies, outputs=d.outputs, path=path,
                      stdout_full=full)


def big_line_runs(files: Files) -> list[Invocation]:
    """Every command that reads a whole text, once on the one-line file with sane flags: drawn
    invocations seldom take it all the way through (it is one text of many)."""
    big, bpe, lm = str(files.text["big_line.txt"]), str(files.bpe["ok"]), str(files.lm["ok"])
    runs = [
        (("textprep", "preprocess"), [big, "-o", "out.txt"], ["out.txt"]),
        (("textprep", "vocab"), [big, "-o", "vocab.json"], ["vocab.json"]),
        (("textprep", "tfidf"), [big, "--top-k", "3", "--no-lemmatize"], []),
        (("textprep", "bpe", "train"), [big, "--vocab-size", "300", "-o", "bpe"], []),
        (("textprep", "bpe", "encode"), ["--model", bpe, big, "-o", "ids.txt", "--ids"], ["ids.txt"]),
        (("embeddings", "train", "w2v"), [big, "--skipgram", "--dim", "8", "--epochs", "1", "--no-progress", "-o",
                                          "v.txt"], ["v.txt"]),
        (("embeddings", "lm", "train"), [big, "-o", "lm", *START[("embeddings", "lm", "train")]], []),
        (("embeddings", "lm", "eval"), [lm, big], []),
    ]
    return [Invocation(path[0], ["-q", *path[1:], *argv], outputs=outputs, path=path) for path, argv, outputs in runs]
