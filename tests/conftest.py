"""Shared paths for the test suite; tests read only files inside the project."""

from __future__ import annotations

import signal
from pathlib import Path
from typing import Any

import pytest

from codegen.cut import load_yaml

ROOT = Path(__file__).resolve().parent.parent

# A run started as a background job of a non-interactive shell (nohup ... &) has SIGINT
# ignored, and every child the tests start inherits that: the tests that press Ctrl-C on
# a child (bulk runs, the command line) would see it ignored.  Handled here, SIGINT is
# reset to its default in each child at exec, as from a terminal.
if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)
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
