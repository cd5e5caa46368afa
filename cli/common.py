"""Shared plumbing of the command-line front ends: flags from config dataclasses,
logging, and the one-line error convention (message on stderr, non-zero exit)."""
from __future__ import annotations

import argparse
import dataclasses
import logging
import sys
import typing
from collections.abc import Callable, Iterable, Sequence

from textprep import progress
from textprep.errors import InputError

EXIT_USAGE = 2


class CLIError(Exception):
    """An error already phrased for the user: printed as one line, exit code 2."""


#: the exceptions that are the user's to fix; every other one is a bug and keeps its traceback
USER_ERRORS: tuple[type[BaseException], ...] = (CLIError, InputError, OSError)


class HelpFormatter(argparse.RawDescriptionHelpFormatter, argparse.ArgumentDefaultsHelpFormatter):
    """Descriptions as written, and each flag's default after its help, except a default of None
    ("(default: None)" says nothing: the help says what happens without the flag)."""

    def _get_help_string(self, action: argparse.Action) -> str:
        if action.default is None:
            return action.help or ""
        return super()._get_help_string(action)


class Parser(argparse.ArgumentParser):
    """An argument parser whose usage errors are one line on stderr and exit code 2, like every
    other error of the front ends (``--help`` still shows the usage); its subcommands inherit it."""

    def error(self, message: str) -> typing.NoReturn:
        for action in self._actions:  # a missing subcommand: name the ones there are
            if isinstance(action, argparse._SubParsersAction) and message.endswith(f"required: {action.metavar}"):
                message += f" (choose from {', '.join(action.choices)})"
        self.exit(EXIT_USAGE, f"{self.prog}: error: {' '.join(message.split())}\n")


def add_subparser(sub, name: str, help: str, example: str = "", **kw) -> argparse.ArgumentParser:
    """A subcommand whose ``--help`` ends with a usage example."""
    epilog = f"example:\n  {example}" if example else None
    return sub.add_parser(name, help=help, description=help, epilog=epilog, formatter_class=HelpFormatter, **kw)


def add_config_args(
    parser: argparse.ArgumentParser,
    config_cls,
    skip: Iterable[str] = (),
    rename: dict[str, str] | None = None,
) -> None:
    """Add one ``--flag`` per field of a config dataclass, default taken from the field.

    ``bool`` fields become ``--flag/--no-flag``; the help text is the field's
    ``metadata["help"]``.  Each default thus lives in one place, the dataclass.
    """
    rename = rename or {}
    hints = typing.get_type_hints(config_cls)
    for f in dataclasses.fields(config_cls):
        if f.name in skip:
            continue
        flag = "--" + rename.get(f.name, f.name.replace("_", "-"))
        default = f.default if f.default is not dataclasses.MISSING else f.default_factory()  # type: ignore[misc]
        kind = hints[f.name]
        helptext = f.metadata.get("help", "")
        origin = typing.get_origin(kind)
        args = [a for a in typing.get_args(kind) if a is not type(None)]
        if kind is bool:
            parser.add_argument(flag, dest=f.name, action=argparse.BooleanOptionalAction, default=default,
                                help=helptext)
            continue
        if origin in (typing.Union, getattr(__import__("types"), "UnionType", None)) and len(args) == 1:
            kind = args[0]
        choices = f.metadata.get("choices")
        if typing.get_origin(kind) in (tuple, list):
            parser.add_argument(flag, dest=f.name, nargs="*", default=default, help=helptext)
        else:
            parser.add_argument(flag, dest=f.name, type=kind, default=default, choices=choices, help=helptext)


def config_from_args(config_cls, args: argparse.Namespace, **overrides):
    """Build a config dataclass from the parsed flags that name its fields."""
    names = {f.name for f in dataclasses.fields(config_cls)}
    values = {k: v for k, v in vars(args).items() if k in names}
    for k, v in values.items():
        if isinstance(v, list):
            values[k] = tuple(v)
    values.update(overrides)
    return config_cls(**values)


def setup_logging(verbose: int = 0) -> None:
    level = logging.WARNING if verbose < 0 else logging.INFO if verbose == 0 else logging.DEBUG
    logging.basicConfig(level=level, format="%(message)s", stream=sys.stderr, force=True)
    # libraries' own chatter (pymorphy3 announces its dictionaries) only with -v
    for name in ("pymorphy3", "gensim", "matplotlib"):
        logging.getLogger(name).setLevel(logging.DEBUG if verbose > 0 else logging.WARNING)


def run_main(prog: str, parser: argparse.ArgumentParser, argv: Sequence[str] | None) -> int:
    """Parse ``argv`` and run the chosen subcommand's ``func(args) -> int | None``.

    Errors the user can fix (:class:`CLIError`, the library's :class:`~textprep.errors.InputError`
    family, a file the system refuses) become one line on stderr and exit code 2; Ctrl-C exits
    130.  Anything else is a bug: it propagates with its traceback (exit code 1).
    """
    args = parser.parse_args(argv)
    func: Callable | None = getattr(args, "func", None)
    if func is None:
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    setup_logging(getattr(args, "verbose", 0) - getattr(args, "quiet", 0))
    # --no-progress: no bar anywhere in this run, also in library calls that take no flag
    hide_bars = getattr(args, "progress", None) is False
    bars_before = progress.set_enabled(False) if hide_bars else None
    try:
        rc = func(args)
    except KeyboardInterrupt as exc:  # training stops at a safe point and says how to resume
        from .interrupted import interrupted_line

        print(interrupted_line(prog, argv, exc), file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    except USER_ERRORS as exc:
        print(f"{prog}: error: {error_line(exc)}", file=sys.stderr)
        return EXIT_USAGE
    finally:
        if bars_before is not None:
            progress.set_enabled(bars_before)
    return int(rc or 0)


def error_line(exc: BaseException) -> str:
    """The one-line message of a user error (an ``OSError`` names its file first)."""
    if isinstance(exc, OSError) and exc.filename is not None and exc.strerror:
        names = [str(exc.filename)] + ([str(exc.filename2)] if exc.filename2 is not None else [])
        msg = f"{' -> '.join(names)}: {exc.strerror}"
    else:
        msg = str(exc)
    return " ".join(msg.split()) or type(exc).__name__


def add_verbosity(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more log output")
    parser.add_argument("-q", "--quiet", action="count", default=0, help="less log output")
