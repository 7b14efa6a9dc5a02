"""Render ``generated/params.py``: the request objects as TypedDicts, so dict literals type-check.

Every msgspec Struct that a request body reaches (messages, content parts, tools, tool
choices, response formats, ...) gets a twin ``<Struct>Param`` (or the name
``codegen.naming.twin_name`` gives, where the official SDK's differs): a ``TypedDict`` with the
same keys (the wire names), ``Required`` on the keys the Struct requires, and its tag,
if it has one, as a required ``Literal`` key. Both forms describe the same JSON, so
wherever a request takes an object it takes either: a nested Struct ``S`` is typed
``SParam | S``. Lists and maps are read-only (``Sequence``, ``Mapping``) because
``list`` and ``dict`` are invariant: a ``list[ChatCompletionToolParam]`` must be
accepted where tools are. msgspec constraints are left to the conversion the client
makes before sending, and ``UNSET`` to a left-out key.

A union the models name (``ChatCompletionRequestMessage``, ``ChatCompletionToolChoiceOption``,
...) gets a twin ``<Alias>Param`` when its dict form differs from it; an alias that is its
own dict form (``ReasoningEffort``) is used by name; any other alias (a constrained
``float``, a list) is written out where it is used. The request bodies themselves become
``CreateChatCompletionParams`` and ``UpdateChatCompletionParams``: keyword arguments,
every key optional, without the fields ``EXCLUDED`` keeps out of them; those, with why,
are written out too (``CREATE_CHAT_COMPLETION_KEYWORD_EXCLUSIONS``), for the client to
read its reasons from. The query parameters of each operation that has any become
``<Operation>QueryParams`` (``ListChatCompletionsQueryParams``): keyword arguments, typed
by codegen.query from the spec, as the ``<Operation>Query`` Structs of endpoints.py are.

The twins are TypedDicts for type checkers only: at run time each is ``dict`` (what a
TypedDict makes anyway), because building some fifty TypedDict classes would more than
double the import time of the module, which every start of the client pays. The alias
twins and the keyword TypedDicts are real at run time.

Where each fact comes from: the keys, their wire names, required-ness and tags from
msgspec (``msgspec.inspect.type_info``) on the generated models, imported from a
temporary copy of the package; the annotations from the models' syntax, because
evaluating ``X | UnsetType`` flattens away the alias names; the keys' descriptions from
the spec's properties (generate.py keeps them out of the models).
Definitions follow the models' order, in which every name is defined before its use.
"""

from __future__ import annotations

import ast
import contextlib
import importlib
import inspect
import keyword
import re
import sys
import tempfile
from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

import msgspec
import msgspec.inspect as mi

from codegen import query
from codegen.naming import twin_name

__all__ = ["EXCLUDED", "ROLES", "ParamsError", "constant_names", "exclusions_name", "render"]

Json = Any

# Fields a body's keyword TypedDict leaves out, with why; params.py lists them under
# exclusions_name(body), so that the client states none of these reasons again.
EXCLUDED: dict[str, dict[str, str]] = {
    "CreateChatCompletionRequest": {
        "messages": "the conversation is create()'s first, positional argument",
        "stream": "whether the answer streams is chosen by the method called, not by a keyword",
        "stream_options": "belongs with stream",
        "response_format": "the client types it: a Python type to parse the answer into, or a format",
        "tools": "the client types it: Python functions (tool(fn)) as well as tool objects",
    },
}

# The roles a request message may have, by the official SDK's name for them
# (openai.types.chat.ChatCompletionRole), so that code written for it carries over.
ROLES = "ChatCompletionRole"

_PACKAGE = "completionkit"
_MODELS = f"{_PACKAGE}._generated.models"
# What importing the models runs: the package's and the subpackage's __init__, _base, models.
_IMPORTED_FILES = ("__init__.py", "_base.py", "models.py")
_SCALARS = frozenset({"str", "int", "float", "bool", "bytes"})
_TYPING = frozenset({"Literal", "Required"})
_ABC = frozenset({"Mapping", "Sequence"})


class ParamsError(ValueError):
    """The models hold something params.py cannot express."""


@contextlib.contextmanager
def _imported_models(files: Mapping[str, str]) -> Iterator[ModuleType]:
    """``completionkit._generated.models`` imported from ``files`` (generated files by name).

    The models under generation may differ from the installed ones, so they are written
    out as the package is laid out and imported from there, ahead of any installed
    ``completionkit``; the ``completionkit`` modules loaded before are put back after.
    """

    def loaded() -> list[str]:
        return [name for name in sys.modules if name == _PACKAGE or name.startswith(f"{_PACKAGE}.")]

    saved = {name: sys.modules.pop(name) for name in loaded()}
    try:
        with tempfile.TemporaryDirectory() as tmp:
            generated = Path(tmp, _PACKAGE, "_generated")
            generated.mkdir(parents=True)
            (generated.parent / "__init__.py").write_text("", "utf-8")
            for name in _IMPORTED_FILES:
                (generated / name).write_text(files[name], "utf-8")
            sys.path.insert(0, tmp)
            importlib.invalidate_caches()
            try:
                module = importlib.import_module(_MODELS)
                if not Path(module.__file__ or "").is_relative_to(tmp):
                    raise RuntimeError(f"{_MODELS} came from {module.__file__}, not from the copy in {tmp}")
                yield module
            finally:
                sys.path.remove(tmp)
                sys.path_importer_cache.pop(tmp, None)
    finally:
        for name in loaded():
            del sys.modules[name]
        sys.modules.update(saved)


def _union(node: ast.expr) -> list[ast.expr]:
    """The members of ``A | B | ...``, in order."""
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
        return _union(node.left) + _union(node.right)
    return [node]


def _join(members: list[ast.expr]) -> ast.expr:
    result = members[0]
    for member in members[1:]:
        result = ast.BinOp(left=result, op=ast.BitOr(), right=member)
    return result


def _name(name: str) -> ast.expr:
    return ast.Name(id=name, ctx=ast.Load())


def _subscript(name: str, *arguments: ast.expr) -> ast.expr:
    argument = arguments[0] if len(arguments) == 1 else ast.Tuple(elts=list(arguments), ctx=ast.Load())
    return ast.Subscript(value=_name(name), slice=argument, ctx=ast.Load())


def _names(node: ast.AST) -> set[str]:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}


def _distinct(members: list[ast.expr]) -> list[ast.expr]:
    """The members without repeats (``int | None | None`` once an alias of ``None`` is written out)."""
    seen: set[str] = set()
    kept: list[ast.expr] = []
    for member in members:
        text = ast.unparse(member)
        if text not in seen:
            seen.add(text)
            kept.append(member)
    return kept


@dataclass
class _Form:
    """A type's dict form, as the members of a union.

    ``ahead`` when it comes from a forward reference (a recursive type) and may name a
    twin defined further down: an alias twin is evaluated at import, so it is then quoted.
    """

    members: list[ast.expr]
    ahead: bool = False

    def expression(self) -> ast.expr:
        return _join(self.members)


@dataclass
class _Translator:
    """Turns the models' annotations, as written, into their dict forms.

    Records on the way the Structs reached (each gets a TypedDict twin), the aliases that
    get a twin, and the model names params.py uses.
    """

    module: ModuleType
    aliases: dict[str, ast.expr]
    structs: dict[str, type] = field(default_factory=dict)
    twins: dict[str, _Form] = field(default_factory=dict)
    imports: set[str] = field(default_factory=set)
    _forms: dict[str, _Form] = field(default_factory=dict)
    _open: set[str] = field(default_factory=set)
    _recursive: set[str] = field(default_factory=set)

    def field_form(self, node: ast.expr, where: str) -> _Form:
        """The dict form of a field's annotation."""
        form = self.form(node, where)
        if not form.members:
            raise ParamsError(f"{where}: {ast.unparse(node)} leaves no type once UNSET is dropped")
        return form

    def form(self, node: ast.expr, where: str) -> _Form:
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
            parts = [self.form(member, where) for member in _union(node)]
            members = _distinct([m for part in parts for m in part.members])
            return _Form(members, any(part.ahead for part in parts))
        if isinstance(node, ast.Constant) and node.value is None:
            return _Form([node])
        if isinstance(node, ast.Constant) and isinstance(node.value, str):  # a forward reference
            inner = self.form(ast.parse(node.value, mode="eval").body, where)
            return _Form(inner.members, ahead=True)
        if isinstance(node, ast.Name):
            return self._named(node.id, where)
        if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name):
            head = node.value.id
            arguments = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
            if head == "Literal":
                return _Form([node])
            if head == "Annotated":  # constraints: checked when the client converts the body
                return self.form(arguments[0], where)
            if head == "list":
                item = self.form(arguments[0], where)
                return _Form([_subscript("Sequence", item.expression())], item.ahead)
            if head == "dict":
                key, value = (self.form(argument, where) for argument in arguments)
                mapping = _subscript("Mapping", key.expression(), value.expression())
                return _Form([mapping], key.ahead or value.ahead)
        raise ParamsError(f"{where}: params.py has no dict form for {ast.unparse(node)}")

    def _named(self, name: str, where: str) -> _Form:
        if name in _SCALARS:
            return _Form([_name(name)])
        if name == "Any":  # free-form JSON: anything goes in, and `object` says so strictly
            return _Form([_name("object")])
        if name == "UnsetType":  # the key is left out instead
            return _Form([])
        if name in self.aliases:  # before Structs: an alias of one Struct is that class at run time
            return self._alias(name, where)
        value = getattr(self.module, name, None)
        if isinstance(value, type) and issubclass(value, msgspec.Struct) and value.__name__ == name:
            self.structs[name] = value
            self.imports.add(name)
            return _Form([_name(twin_name(name)), _name(name)])
        raise ParamsError(f"{where}: {name} is neither a Struct nor a type alias of the models")

    def _alias(self, name: str, where: str) -> _Form:
        if name in self._forms:
            return self._forms[name]
        if name in self._open:  # it refers to itself: only a named twin can say that
            self._recursive.add(name)
            return _Form([_name(twin_name(name))], ahead=True)
        self._open.add(name)
        value = self.aliases[name]
        form = self.form(value, f"{where} -> {name}")
        self._open.discard(name)
        as_written = ast.unparse(form.expression()) == ast.unparse(value) if form.members else False
        scalar = len(form.members) == 1 and ast.unparse(form.members[0]) in _SCALARS
        if name in self._recursive or (len(form.members) > 1 and not as_written):
            self.twins[name] = form
            self._forms[name] = _Form([_name(twin_name(name))])
        elif as_written and not scalar:
            # Its own dict form (``ReasoningEffort``, a union of Literals): used by its name.
            self.imports.add(name)
            self._forms[name] = _Form([_name(name)])
        else:
            self._forms[name] = form  # one type, its constraints dropped: written out where used
        return self._forms[name]


def _reached(bodies: list[mi.StructType]) -> set[str]:
    """The Struct classes the bodies' fields reach, by name, as msgspec sees the types."""
    found: set[str] = set()

    def walk(info: mi.Type) -> None:
        if isinstance(info, mi.StructType):
            if info.cls.__name__ not in found:
                found.add(info.cls.__name__)
                for item in info.fields:
                    walk(item.type)
        elif isinstance(info, mi.UnionType):
            for member in info.types:
                walk(member)
        elif isinstance(info, mi.Metadata):
            walk(info.type)
        elif isinstance(info, mi.CollectionType):
            walk(info.item_type)
        elif isinstance(info, mi.DictType):
            walk(info.key_type)
            walk(info.value_type)
        elif isinstance(info, mi.TupleType):
            for item_type in info.item_types:
                walk(item_type)

    for body in bodies:
        for item in body.fields:
            walk(item.type)
    return found


def _struct_info(cls: type) -> mi.StructType:
    info = mi.type_info(cls)
    if not isinstance(info, mi.StructType):
        raise ParamsError(f"{cls.__name__} is not a Struct")
    if info.array_like:
        raise ParamsError(f"{cls.__name__} is encoded as an array: no TypedDict describes it")
    return info


def _classes(tree: ast.Module) -> dict[str, ast.ClassDef]:
    return {node.name: node for node in tree.body if isinstance(node, ast.ClassDef)}


def _aliases(tree: ast.Module) -> dict[str, ast.expr]:
    """The models' ``Name: TypeAlias = ...`` assignments."""
    return {
        node.target.id: node.value
        for node in tree.body
        if isinstance(node, ast.AnnAssign)
        and isinstance(node.target, ast.Name)
        and isinstance(node.annotation, ast.Name)
        and node.annotation.id == "TypeAlias"
        and node.value is not None
    }


def _defined_names(tree: ast.Module) -> list[str]:
    """The classes and annotated names the module defines, in its order."""
    names: list[str] = []
    for node in tree.body:
        if isinstance(node, ast.ClassDef):
            names.append(node.name)
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.append(node.target.id)
    return names


def _fields_as_written(cls: type, classes: dict[str, ast.ClassDef]) -> dict[str, tuple[str, ast.expr]]:
    """Each field's annotation as written, and the class that declares it (the nearest in the MRO)."""
    out: dict[str, tuple[str, ast.expr]] = {}
    for klass in reversed(cls.__mro__):
        node = classes.get(klass.__name__)
        for statement in node.body if node is not None else []:
            if isinstance(statement, ast.AnnAssign) and isinstance(statement.target, ast.Name):
                out[statement.target.id] = (klass.__name__, statement.annotation)
    return out


def _schema(document: Json, name: str) -> Json:
    return document.get("components", {}).get("schemas", {}).get(name, {})


def _description(document: Json, schema: Json, wire: str) -> str | None:
    """The description of property ``wire`` of ``schema``, or of an ``allOf`` part it merges."""
    prop = schema.get("properties", {}).get(wire)
    if isinstance(prop, dict) and isinstance(prop.get("description"), str):
        return str(prop["description"])
    for part in schema.get("allOf", []):
        if isinstance(part, dict):
            resolved = _schema(document, part["$ref"].rsplit("/", 1)[-1]) if "$ref" in part else part
            found = _description(document, resolved, wire)
            if found is not None:
                return found
    return None


def _docstring(text: str, indent: str) -> str:
    text = inspect.cleandoc(text).replace("\\", "\\\\").replace('"""', "'''")
    lines = [line.rstrip() for line in text.splitlines()] or [""]
    if lines[-1].endswith('"'):  # it would run into the closing quotes
        lines[-1] += " "
    if len(lines) == 1:
        return f'{indent}"""{lines[0]}"""\n'
    body = "".join(f"{indent}{line}\n" if line else "\n" for line in lines[1:])
    return f'{indent}"""{lines[0]}\n{body}{indent}"""\n'


@dataclass
class _Key:
    """One key of a TypedDict."""

    wire: str
    form: _Form
    required: bool
    doc: str | None = None

    def expression(self) -> ast.expr:
        value = self.form.expression()
        return _subscript("Required", value) if self.required else value


def _typeddict(name: str, doc: str, keys: list[_Key], indent: str = "") -> str:
    """A TypedDict's source (params.py has ``from __future__ import annotations``: none is evaluated)."""
    if all(key.wire.isidentifier() and not keyword.iskeyword(key.wire) for key in keys):
        lines = [f"\n\n{indent}class {name}(TypedDict, total=False):\n", _docstring(doc, indent + "    ")]
        if keys:
            lines.append("\n")
        for key in keys:
            lines.append(f"{indent}    {key.wire}: {ast.unparse(key.expression())}\n")
            if key.doc:
                lines.append(_docstring(key.doc, indent + "    "))
        return "".join(lines)
    # A wire name that is no identifier (or is a keyword) can only be a key of the
    # functional syntax. Its values are no annotations, so they are quoted: they may name
    # types defined further down.
    items = "".join(f"{indent}        {key.wire!r}: {ast.unparse(key.expression())!r},\n" for key in keys)
    return (
        f"\n\n{indent}{name} = TypedDict(\n{indent}    {name!r},\n{indent}    {{\n{items}{indent}    }},\n"
        f"{indent}    total=False,\n{indent})\n{_docstring(doc, indent)}"
    )


_TEMPLATE = '''{header}
"""The request objects as TypedDicts, so that dict literals type-check.

``<Struct>Param`` is the TypedDict twin of each Struct a request sends: the same keys
(the wire names) and the same required keys. Wherever a request takes an object it takes
either form, and ``<Alias>Param`` is the dict form of a union the models name: each
member's twin or the Struct itself. Then the create and update keyword arguments (and
the fields the create keywords leave out, with why), the query parameters of each
operation that has them as keyword arguments (``<Operation>QueryParams``), and the
request message roles.

The twins are TypedDicts for type checkers; at run time each is ``dict``, which is all a
TypedDict makes: defining some fifty classes would slow every start of the client.
"""

from __future__ import annotations

{imports}

__all__ = [
{all_names}]

{roles_name}: TypeAlias = Literal[{roles}]
"""The roles a request message may have (the tags of ``ChatCompletionRequestMessage``)."""

if TYPE_CHECKING:
{typeddicts}
else:  # a TypedDict makes a plain dict
{at_run_time}
{aliases}{bodies}'''


def render(document: Json, files: Mapping[str, str], *, header: str) -> str:
    """The source of ``params.py`` for the request bodies and query parameters of ``document``.

    ``files`` are the generated files by name (``__init__.py``, ``_base.py`` and
    ``models.py`` at least).
    """
    with _imported_models(files) as module:
        return _Renderer(document, ast.parse(files["models.py"]), module).render(header)


def exclusions_name(body: str) -> str:
    """The params.py constant that lists the fields EXCLUDED keeps out of ``body``'s keywords."""
    words = re.findall(r"[A-Z][a-z0-9]*", body.removesuffix("Request"))
    return "_".join(word.upper() for word in words) + "_KEYWORD_EXCLUSIONS"


def constant_names() -> list[str]:
    """The names params.py defines that are no types: the exclusions of each body."""
    return sorted(exclusions_name(body) for body in EXCLUDED)


def _exclusions(body: str, keywords: str) -> str:
    """The constant that lists EXCLUDED's fields of ``body``, each with why."""
    items = "".join(f"    {name!r}: {why!r},\n" for name, why in EXCLUDED[body].items())
    doc = f"The fields of ``{body}`` that ``{keywords}`` leaves out, each with why it does."
    return f"\n\n{exclusions_name(body)}: Mapping[str, str] = {{\n{items}}}\n{_docstring(doc, '')}"


def _query_keys(operation: query.Operation) -> list[_Key]:
    """An operation's query parameters as the keys of a TypedDict, typed as codegen.query reads them."""
    return [
        _Key(
            parameter.name,
            _Form([ast.parse(parameter.annotation, mode="eval").body]),
            parameter.required,
            parameter.description or None,
        )
        for parameter in operation.parameters
    ]


def _request_bodies(document: Json) -> list[str]:
    return sorted(
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


def _message_roles(document: Json) -> list[str]:
    schemas = document["components"]["schemas"]
    union = schemas["ChatCompletionRequestMessage"]
    roles: list[str] = []
    for member in union.get("oneOf") or union.get("anyOf"):
        role = schemas[member["$ref"].rsplit("/", 1)[-1]]["properties"]["role"]
        roles.extend(role["enum"])
    return roles


class _Renderer:
    def __init__(self, document: Json, tree: ast.Module, module: ModuleType) -> None:
        self.document = document
        self.tree = tree
        self.classes = _classes(tree)
        self.module = module
        self.translator = _Translator(module, _aliases(tree))

    def _keys(self, cls: type, skip: Collection[str] = ()) -> list[_Key]:
        info = _struct_info(cls)
        written = _fields_as_written(cls, self.classes)
        keys: list[_Key] = []
        if info.tag_field is not None:  # always on the wire, so always in the dict
            tag = _Form([_subscript("Literal", ast.Constant(info.tag))])
            keys.append(_Key(info.tag_field, tag, required=True))
        for item in info.fields:
            owner, annotation = written[item.name]
            # Translated even when skipped: the types it reaches still get their twins.
            form = self.translator.field_form(annotation, f"{cls.__name__}.{item.name}")
            if item.name not in skip:
                doc = _description(self.document, _schema(self.document, owner), item.encode_name)
                keys.append(_Key(item.encode_name, form, item.required, doc))
        return keys

    def _keywords(self, cls: type) -> list[_Key]:
        """A request body's fields as keyword arguments."""
        excluded = EXCLUDED.get(cls.__name__, {})
        missing = set(excluded) - {item.name for item in _struct_info(cls).fields}
        if missing:
            raise ParamsError(f"EXCLUDED names fields {cls.__name__} does not have: {sorted(missing)}")
        keys = self._keys(cls, excluded)
        for key in keys:
            if not key.wire.isidentifier() or keyword.iskeyword(key.wire):
                raise ParamsError(f"{cls.__name__}.{key.wire} cannot be a keyword argument")
            # `model` too: it may come in a mapping, and the client checks it at run time.
            key.required = False
        return keys

    def _twins(self, bodies: Collection[type]) -> dict[str, list[_Key]]:
        """The keys of each Struct's twin, for every Struct the bodies reach (once their keys are read)."""
        structs: dict[str, list[_Key]] = {}
        # A twin's keys can reach more Structs: until none is new.
        while pending := sorted(set(self.translator.structs) - set(structs)):
            for name in pending:
                structs[name] = self._keys(self.translator.structs[name])
        by_msgspec = _reached([_struct_info(cls) for cls in bodies])
        by_syntax = set(structs)
        if by_msgspec != by_syntax:
            raise ParamsError(
                "the models' syntax and msgspec disagree on the Structs the request bodies reach: "
                f"by syntax only {sorted(by_syntax - by_msgspec)}, "
                f"by msgspec only {sorted(by_msgspec - by_syntax)}"
            )
        return structs

    def _imports(self, used: set[str], defined: Collection[str]) -> str:
        models = sorted(used & self.translator.imports)
        unknown = used - set(models) - _TYPING - _ABC - _SCALARS - {"object"} - set(defined)
        if unknown:
            raise ParamsError(f"params.py would use names it does not import: {sorted(unknown)}")
        typing_names = sorted(
            (used & _TYPING) | {"TYPE_CHECKING", "Literal", "TypeAlias", "TypedDict"},
            key=lambda n: (not n.isupper(), n),
        )
        imports = [f"from typing import {', '.join(typing_names)}"]
        if used & _ABC:
            imports.insert(0, f"from collections.abc import {', '.join(sorted(used & _ABC))}")
        if models:
            imports.append("\nfrom .models import (\n" + "".join(f"    {n},\n" for n in models) + ")")
        return "\n".join(imports)

    def render(self, header: str) -> str:
        bodies = {name: getattr(self.module, name) for name in _request_bodies(self.document)}
        keywords = {name: self._keywords(cls) for name, cls in bodies.items()}
        structs = self._twins(list(bodies.values()))

        # The models define every name before its first use; params.py follows their order.
        position = {name: index for index, name in enumerate(_defined_names(self.tree))}
        struct_order = sorted(structs, key=position.__getitem__)
        alias_order = sorted(self.translator.twins, key=position.__getitem__)
        body_names = {name: name.removesuffix("Request") + "Params" for name in bodies}

        typeddicts = []
        for name in struct_order:
            doc = f"The dict form of ``{name}``."
            if ast.get_docstring(self.classes[name]):
                doc += f"\n\n{ast.get_docstring(self.classes[name])}"
            typeddicts.append(_typeddict(twin_name(name), doc, structs[name], indent="    "))
        aliases = []
        for name in alias_order:
            form = self.translator.twins[name]
            text = ast.unparse(form.expression())
            value = repr(text) if form.ahead else text
            doc = _docstring(f"The dict form of ``{name}``.", "")
            aliases.append(f"{twin_name(name)}: TypeAlias = {value}\n{doc}\n")
        body_sources: list[str] = []
        constants: list[str] = []
        for name in bodies:
            doc = f"The fields of ``{name}`` as keyword arguments; every key is optional here."
            body_sources.append(_typeddict(body_names[name], doc, keywords[name]))
            if EXCLUDED.get(name):
                body_sources.append(_exclusions(name, body_names[name]))
                constants.append(exclusions_name(name))
        queries = {
            operation.typeddict_name: (operation.operation_id, _query_keys(operation))
            for operation in query.operations(self.document).values()
        }
        query_sources = [
            _typeddict(name, f"The query parameters of ``{operation_id}`` as keyword arguments.", keys)
            for name, (operation_id, keys) in queries.items()
        ]

        defined = [
            *(twin_name(name) for name in struct_order),
            *(twin_name(name) for name in alias_order),
            *body_names.values(),
            *constants,
            *queries,
            ROLES,
        ]
        # A twin named by the SDK (codegen.naming.twin_name) could take a model's name.
        clashes = sorted({n for n in defined if defined.count(n) > 1} | (set(defined) & set(position)))
        if clashes:
            raise ParamsError(f"params.py would define names that clash: {clashes}")

        groups = [*structs.values(), *keywords.values(), *(keys for _, keys in queries.values())]
        used = set().union(*(_names(key.expression()) for group in groups for key in group))
        used |= set().union(*(_names(self.translator.twins[name].expression()) for name in alias_order))
        if constants:
            used.add("Mapping")
        run_time = "".join(f"    {twin_name(name)} = dict\n" for name in struct_order)
        return _TEMPLATE.format(
            header=header,
            imports=self._imports(used, defined),
            all_names="".join(f'    "{name}",\n' for name in sorted(defined)),
            roles_name=ROLES,
            roles=", ".join(repr(role) for role in _message_roles(self.document)),
            typeddicts="".join(typeddicts) or "    pass\n",
            at_run_time=run_time or "    pass\n",
            aliases="\n\n" + "".join(aliases) if aliases else "",
            bodies="".join(body_sources + query_sources),
        )
