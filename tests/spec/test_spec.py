"""spec/: a valid OpenAPI 3.1 subset, with a provenance record that matches it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from openapi_spec_validator import validate

from codegen.cut import OPERATIONS
from codegen.document import HTTP_METHODS, load_yaml

SPEC_DIR = Path(__file__).resolve().parents[2] / "spec"


def test_spec_is_valid_openapi_31(spec: Any) -> None:
    assert spec["openapi"].startswith("3.1")
    validate(spec)


def test_spec_holds_exactly_the_six_operations(spec: Any) -> None:
    found = [
        op["operationId"] for item in spec["paths"].values() for m, op in item.items() if m in HTTP_METHODS
    ]
    assert sorted(found) == sorted(OPERATIONS)


def test_no_openapi_30_nullable_is_left(spec: Any) -> None:
    assert "nullable:" not in (SPEC_DIR / "openapi.yaml").read_text("utf-8").replace("x-nullable", "")


def test_provenance_describes_the_spec(spec: Any) -> None:
    provenance = json.loads((SPEC_DIR / "provenance.json").read_text("utf-8"))
    assert provenance["operations"] == list(OPERATIONS)
    assert provenance["schema_count"] == len(spec["components"]["schemas"])
    assert len(provenance["upstream"]["sha256"]) == 64
    overlay = load_yaml((SPEC_DIR / "overlay.yaml").read_bytes())
    assert len(provenance["overlay"]) == len(overlay["actions"])
    assert all(entry["why"] for entry in provenance["overlay"])
