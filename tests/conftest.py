"""Shared test fixtures: paths to the bundled corpora and to the shared evaluation data."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# The evaluation data lives beside the project (../shared/data), also on CI.
SHARED_DATA = Path(os.environ.get("TEXTPREP_SHARED_DATA", ROOT.parent / "shared" / "data"))


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The folder of larger real corpora; tests that need it fail loudly if it is missing."""
    if not SHARED_DATA.is_dir():
        raise FileNotFoundError(f"shared evaluation data not found at {SHARED_DATA} (set TEXTPREP_SHARED_DATA)")
    return SHARED_DATA
