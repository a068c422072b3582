"""Fixtures shared by the whole suite."""

from __future__ import annotations

import pytest

from tests.fixtures import CORPUS
from tests.fixtures import textured_obj_zip


@pytest.fixture
def obj_zip(tmp_path):
    """A zipped textured OBJ (box 20 x 30 x 10 cm)."""
    return textured_obj_zip(tmp_path / "box.zip")


@pytest.fixture
def corpus():
    """The shared corpus folder; the suite needs it for realistic tests."""
    if not CORPUS.is_dir():
        pytest.fail(f"corpus not found at {CORPUS}; these tests read real scans from ../shared/corpus")
    return CORPUS
