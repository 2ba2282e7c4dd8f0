"""Fixtures for the importer tests: the real files kept beside the checkout in ../shared."""

from __future__ import annotations

from pathlib import Path

import pytest

SHARED = Path(__file__).parents[3] / ".." / "shared"
SEED = SHARED / "seed" / "000_342207e94597a707.txt"
DATA = SHARED / "data"


@pytest.fixture
def seed_path() -> Path:
    """The Sched page text of the Icehouse Nova track; skips when ../shared is absent."""
    if not SEED.is_file():
        pytest.skip(f"seed text not found at {SEED} (the shared folder beside the checkout)")
    return SEED


@pytest.fixture
def data_dir() -> Path:
    """The folder of real schedule exports; skips when ../shared/data is absent."""
    if not DATA.is_dir():
        pytest.skip(f"real exports not found at {DATA} (the shared folder beside the checkout)")
    return DATA
