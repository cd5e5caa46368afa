"""Which torch device a run uses: one check of the name, one lookup, one set of errors.

``check_device_name`` needs no torch, so config dataclasses can call it in ``__post_init__``;
``resolve_device`` turns the name into a ``torch.device`` and fails clearly when CUDA is
asked for on a machine without it.
"""
from __future__ import annotations

import re
from typing import TYPE_CHECKING

from textprep.errors import InputError

if TYPE_CHECKING:
    import torch

DEVICE_HELP = "auto (CUDA when present), cpu, cuda or cuda:N"
_NAME = re.compile(r"auto|cpu|cuda(:\d+)?")


def check_device_name(name: str) -> str:
    """``name`` if it is auto, cpu, cuda or cuda:N; a ``ValueError`` otherwise."""
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise InputError(f"device must be {DEVICE_HELP}, got {name!r}")
    return name


def resolve_device(name: str) -> torch.device:
    """The ``torch.device`` for ``name``: ``auto`` picks CUDA when present."""
    import torch

    check_device_name(name)
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name.startswith("cuda"):
        if not torch.cuda.is_available():
            raise InputError(f"device {name!r} requested, but CUDA is not available on this machine "
                             "(use --device cpu or auto)")
        index = int(name.split(":")[1]) if ":" in name else 0
        if index >= torch.cuda.device_count():
            raise InputError(f"device {name!r} requested, but this machine has "
                             f"{torch.cuda.device_count()} CUDA device(s)")
    return torch.device(name)
