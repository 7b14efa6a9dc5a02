"""Cuts of real upstream versions, made from the kept inputs with today's overlay."""

from __future__ import annotations

from pathlib import Path

import pytest

from codegen.cut import cut
from codegen.document import load_yaml

ROOT = Path(__file__).resolve().parents[2]
# The part of each upstream file the cut reads: spec/upstream.yaml for the file spec/ was
# cut from, tests/fixtures/upstream/ for older ones (`python -m codegen.cut FILE --inputs-only OUT`).
KEPT_INPUTS = {
    "2026-05-13": ROOT / "tests" / "fixtures" / "upstream" / "2026-05-13.yaml",
    "2026-08-21": ROOT / "spec" / "upstream.yaml",
}


@pytest.fixture(scope="session")
def upstream_cuts(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """spec/openapi.yaml as the cut makes it from each upstream version, by its date."""
    overlay = load_yaml((ROOT / "spec" / "overlay.yaml").read_bytes())
    folder = tmp_path_factory.mktemp("upstream-cuts")
    cuts: dict[str, Path] = {}
    for version, inputs in KEPT_INPUTS.items():
        cuts[version] = folder / f"{version}.yaml"
        cuts[version].write_text(cut(inputs.read_bytes(), overlay).spec_text, "utf-8")
    return cuts
