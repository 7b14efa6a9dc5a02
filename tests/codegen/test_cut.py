"""The spec cutter, the overlay engine and the policy transforms, on a small
upstream-like fixture of their own; and the cut of the real upstream, which is spec/."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from codegen import cut as cut_module
from codegen import document, overlay, transforms
from codegen.cut import cut
from codegen.document import load_yaml
from codegen.overlay import OverlayError, apply_overlay

ROOT = Path(__file__).resolve().parents[2]
SPEC_DIR = ROOT / "spec"
FIXTURE = Path(__file__).parent.parent / "fixtures" / "upstream-mini.yaml"
OPS = ("listPets", "createPet")


def _cut(actions: list[dict[str, Any]]) -> Any:
    return cut(FIXTURE.read_bytes(), {"actions": actions}, operation_ids=OPS, upstream_name="mini.yaml")


def test_cut_keeps_only_the_named_operations() -> None:
    document = _cut([]).document
    assert list(document["paths"]) == ["/pets"]
    assert list(document["paths"]["/pets"]) == ["get", "post"]
    assert "webhooks" not in document


def test_cut_keeps_the_transitive_closure_and_nothing_else() -> None:
    components = _cut([]).document["components"]
    # Pet -> Owner through a property; Error through a response component.
    assert sorted(components["schemas"]) == ["Error", "Filter", "Owner", "Pet", "PetList", "Tag"]
    assert list(components["responses"]) == ["TooMany"]
    assert list(components["securitySchemes"]) == ["ApiKeyAuth"]
    assert [t["name"] for t in _cut([]).document["tags"]] == ["Pets"]


def test_cut_records_provenance() -> None:
    result = _cut([{"transform": "nullable-3.0-to-3.1", "why": "3.1 has no nullable"}])
    provenance = result.provenance
    assert provenance["upstream"]["sha256"] == hashlib.sha256(FIXTURE.read_bytes()).hexdigest()
    assert provenance["upstream"]["file"] == "mini.yaml"
    assert provenance["operations"] == list(OPS)
    assert provenance["schema_count"] == 6
    assert provenance["overlay"] == [
        {"transform": "nullable-3.0-to-3.1", "changes": 1, "why": "3.1 has no nullable"}
    ]


def test_cut_is_deterministic() -> None:
    overlay = {"actions": [{"transform": "nullable-3.0-to-3.1", "why": "w"}]}
    first = cut(FIXTURE.read_bytes(), overlay, operation_ids=OPS)
    second = cut(FIXTURE.read_bytes(), overlay, operation_ids=OPS)
    assert first.spec_text == second.spec_text
    assert first.provenance_text == second.provenance_text
    # Schemas are written in sorted order, whatever the upstream order.
    assert list(load_yaml(first.spec_text)["components"]["schemas"]) == sorted(
        first.document["components"]["schemas"]
    )


def test_unknown_operation_is_an_error() -> None:
    with pytest.raises(ValueError, match="no operation nope"):
        cut(FIXTURE.read_bytes(), {"actions": []}, operation_ids=("nope",))


def test_nullable_becomes_any_of_null() -> None:
    pet = _cut([{"transform": "nullable-3.0-to-3.1", "why": "w"}]).document["components"]["schemas"]["Pet"]
    assert pet["properties"]["tag"] == {"anyOf": [{"type": "string"}, {"type": "null"}]}


def test_free_form_objects_become_maps() -> None:
    pet = _cut([{"transform": "free-form-objects-as-maps", "why": "w"}]).document["components"]["schemas"][
        "Pet"
    ]
    assert pet["properties"]["extra"] == {"type": "object", "additionalProperties": {}}


def test_open_response_enums_keeps_the_known_values() -> None:
    schemas = _cut([{"transform": "open-response-enums", "why": "w"}]).document["components"]["schemas"]
    opened = {"anyOf": [{"type": "string", "enum": ["cat", "dog"]}, {"type": "string"}]}
    assert schemas["Pet"]["properties"]["kind"] == opened
    # A constant opens too, in a schema only responses reach...
    assert schemas["Pet"]["properties"]["kind_of_thing"]["anyOf"][1] == {"type": "string"}
    # ... and a multi-valued enum wherever a response reaches it, requests included.
    assert "anyOf" in schemas["Tag"]["properties"]["color"]


def test_the_response_policy_is_not_an_overlay_action_and_keeps_spec_required_fields() -> None:
    with pytest.raises(OverlayError, match="response-defaults"):
        _cut([{"transform": "response-defaults", "why": "w"}])
    pet = _cut([]).document["components"]["schemas"]["Pet"]
    assert pet["properties"]["id"] == {"type": "string"}


def test_the_response_policy_relaxes_response_only_schemas_for_generation() -> None:
    document = _cut([]).document
    transforms.apply_response_policy(document)
    schemas = document["components"]["schemas"]
    pet = schemas["Pet"]
    # Required, not nullable: stays required and typed `str`, with "" for a server that leaves it out.
    assert pet["properties"]["id"] == {"type": "string", "x-completionkit-default": ""}
    assert pet["properties"]["owner"] == {
        "anyOf": [{"$ref": "#/components/schemas/Owner"}, {"type": "null"}],
        "x-completionkit-default": None,
    }
    assert set(pet["required"]) == {"id", "kind", "tag", "owner", "extra", "label", "kind_of_thing"}
    # Tag is part of a request body too: it keeps the spec's strictness.
    assert schemas["Tag"]["properties"]["text"] == {"type": "string"}
    assert "required" not in schemas["Tag"]


def test_a_patched_default_of_none_makes_the_field_nullable() -> None:
    actions = [
        {
            "target": "/components/schemas/Pet/properties/id",
            "merge": {"x-completionkit-default": None},
            "why": "w",
        },
    ]
    document = _cut(actions).document
    transforms.apply_response_policy(document)
    pet = document["components"]["schemas"]["Pet"]
    assert pet["properties"]["id"]["anyOf"] == [{"type": "string"}, {"type": "null"}]


def test_hoist_names_an_inline_body() -> None:
    target = "/paths/~1pets/post/requestBody/content/application~1json/schema"
    document = _cut([{"target": target, "hoist": "CreatePetRequest", "why": "w"}]).document
    body = document["paths"]["/pets"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert body == {"$ref": "#/components/schemas/CreatePetRequest"}
    assert document["components"]["schemas"]["CreatePetRequest"]["required"] == ["name"]


def test_patch_that_drops_a_reference_prunes_the_schema() -> None:
    document = _cut(
        [{"target": "/components/schemas/Pet/properties/owner", "remove": True, "why": "w"}]
    ).document
    assert "Owner" not in document["components"]["schemas"]


def test_merge_with_expect_guard() -> None:
    action = {
        "target": "/paths/~1pets/get/parameters/0",
        "expect": {"name": "filter"},
        "merge": {"style": "deepObject", "explode": True},
        "why": "w",
    }
    parameter = _cut([action]).document["paths"]["/pets"]["get"]["parameters"][0]
    assert parameter["style"] == "deepObject"
    with pytest.raises(OverlayError, match="expected name='other'"):
        _cut([{**action, "expect": {"name": "other"}}])


@pytest.mark.parametrize(
    ("action", "message"),
    [
        ({"transform": "nullable-3.0-to-3.1"}, "has no 'why'"),
        ({"transform": "nullable-3.0-to-3.1", "why": "  "}, "has no 'why'"),
        ({"transform": "no-such-thing", "why": "w"}, "unknown transform"),
        ({"transform": "open-response-enums", "why": "w"}, None),
        ({"target": "/components/schemas/Nope/x", "set": 1, "why": "w"}, "no 'Nope'"),
        ({"target": "/components/schemas/Pet", "why": "w"}, "exactly one of"),
        ({"target": "/components/schemas/Pet", "set": {}, "remove": True, "why": "w"}, "exactly one of"),
        ({"target": "components/schemas/Pet", "set": {}, "why": "w"}, "not a JSON pointer"),
    ],
)
def test_overlay_refuses_bad_actions(action: dict[str, Any], message: str | None) -> None:
    document = _cut([]).document
    if message is None:
        apply_overlay(document, {"actions": [action]})
        return
    with pytest.raises(OverlayError, match=message):
        apply_overlay(document, {"actions": [action]})


def test_transform_that_changes_nothing_is_refused() -> None:
    document = _cut([{"transform": "nullable-3.0-to-3.1", "why": "w"}]).document
    with pytest.raises(OverlayError, match="changed nothing"):
        apply_overlay(document, {"actions": [{"transform": "nullable-3.0-to-3.1", "why": "w"}]})


def test_overlay_must_be_a_list_of_actions() -> None:
    with pytest.raises(OverlayError, match="'actions' list"):
        apply_overlay({}, {"patches": []})


def test_patch_that_adds_a_reference_brings_the_schema_along() -> None:
    action = {
        "target": "/components/schemas/Owner/properties/friend",
        "set": {"$ref": "#/components/schemas/Unused"},
        "why": "w",
    }
    document = _cut([action, {"transform": "nullable-3.0-to-3.1", "why": "w"}]).document
    assert "Unused" in document["components"]["schemas"]


def test_default_error_responses_reach_the_error_schema() -> None:
    document = _cut([{"transform": "default-error-responses", "why": "w"}]).document
    default = document["paths"]["/pets"]["get"]["responses"]["default"]
    assert default["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/ErrorResponse"}


def test_each_job_has_its_module() -> None:
    assert set(overlay.__all__) == {"OverlayError", "VERBS", "apply_overlay"}
    assert set(transforms.__all__) == {"DEFAULT_KEY", "ERROR_SCHEMA", "TRANSFORMS", "apply_response_policy"}
    assert list(transforms.TRANSFORMS) == [
        "default-error-responses",
        "nullable-3.0-to-3.1",
        "free-form-objects-as-maps",
        "null-defaults-on-non-null-schemas",
        "open-response-enums",
    ]
    assert transforms.DEFAULT_KEY == "x-completionkit-default"
    # What the tests that read spec/ import from codegen.cut still comes from there,
    # defined once in codegen.document.
    assert cut_module.load_yaml is document.load_yaml
    assert cut_module.dump_yaml is document.dump_yaml
    assert cut_module.HTTP_METHODS is document.HTTP_METHODS
    for module in (cut_module, document, overlay, transforms):
        assert all(hasattr(module, name) for name in module.__all__), module.__name__


def test_every_transform_the_overlay_names_exists() -> None:
    actions = load_yaml((SPEC_DIR / "overlay.yaml").read_bytes())["actions"]
    named = {action["transform"] for action in actions if "transform" in action}
    assert named == set(transforms.TRANSFORMS)


def test_the_overlay_says_whose_format_it_is() -> None:
    first = (SPEC_DIR / "overlay.yaml").read_text("utf-8").splitlines()[0]
    assert "this project's own" in first
    assert "codegen/overlay.py" in first


def _upstream() -> Path:
    provenance = json.loads((SPEC_DIR / "provenance.json").read_text("utf-8"))
    upstream = ROOT.parent / "shared" / "upstream" / provenance["upstream"]["file"]
    if not upstream.is_file():
        pytest.skip(f"no upstream file at {upstream}")
    return upstream


def test_the_cut_of_the_upstream_is_spec_byte_for_byte() -> None:
    upstream = _upstream()
    overlay_document = load_yaml((SPEC_DIR / "overlay.yaml").read_bytes())
    result = cut(upstream.read_bytes(), overlay_document, upstream_name=upstream.name)
    assert result.spec_text == (SPEC_DIR / "openapi.yaml").read_text("utf-8")
    assert result.provenance_text == (SPEC_DIR / "provenance.json").read_text("utf-8")


def test_the_cli_checks_spec(tmp_path: Path) -> None:
    upstream = _upstream()
    assert cut_module.main([str(upstream), "--check"]) == 0
    for name in ("overlay.yaml", "openapi.yaml", "provenance.json"):
        (tmp_path / name).write_bytes((SPEC_DIR / name).read_bytes())
    (tmp_path / "openapi.yaml").write_text("openapi: 3.1.0\n", "utf-8")
    assert cut_module.main([str(upstream), "--out", str(tmp_path), "--check"]) == 1
