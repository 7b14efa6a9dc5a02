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


@pytest.fixture(scope="session")
def _empty_config_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("config")


@pytest.fixture(autouse=True)
def _no_providers_file_of_the_machine(monkeypatch: pytest.MonkeyPatch, _empty_config_folder: Path) -> None:
    """A providers file in the machine's config folder (or named by COMPLETIONKIT_PROVIDERS)
    would change which server a client talks to: tests see none but their own."""
    monkeypatch.delenv("COMPLETIONKIT_PROVIDERS", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(_empty_config_folder))
    monkeypatch.setenv("APPDATA", str(_empty_config_folder))
