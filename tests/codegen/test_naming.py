"""Generated names come from the place of a schema in the spec (or the official SDK's name
for it), and a regeneration from another upstream version keeps them (codegen/naming.py)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from codegen.document import load_yaml
from codegen.generate import public_names
from codegen.naming import SDK_NAMES, NamingError, name_schemas, schema_names, twin_name

ROOT = Path(__file__).resolve().parents[2]


def _names(spec: Path) -> tuple[dict[str, str], set[str]]:
    """The name of each schema by place, and the components' upstream names."""
    document = load_yaml(spec.read_bytes())
    return schema_names(document), set(document["components"]["schemas"])


@pytest.fixture(scope="module")
def generated(
    tmp_path_factory: pytest.TempPathFactory, upstream_cuts: dict[str, Path]
) -> dict[str, list[str]]:
    """The classes and aliases generated from each cut."""
    out: dict[str, list[str]] = {}
    for version, spec in upstream_cuts.items():
        folder = tmp_path_factory.mktemp(version)
        completed = subprocess.run(
            [sys.executable, "-m", "codegen.generate", "--spec", str(spec), "--root", str(folder)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
        )
        assert completed.returncode == 0, completed.stderr
        out[version] = public_names(ast.parse((folder / "generated" / "models.py").read_text("utf-8")))
    return out


def test_a_schema_in_both_upstream_versions_keeps_its_name(upstream_cuts: dict[str, Path]) -> None:
    (old, old_components), (new, new_components) = (_names(p) for p in upstream_cuts.values())
    common = old.keys() & new.keys()
    assert len(common) > 50
    assert {p: old[p] for p in common} == {p: new[p] for p in common}
    # ...and a name never passes to a schema at another place.
    places_of_old = {name: place for place, name in old.items()}
    assert all(places_of_old.get(name, place) == place for place, name in new.items())
    assert old_components & new_components <= old_components | set(old.values())


def test_the_classes_of_shared_schemas_have_the_same_names(
    generated: dict[str, list[str]], upstream_cuts: dict[str, Path]
) -> None:
    old, new = (set(generated[v]) for v in upstream_cuts)
    (old_places, old_components), (new_places, new_components) = (_names(p) for p in upstream_cuts.values())
    shared = {old_places[p] for p in old_places.keys() & new_places.keys()}
    shared |= old_components & new_components
    generated_shared = shared & (old | new)
    assert generated_shared <= old
    assert generated_shared <= new
    assert {"ChatCompletion", "ChatCompletionChoice", "ChatCompletionStoreMessage"} <= generated_shared


def test_no_generated_name_carries_a_number_or_a_placeholder(generated: dict[str, list[str]]) -> None:
    for names in generated.values():
        assert not [n for n in names if n[-1].isdigit()]
        assert not {"Datum", "Model", "Type", "Choice", "Function", "Custom", "Audio"} & set(names)


def test_an_inline_schema_is_named_from_its_place() -> None:
    document: dict[str, Any] = {
        "components": {
            "schemas": {
                "Answer": {
                    "type": "object",
                    "properties": {
                        "choices": {
                            "type": "array",
                            "items": {"type": "object", "properties": {"index": {"type": "integer"}}},
                        },
                        "voice": {
                            "anyOf": [
                                {"type": "string"},
                                {"type": "object", "properties": {"id": {"type": "string"}}},
                            ]
                        },
                    },
                },
                "Options": {
                    "anyOf": [{"type": "object", "properties": {"a": {"type": "boolean"}}}, {"type": "null"}]
                },
                "Holder": {
                    "type": "object",
                    "properties": {"options": {"$ref": "#/components/schemas/Options"}},
                },
            }
        }
    }
    assert schema_names(document) == {
        "Answer": "Answer",
        "Options": "Options",
        "Holder": "Holder",
        "Answer.choices[]": "AnswerChoice",
        "Answer.voice": "AnswerVoice",
        "Answer.voice|object": "AnswerVoiceObject",
    }
    named = name_schemas(document)["components"]["schemas"]
    assert named["Options"]["properties"] == {"a": {"type": "boolean"}}  # the class takes the name
    assert named["Holder"]["properties"]["options"] == {
        "anyOf": [{"$ref": "#/components/schemas/Options"}, {"type": "null"}]
    }


def test_a_bounded_map_is_unwrapped_and_its_keys_and_values_named() -> None:
    # datamodel-codegen checks a map's number of pairs only on an alias null is no member
    # of, and its keys only when they are a named type (spec/overlay.yaml bounds Metadata).
    document: dict[str, Any] = {
        "components": {
            "schemas": {
                "Metadata": {
                    "anyOf": [
                        {
                            "type": "object",
                            "maxProperties": 16,
                            "propertyNames": {"type": "string", "maxLength": 64},
                            "additionalProperties": {"type": "string", "maxLength": 512},
                        },
                        {"type": "null"},
                    ]
                },
                "Tags": {"type": "object", "additionalProperties": {"type": "string"}},
                "Holder": {
                    "type": "object",
                    "properties": {
                        "metadata": {"$ref": "#/components/schemas/Metadata"},
                        "tags": {"$ref": "#/components/schemas/Tags"},
                    },
                },
            }
        }
    }
    names = schema_names(document)
    assert (names["Metadata{key}"], names["Metadata{value}"]) == ("MetadataKey", "MetadataValue")
    assert not [place for place in names if place.startswith("Tags{")]  # plain keys and values stay inline
    named = name_schemas(document)["components"]["schemas"]
    assert named["Metadata"] == {
        "type": "object",
        "maxProperties": 16,
        "propertyNames": {"$ref": "#/components/schemas/MetadataKey"},
        "additionalProperties": {"$ref": "#/components/schemas/MetadataValue"},
    }
    assert named["MetadataKey"] == {"type": "string", "maxLength": 64}
    assert named["Holder"]["properties"]["metadata"] == {
        "anyOf": [{"$ref": "#/components/schemas/Metadata"}, {"type": "null"}]
    }
    assert named["Holder"]["properties"]["tags"] == {"$ref": "#/components/schemas/Tags"}


def test_a_name_that_is_taken_is_an_error_not_a_number() -> None:
    document = {
        "components": {
            "schemas": {
                "A": {"type": "object", "properties": {"b": {"type": "object", "properties": {"x": {}}}}},
                "AB": {"type": "object"},
            }
        }
    }
    with pytest.raises(NamingError, match=r"A\.b: the name AB is taken"):
        name_schemas(document)


def test_a_component_takes_the_sdk_name_and_its_parts_follow() -> None:
    document = {
        "components": {
            "schemas": {
                "CreateChatCompletionResponse": {
                    "type": "object",
                    "properties": {
                        "choices": {"type": "array", "items": {"type": "object", "properties": {"i": {}}}}
                    },
                },
                "Page": {
                    "type": "object",
                    "properties": {
                        "data": {
                            "type": "array",
                            "items": {"$ref": "#/components/schemas/CreateChatCompletionResponse"},
                        }
                    },
                },
            }
        }
    }
    # The place keeps the upstream spelling; the name is built from the SDK's.
    assert schema_names(document) == {
        "CreateChatCompletionResponse": "ChatCompletion",
        "Page": "Page",
        "CreateChatCompletionResponse.choices[]": "ChatCompletionChoice",
    }
    schemas = name_schemas(document)["components"]["schemas"]
    assert list(schemas) == ["ChatCompletion", "Page", "ChatCompletionChoice"]  # one name each
    assert schemas["Page"]["properties"]["data"]["items"] == {"$ref": "#/components/schemas/ChatCompletion"}


def test_the_twin_of_a_model_is_named_param_or_as_the_sdk_names_it() -> None:
    assert twin_name("ChatCompletionUserMessage") == "ChatCompletionUserMessageParam"
    # The request message union's twin has the SDK's name; ChatCompletionMessage is the answer's.
    assert SDK_NAMES["ChatCompletionRequestMessage"] == (
        "ChatCompletionRequestMessage",
        "ChatCompletionMessageParam",
    )
    assert twin_name("ChatCompletionRequestMessage") == "ChatCompletionMessageParam"
    assert SDK_NAMES["ChatCompletionResponseMessage"] == "ChatCompletionMessage"


def test_a_name_ending_in_param_leaves_the_suffix_to_the_twin() -> None:
    document: dict[str, Any] = {
        "components": {
            "schemas": {
                "ModerationParam": {"type": "object", "properties": {"a": {"type": "string"}}},
                "Holder": {
                    "type": "object",
                    "properties": {"m": {"$ref": "#/components/schemas/ModerationParam"}},
                },
            }
        }
    }
    schemas = name_schemas(document)["components"]["schemas"]
    assert list(schemas) == ["Moderation", "Holder"]
    assert schemas["Holder"]["properties"]["m"] == {"$ref": "#/components/schemas/Moderation"}
    assert twin_name("Moderation") == "ModerationParam"
    # ...unless the shorter name is taken: then the generation fails, naming both.
    document["components"]["schemas"]["Moderation"] = {"type": "object"}
    with pytest.raises(NamingError, match="ModerationParam and Moderation would both be named Moderation"):
        name_schemas(document)
