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
from codegen.problems import CodegenError

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
    with pytest.raises(CodegenError) as raised:
        cut(FIXTURE.read_bytes(), {"actions": []}, operation_ids=("nope",))
    [problem] = raised.value.problems
    assert (problem.where, problem.message) == ("upstream", "has no operation nope")


# An upstream of the chat operations, small enough to read: it redefines a YAML anchor,
# as the 2024-06 upstream file does.
CHAT_UPSTREAM = """\
openapi: 3.1.0
info: {title: Chat, version: 1.0.0}
paths:
  /chat/completions:
    post:
      operationId: createChatCompletion
      description: &about Creates a completion.
      responses:
        "200":
          description: ok
          content: {application/json: {schema: {$ref: '#/components/schemas/Completion'}}}
    get: {operationId: listChatCompletions, description: *about, responses: {"200": {description: ok}}}
  /chat/completions/{completion_id}:
    get: {operationId: getChatCompletion, description: &about One., responses: {"200": {description: ok}}}
    post: {operationId: updateChatCompletion, description: *about, responses: {"200": {description: ok}}}
    delete: {operationId: deleteChatCompletion, responses: {"200": {description: ok}}}
  /chat/completions/{completion_id}/messages:
    get: {operationId: getChatCompletionMessages, responses: {"200": {description: ok}}}
  /models:
    get: {operationId: listModels, responses: {"200": {description: ok}}}
components:
  schemas:
    Completion:
      type: object
      properties: {id: {type: string}, tools: {type: array, items: {$ref: '#/components/schemas/Tool'}}}
    Tool: {type: object, properties: {type: {type: string}}}
"""
# ... and one from before stored completions: only createChatCompletion.
OLD_CHAT_UPSTREAM = (
    CHAT_UPSTREAM.split("    get: {operationId: listChatCompletions")[0]
    + (CHAT_UPSTREAM[CHAT_UPSTREAM.index("  /models:") :])
)
# A mend this upstream does not need (its tools are a plain reference, not a union),
# and a rule whose target has another shape.
MEND = {
    "target": "/components/schemas/Completion/properties/tools/items",
    "when": {"has": ["oneOf"], "lacks": ["discriminator"]},
    "merge": {"discriminator": {"propertyName": "type"}},
    "why": "Tools carry a constant type.",
}
RULE = {
    "target": "/components/schemas/Completion/properties/id",
    "expect": {"type": "integer"},
    "merge": {"minimum": 0},
    "why": "Ids count from zero.",
}


def test_a_redefined_anchor_takes_over_for_the_aliases_after_it() -> None:
    assert load_yaml("a: &x 1\nb: *x\nc: &x {k: 2}\nd: *x\n") == {
        "a": 1,
        "b": 1,
        "c": {"k": 2},
        "d": {"k": 2},
    }
    paths = load_yaml(CHAT_UPSTREAM)["paths"]
    assert paths["/chat/completions"]["get"]["description"] == "Creates a completion."
    assert paths["/chat/completions/{completion_id}"]["post"]["description"] == "One."


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("a: 1\nb: [1, 2\nc: 3\n", 3),
        ("a: 1\nb: *nowhere\n", 2),
        ("a: &x 1\nb: &x 2\nc: *y\n", 3),
    ],
)
def test_a_parse_error_is_a_problem_with_its_line(text: str, line: int) -> None:
    with pytest.raises(CodegenError) as raised:
        load_yaml(text, name="upstream.yaml")
    problem = raised.value.problems[0]
    assert problem.where == "upstream.yaml"
    assert problem.message.startswith(f"line {line}, column ")


def test_missing_operations_and_overlay_problems_are_reported_in_one_error() -> None:
    with pytest.raises(CodegenError) as raised:
        cut(OLD_CHAT_UPSTREAM.encode(), {"actions": [MEND, RULE]}, upstream_name="old.yaml")
    missing, rule = raised.value.problems
    assert missing.where == "upstream"
    assert missing.message == (
        "has no operation listChatCompletions, getChatCompletion, updateChatCompletion, "
        "deleteChatCompletion, getChatCompletionMessages"
    )
    assert missing.details == ("its operations under /chat: createChatCompletion",)
    # The cut went on with createChatCompletion, far enough to judge the overlay too.
    assert rule.where == "overlay action 2"
    assert rule.details[-1] == "found {type: string}"
    [note] = raised.value.notes
    assert note.where == "overlay action 1"


def test_a_cut_carries_its_notes() -> None:
    result = cut(CHAT_UPSTREAM.encode(), {"actions": [MEND]}, upstream_name="chat.yaml")
    [note] = result.notes
    assert "found {$ref: '#/components/schemas/Tool'}" in note.details
    assert result.provenance["overlay"] == [
        {
            "target": MEND["target"],
            "action": "merge",
            "skipped": "found {$ref: '#/components/schemas/Tool'}",
            "why": "Tools carry a constant type.",
        }
    ]
    assert "discriminator" not in result.spec_text


def _cli(tmp_path: Path, upstream: str, actions: list[dict[str, Any]]) -> list[str]:
    (tmp_path / "overlay.yaml").write_text(document.dump_yaml({"actions": actions}), "utf-8")
    (tmp_path / "upstream-file.yaml").write_text(upstream, "utf-8")
    return [str(tmp_path / "upstream-file.yaml"), "--out", str(tmp_path)]


def test_the_cli_prints_every_problem_and_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cut_module.main(_cli(tmp_path, OLD_CHAT_UPSTREAM, [MEND, RULE])) == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert "## Problems (2)" in err
    assert "- **upstream**: has no operation listChatCompletions" in err
    assert "- **overlay action 2**: " in err
    assert "  - found {type: string}" in err
    assert "## Notes (1)" in err
    assert "- **overlay action 1**: skipped" in err
    assert not (tmp_path / "openapi.yaml").exists()


def test_the_cli_reports_an_upstream_that_is_not_yaml(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cut_module.main(_cli(tmp_path, "openapi: 3.1.0\npaths: *nowhere\n", [])) == 1
    err = capsys.readouterr().err
    assert "upstream-file.yaml**: line 2, column " in err
    gone = [str(tmp_path / "gone.yaml"), "--out", str(tmp_path)]
    assert cut_module.main(gone) == 1
    assert "gone.yaml**: cannot be read" in capsys.readouterr().err


def test_the_cli_prints_the_notes_of_a_cut_it_writes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cut_module.main(_cli(tmp_path, CHAT_UPSTREAM, [MEND])) == 0
    out, err = capsys.readouterr()
    assert out.startswith("wrote ")
    assert "## Notes (1)" in err
    assert "Problems" not in err
    provenance = json.loads((tmp_path / "provenance.json").read_text("utf-8"))
    assert provenance["overlay"][0]["skipped"] == "found {$ref: '#/components/schemas/Tool'}"


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
    with pytest.raises(CodegenError, match="unknown transform 'response-defaults'"):
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
            "expect": {"type": "string"},
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
    action = {"target": target, "expect": {"type": "object"}, "hoist": "CreatePetRequest", "why": "w"}
    document = _cut([action]).document
    body = document["paths"]["/pets"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert body == {"$ref": "#/components/schemas/CreatePetRequest"}
    assert document["components"]["schemas"]["CreatePetRequest"]["required"] == ["name"]


def test_patch_that_drops_a_reference_prunes_the_schema() -> None:
    owner = {"$ref": "#/components/schemas/Owner"}
    action = {
        "target": "/components/schemas/Pet/properties/owner",
        "expect": owner,
        "remove": True,
        "why": "w",
    }
    document = _cut([action]).document
    assert "Owner" not in document["components"]["schemas"]


# The overlay engine's own rules (guards, problems, notes) are in test_overlay.py.


def test_patch_that_adds_a_reference_brings_the_schema_along() -> None:
    action = {
        "target": "/components/schemas/Owner/properties",
        "expect": {"lacks": ["friend"]},
        "merge": {"friend": {"$ref": "#/components/schemas/Unused"}},
        "why": "w",
    }
    document = _cut([action, {"transform": "nullable-3.0-to-3.1", "why": "w"}]).document
    assert "Unused" in document["components"]["schemas"]


def test_default_error_responses_reach_the_error_schema() -> None:
    document = _cut([{"transform": "default-error-responses", "why": "w"}]).document
    default = document["paths"]["/pets"]["get"]["responses"]["default"]
    assert default["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/ErrorResponse"}


def test_each_job_has_its_module() -> None:
    assert set(overlay.__all__) == {
        "GUARDS",
        "OverlayError",
        "OverlayResult",
        "RETIRE",
        "VERBS",
        "apply_overlay",
    }
    assert set(transforms.__all__) == {
        "BROUGHT",
        "DEFAULT_KEY",
        "ERROR_SCHEMA",
        "TRANSFORMS",
        "apply_response_policy",
    }
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


def test_the_cut_of_the_kept_inputs_is_spec_byte_for_byte() -> None:
    # spec/upstream.yaml is the part of the upstream file the cut reads, kept in the
    # repository: spec/ is verifiable without the 3 MB upstream file, and is verified here.
    overlay_document = load_yaml((SPEC_DIR / "overlay.yaml").read_bytes())
    result = cut((SPEC_DIR / "upstream.yaml").read_bytes(), overlay_document)
    assert result.spec_text == (SPEC_DIR / "openapi.yaml").read_text("utf-8")
    assert result.provenance_text == (SPEC_DIR / "provenance.json").read_text("utf-8")
    # ...and its own inputs are itself.
    assert result.inputs_text == (SPEC_DIR / "upstream.yaml").read_text("utf-8")


def test_the_kept_inputs_record_the_upstream_file() -> None:
    provenance = json.loads((SPEC_DIR / "provenance.json").read_text("utf-8"))
    kept = load_yaml((SPEC_DIR / "upstream.yaml").read_bytes())
    assert kept[cut_module.UPSTREAM_KEY] == provenance["upstream"]
    assert len(provenance["upstream"]["sha256"]) == 64
    assert provenance["inputs"] == "spec/upstream.yaml"


def test_the_inputs_of_a_cut_give_the_same_cut() -> None:
    overlay_document = {"actions": []}
    whole = cut(
        FIXTURE.read_bytes(), overlay_document, operation_ids=("createPet",), upstream_name="mini.yaml"
    )
    again = cut(whole.inputs_text.encode(), overlay_document, operation_ids=("createPet",))
    assert again.spec_text == whole.spec_text
    assert again.provenance == whole.provenance
    assert again.inputs_text == whole.inputs_text
    # Only what the kept operation reaches: listPets is left out.
    assert "listPets" not in whole.inputs_text
    assert "createPet" in whole.inputs_text


def test_the_cli_checks_spec(tmp_path: Path) -> None:
    upstream = SPEC_DIR / "upstream.yaml"
    assert cut_module.main([str(upstream), "--check"]) == 0
    for name in ("overlay.yaml", "openapi.yaml", "provenance.json", "upstream.yaml"):
        (tmp_path / name).write_bytes((SPEC_DIR / name).read_bytes())
    (tmp_path / "openapi.yaml").write_text("openapi: 3.1.0\n", "utf-8")
    assert cut_module.main([str(upstream), "--out", str(tmp_path), "--check"]) == 1
