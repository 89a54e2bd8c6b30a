"""The generate tests' small taxonomy (one freeform, one grounded, one knowledge leaf) for curation tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.generate.conftest import build_taxonomy


@pytest.fixture
def taxonomy(tmp_path: Path) -> Path:
    return build_taxonomy(tmp_path / "taxonomy")
