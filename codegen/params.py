"""Render ``generated/params.py``: TypedDicts of the request bodies, for typed keyword arguments.

``create(messages, **params)`` takes every field of ``CreateChatCompletionRequest`` as a
keyword.  Writing those keywords by hand would restate the schema; instead this module
reads the generated Structs (their fields from the module's syntax, their order and
required-ness from msgspec) and writes one ``TypedDict`` per request body,
so a regeneration updates the keywords with the types.
"""

from __future__ import annotations

import ast
import contextlib
import importlib.util
import keyword
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import msgspec

__all__ = ["EXCLUDED", "render"]

Json = Any

# Fields a body's TypedDict leaves out, with why.
EXCLUDED: dict[str, dict[str, str]] = {
    "CreateChatCompletionRequest": {
        "messages": "the conversation is create()'s first, positional argument",
        "stream": "whether the answer streams is chosen by the method called, not by a keyword",
        "stream_options": "belongs with stream",
    },
}

_TYPING = {"Annotated", "Any", "Literal", "TypeAlias"}
_MSGSPEC = {"Meta"}


@contextlib.contextmanager
def _loaded(models: str) -> Iterator[ModuleType]:
    """The generated models as a module, registered while in use: msgspec resolves
    the string annotations through ``sys.modules``."""
    name = "_completionkit_generated_models"
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"{name}.py"
        # Loaded alone, not as part of its package: its one relative import is inlined.
        base = 'class Model(Struct, omit_defaults=True, gc=False): """The base of the generated Structs."""'
        path.write_text(
            models.replace(
                "from completionkit._generated._base import Model", f"from msgspec import Struct\n{base}"
            ),
            "utf-8",
        )
        spec = importlib.util.spec_from_file_location(name, path)
        assert spec is not None
        assert spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        try:
            spec.loader.exec_module(module)
            yield module
        finally:
            del sys.modules[name]


def _field_docs(models: str) -> dict[tuple[str, str], str]:
    """The docstring written after each field, by (class, field)."""
    docs: dict[tuple[str, str], str] = {}
    for node in ast.parse(models).body:
        if not isinstance(node, ast.ClassDef):
            continue
        for field, after in zip(node.body, node.body[1:], strict=False):
            if (
                isinstance(field, ast.AnnAssign)
                and isinstance(field.target, ast.Name)
                and isinstance(after, ast.Expr)
                and isinstance(after.value, ast.Constant)
                and isinstance(after.value.value, str)
            ):
                docs[(node.name, field.target.id)] = after.value.value
    return docs


def _without_unset(annotation: str) -> ast.expr:
    """``X | UnsetType`` as ``X``: a TypedDict leaves a key out instead."""
    tree = ast.parse(annotation, mode="eval").body
    members: list[ast.expr] = []

    def flatten(node: ast.expr) -> None:
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
            flatten(node.left)
            flatten(node.right)
        else:
            members.append(node)

    flatten(tree)
    kept = [m for m in members if not (isinstance(m, ast.Name) and m.id == "UnsetType")]
    result = kept[0]
    for member in kept[1:]:
        result = ast.BinOp(left=result, op=ast.BitOr(), right=member)
    return result


def _source_annotations(models: str) -> dict[str, dict[str, str]]:
    """Each class's field annotations, as source text, read from the module's syntax."""
    out: dict[str, dict[str, str]] = {}
    for node in ast.parse(models).body:
        if isinstance(node, ast.ClassDef):
            out[node.name] = {
                field.target.id: ast.unparse(field.annotation)
                for field in node.body
                if isinstance(field, ast.AnnAssign) and isinstance(field.target, ast.Name)
            }
    return out


def _annotation_of(cls: type, name: str, sources: dict[str, dict[str, str]]) -> tuple[str, str]:
    """The annotation of field ``name`` as written, and the class that declares it."""
    for klass in cls.__mro__:
        if name in sources.get(klass.__name__, {}):
            return sources[klass.__name__][name], klass.__name__
    raise KeyError(name)


def render(document: Json, models: str, *, header: str) -> str:
    """The source of ``params.py`` for the request bodies of ``document``."""
    with _loaded(models) as module:
        return _render(document, models, module, header)


def _render(document: Json, models: str, module: ModuleType, header: str) -> str:
    docs = _field_docs(models)
    sources = _source_annotations(models)
    bodies = sorted(
        {
            schema["$ref"].rsplit("/", 1)[-1]
            for item in document["paths"].values()
            for operation in item.values()
            if isinstance(operation, dict)
            for schema in [
                operation.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")
            ]
            if schema is not None
        }
    )
    used: set[str] = set()
    classes: list[str] = []
    names: list[str] = []
    for body in bodies:
        cls = getattr(module, body)
        excluded = EXCLUDED.get(body, {})
        name = body.removesuffix("Request") + "Params"
        names.append(name)
        lines = [
            f"\n\nclass {name}(TypedDict, total=False):",
            f'    """The fields of ``{body}`` as keyword arguments; every key is optional here."""',
            "",
        ]
        for field in msgspec.structs.fields(cls):
            if field.name in excluded:
                continue
            if keyword.iskeyword(field.name) or field.name != field.encode_name:
                raise ValueError(f"{body}.{field.name} cannot be a keyword argument")
            text, owner = _annotation_of(cls, field.name, sources)
            annotation = _without_unset(text)
            used.update(n.id for n in ast.walk(annotation) if isinstance(n, ast.Name))
            lines.append(f"    {field.name}: {ast.unparse(annotation)}")
            doc = docs.get((owner, field.name))
            if doc:
                lines.append('    """' + doc.strip().replace('"""', "'''").replace("\\", "\\\\") + '"""')
        classes.append("\n".join(lines) + "\n")
    roles = _message_roles(document)
    names.append("RequestMessageRole")
    typing_names = sorted((used & _TYPING) | {"TypeAlias", "TypedDict", "Literal"})
    msgspec_names = sorted(used & _MSGSPEC)
    model_names = sorted(n for n in used - _TYPING - _MSGSPEC if hasattr(module, n))
    unknown = (
        used - _TYPING - _MSGSPEC - set(model_names) - {"None", "str", "int", "float", "bool", "list", "dict"}
    )
    if unknown:
        raise ValueError(f"annotations use names params.py cannot import: {sorted(unknown)}")
    imports = [f"from typing import {', '.join(typing_names)}", ""]
    if msgspec_names:
        imports.append(f"from msgspec import {', '.join(msgspec_names)}")
        imports.append("")
    if model_names:
        imports.append("from .models import (")
        imports.extend(f"    {n}," for n in model_names)
        imports.append(")")
    return (
        f"{header}\n"
        '"""Request bodies as TypedDicts, for typed keyword arguments; and the request message roles."""\n\n'
        "from __future__ import annotations\n\n"
        + "\n".join(imports)
        + "\n\n__all__ = [\n"
        + "".join(f'    "{n}",\n' for n in sorted(names))
        + "]\n\n"
        + f"RequestMessageRole: TypeAlias = Literal[{', '.join(repr(r) for r in roles)}]\n"
        + '"""The roles a request message may have (the tags of ``ChatCompletionRequestMessage``)."""\n'
        + "".join(classes)
    )


def _message_roles(document: Json) -> list[str]:
    schemas = document["components"]["schemas"]
    union = schemas["ChatCompletionRequestMessage"]
    roles: list[str] = []
    for member in union.get("oneOf") or union.get("anyOf"):
        role = schemas[member["$ref"].rsplit("/", 1)[-1]]["properties"]["role"]
        roles.extend(role["enum"])
    return roles
