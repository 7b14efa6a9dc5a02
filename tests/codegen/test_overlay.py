"""The overlay engine on small documents of its own: every action is checked, every
problem of a run is reported at once with what was found, guards state the shape a patch
relies on, and `when` mends of upstream defects are skipped with a note where the defect
is gone."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from codegen.document import closure
from codegen.overlay import GUARDS, VERBS, OverlayError, apply_overlay
from codegen.problems import CodegenError, Note, Problem

TOOL = {"$ref": "#/components/schemas/Tool"}


def _document() -> dict[str, Any]:
    return {
        "paths": {
            "/pets": {
                "get": {"parameters": [{"name": "filter", "in": "query", "schema": {"type": "string"}}]},
                "post": {
                    "requestBody": {
                        "content": {
                            "application/json": {
                                "schema": {"type": "object", "properties": {"name": {"type": "string"}}}
                            }
                        }
                    }
                },
            }
        },
        "components": {
            "schemas": {
                "Pet": {
                    "type": "object",
                    "properties": {"id": {"type": "string"}, "owner": {"$ref": "#/components/schemas/Owner"}},
                },
                "Owner": {"type": "object", "properties": {"name": {"type": "string"}}},
                # A plain reference, where newer upstreams have a union.
                "OldTools": {"type": "array", "items": TOOL},
                "NewTools": {
                    "type": "array",
                    "items": {"oneOf": [TOOL, {"$ref": "#/components/schemas/Custom"}]},
                },
                "Tool": {"type": "object", "properties": {"type": {"const": "function"}}},
                "Custom": {"type": "object", "properties": {"type": {"const": "custom"}}},
                "Props": {"allOf": [{"$ref": "#/components/schemas/Owner"}]},
                "Choice": {
                    "oneOf": [{"type": "string", "enum": ["none", "auto"]}, TOOL],
                    "discriminator": {"propertyName": "type"},
                },
            }
        },
    }


def _apply(document: dict[str, Any], *actions: dict[str, Any]) -> Any:
    return apply_overlay(document, {"actions": list(actions)})


def _only(problems: list[Problem]) -> Problem:
    assert len(problems) == 1, problems
    return problems[0]


# --- one run, every problem ---------------------------------------------------------


def test_a_run_reports_every_failing_action_with_what_it_found() -> None:
    document = _document()
    result = _apply(
        document,
        {
            "target": "/components/schemas/OldTools/items",
            "when": {"has": ["oneOf"], "lacks": ["discriminator"]},
            "merge": {"discriminator": {"propertyName": "type"}},
            "why": "Tools carry a constant type. No discriminator is declared.",
        },
        {
            "target": "/components/schemas/Props/allOf/1/properties/top_logprobs",
            "when": {"type": "integer"},
            "set": {"type": "integer"},
            "why": "The middle schema narrows it. Type checkers reject that.",
        },
        {
            "target": "/components/schemas/Pet/properties/id",
            "expect": {"type": "integer"},
            "merge": {"minimum": 0},
            "why": "Ids are counted from zero.",
        },
        {"transform": "nullable-3.0-to-3.1"},
        {
            "target": "/components/schemas/Pet/properties/id",
            "expect": {"type": "string"},
            "merge": {"x-completionkit-default": ""},
            "why": "Servers leave it out.",
        },
    )
    assert [problem.where for problem in result.problems] == [
        "overlay action 2",
        "overlay action 3",
        "overlay action 4",
    ]
    parent_missing, unmet, no_why = result.problems
    assert "parent" in parent_missing.message
    assert parent_missing.details == (
        "set at `/components/schemas/Props/allOf/1/properties/top_logprobs`",
        "why: The middle schema narrows it.",
        "no 'allOf/1': .../Props has allOf with 1 item",
    )
    assert "`type` is string, not integer" in unmet.message
    assert unmet.details == (
        "merge at `/components/schemas/Pet/properties/id`",
        "why: Ids are counted from zero.",
        "found {type: string}",
    )
    assert "why" in no_why.message
    assert no_why.details == ("transform `nullable-3.0-to-3.1`",)
    # The first action is a mend this document does not need: a note, never applied to
    # the plain reference.
    note = _only(list(result.notes))
    assert note.where == "overlay action 1"
    assert "found {$ref: '#/components/schemas/Tool'}" in note.details
    assert document["components"]["schemas"]["OldTools"]["items"] == TOOL
    # ... and the actions after the failing ones still apply.
    assert document["components"]["schemas"]["Pet"]["properties"]["id"] == {
        "type": "string",
        "x-completionkit-default": "",
    }
    assert result.applied == [
        {
            "target": "/components/schemas/OldTools/items",
            "action": "merge",
            "skipped": "found {$ref: '#/components/schemas/Tool'}",
            "why": "Tools carry a constant type. No discriminator is declared.",
        },
        {
            "target": "/components/schemas/Pet/properties/id",
            "action": "merge",
            "why": "Servers leave it out.",
        },
    ]


def test_the_problems_read_as_markdown_and_raise_together() -> None:
    result = _apply(
        _document(),
        {"target": "/components/schemas/Nope/x", "expect": {"type": "string"}, "set": {}, "why": "w"},
        {"target": "/components/schemas/Pet", "expect": {"type": "array"}, "merge": {}, "why": "w"},
    )
    assert result.problems[0].lines()[0].startswith("- **overlay action 1**: ")
    with pytest.raises(OverlayError) as raised:
        result.raise_for_problems()
    assert isinstance(raised.value, CodegenError)
    assert raised.value.problems == result.problems
    assert "overlay action 1" in str(raised.value)
    assert "overlay action 2" in str(raised.value)
    _apply(_document()).raise_for_problems()


def test_a_large_node_is_told_by_its_keys() -> None:
    document = _document()
    document["components"]["schemas"]["Pet"]["description"] = "A pet. " * 40
    result = _apply(
        document, {"target": "/components/schemas/Pet", "expect": {"type": "array"}, "merge": {}, "why": "w"}
    )
    assert _only(result.problems).details[-1] == "found a mapping with keys type, properties, description"


def test_a_missing_key_among_many_is_not_listed_in_full() -> None:
    document = _document()
    document["components"]["schemas"].update({f"Extra{n}": {"type": "string"} for n in range(20)})
    result = _apply(
        document,
        {"target": "/components/schemas/Gone/properties", "expect": {"has": ["a"]}, "merge": {}, "why": "w"},
    )
    assert _only(result.problems).details[-1] == "no 'Gone': .../schemas has 28 keys, not this one"


# --- guards ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("condition", "node", "unmet"),
    [
        ({"has": ["oneOf"]}, {"oneOf": []}, None),
        ({"has": ["oneOf"]}, TOOL, "no `oneOf`"),
        ({"lacks": ["discriminator"]}, {"oneOf": []}, None),
        ({"lacks": ["discriminator"]}, {"discriminator": {}}, "has `discriminator`"),
        ({"type": "integer"}, {"type": "integer", "minimum": 0}, None),
        ({"type": "integer"}, {"type": "string"}, "`type` is string, not integer"),
        ({"type": "integer"}, {"anyOf": []}, "no `type` (expected integer)"),
        ({"$ref": TOOL["$ref"]}, TOOL, None),
        (
            {"has": ["a", "b"], "lacks": ["c"], "d": 1},
            {"a": 1, "c": 2, "d": 2},
            "no `b`; has `c`; `d` is 2, not 1",
        ),
        ({"has": ["a"]}, ["a"], "not a mapping"),
    ],
)
def test_a_condition_is_has_lacks_and_values(condition: dict[str, Any], node: Any, unmet: str | None) -> None:
    for guard in GUARDS:
        document: dict[str, Any] = {"x": {"target": copy.deepcopy(node)}}
        result = _apply(document, {"target": "/x/target", guard: condition, "set": "patched", "why": "w"})
        if unmet is None:
            assert (result.problems, result.notes) == ([], [])
            assert document["x"]["target"] == "patched"
            continue
        assert document["x"]["target"] == node
        found = result.problems if guard == "expect" else result.notes
        assert unmet in _only(found).message
        assert (result.notes if guard == "expect" else result.problems) == []


def test_when_applies_while_the_upstream_defect_is_there() -> None:
    document = _document()
    action = {
        "target": "/components/schemas/NewTools/items",
        "when": {"has": ["oneOf"], "lacks": ["discriminator"]},
        "merge": {"discriminator": {"propertyName": "type"}},
        "why": "w",
    }
    result = _apply(document, action)
    assert document["components"]["schemas"]["NewTools"]["items"]["discriminator"] == {"propertyName": "type"}
    assert result.applied == [{"target": "/components/schemas/NewTools/items", "action": "merge", "why": "w"}]
    # Once upstream declares it itself, the mend is skipped and says it can go.
    again = _apply(document, action)
    note = _only(list(again.notes))
    assert isinstance(note, Note)
    assert "has `discriminator`" in note.message
    assert any("retired" in detail for detail in note.details)
    assert again.applied[0]["skipped"] == "found a mapping with keys oneOf, discriminator"


def test_when_skips_an_absent_target_but_not_an_absent_parent() -> None:
    document = _document()
    before = copy.deepcopy(document)
    result = _apply(
        document,
        {
            "target": "/components/schemas/Pet/properties/metadata",
            "when": {"$ref": "#/components/schemas/Metadata"},
            "set": {"type": "object"},
            "why": "w",
        },
        {
            "target": "/components/schemas/Gone/properties/metadata",
            "when": {"$ref": "#/components/schemas/Metadata"},
            "set": {"type": "object"},
            "why": "w",
        },
    )
    note = _only(list(result.notes))
    assert note.where == "overlay action 1"
    assert "no 'metadata': .../properties has keys id, owner" in note.details
    assert result.applied[0]["skipped"] == "no 'metadata': .../properties has keys id, owner"
    problem = _only(result.problems)
    assert problem.where == "overlay action 2"
    assert "parent" in problem.message
    assert document == before


def test_expect_needs_the_target_itself() -> None:
    result = _apply(
        _document(),
        {
            "target": "/components/schemas/Pet/properties/name",
            "expect": {"type": "string"},
            "merge": {"minLength": 1},
            "why": "w",
        },
    )
    problem = _only(result.problems)
    assert "the target is not there" in problem.message
    assert problem.details[-1] == "no 'name': .../properties has keys id, owner"


def test_a_list_item_out_of_range_is_told_by_the_list_length() -> None:
    result = _apply(
        _document(),
        {
            "target": "/paths/~1pets/get/parameters/1",
            "expect": {"name": "metadata"},
            "merge": {"style": "deepObject"},
            "why": "w",
        },
    )
    assert _only(result.problems).details[-1] == "no 'parameters/1': .../get has parameters with 1 item"


def test_a_target_patch_without_a_guard_is_refused() -> None:
    document = _document()
    before = copy.deepcopy(document)
    result = _apply(
        document, {"target": "/components/schemas/Pet/properties/id", "merge": {"minLength": 1}, "why": "w"}
    )
    problem = _only(result.problems)
    assert "state the shape you expect there" in problem.message
    assert document == before
    assert result.applied == []


# --- malformed actions -------------------------------------------------------------------


PET = "/components/schemas/Pet"


@pytest.mark.parametrize(
    ("action", "message"),
    [
        ({"transform": "nullable-3.0-to-3.1"}, "has no `why`"),
        ({"transform": "nullable-3.0-to-3.1", "why": "  "}, "has no `why`"),
        ({"transform": "no-such-thing", "why": "w"}, "unknown transform 'no-such-thing'"),
        ({"transform": "nullable-3.0-to-3.1", "target": PET, "why": "w"}, "takes no target"),
        ({"transform": "nullable-3.0-to-3.1", "when": {"has": ["a"]}, "why": "w"}, "takes no target"),
        ({"target": PET, "expect": {"type": "object"}, "why": "w"}, "no verb: give exactly one of"),
        ({"target": PET, "expect": {"type": "object"}, "set": {}, "remove": True, "why": "w"}, "2 verbs"),
        (
            {"target": "components/schemas/Pet", "expect": {"type": "object"}, "set": {}, "why": "w"},
            "JSON pointer",
        ),
        ({"target": PET, "set": {}, "why": "w"}, "no guard"),
        (
            {"target": PET, "expect": {"type": "object"}, "when": {"type": "object"}, "set": {}, "why": "w"},
            "not both",
        ),
        ({"target": PET, "expect": "object", "set": {}, "why": "w"}, "`expect` must be a mapping"),
        ({"target": PET, "when": {"has": "oneOf"}, "set": {}, "why": "w"}, "`when.has` must be a list"),
        ({"target": PET, "expect": {"lacks": [1]}, "set": {}, "why": "w"}, "`expect.lacks` must be a list"),
        ({"target": PET, "expect": {"type": "object"}, "merge": [1], "why": "w"}, "`merge` needs a mapping"),
        ({"target": PET, "expect": {"type": "object"}, "hoist": 3, "why": "w"}, "`hoist` needs the name"),
        ({"target": PET, "expects": {"type": "object"}, "set": {}, "why": "w"}, "unknown key expects"),
        ({"why": "w"}, "neither `transform` nor `target`"),
    ],
)
def test_a_malformed_action_is_a_problem(action: dict[str, Any], message: str) -> None:
    document = _document()
    before = copy.deepcopy(document)
    result = _apply(document, action)
    assert any(message in problem.message for problem in result.problems), result.problems
    assert {problem.where for problem in result.problems} == {"overlay action 1"}
    assert document == before
    assert result.applied == []


def test_every_malformed_action_is_reported_in_one_run() -> None:
    result = apply_overlay(
        _document(),
        {
            "actions": [
                {"transform": "no-such-thing"},
                "not an action",
                {"target": PET, "merge": {}, "why": "w"},
                {
                    "target": PET,
                    "expect": {"type": "object"},
                    "merge": {"x-completionkit-default": {}},
                    "why": "w",
                },
            ]
        },
    )
    assert [(p.where, p.message.split(":")[0]) for p in result.problems] == [
        ("overlay action 1", "has no `why`"),
        ("overlay action 1", "unknown transform 'no-such-thing' (known"),
        ("overlay action 2", "is not a mapping"),
        ("overlay action 3", "no guard"),
    ]
    assert result.applied == [{"target": PET, "action": "merge", "why": "w"}]


def test_the_overlay_must_be_a_list_of_actions() -> None:
    problem = _only(apply_overlay({}, {"patches": []}).problems)
    assert (problem.where, problem.message) == ("overlay", "must be a mapping with an 'actions' list")


def test_verbs_and_guards_are_named_once() -> None:
    assert VERBS == ("set", "merge", "remove", "hoist", "split_objects")
    assert GUARDS == ("expect", "when")


# --- transforms -----------------------------------------------------------------------


def test_a_transform_that_changes_nothing_is_a_note() -> None:
    document = _document()
    result = _apply(document, {"transform": "nullable-3.0-to-3.1", "why": "3.1 has no nullable."})
    assert result.problems == []
    note = _only(list(result.notes))
    assert note.where == "overlay action 1"
    assert "'nullable-3.0-to-3.1' changed nothing on this upstream" in note.message
    assert result.applied == [
        {"transform": "nullable-3.0-to-3.1", "changes": 0, "why": "3.1 has no nullable."}
    ]


def test_a_transform_that_changes_something_is_recorded_with_its_count() -> None:
    document = _document()
    document["components"]["schemas"]["Owner"]["properties"]["name"]["nullable"] = True
    result = _apply(document, {"transform": "nullable-3.0-to-3.1", "why": "w"})
    assert (result.problems, result.notes) == ([], [])
    assert result.applied == [{"transform": "nullable-3.0-to-3.1", "changes": 1, "why": "w"}]


# --- what an action leaves behind --------------------------------------------------


def test_an_action_that_breaks_the_cut_is_undone_and_reported() -> None:
    document = _document()
    before = copy.deepcopy(document)
    action = {
        "target": "/components/schemas/Owner/properties",
        "expect": {"lacks": ["friend"]},
        "merge": {"friend": {"$ref": "#/components/schemas/Missing"}},
        "why": "w",
    }
    # The check after each action is the cut's own: every reference must resolve.
    result = apply_overlay(document, {"actions": [action]}, lambda: closure(document, document["components"]))
    problem = _only(result.problems)
    assert "does not hold together" in problem.message
    assert "Missing" in problem.message
    assert document == before
    assert result.applied == []


def test_after_each_runs_only_after_a_change() -> None:
    document = _document()
    ran: list[int] = []
    skipped = {
        "target": "/components/schemas/OldTools/items",
        "when": {"has": ["oneOf"]},
        "merge": {"discriminator": {"propertyName": "type"}},
        "why": "w",
    }
    applied = {**skipped, "target": "/components/schemas/NewTools/items"}
    nothing = {"transform": "nullable-3.0-to-3.1", "why": "w"}
    apply_overlay(document, {"actions": [skipped, applied, nothing]}, lambda: ran.append(1))
    assert ran == [1]


def test_hoist_and_split_objects_refuse_what_they_cannot_do() -> None:
    document = _document()
    body = "/paths/~1pets/post/requestBody/content/application~1json/schema"
    result = _apply(
        document,
        {"target": body, "expect": {"type": "object"}, "hoist": "Pet", "why": "w"},
        {
            "target": "/components/schemas/Pet",
            "expect": {"type": "object"},
            "split_objects": "PetObject",
            "why": "w",
        },
        {
            "target": "/components/schemas/NewTools/items",
            "expect": {"has": ["oneOf"]},
            "split_objects": "X",
            "why": "w",
        },
        {
            "target": "/components/schemas/Choice",
            "expect": {"has": ["oneOf"]},
            "split_objects": "Owner",
            "why": "w",
        },
        {"target": body, "expect": {"type": "object"}, "hoist": "CreatePet", "why": "w"},
        {
            "target": "/components/schemas/Choice",
            "expect": {"has": ["oneOf"]},
            "split_objects": "ChoiceObject",
            "why": "w",
        },
    )
    assert [(p.where, p.message) for p in result.problems] == [
        ("overlay action 1", "hoist needs a new schema name: Pet is in the cut already"),
        ("overlay action 2", "split_objects needs a discriminated oneOf or anyOf"),
        ("overlay action 3", "split_objects needs a discriminated oneOf or anyOf"),
        ("overlay action 4", "split_objects needs a new schema name: Owner is in the cut already"),
    ]
    schemas = document["components"]["schemas"]
    assert schemas["CreatePet"]["properties"] == {"name": {"type": "string"}}
    assert schemas["Choice"] == {
        "anyOf": [{"type": "string", "enum": ["none", "auto"]}, {"$ref": "#/components/schemas/ChoiceObject"}]
    }
    assert schemas["ChoiceObject"] == {"oneOf": [TOOL], "discriminator": {"propertyName": "type"}}
