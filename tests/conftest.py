"""Shared paths for the test suite; tests read only files inside the project."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from codegen.cut import load_yaml

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"


@pytest.fixture(scope="session")
def spec() -> Any:
    """The committed spec/openapi.yaml, parsed."""
    return load_yaml((ROOT / "spec" / "openapi.yaml").read_bytes())
