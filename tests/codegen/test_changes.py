"""What a regeneration changes for users (codegen/changes.py): the two upstream cuts in
tests/fixtures/upstream/ cut, generated and compared, and small cases for each kind of
change and for the name-stability check."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from codegen.changes import (
    AliasChange,
    Changes,
    ClassShape,
    Field,
    FieldChange,
    Operation,
    OperationChange,
    Parameter,
    ParameterChange,
    PublicApi,
    Renamed,
    check_names,
    compare,
    render,
    snapshot,
    snapshot_of_tree,
)
from codegen.document import load_yaml
from codegen.generate import generate
from codegen.problems import Note, Problem

ROOT = Path(__file__).resolve().parents[2]
OLD, NEW = "2026-05-13", "2026-08-21"


@pytest.fixture(scope="module")
def trees(tmp_path_factory: pytest.TempPathFactory, upstream_cuts: dict[str, Path]) -> dict[str, Path]:
    """Each cut generated into a folder of its own, its spec beside the output as in a checkout."""
    out: dict[str, Path] = {}
    for version in (OLD, NEW):
        folder = tmp_path_factory.mktemp(version)
        (folder / "spec").mkdir()
        shutil.copyfile(upstream_cuts[version], folder / "spec" / "openapi.yaml")
        completed = subprocess.run(
            [
                sys.executable,
                "-m",
                "codegen.generate",
                "--spec",
                str(upstream_cuts[version]),
                "--root",
                str(folder),
            ],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
        )
        assert completed.returncode == 0, completed.stderr
        out[version] = folder
    return out


@pytest.fixture(scope="module")
def apis(trees: dict[str, Path]) -> dict[str, PublicApi]:
    return {version: snapshot_of_tree(folder) for version, folder in trees.items()}


@pytest.fixture(scope="module")
def changes(apis: dict[str, PublicApi]) -> Changes:
    return compare(apis[OLD], apis[NEW])


def _field_names(items: tuple[FieldChange, ...]) -> set[str]:
    return {f"{c.owner}.{c.name}" for c in items}


# --- the two upstream cuts -------------------------------------------------------------


def test_a_snapshot_of_generate_output_equals_that_of_the_written_tree(
    apis: dict[str, PublicApi], upstream_cuts: dict[str, Path]
) -> None:
    spec = upstream_cuts[OLD]
    assert snapshot(load_yaml(spec.read_bytes()), generate(spec)) == apis[OLD]


def test_a_snapshot_holds_names_fields_places_and_operations(apis: dict[str, PublicApi]) -> None:
    old = apis[OLD]
    assert {"ChatCompletion", "ChatCompletionChunk", "ChatCompletionToolParam"} <= old.names
    assert "CreateChatCompletionRequestN" not in old.names  # a scalar alias is no public type
    assert old.places["CreateChatCompletionResponse"] == "ChatCompletion"
    assert old.places["CreateChatCompletionResponse.choices[]"] == "ChatCompletionChoice"
    # ChatCompletionStoreMessage(ChatCompletionMessage): the base's fields are the class's too.
    store = old.classes["ChatCompletionStoreMessage"].fields
    assert store["id"] == Field("str", has_default=True)
    assert store.keys() > old.classes["ChatCompletionMessage"].fields.keys()
    assert old.classes["ChatCompletionContentPartText"].tag == "type='text'"
    assert old.operations["createChatCompletion"] == Operation(
        method="POST",
        path="/chat/completions",
        parameters={},
        body="CreateChatCompletionRequest",
        response="ChatCompletion",
        stream_chunk="ChatCompletionChunk",
    )
    messages = old.operations["getChatCompletionMessages"].parameters
    assert messages["path completion_id"] == Parameter("completion_id", "path", required=True)
    assert messages["query limit"] == Parameter("limit", "query", required=False)


def test_the_august_cut_adds_moderation_and_prompt_caching(changes: Changes) -> None:
    assert {
        "ChatCompletionModeration",
        "Moderation",
        "ModerationParam",
        "PromptCacheBreakpoint",
        "PromptCacheOptions",
        "PromptCacheOptionsParam",
    } <= set(changes.added_names)
    assert changes.removed_names == ()
    assert changes.renamed == ()
    added = {f"{c.owner}.{c.name}": c.new for c in changes.added_fields}
    assert added["ChatCompletion.moderation"] == Field("ChatCompletionModeration | None", has_default=True)
    assert added["CompletionUsagePromptTokensDetails.text_tokens"] == Field("int | None", has_default=True)
    assert "CreateChatCompletionRequest.prompt_cache_options" in added
    assert "ChatCompletionContentPartText.prompt_cache_breakpoint" in added
    # The fields of a class that is new are no added fields: the new name says it.
    assert not [c for c in changes.added_fields if c.owner == "Moderation"]


def test_the_august_cut_drops_service_tier_from_the_shared_properties(changes: Changes) -> None:
    assert _field_names(changes.removed_fields) == {
        "ModelResponseProperties.service_tier",
        "CreateModelResponseProperties.service_tier",
    }
    # CreateChatCompletionRequest declares it itself now instead of inheriting it: no change.
    assert not [
        c
        for c in changes.removed_fields + changes.retyped_fields
        if c.owner == "CreateChatCompletionRequest" and c.name == "service_tier"
    ]
    assert changes.breaking


def test_the_august_cut_widens_types(changes: Changes) -> None:
    retyped = {f"{c.owner}.{c.name}": c for c in changes.retyped_fields}
    safety = retyped["ModelResponseProperties.safety_identifier"]
    assert (safety.old, safety.new) == (
        Field("ModelResponsePropertiesSafetyIdentifier | UnsetType", has_default=True),
        Field("ModelResponsePropertiesSafetyIdentifier | None | UnsetType", has_default=True),
    )
    assert {c.name for c in changes.retyped_aliases} == {"ModelIdsShared", "ReasoningEffort", "ServiceTier"}
    assert changes.required_fields == changes.optional_fields == ()
    assert changes.added_operations == changes.removed_operations == ()
    assert changes.changed_operations == ()
    assert changes.added_parameters == changes.removed_parameters == ()
    may_break = render(changes).split("## May break")[1]
    assert "- Alias `ReasoningEffort`: adds `'max'`" in may_break
    assert "- `ModelResponseProperties.safety_identifier`: adds `None`" in may_break


def test_the_cuts_keep_every_name(apis: dict[str, PublicApi]) -> None:
    assert check_names(apis[OLD], apis[NEW]) == []
    assert check_names(apis[NEW], apis[OLD]) == []


def test_going_back_removes_what_the_august_cut_added(apis: dict[str, PublicApi], changes: Changes) -> None:
    back = compare(apis[NEW], apis[OLD])
    assert back.removed_names == changes.added_names
    assert _field_names(back.removed_fields) == _field_names(changes.added_fields)
    assert back.breaking


def test_the_report_of_the_cuts(changes: Changes) -> None:
    report = render(changes, source="tests/fixtures/upstream-cuts/2026-08-21.yaml")
    lines = report.splitlines()
    assert lines[0] == "# What the regeneration changes for users"
    assert "From tests/fixtures/upstream-cuts/2026-08-21.yaml, spec version 2.3.0." in lines
    summary = next(line for line in lines if line.startswith("**"))
    assert summary.startswith("**Breaking: 2 removed fields; may break: ")
    assert "- Removed field `ModelResponseProperties.service_tier`: `ServiceTier | UnsetType = …`" in lines
    assert "- Name `PromptCacheOptions`" in lines
    assert report.index("## Breaking") < report.index("## May break") < report.index("## Added")


# --- small cases ----------------------------------------------------------------------


def _api(
    names: set[str],
    classes: dict[str, dict[str, Field]] | None = None,
    places: dict[str, str] | None = None,
    aliases: dict[str, str] | None = None,
    operations: dict[str, Operation] | None = None,
) -> PublicApi:
    return PublicApi(
        version="1",
        names=frozenset(names),
        classes={name: ClassShape(fields) for name, fields in (classes or {}).items()},
        aliases=aliases or {},
        places=places or {},
        operations=operations or {},
    )


def test_a_place_under_another_name_is_a_rename_and_a_problem() -> None:
    old = _api(
        {"Owner", "OwnerProp", "OwnerPropParam"},
        {"Owner": {"prop": Field("OwnerProp | None", True)}, "OwnerProp": {"a": Field("str", False)}},
        {"Owner": "Owner", "Owner.prop": "OwnerProp"},
    )
    new = _api(
        {"Owner", "OwnerThing", "OwnerThingParam"},
        {
            "Owner": {"prop": Field("OwnerThing | None", True)},
            "OwnerThing": {"a": Field("str", False), "b": Field("int | None", True)},
        },
        {"Owner": "Owner", "Owner.prop": "OwnerThing"},
    )
    changes = compare(old, new)
    assert changes.renamed == (
        Renamed("OwnerProp", "OwnerThing", "Owner.prop"),
        Renamed("OwnerPropParam", "OwnerThingParam", "Owner.prop"),
    )
    assert changes.added_names == changes.removed_names == ()
    # The rename is told once: Owner.prop's annotation names the new name, no retyped field.
    assert changes.retyped_fields == ()
    assert changes.added_fields == (FieldChange("OwnerThing", "b", None, Field("int | None", True)),)
    assert changes.breaking
    assert "- `OwnerProp` is now `OwnerThing` (the schema at `Owner.prop`)" in render(changes).splitlines()

    [problem] = check_names(old, new)
    assert problem.where == "schema Owner.prop"
    assert "`OwnerProp`" in problem.message
    assert "`OwnerThing`" in problem.message
    assert any("NAMES in codegen/naming.py" in detail for detail in problem.details)


def test_an_old_name_at_another_place_is_a_problem() -> None:
    old = _api({"Thing"}, {"Thing": {"a": Field("str", False)}}, {"A.x": "Thing"})
    new = _api({"Thing"}, {"Thing": {"b": Field("int", False)}}, {"B.y": "Thing"})
    [problem] = check_names(old, new)
    assert problem.where == "name Thing"
    assert "`B.y`" in problem.message
    assert "`A.x`" in problem.message
    assert compare(old, new).renamed == ()


def test_a_new_class_with_a_removed_class_s_fields_is_a_problem() -> None:
    fields = {"index": Field("int", True), "text": Field("str", False)}
    old = _api({"Choice", "Empty"}, {"Choice": fields, "Empty": {}}, {"Answer.choices[]": "Choice"})
    new = _api(
        {"AnswerItem", "Other", "Blank"},
        {"AnswerItem": dict(fields), "Other": {"index": Field("int", True)}, "Blank": {}},
        {"Answer.items[]": "AnswerItem"},
    )
    [problem] = check_names(old, new)
    assert problem.where == "class AnswerItem"
    assert "`Choice`" in problem.message
    assert "fields: index: int, text: str" in problem.details
    assert any("'Answer.items[]': 'Choice'" in detail for detail in problem.details)


def _spec(schemas: dict[str, Any] | None = None, paths: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {"version": "1"},
        "paths": paths or {},
        "components": {"schemas": schemas or {}},
    }


_TYPES = '__all__ = ["Base", "Child"]\n'


def test_a_field_moved_into_a_base_class_is_no_change_for_the_subclass() -> None:
    schemas = {"Base": {"type": "object", "properties": {"a": {"type": "string"}}}}
    before = (
        "class Base(Model):\n    a: str\n\n\n"
        "class Child(Base, kw_only=True):\n    b: int = 0\n    c: str = ''\n"
    )
    after = (
        "class Base(Model):\n    a: str\n    b: int = 0\n\n\n"
        "class Child(Base, kw_only=True):\n    c: str = ''\n"
    )
    old = snapshot(_spec(schemas), {"generated/models.py": before, "facade/types.py": _TYPES})
    new = snapshot(_spec(schemas), {"generated/models.py": after, "facade/types.py": _TYPES})
    assert old.classes["Child"] == new.classes["Child"]
    changes = compare(old, new)
    assert changes.added_fields == (FieldChange("Base", "b", None, Field("int", True)),)
    assert changes.removed_fields == changes.retyped_fields == ()
    assert not changes.breaking


def test_a_field_that_loses_its_default_or_is_added_without_one_breaks() -> None:
    old = _api({"A"}, {"A": {"x": Field("int", True), "y": Field("str", False)}})
    new = _api({"A"}, {"A": {"x": Field("int", False), "y": Field("str", True), "z": Field("str", False)}})
    changes = compare(old, new)
    assert _field_names(changes.required_fields) == {"A.x"}
    assert _field_names(changes.optional_fields) == {"A.y"}
    assert changes.breaking
    lines = render(changes).splitlines()
    assert "- Field `A.x` is now required: `int`" in lines
    assert "- New required field `A.z`: `str`" in lines
    assert "- Field `A.y` is now optional" in lines


def _json(ref: str) -> dict[str, Any]:
    return {"content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{ref}"}}}}


def test_operations_and_parameters_that_change() -> None:
    schemas = {
        name: {"type": "object", "properties": {"a": {"type": "string"}}}
        for name in ("Thing", "OtherThing", "CreateChatCompletionResponse")
    }
    limit = {"name": "limit", "in": "query", "schema": {"type": "integer"}}
    after = {"name": "after", "in": "query", "schema": {"type": "string"}}
    thing_id = {"name": "thing_id", "in": "path", "required": True, "schema": {"type": "string"}}
    stream = {
        "schema": {
            "type": "object",
            "properties": {
                "data": {
                    "anyOf": [
                        {"const": "[DONE]"},
                        {"type": "string", "contentSchema": {"$ref": "#/components/schemas/Thing"}},
                    ]
                }
            },
        }
    }
    old_paths = {
        "/things": {
            "get": {
                "operationId": "listThings",
                "parameters": [limit, after],
                "responses": {"200": _json("CreateChatCompletionResponse")},
            },
            "post": {
                "operationId": "createThing",
                "requestBody": _json("Thing"),
                "responses": {"200": {"content": {**_json("Thing")["content"], "text/event-stream": stream}}},
            },
        },
        "/things/{thing_id}": {
            "parameters": [thing_id],
            "delete": {"operationId": "deleteThing", "responses": {"200": _json("Thing")}},
        },
    }
    new_paths = {
        "/things": {
            "get": {
                "operationId": "listThings",
                "parameters": [
                    {**limit, "required": True},
                    {"name": "order", "in": "query", "schema": {"type": "string"}},
                    {"name": "cursor", "in": "query", "required": True, "schema": {"type": "string"}},
                ],
                "responses": {"200": _json("CreateChatCompletionResponse")},
            },
            "post": {
                "operationId": "createThing",
                "requestBody": _json("OtherThing"),
                "responses": {"200": _json("Thing")},
            },
        },
        "/things/{thing_id}/copy": {
            "parameters": [thing_id],
            "post": {"operationId": "copyThing", "responses": {"201": _json("Thing")}},
        },
    }
    files = {"generated/models.py": "", "facade/types.py": "__all__ = []\n"}
    old = snapshot(_spec(schemas, old_paths), files)
    new = snapshot(_spec(schemas, new_paths), files)
    assert old.operations["listThings"].response == "ChatCompletion"  # the public name, not upstream's
    assert old.operations["createThing"].stream_chunk == "Thing"
    assert old.operations["deleteThing"].parameters == {"path thing_id": Parameter("thing_id", "path", True)}

    changes = compare(old, new)
    assert changes.added_operations == ("copyThing",)
    assert changes.removed_operations == ("deleteThing",)
    assert changes.added_parameters == (
        ParameterChange("listThings", Parameter("cursor", "query", True)),
        ParameterChange("listThings", Parameter("order", "query", False)),
    )
    assert changes.removed_parameters == (ParameterChange("listThings", Parameter("after", "query", False)),)
    assert changes.required_parameters == (ParameterChange("listThings", Parameter("limit", "query", True)),)
    assert changes.changed_operations == (
        OperationChange("createThing", "body", "Thing", "OtherThing"),
        OperationChange("createThing", "stream chunk", "Thing", None),
    )
    assert changes.breaking
    lines = render(changes).splitlines()
    assert "- Removed operation `deleteThing`" in lines
    assert "- Removed query parameter `after` of `listThings`" in lines
    assert "- Query parameter `limit` of `listThings` is now required" in lines
    assert "- Query parameter `cursor` of `listThings` is new and required" in lines
    assert "- `createThing` body: `Thing` → `OtherThing`" in lines
    assert "- Query parameter `order` of `listThings`" in lines
    assert "- Operation `copyThing`" in lines


def test_the_report_puts_what_breaks_first() -> None:
    changes = Changes(
        old_version="2.3.0",
        new_version="2.4.0",
        added_names=("Zeta",),
        removed_names=("Alpha",),
        retyped_aliases=(AliasChange("Mode", "Literal['a', 'b']", "Literal['a', 'c']"),),
    )
    problem = Problem("facade/_results.py:12", "imports a name that is gone", ("`Alpha`",))
    note = Note("overlay action 3", "changes nothing any more")
    report = render(changes, [problem], [note], title="Changes", source="upstream.yaml")
    assert report.splitlines()[:5] == [
        "# Changes",
        "",
        "From upstream.yaml, spec version 2.3.0 → 2.4.0.",
        "",
        "**Breaking: 1 removed name; may break: 1 changed type; added: 1 name; 1 problem to decide.**",
    ]
    headings = [line for line in report.splitlines() if line.startswith("## ")]
    assert headings == ["## Breaking", "## Problems", "## May break", "## Added", "## Advice"]
    assert "\n".join(problem.lines()) in report
    assert "- Alias `Mode`: adds `'c'`; drops `'b'`" in report.splitlines()


def test_the_report_is_the_same_whatever_the_order_of_the_inputs() -> None:
    fields = {"a": Field("str", False), "b": Field("int", True), "c": Field("float", True)}
    old = _api({"X", "Y", "Gone1", "Gone2"}, {"X": {"a": fields["a"]}, "Y": {}})
    new = _api({"Y", "X", "New2", "New1"}, {"Y": {"c": fields["c"], "b": fields["b"]}, "X": {}})
    reordered_old = _api({"Gone2", "Gone1", "Y", "X"}, {"Y": {}, "X": {"a": fields["a"]}})
    reordered_new = _api({"New1", "New2", "X", "Y"}, {"X": {}, "Y": {"b": fields["b"], "c": fields["c"]}})
    report = render(compare(old, new))
    assert report == render(compare(reordered_old, reordered_new))
    lines = report.splitlines()
    assert lines.index("- Removed name `Gone1`") < lines.index("- Removed name `Gone2`")
    assert lines.index("- Field `Y.b`: `int = …`") < lines.index("- Field `Y.c`: `float = …`")


def test_no_change_says_so() -> None:
    api = _api({"X"}, {"X": {"a": Field("str", False)}}, {"X": "X"})
    changes = compare(api, api)
    assert changes == Changes(old_version="1", new_version="1")
    assert not changes.breaking
    assert render(changes).splitlines()[-1] == "**No change users would notice.**"
