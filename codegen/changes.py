"""What a regeneration changes for users, and the check that names stay put.

    snapshot(spec_document, files) -> PublicApi     # what one generation offers users
    compare(old, new) -> Changes                    # names, fields, operations: what changed
    check_names(old, new) -> list[Problem]          # a schema kept must keep its name
    render(changes, problems, notes) -> str         # spec/CHANGES.md

A snapshot is read from what the generator produced: the public names are
facade/types.py's ``__all__``; the fields of each class of generated/models.py, with
those of its base classes resolved (a field moving into a base class is no change for
users), as annotation text and whether it has a default; the value of each type alias;
the name of each schema by its place in the spec (``codegen.naming.schema_names`` of
the document as ``generate()`` names it, the response policy applied first); and the
operations, read from the spec's ``paths`` rather than from generated/endpoints.py,
because the spec says each parameter's ``in`` and ``required`` as they are, and the
places above turn its ``$ref``s into public names.

Why the generator's own knowledge does the comparison and not griffe's ``griffe check``:
griffe (2.x, its ``diff`` module) reports breakages only (an object removed or of another
kind, a parameter removed, moved, of another kind or default, made required or added as
required, an attribute's value changed, a base class dropped), never what was added; it
has no notion of a rename, so a renamed class is a removed object and the new
name goes untold; its attribute check compares values only (annotations are a TODO in
its diff module), so a retyped field passes unseen; it builds an ``__init__`` for
``@dataclasses.dataclass`` classes only, so msgspec Struct fields are plain class
attributes to it and a new required field is no ``ParameterAddedRequired``; and it
compares whole packages at two git references (or two released versions from an
index), which needs a checkout of the old tree and would mix the hand-written facade's
changes into the regeneration's.  Places let a rename be told as "A is now B", list
what was added, and need nothing but the two generations.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

from codegen import naming
from codegen.document import HTTP_METHODS, load_yaml
from codegen.generate import listed_names, prepared
from codegen.problems import Note, Problem

__all__ = [
    "AliasChange",
    "Changes",
    "ClassShape",
    "Field",
    "FieldChange",
    "Operation",
    "OperationChange",
    "Parameter",
    "ParameterChange",
    "PublicApi",
    "Renamed",
    "check_names",
    "compare",
    "render",
    "snapshot",
    "snapshot_of_tree",
]

Json = Any

MODELS = "generated/models.py"
TYPES = "facade/types.py"


@dataclass(frozen=True, order=True)
class Field:
    """One field of a model class: its annotation as source, and whether it has a default
    (without one, constructing the class needs it)."""

    annotation: str
    has_default: bool


@dataclass(frozen=True)
class ClassShape:
    """A model class as users see it: its fields, its bases' included, and its tag
    (``type="function"``) where it is a member of a tagged union."""

    fields: Mapping[str, Field]
    tag: str | None = None


@dataclass(frozen=True, order=True)
class Parameter:
    name: str
    location: str
    """The parameter's ``in``: ``path`` or ``query``."""
    required: bool


@dataclass(frozen=True)
class Operation:
    """One operation of the spec, its types by their public names."""

    method: str
    path: str
    parameters: Mapping[str, Parameter]
    """By ``"<in> <name>"``."""
    body: str | None
    response: str | None
    stream_chunk: str | None


@dataclass(frozen=True)
class PublicApi:
    """What one generation offers users (see the module's docstring)."""

    version: str
    names: frozenset[str]
    classes: Mapping[str, ClassShape]
    aliases: Mapping[str, str]
    places: Mapping[str, str]
    operations: Mapping[str, Operation] = field(default_factory=dict[str, Operation])


@dataclass(frozen=True, order=True)
class Renamed:
    old: str
    new: str
    place: str


@dataclass(frozen=True)
class FieldChange:
    """A field of ``owner`` added (``old`` None), removed (``new`` None) or changed."""

    owner: str
    name: str
    old: Field | None
    new: Field | None


@dataclass(frozen=True, order=True)
class AliasChange:
    """A type alias, or a class's tag, whose value changed."""

    name: str
    old: str
    new: str


@dataclass(frozen=True, order=True)
class ParameterChange:
    operation: str
    parameter: Parameter


@dataclass(frozen=True, order=True)
class OperationChange:
    """A part of an operation (``body``, ``response``, ``stream chunk``, ``route``) that changed."""

    operation: str
    part: str
    old: str | None
    new: str | None


@dataclass(frozen=True)
class Changes:
    """What changed between two snapshots, each list sorted."""

    old_version: str = ""
    new_version: str = ""
    added_names: tuple[str, ...] = ()
    removed_names: tuple[str, ...] = ()
    renamed: tuple[Renamed, ...] = ()
    added_fields: tuple[FieldChange, ...] = ()
    removed_fields: tuple[FieldChange, ...] = ()
    retyped_fields: tuple[FieldChange, ...] = ()
    required_fields: tuple[FieldChange, ...] = ()
    """Fields that lost their default: constructing the class now needs them."""
    optional_fields: tuple[FieldChange, ...] = ()
    retyped_aliases: tuple[AliasChange, ...] = ()
    retagged: tuple[AliasChange, ...] = ()
    added_operations: tuple[str, ...] = ()
    removed_operations: tuple[str, ...] = ()
    added_parameters: tuple[ParameterChange, ...] = ()
    removed_parameters: tuple[ParameterChange, ...] = ()
    required_parameters: tuple[ParameterChange, ...] = ()
    optional_parameters: tuple[ParameterChange, ...] = ()
    changed_operations: tuple[OperationChange, ...] = ()

    @property
    def breaking(self) -> bool:
        """Whether code that worked before may now fail: a name removed or renamed, a field
        removed, added without a default or newly required, an operation or a parameter
        removed, a parameter added as required or newly required.  A retyped field alone
        is not: an annotation's text changes when an alias it names is renamed, and a type
        that accepts more breaks nobody."""
        return bool(self.breaking_lines())

    def breaking_lines(self) -> list[str]:
        """What breaks, one Markdown line each."""
        lines = [f"Removed name `{name}`" for name in self.removed_names]
        lines += [f"`{r.old}` is now `{r.new}` (the schema at `{r.place}`)" for r in self.renamed]
        lines += [f"Removed field `{c.owner}.{c.name}`{_annotated(c.old)}" for c in self.removed_fields]
        lines += [
            f"Field `{c.owner}.{c.name}` is now required{_annotated(c.new)}" for c in self.required_fields
        ]
        lines += [
            f"New required field `{c.owner}.{c.name}`{_annotated(c.new)}" for c in self._new_required_fields()
        ]
        lines += [f"Removed operation `{o}`" for o in self.removed_operations]
        lines += [
            f"Removed {p.parameter.location} parameter `{p.parameter.name}` of `{p.operation}`"
            for p in self.removed_parameters
        ]
        lines += [
            f"{p.parameter.location.capitalize()} parameter `{p.parameter.name}` of `{p.operation}` "
            + ("is new and required" if p in self.added_parameters else "is now required")
            for p in sorted([*self.required_parameters, *self._new_required_parameters()])
        ]
        return lines

    def _new_required_fields(self) -> list[FieldChange]:
        """Added fields without a default: constructing or decoding the class needs them."""
        return [c for c in self.added_fields if c.new is not None and not c.new.has_default]

    def _new_required_parameters(self) -> list[ParameterChange]:
        return [p for p in self.added_parameters if p.parameter.required]

    def may_break_lines(self) -> list[str]:
        """What may break (a type that changed), one Markdown line each."""
        lines = [
            f"`{c.owner}.{c.name}`: {_difference(c.old.annotation, c.new.annotation)}"
            for c in self.retyped_fields
            if c.old is not None and c.new is not None
        ]
        lines += [f"Alias `{c.name}`: {_difference(c.old, c.new)}" for c in self.retyped_aliases]
        lines += [f"Tag of `{c.name}`: `{c.old}` → `{c.new}`" for c in self.retagged]
        lines += [
            f"`{c.operation}` {c.part}: `{c.old or 'none'}` → `{c.new or 'none'}`"
            for c in self.changed_operations
        ]
        return lines

    def added_lines(self) -> list[str]:
        """What was added or relaxed, one Markdown line each."""
        lines = [f"Name `{name}`" for name in self.added_names]
        lines += [
            f"Field `{c.owner}.{c.name}`{_annotated(c.new)}"
            for c in self.added_fields
            if c not in self._new_required_fields()
        ]
        lines += [f"Field `{c.owner}.{c.name}` is now optional" for c in self.optional_fields]
        lines += [f"Operation `{o}`" for o in self.added_operations]
        lines += [
            f"{p.parameter.location.capitalize()} parameter `{p.parameter.name}` of `{p.operation}`"
            for p in self.added_parameters
            if not p.parameter.required
        ]
        lines += [
            f"{p.parameter.location.capitalize()} parameter `{p.parameter.name}` of `{p.operation}` "
            "is now optional"
            for p in self.optional_parameters
        ]
        return lines

    def summary(self) -> str:
        """One line: what breaks first, then what may, then what was added."""
        parts: list[str] = []
        breaking = _counts(
            (len(self.removed_names), "removed name"),
            (len(self.renamed), "renamed name"),
            (len(self.removed_fields), "removed field"),
            (len(self.required_fields) + len(self._new_required_fields()), "required field"),
            (len(self.removed_operations), "removed operation"),
            (len(self.removed_parameters), "removed parameter"),
            (len(self.required_parameters) + len(self._new_required_parameters()), "required parameter"),
        )
        if breaking:
            parts.append(f"Breaking: {breaking}")
        may_break = len(self.may_break_lines())
        if may_break:
            parts.append(f"may break: {_counts((may_break, 'changed type'))}")
        added = _counts(
            (len(self.added_names), "name"),
            (len(self.added_fields) - len(self._new_required_fields()), "field"),
            (len(self.added_operations), "operation"),
            (len([p for p in self.added_parameters if not p.parameter.required]), "parameter"),
        )
        if added:
            parts.append(f"added: {added}")
        if not parts:
            return "No change users would notice."
        text = "; ".join(parts)
        return text[0].upper() + text[1:] + "."


def _counts(*pairs: tuple[int, str]) -> str:
    return ", ".join(f"{n} {word}{'s' if n != 1 else ''}" for n, word in pairs if n)


def _annotated(value: Field | None) -> str:
    if value is None:
        return ""
    return f": `{value.annotation}{' = …' if value.has_default else ''}`"


# --- snapshot -----------------------------------------------------------------------


def snapshot(spec_document: Json, files: Mapping[str, str]) -> PublicApi:
    """The public API of one generation: ``spec_document`` is spec/openapi.yaml as loaded
    (the cut, before the response policy) and ``files`` what ``codegen.generate.generate``
    returned for it."""
    # Named as generate() names them: a property the response policy makes nullable is
    # named where the nullable wrapper puts it.
    places = prepared(spec_document)[1]
    tree = ast.parse(files[MODELS])
    return PublicApi(
        version=str(spec_document.get("info", {}).get("version", "")),
        names=frozenset(listed_names(files[TYPES])),
        classes=_classes(tree),
        aliases=_aliases(tree),
        places=places,
        operations=_operations(spec_document, places),
    )


def snapshot_of_tree(root: Path) -> PublicApi:
    """The snapshot of a checkout (or of a folder ``--root`` generated into): its
    spec/openapi.yaml, generated/models.py and facade/types.py."""
    files = {name: (root / name).read_text("utf-8") for name in (MODELS, TYPES)}
    return snapshot(load_yaml((root / "spec" / "openapi.yaml").read_bytes()), files)


def _is_alias(node: ast.stmt) -> bool:
    return (
        isinstance(node, ast.AnnAssign)
        and isinstance(node.target, ast.Name)
        and isinstance(node.annotation, ast.Name)
        and node.annotation.id == "TypeAlias"
    )


def _aliases(tree: ast.Module) -> dict[str, str]:
    return {
        node.target.id: ast.unparse(node.value)
        for node in tree.body
        if isinstance(node, ast.AnnAssign)
        and _is_alias(node)
        and isinstance(node.target, ast.Name)
        and node.value is not None
    }


def _classes(tree: ast.Module) -> dict[str, ClassShape]:
    """Every class of the module with its fields resolved through its bases in the
    module, as msgspec collects them: a base's fields first, a redefinition winning."""
    definitions = {node.name: node for node in tree.body if isinstance(node, ast.ClassDef)}
    resolved: dict[str, ClassShape] = {}

    def resolve(name: str) -> ClassShape:
        if name not in resolved:
            node = definitions[name]
            fields: dict[str, Field] = {}
            tag: str | None = None
            for base in reversed(node.bases):
                if isinstance(base, ast.Name) and base.id in definitions:
                    inherited = resolve(base.id)
                    fields.update(inherited.fields)
                    tag = inherited.tag or tag
            for statement in node.body:
                if isinstance(statement, ast.AnnAssign) and isinstance(statement.target, ast.Name):
                    fields[statement.target.id] = Field(
                        ast.unparse(statement.annotation), statement.value is not None
                    )
            keywords = {k.arg: ast.unparse(k.value) for k in node.keywords if k.arg}
            if "tag" in keywords:
                tag = f"{ast.literal_eval(keywords.get('tag_field', repr('type')))}={keywords['tag']}"
            resolved[name] = ClassShape(fields, tag)
        return resolved[name]

    return {name: resolve(name) for name in definitions}


def _at(node: Json, *keys: str) -> Json:
    """The value under ``keys`` in nested mappings, or None where one is missing."""
    found: Json = node
    for key in keys:
        if not isinstance(found, dict):
            return None
        mapping = cast("dict[str, Json]", found)
        found = mapping.get(key)
    return found


def _ref_name(schema: Json, places: Mapping[str, str]) -> str | None:
    ref = _at(schema, "$ref")
    if ref is None:
        return None
    upstream = str(ref).rsplit("/", 1)[-1]
    return places.get(upstream, upstream)


def _stream_chunk(schema: Json, places: Mapping[str, str]) -> str | None:
    """The chunk type of an event stream: the ``contentSchema`` of its ``data`` (see
    spec/overlay.yaml), or the schema itself where that is a reference."""
    direct = _ref_name(schema, places)
    if direct is not None:
        return direct
    members: Json = _at(schema, "properties", "data", "anyOf") or []
    for member in members:
        content_schema = _at(member, "contentSchema")
        if content_schema is not None:
            return _ref_name(content_schema, places)
    return None


def _operations(document: Json, places: Mapping[str, str]) -> dict[str, Operation]:
    declared: Json = _at(document, "components", "parameters") or {}
    paths: Json = _at(document, "paths") or {}
    operations: dict[str, Operation] = {}
    for path, item in paths.items():
        for method in HTTP_METHODS:
            operation: Json = _at(item, method)
            if _at(operation, "operationId") is None:
                continue
            parameters: dict[str, Parameter] = {}
            listed: Json = [*(_at(item, "parameters") or []), *(_at(operation, "parameters") or [])]
            for parameter in listed:
                if _at(parameter, "$ref") is not None:
                    parameter = declared[str(parameter["$ref"]).rsplit("/", 1)[-1]]
                location = str(parameter["in"])
                parameters[f"{location} {parameter['name']}"] = Parameter(
                    str(parameter["name"]), location, bool(_at(parameter, "required"))
                )
            ok: Json = _at(operation, "responses", "200") or _at(operation, "responses", "201")
            operations[str(operation["operationId"])] = Operation(
                method=method.upper(),
                path=str(path),
                parameters=parameters,
                body=_ref_name(
                    _at(operation, "requestBody", "content", "application/json", "schema"), places
                ),
                response=_ref_name(_at(ok, "content", "application/json", "schema"), places),
                stream_chunk=_stream_chunk(_at(ok, "content", "text/event-stream", "schema"), places),
            )
    return operations


# --- compare --------------------------------------------------------------------------


def _renames(old: PublicApi, new: PublicApi) -> list[Renamed]:
    """Each place present in both snapshots whose public name changed, and the TypedDict
    twins (``<name>Param``) that follow such a rename."""
    found: list[Renamed] = []
    for place in sorted(old.places.keys() & new.places.keys()):
        before, after = old.places[place], new.places[place]
        if before == after or not (before in old.names or after in new.names):
            continue
        found.append(Renamed(before, after, place))
        twins = naming.twin_name(before), naming.twin_name(after)
        if twins[0] in old.names and twins[1] in new.names:
            found.append(Renamed(*twins, place))
    return sorted(found)


def _with_names(annotation: str, names: Mapping[str, str]) -> str:
    """``annotation`` with each renamed name spelled as it is now: the rename is told
    once, as a rename, not again in every annotation that mentions it.  (An annotation
    read for the report; no generated source is rewritten.)"""
    if not names:
        return annotation
    tree = ast.parse(annotation, mode="eval")
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            node.id = names.get(node.id, node.id)
    return ast.unparse(tree)


def _members(annotation: str) -> list[str]:
    """The members of a union as source, each value of a ``Literal`` one of them."""
    found: list[str] = []

    def walk(node: ast.expr) -> None:
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
            walk(node.left)
            walk(node.right)
        elif isinstance(node, ast.Subscript) and ast.unparse(node.value) == "Literal":
            values = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
            found.extend(ast.unparse(value) for value in values)
        else:
            found.append(ast.unparse(node))

    walk(ast.parse(annotation, mode="eval").body)
    return found


def _same_type(old: str, new: str) -> bool:
    """Whether two annotations name the same type: the same members, in any order."""
    return old == new or sorted(_members(old)) == sorted(_members(new))


def _difference(old: str, new: str) -> str:
    """How a type changed, said as the members a union gained and lost where it is one."""
    before, after = _members(old), _members(new)
    gained = [m for m in after if m not in before]
    lost = [m for m in before if m not in after]
    if len(before) > 1 or len(after) > 1:
        said = [f"adds {', '.join(f'`{m}`' for m in gained)}"] if gained else []
        said += [f"drops {', '.join(f'`{m}`' for m in lost)}"] if lost else []
        if said:
            return "; ".join(said)
    return f"`{old}` → `{new}`"


def compare(old: PublicApi, new: PublicApi) -> Changes:
    """What changed for users from ``old`` to ``new``; see ``Changes``."""
    renamed = _renames(old, new)
    new_name = {r.old: r.new for r in renamed}
    renamed_old, renamed_new = set(new_name), set(new_name.values())

    added_fields: list[FieldChange] = []
    removed_fields: list[FieldChange] = []
    retyped_fields: list[FieldChange] = []
    required_fields: list[FieldChange] = []
    optional_fields: list[FieldChange] = []
    retagged: list[AliasChange] = []
    pairs = [(name, name) for name in old.classes.keys() & new.classes.keys()]
    pairs += [(r.old, r.new) for r in renamed if r.old in old.classes and r.new in new.classes]
    for before_name, after_name in sorted(pairs):
        if after_name not in new.names:
            continue
        before, after = old.classes[before_name], new.classes[after_name]
        for name in sorted(before.fields.keys() | after.fields.keys()):
            was, now = before.fields.get(name), after.fields.get(name)
            change = FieldChange(after_name, name, was, now)
            if was is None:
                added_fields.append(change)
            elif now is None:
                removed_fields.append(change)
            else:
                if not _same_type(_with_names(was.annotation, new_name), now.annotation):
                    retyped_fields.append(change)
                if was.has_default and not now.has_default:
                    required_fields.append(change)
                elif now.has_default and not was.has_default:
                    optional_fields.append(change)
        if before.tag != after.tag:
            retagged.append(AliasChange(after_name, before.tag or "none", after.tag or "none"))

    retyped_aliases = [
        AliasChange(after_name, old.aliases[before_name], new.aliases[after_name])
        for before_name, after_name in sorted(
            [(n, n) for n in old.aliases.keys() & new.aliases.keys()]
            + [(r.old, r.new) for r in renamed if r.old in old.aliases and r.new in new.aliases]
        )
        if not _same_type(_with_names(old.aliases[before_name], new_name), new.aliases[after_name])
    ]

    operations = _compare_operations(old.operations, new.operations, new_name)
    return Changes(
        old_version=old.version,
        new_version=new.version,
        added_names=tuple(sorted(new.names - old.names - renamed_new)),
        removed_names=tuple(sorted(old.names - new.names - renamed_old)),
        renamed=tuple(renamed),
        added_fields=tuple(added_fields),
        removed_fields=tuple(removed_fields),
        retyped_fields=tuple(retyped_fields),
        required_fields=tuple(required_fields),
        optional_fields=tuple(optional_fields),
        retyped_aliases=tuple(retyped_aliases),
        retagged=tuple(retagged),
        **operations,
    )


def _compare_operations(
    old: Mapping[str, Operation], new: Mapping[str, Operation], new_name: Mapping[str, str]
) -> dict[str, Any]:
    added: list[ParameterChange] = []
    removed: list[ParameterChange] = []
    required: list[ParameterChange] = []
    optional: list[ParameterChange] = []
    changed: list[OperationChange] = []
    for operation_id in sorted(old.keys() & new.keys()):
        before, after = old[operation_id], new[operation_id]
        for key in sorted(before.parameters.keys() | after.parameters.keys()):
            was, now = before.parameters.get(key), after.parameters.get(key)
            if was is None and now is not None:
                added.append(ParameterChange(operation_id, now))
            elif now is None and was is not None:
                removed.append(ParameterChange(operation_id, was))
            elif was is not None and now is not None and was.required != now.required:
                (required if now.required else optional).append(ParameterChange(operation_id, now))
        route = f"{before.method} {before.path}", f"{after.method} {after.path}"
        if route[0] != route[1]:
            changed.append(OperationChange(operation_id, "route", *route))
        for part, was_type, now_type in (
            ("body", before.body, after.body),
            ("response", before.response, after.response),
            ("stream chunk", before.stream_chunk, after.stream_chunk),
        ):
            if new_name.get(was_type or "", was_type) != now_type:
                changed.append(OperationChange(operation_id, part, was_type, now_type))
    return {
        "added_operations": tuple(sorted(new.keys() - old.keys())),
        "removed_operations": tuple(sorted(old.keys() - new.keys())),
        "added_parameters": tuple(added),
        "removed_parameters": tuple(removed),
        "required_parameters": tuple(required),
        "optional_parameters": tuple(optional),
        "changed_operations": tuple(changed),
    }


# --- the name-stability check --------------------------------------------------------

_NAMES_FIX = "fix: keep the name with an entry for this place in NAMES in codegen/naming.py"


def check_names(old: PublicApi, new: PublicApi) -> list[Problem]:
    """The name-stability check: a schema present before and after keeps its public name.

    A problem for each place present in both under another name, each old name now
    naming the schema at another place, and each new class whose fields equal those of a
    class that is gone (a rename in disguise: the schema moved, and took a new name).
    """
    problems: list[Problem] = []
    for place in sorted(old.places.keys() & new.places.keys()):
        before, after = old.places[place], new.places[place]
        if before == after or not (before in old.names or after in new.names):
            continue
        given = place in naming.SDK_NAMES or place in naming.NAMES
        why = (
            f"why: SDK_NAMES or NAMES in codegen/naming.py now give `{place}` the name `{after}`"
            if given
            else "why: the naming rules give this place another name (its owner was renamed, or the "
            "name the rule prefers is now taken by another schema)"
        )
        problems.append(
            Problem(
                f"schema {place}",
                f"`{before}` would be renamed `{after}`; users import `{before}`",
                (why, f"{_NAMES_FIX}: `{place!r}: {before!r}`"),
            )
        )
    old_place = {name: place for place, name in old.places.items()}
    for place, name in sorted(new.places.items()):
        was = old_place.get(name)
        if was is not None and was != place and (name in old.names or name in new.names):
            where_now = f"`{old.places[place]}`" if place in old.places else "no name (the place is new)"
            problems.append(
                Problem(
                    f"name {name}",
                    f"`{name}` now names the schema at `{place}`, not the one at `{was}`",
                    (
                        f"the schema at `{place}` had {where_now} before; code written for "
                        f"`{name}` would get another type",
                        f"{_NAMES_FIX}: give `{place}` a name of its own",
                    ),
                )
            )
    problems += _disguised_renames(old, new)
    return problems


def _disguised_renames(old: PublicApi, new: PublicApi) -> list[Problem]:
    renamed = {(r.old, r.new) for r in _renames(old, new)}
    gone = {name: shape for name, shape in old.classes.items() if name not in new.classes and shape.fields}
    fresh = {
        name: shape
        for name, shape in new.classes.items()
        if name not in old.names and name not in old.classes and shape.fields
    }
    # A renamed schema renames what it holds inline too, and a holder's fields then name
    # the new names: matched leaves first, each holder is compared with the names it had.
    found: dict[str, str] = {}
    matched = True
    while matched:
        matched = False
        for name, shape in sorted(fresh.items()):
            if name in found:
                continue
            spelled = ClassShape(
                {k: Field(_with_names(v.annotation, found), v.has_default) for k, v in shape.fields.items()},
                shape.tag,
            )
            for before, before_shape in sorted(gone.items()):
                if before not in found.values() and (before, name) not in renamed and before_shape == spelled:
                    found[name] = before
                    matched = True
                    break
    place_of = {name: place for place, name in new.places.items()}
    problems: list[Problem] = []
    for name, before in sorted(found.items()):
        place = place_of.get(name)
        fix = f"{_NAMES_FIX}: `{place!r}: {before!r}`" if place else _NAMES_FIX
        shape = fresh[name]
        problems.append(
            Problem(
                f"class {name}",
                f"the new class `{name}` has the fields of the removed class `{before}`: "
                "likely a rename in disguise",
                (
                    f"fields: {', '.join(f'{k}: {v.annotation}' for k, v in shape.fields.items())}",
                    f"if it is the same schema moved in the spec, keep its name; {fix}",
                ),
            )
        )
    return problems


# --- the report -----------------------------------------------------------------------


def render(
    changes: Changes,
    problems: Sequence[Problem] = (),
    notes: Sequence[Note] = (),
    *,
    title: str = "What the regeneration changes for users",
    source: str = "",
    stopped: bool = False,
) -> str:
    """spec/CHANGES.md: a title, the upstream it came from, one summary line, then what
    breaks, the problems found, what may break, what was added and the advice.
    ``stopped``: the problems kept anything from being written (the cut or the names
    failed), so ``changes`` says nothing."""
    versions = (
        f"spec version {changes.old_version} → {changes.new_version}"
        if changes.old_version != changes.new_version
        else f"spec version {changes.new_version}"
    )
    origin = f"From {source}, {versions}." if source else f"{versions[0].upper()}{versions[1:]}."
    if stopped:
        origin = f"From {source}." if source else ""
    summary = changes.summary()
    if stopped:
        summary = (
            f"Nothing was regenerated: {len(problems)} problem{'s' if len(problems) != 1 else ''} to decide."
        )
    elif problems:
        summary = f"{summary[:-1]}; {len(problems)} problem{'s' if len(problems) != 1 else ''} to decide."
    lines = [f"# {title}", "", origin, "", f"**{summary}**"]
    sections: list[tuple[str, Iterable[str]]] = [
        ("Breaking", [f"- {line}" for line in changes.breaking_lines()]),
        ("Problems", [line for problem in problems for line in problem.lines()]),
        ("May break", [f"- {line}" for line in changes.may_break_lines()]),
        ("Added", [f"- {line}" for line in changes.added_lines()]),
        ("Advice", [line for note in notes for line in note.lines()]),
    ]
    for heading, body in sections:
        items = list(body)
        if items:
            lines += ["", f"## {heading}", "", *items]
    return "\n".join(lines) + "\n"
