"""generated/params.py: a TypedDict twin of every request object, that mypy --strict and
pyright strict hold dict literals to, and that describes the same JSON as its Struct."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
import textwrap
import typing
from pathlib import Path
from typing import Any

import msgspec
import msgspec.inspect as mi
import pytest

from codegen import params as codegen_params
from codegen.generate import HEADER
from codegen.naming import twin_name
from completionkit._generated import models, params

from ..typecheckers import marked_lines, mypy, pyright, search_paths

ROOT = Path(__file__).resolve().parents[2]
PARAMS = ROOT / "generated" / "params.py"
BODIES = (models.CreateChatCompletionRequest, models.UpdateChatCompletionRequest)

# Consumer code that both checkers must accept. Run as well: each value named in
# CONVERSIONS must convert to its Struct, since the twin describes the same JSON.
RIGHT = """\
from __future__ import annotations

from collections.abc import Sequence

from completionkit._generated.models import ChatCompletionTool, FunctionObject
from completionkit._generated.params import (
    ChatCompletionMessageParam,
    ChatCompletionUserMessageParam,
    ChatCompletionStreamOptionsParam,
    ChatCompletionToolChoiceOptionParam,
    ChatCompletionToolParam,
    CreateChatCompletionParams,
    ChatCompletionAudioParam,
    CreateChatCompletionRequestResponseFormatParam,
    ChatCompletionToolUnionParam,
    WebSearchOptionsParam,
    ChatCompletionPredictionContentParam,
)

user_text: ChatCompletionMessageParam = {"role": "user", "content": "Hi"}
user_parts: ChatCompletionUserMessageParam = {
    "role": "user",
    "content": [
        {"type": "text", "text": "What is in this image?"},
        {"type": "image_url", "image_url": {"url": "https://example.com/a.png", "detail": "low"}},
    ],
}
system: ChatCompletionMessageParam = {"role": "system", "content": "Answer briefly."}
assistant: ChatCompletionMessageParam = {
    "role": "assistant",
    "content": None,
    "tool_calls": [{"id": "call_1", "type": "function", "function": {"name": "f", "arguments": "{}"}}],
}
tool: ChatCompletionMessageParam = {"role": "tool", "content": "42", "tool_call_id": "call_1"}
messages: list[ChatCompletionMessageParam] = [user_text, user_parts, system, assistant, tool]

function_tools: Sequence[ChatCompletionToolUnionParam] = [
    {"type": "function", "function": {"name": "f", "parameters": {"type": "object"}}}
]
custom_tool: ChatCompletionToolUnionParam = {
    "type": "custom",
    "custom": {
        "name": "grep",
        "format": {"type": "grammar", "grammar": {"definition": "start: /.+/", "syntax": "lark"}},
    },
}
struct_tool = ChatCompletionTool(function=FunctionObject(name="g"))
nested_struct: ChatCompletionToolParam = {"type": "function", "function": FunctionObject(name="h")}
tools: list[ChatCompletionToolUnionParam] = [*function_tools, custom_tool, struct_tool, nested_struct]
function_tool_list: list[ChatCompletionToolParam] = [{"type": "function", "function": {"name": "k"}}]
read_only_tools: Sequence[ChatCompletionToolUnionParam] = function_tool_list

json_object: CreateChatCompletionRequestResponseFormatParam = {"type": "json_object"}
text: CreateChatCompletionRequestResponseFormatParam = {"type": "text"}
json_schema: CreateChatCompletionRequestResponseFormatParam = {
    "type": "json_schema",
    "json_schema": {"name": "answer", "schema": {"type": "object", "properties": {}}, "strict": True},
}

choice_auto: ChatCompletionToolChoiceOptionParam = "auto"
choice_function: ChatCompletionToolChoiceOptionParam = {"type": "function", "function": {"name": "f"}}
choice_allowed: ChatCompletionToolChoiceOptionParam = {
    "type": "allowed_tools",
    "allowed_tools": {"mode": "auto", "tools": [{"type": "function", "function": {"name": "f"}}]},
}
choice_custom: ChatCompletionToolChoiceOptionParam = {"type": "custom", "custom": {"name": "grep"}}

web_search: WebSearchOptionsParam = {}
web_search_near: WebSearchOptionsParam = {
    "user_location": {"type": "approximate", "approximate": {"city": "Paris", "country": "FR"}},
    "search_context_size": "low",
}
prediction: ChatCompletionPredictionContentParam = {"type": "content", "content": "print('hello')"}
audio: ChatCompletionAudioParam = {"voice": "alloy", "format": "mp3"}
stream_options: ChatCompletionStreamOptionsParam = {"include_usage": True}

# tools and response_format are the client's to type (EXCLUDED): the Params above are
# what it takes among them.
keywords: CreateChatCompletionParams = {
    "model": "gpt-4o-mini",
    "tool_choice": choice_allowed,
    "web_search_options": {},
    "prediction": prediction,
    "audio": audio,
    "temperature": 0.2,
    "metadata": {"topic": "test"},
    "stop": ["END"],
    "moderation": {"model": "omni-moderation-latest", "policy": {"input": {"mode": "block"}}},
    "prompt_cache_options": {"mode": "explicit"},
    "functions": [{"name": "f"}],
}
"""

# (value in RIGHT, models type it converts to, the Struct it becomes)
CONVERSIONS = [
    ("user_text", "ChatCompletionRequestMessage", "ChatCompletionUserMessage"),
    ("user_parts", "ChatCompletionRequestMessage", "ChatCompletionUserMessage"),
    ("system", "ChatCompletionRequestMessage", "ChatCompletionSystemMessage"),
    ("assistant", "ChatCompletionRequestMessage", "ChatCompletionAssistantMessage"),
    ("tool", "ChatCompletionRequestMessage", "ChatCompletionToolMessage"),
    ("custom_tool", "ChatCompletionToolUnion", "ChatCompletionCustomTool"),
    ("nested_struct", "ChatCompletionToolUnion", "ChatCompletionTool"),
    ("json_object", "CreateChatCompletionRequestResponseFormat", "ResponseFormatJsonObject"),
    ("text", "CreateChatCompletionRequestResponseFormat", "ResponseFormatText"),
    ("json_schema", "CreateChatCompletionRequestResponseFormat", "ResponseFormatJsonSchema"),
    ("choice_function", "ChatCompletionToolChoiceOption", "ChatCompletionNamedToolChoice"),
    ("choice_allowed", "ChatCompletionToolChoiceOption", "ChatCompletionAllowedToolChoice"),
    ("choice_custom", "ChatCompletionToolChoiceOption", "ChatCompletionNamedToolChoiceCustom"),
    (
        "web_search",
        "WebSearchOptions",
        "WebSearchOptions",
    ),
    (
        "web_search_near",
        "WebSearchOptions",
        "WebSearchOptions",
    ),
    ("prediction", "ChatCompletionPredictionContent", "ChatCompletionPredictionContent"),
    ("audio", "CreateChatCompletionRequestAudio", "CreateChatCompletionRequestAudio"),
    ("stream_options", "ChatCompletionStreamOptions", "ChatCompletionStreamOptions"),
]

# Consumer code in which both checkers must reject each line marked `# error`, and no other.
WRONG = """\
from completionkit._generated.params import (
    ChatCompletionMessageParam,
    ChatCompletionToolChoiceOptionParam,
    CreateChatCompletionRequestResponseFormatParam,
    ChatCompletionToolUnionParam,
)

wizard: ChatCompletionMessageParam = {"role": "wizard", "content": "x"}  # error: unknown role
untied: ChatCompletionMessageParam = {"role": "tool", "content": "x"}  # error: no tool_call_id
bare: ChatCompletionToolUnionParam = {"type": "function"}  # error: a function tool without function
misspelt: ChatCompletionMessageParam = {"role": "user", "contnet": "x"}  # error: misspelt key
number: ChatCompletionMessageParam = {"role": "user", "content": 5}  # error: content is text or parts
objekt: CreateChatCompletionRequestResponseFormatParam = {"type": "json_objekt"}  # error: no such format
choice: ChatCompletionToolChoiceOptionParam = "sometimes"  # error: not a tool choice
nested: list[ChatCompletionToolUnionParam] = [{"type": "function", "function": {"nam": "f"}}]  # error
"""


@pytest.fixture(scope="module")
def consumers(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    tmp = tmp_path_factory.mktemp("consumers")
    right, wrong = tmp / "right.py", tmp / "wrong.py"
    right.write_text(RIGHT, "utf-8")
    wrong.write_text(WRONG, "utf-8")
    return right, wrong


@pytest.mark.parametrize("checker", [mypy, pyright], ids=["mypy", "pyright"])
def test_checkers_accept_right_literals_and_reject_each_wrong_one(
    checker: Any, consumers: tuple[Path, Path]
) -> None:
    right, wrong = consumers
    errors, output = checker([right, wrong], right.parent)
    assert errors[right] == set(), output
    assert len(marked_lines(WRONG)) == 8
    assert errors[wrong] == marked_lines(WRONG), output


@pytest.mark.parametrize("checker", [mypy, pyright], ids=["mypy", "pyright"])
def test_params_module_passes_the_strict_checkers(checker: Any, tmp_path: Path) -> None:
    module = Path(search_paths(tmp_path)[0]) / "completionkit" / "_generated" / "params.py"
    errors, output = checker([module], tmp_path)
    assert errors[module] == set(), output


def test_right_literals_convert_to_their_structs() -> None:
    namespace: dict[str, Any] = {}
    exec(compile(RIGHT, "right.py", "exec"), namespace)  # our own snippet, the one checked above
    for name, target, struct in CONVERSIONS:
        value = namespace[name]
        converted = msgspec.convert(value, getattr(models, target))
        assert type(converted) is getattr(models, struct), name
        # Encoded again, the Struct is the very JSON the dict was.
        assert msgspec.to_builtins(converted) == msgspec.to_builtins(value), name
    request = {**namespace["keywords"], "messages": namespace["messages"]}
    body = msgspec.convert(request, models.CreateChatCompletionRequest)
    assert msgspec.to_builtins(body) == msgspec.to_builtins(request)


def _reachable() -> dict[str, mi.StructType]:
    """Every Struct the request bodies reach, by name (msgspec's view, not the generator's)."""
    found: dict[str, mi.StructType] = {}
    pending: list[mi.Type] = [item.type for body in BODIES for item in _info(body).fields]
    while pending:
        info = pending.pop()
        if isinstance(info, mi.StructType):
            if info.cls.__name__ not in found:
                found[info.cls.__name__] = info
                pending.extend(item.type for item in info.fields)
        elif isinstance(info, mi.UnionType):
            pending.extend(info.types)
        elif isinstance(info, mi.Metadata | mi.CollectionType):
            pending.append(info.type if isinstance(info, mi.Metadata) else info.item_type)
        elif isinstance(info, mi.DictType):
            pending.extend([info.key_type, info.value_type])
    return found


def _info(cls: type) -> mi.StructType:
    info = mi.type_info(cls)
    assert isinstance(info, mi.StructType)
    return info


def _typeddicts(tree: ast.Module) -> dict[str, list[tuple[str, bool]]]:
    """Each TypedDict params.py defines for type checkers: its keys, and whether each is Required."""
    found: dict[str, list[tuple[str, bool]]] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef):
            found[node.name] = [
                (s.target.id, ast.unparse(s.annotation).startswith("Required["))
                for s in node.body
                if isinstance(s, ast.AnnAssign) and isinstance(s.target, ast.Name)
            ]
        elif (
            isinstance(node, ast.Assign)
            and isinstance(node.value, ast.Call)
            and ast.unparse(node.value.func) == "TypedDict"
        ):
            name, keys = node.value.args
            assert isinstance(name, ast.Constant)
            assert isinstance(keys, ast.Dict)
            found[str(name.value)] = [
                (str(k.value), str(v.value).startswith("Required["))
                for k, v in zip(keys.keys, keys.values, strict=True)
                if isinstance(k, ast.Constant) and isinstance(v, ast.Constant)
            ]
    return found


def test_every_reachable_struct_has_a_twin_with_its_keys() -> None:
    reachable = _reachable()
    typeddicts = _typeddicts(ast.parse(PARAMS.read_text("utf-8")))
    twins = {name for name in typeddicts if name.endswith("Param")}
    assert twins == {twin_name(name) for name in reachable}
    # The ones the README and users reach for, by name.
    for name in ["ChatCompletionUserMessage", "ChatCompletionTool", "ResponseFormatJsonObject"]:
        assert name in reachable
    for name, info in reachable.items():
        tag = [(info.tag_field, True)] if info.tag_field is not None else []
        expected = tag + [(item.encode_name, item.required) for item in info.fields]
        assert typeddicts[twin_name(name)] == expected, name


def test_keyword_typeddicts_have_every_body_field_but_the_excluded_all_optional() -> None:
    for body, typeddict in [
        (models.CreateChatCompletionRequest, params.CreateChatCompletionParams),
        (models.UpdateChatCompletionRequest, params.UpdateChatCompletionParams),
    ]:
        excluded = codegen_params.EXCLUDED.get(body.__name__, {})
        expected = [item.encode_name for item in _info(body).fields if item.name not in excluded]
        assert list(typing.get_type_hints(typeddict)) == expected
        assert typeddict.__required_keys__ == frozenset()
    assert set(codegen_params.EXCLUDED["CreateChatCompletionRequest"]) == {
        "messages",
        "stream",
        "stream_options",
        "response_format",
        "tools",
    }


def test_the_exclusions_are_emitted_once_from_excluded() -> None:
    name = codegen_params.exclusions_name("CreateChatCompletionRequest")
    assert name == "CREATE_CHAT_COMPLETION_KEYWORD_EXCLUSIONS"
    assert codegen_params.constant_names() == [name]
    assert name in params.__all__
    emitted = params.CREATE_CHAT_COMPLETION_KEYWORD_EXCLUSIONS
    assert dict(emitted) == codegen_params.EXCLUDED["CreateChatCompletionRequest"]
    assert list(emitted) == list(codegen_params.EXCLUDED["CreateChatCompletionRequest"])
    # A constant, not a type: completionkit.types does not list it.
    import completionkit.types

    assert name not in completionkit.types.__all__


def test_union_aliases_have_twins_of_their_members() -> None:
    tree = ast.parse(PARAMS.read_text("utf-8"))
    aliases = {
        node.target.id: node.value
        for node in tree.body
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.value is not None
    }
    for alias in [
        "ChatCompletionRequestMessage",
        "ChatCompletionToolUnion",
        "CreateChatCompletionRequestResponseFormat",
        "ChatCompletionContentPart",
    ]:
        members = [member.__name__ for member in typing.get_args(getattr(models, alias))]
        named = {n.id for n in ast.walk(aliases[twin_name(alias)]) if isinstance(n, ast.Name)}
        assert named == {*members, *(twin_name(member) for member in members)}, alias
    option = {
        n.id for n in ast.walk(aliases["ChatCompletionToolChoiceOptionParam"]) if isinstance(n, ast.Name)
    }
    assert option == {"Literal", "ChatCompletionToolChoiceObjectParam"}


def test_all_is_sorted_and_lists_every_name_defined() -> None:
    tree = ast.parse(PARAMS.read_text("utf-8"))
    # Type aliases and the constants (the exclusions).
    defined = set(_typeddicts(tree)) | {
        node.target.id
        for node in tree.body
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name)
    }
    assert params.__all__ == sorted(params.__all__)
    assert set(params.__all__) == defined
    assert all(hasattr(params, name) for name in params.__all__)


def test_the_module_stays_cheap_to_import() -> None:
    tree = ast.parse(PARAMS.read_text("utf-8"))
    imported = {node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)} | {
        alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names
    }
    assert not any(name.split(".")[0] == "msgspec" for name in imported)
    assert "Meta(" not in PARAMS.read_text("utf-8")
    # The twins are TypedDicts for type checkers; at run time each is dict.
    assert params.ChatCompletionToolParam is dict
    assert params.ChatCompletionToolParam(type="function", function={"name": "f"}) == {
        "type": "function",
        "function": {"name": "f"},
    }


# A package whose models hold what the real spec does not (yet): wire names that are no
# identifiers, and a Struct that contains itself.
SYNTHETIC_MODELS = """\
from typing import Annotated, Any, Literal, TypeAlias
from msgspec import Meta, UNSET, UnsetType, field
from completionkit._generated._base import Model


class Node(Model, tag_field="kind", tag="node"):
    name: Annotated[str, Meta(min_length=1)]
    children: list["Node"] | UnsetType = UNSET
    from_: str | UnsetType = field(name="from", default=UNSET)
    x_y: int | None = field(name="x-y", default=None)


Size: TypeAlias = Literal["small", "large"] | None


class CreateThingRequest(Model):
    root: Node
    size: Size | UnsetType = UNSET
    extra: dict[str, Any] | UnsetType = UNSET
"""

SYNTHETIC_DOCUMENT = {
    "paths": {
        "/things": {
            "post": {
                "requestBody": {
                    "content": {
                        "application/json": {"schema": {"$ref": "#/components/schemas/CreateThingRequest"}}
                    }
                }
            }
        }
    },
    "components": {
        "schemas": {
            "ChatCompletionRequestMessage": {"oneOf": [{"$ref": "#/components/schemas/UserMessage"}]},
            "UserMessage": {"properties": {"role": {"enum": ["user"]}}},
        }
    },
}

SYNTHETIC_RIGHT = """\
from completionkit._generated.params import CreateThingParams, NodeParam

leaf: NodeParam = {"kind": "node", "name": "b", "from": "c"}
tree: NodeParam = {"kind": "node", "name": "a", "children": [leaf], "x-y": 1}
keywords: CreateThingParams = {"root": tree, "size": "small", "extra": {"any": ["json"]}}
"""

SYNTHETIC_WRONG = """\
from completionkit._generated.params import NodeParam

nameless: NodeParam = {"kind": "node", "children": []}  # error: name is required
deep: NodeParam = {"kind": "node", "name": "a", "children": [{"kind": "node", "nme": "b"}]}  # error: nme
"""


def test_keys_that_are_no_identifiers_and_recursive_structs(tmp_path: Path) -> None:
    base = "from msgspec import Struct\n\n\nclass Model(Struct, omit_defaults=True):\n    pass\n"
    files = {"__init__.py": "", "_base.py": base, "models.py": SYNTHETIC_MODELS}
    loaded = dict(sys.modules)
    source = codegen_params.render(SYNTHETIC_DOCUMENT, files, header=HEADER)
    # The installed package was put back as it was.
    assert {name: module for name, module in sys.modules.items() if name.startswith("completionkit")} == {
        name: module for name, module in loaded.items() if name.startswith("completionkit")
    }
    assert sys.modules["completionkit._generated.models"] is models

    typeddicts = _typeddicts(ast.parse(source))
    assert typeddicts["NodeParam"] == [
        ("kind", True),
        ("name", True),
        ("children", False),
        ("from", False),
        ("x-y", False),
    ]
    assert "'children': 'Sequence[NodeParam | Node]'" in source
    assert typeddicts["CreateThingParams"] == [("root", False), ("size", False), ("extra", False)]
    assert "extra: Mapping[str, object]" in source
    assert "size: Size\n" in source  # an alias that is its own dict form keeps its name

    package = tmp_path / "site" / "completionkit"
    (package / "_generated").mkdir(parents=True)
    (package / "__init__.py").write_text("", "utf-8")
    for name, text in {**files, "params.py": source}.items():
        (package / "_generated" / name).write_text(text, "utf-8")
    # Imports at run time, from this package and not the installed one.
    completed = subprocess.run(
        [sys.executable, "-c", "import completionkit._generated.params as p; print(p.__file__)"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=False,
        env={**os.environ, "PYTHONPATH": str(package.parent)},
    )
    assert completed.stdout.strip() == str(package / "_generated" / "params.py"), completed.stderr

    right, wrong = tmp_path / "right.py", tmp_path / "wrong.py"
    right.write_text(SYNTHETIC_RIGHT, "utf-8")
    wrong.write_text(SYNTHETIC_WRONG, "utf-8")
    for checker in (mypy, pyright):
        module = package / "_generated" / "params.py"
        errors, output = checker([right, wrong, module], tmp_path, [str(package.parent)])
        assert errors == {right: set(), wrong: marked_lines(SYNTHETIC_WRONG), module: set()}, output


def test_a_model_params_cannot_express_is_an_error() -> None:
    models_source = SYNTHETIC_MODELS + textwrap.dedent("""

        class Pair(Model, array_like=True):
            a: int


        class CreateThingRequest(Model):
            pair: Pair
        """)
    files = {
        "__init__.py": "",
        "_base.py": "from msgspec import Struct as Model\n",
        "models.py": models_source,
    }
    with pytest.raises(codegen_params.ParamsError, match="Pair is encoded as an array"):
        codegen_params.render(SYNTHETIC_DOCUMENT, files, header=HEADER)
    assert sys.modules["completionkit._generated.models"] is models
