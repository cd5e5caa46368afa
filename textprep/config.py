"""Config dataclasses whose fields carry their own help text and checks.

Every trainer has a frozen dataclass of settings (``PipelineConfig``, ``BPEConfig``,
``Word2VecConfig``, ``LMConfig``, the main job's ``RunConfig``).  Each field is declared once
with :func:`option`, which stores the help text, the allowed choices and the numeric bounds in
the field's metadata; :func:`check_fields` reads them back in ``__post_init__``, and the CLI
builds its flags from the same metadata (``cli.common.add_config_args``).  A default, a
choice list or a bound therefore lives in exactly one place::

    @dataclass(frozen=True)
    class Config:
        dim: int = option(100, "vector dimension", min=1)
        mode: str = option("stream", "how lines are cut", choices=("stream", "lines"))

        def __post_init__(self):
            check_fields(self)        # then the checks that involve several fields
"""
from __future__ import annotations

import dataclasses
import functools
import types
import typing
from typing import Any

from .errors import ConfigError

_UNSET: Any = dataclasses.MISSING


def option(default: Any = _UNSET, help: str = "", *, choices: tuple | None = None,
           min: float | None = None, max: float | None = None,
           gt: float | None = None, lt: float | None = None,
           default_factory: Any = _UNSET) -> Any:
    """A dataclass field with its help text and checks in the metadata.

    ``min``/``max`` are inclusive bounds, ``gt``/``lt`` exclusive ones; ``None`` always passes
    the checks (declare the field ``int | None`` where that means "not set").
    """
    meta: dict[str, Any] = {"help": help}
    for key, value in (("choices", choices), ("min", min), ("max", max), ("gt", gt), ("lt", lt)):
        if value is not None:
            meta[key] = tuple(value) if key == "choices" else value
    if default_factory is not _UNSET:
        return dataclasses.field(default_factory=default_factory, metadata=meta)
    return dataclasses.field(default=default, metadata=meta)


@functools.cache
def _field_kinds(cls: type) -> dict[str, tuple[type, ...]]:
    """For each field, the plain types its annotation admits (``int | None`` -> ``(int, NoneType)``)."""
    hints = typing.get_type_hints(cls)
    kinds = {}
    for f in dataclasses.fields(cls):
        hint = hints[f.name]
        if typing.get_origin(hint) in (typing.Union, types.UnionType):
            kinds[f.name] = tuple(typing.get_origin(a) or a for a in typing.get_args(hint))
        else:
            kinds[f.name] = (typing.get_origin(hint) or hint,)
    return kinds


def _interval(meta: dict) -> str:
    lo = ("[", meta["min"]) if "min" in meta else ("(", meta["gt"]) if "gt" in meta else None
    hi = (meta["max"], "]") if "max" in meta else (meta["lt"], ")") if "lt" in meta else None
    if lo and hi:
        return f"in {lo[0]}{lo[1]}, {hi[0]}{hi[1]}"
    if lo:
        return f">= {lo[1]}" if lo[0] == "[" else f"> {lo[1]}"
    return f"<= {hi[0]}" if hi[1] == "]" else f"< {hi[0]}"


def check_value(name: str, value: Any, kinds: tuple[type, ...], meta: dict) -> None:
    """Check one value against its field's types and metadata; ``ValueError`` names both."""
    if value is None and type(None) in kinds:
        return
    if bool in kinds:
        if not isinstance(value, bool):
            raise ConfigError(f"{name} must be True or False, got {value!r}")
        return
    if int in kinds and float not in kinds:
        if isinstance(value, bool) or not isinstance(value, int):
            what = "a positive integer" if meta.get("min") == 1 else "an integer"
            raise ConfigError(f"{name} must be {what}, got {value!r}")
    elif float in kinds and (isinstance(value, bool) or not isinstance(value, (int, float))):
        raise ConfigError(f"{name} must be a number, got {value!r}")
    if "choices" in meta and value not in meta["choices"]:
        raise ConfigError(f"{name} must be one of {', '.join(map(str, meta['choices']))}, got {value!r}")
    bounds = [k for k in ("min", "max", "gt", "lt") if k in meta]
    if not bounds:
        return
    ok = (("min" not in meta or value >= meta["min"]) and ("max" not in meta or value <= meta["max"])
          and ("gt" not in meta or value > meta["gt"]) and ("lt" not in meta or value < meta["lt"]))
    if not ok:
        if bounds == ["min"] and meta["min"] == 1 and int in kinds and float not in kinds:
            raise ConfigError(f"{name} must be a positive integer, got {value!r}")
        raise ConfigError(f"{name} must be {_interval(meta)}, got {value!r}")


def check_fields(config: Any) -> None:
    """Check every field of a config dataclass against its :func:`option` metadata."""
    kinds = _field_kinds(type(config))
    for f in dataclasses.fields(config):
        check_value(f.name, getattr(config, f.name), kinds[f.name], f.metadata)

