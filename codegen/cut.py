"""Cut the chat-completions subset out of an upstream OpenAPI description.

    python -m codegen.cut UPSTREAM.yaml [--out spec/] [--check]

The cut keeps the operations named in ``OPERATIONS`` and the transitive closure of
every component they reference, applies ``spec/overlay.yaml`` and writes
``spec/openapi.yaml`` plus ``spec/provenance.json``.  The same upstream bytes and the
same overlay always give the same output bytes.
"""

from __future__ import annotations

import argparse
import copy
import hashlib
import json
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import yaml

__all__ = [
    "OPERATIONS",
    "CutResult",
    "OverlayError",
    "apply_overlay",
    "cut",
    "dump_yaml",
    "load_yaml",
    "main",
]

# The six chat-completions operations, in the order the provenance lists them.
OPERATIONS = (
    "createChatCompletion",
    "listChatCompletions",
    "getChatCompletion",
    "updateChatCompletion",
    "deleteChatCompletion",
    "getChatCompletionMessages",
)

HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
SPEC_DIR = Path(__file__).resolve().parent.parent / "spec"

Json = Any


class OverlayError(ValueError):
    """The overlay is malformed or a patch does not apply to the cut."""


def load_yaml(text: str | bytes) -> Json:
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return yaml.load(text, Loader=loader)  # noqa: S506 - a safe loader


def dump_yaml(document: Json) -> str:
    # The pure-Python emitter, always: libyaml's may wrap lines differently, and the
    # output bytes must not depend on how PyYAML was built. The width is fixed too.
    return yaml.dump(
        document,
        Dumper=yaml.SafeDumper,
        sort_keys=False,
        allow_unicode=True,
        width=100,
        default_flow_style=False,
    )


# --- references ------------------------------------------------------------------


def _refs(node: Json) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                yield value
            else:
                yield from _refs(value)
    elif isinstance(node, list):
        for item in node:
            yield from _refs(item)


def _split_ref(ref: str) -> tuple[str, str]:
    parts = ref.split("/")
    if len(parts) != 4 or parts[0] != "#" or parts[1] != "components":
        raise ValueError(f"unsupported $ref {ref!r}: only #/components/<section>/<name>")
    return parts[2], _unescape(parts[3])


def _unescape(token: str) -> str:
    return token.replace("~1", "/").replace("~0", "~")


def _closure(roots: Json, components: dict[str, dict[str, Json]]) -> dict[str, list[str]]:
    """Names of every component reachable from ``roots``, per section, sorted."""
    seen: dict[str, set[str]] = {}
    pending = list(_refs(roots))
    while pending:
        section, name = _split_ref(pending.pop())
        if name in seen.setdefault(section, set()):
            continue
        try:
            target = components[section][name]
        except KeyError:
            raise ValueError(f"dangling $ref #/components/{section}/{name}") from None
        seen[section].add(name)
        pending.extend(_refs(target))
    return {section: sorted(names) for section, names in sorted(seen.items())}


# --- the cut ---------------------------------------------------------------------


def _select_paths(upstream: Json, operation_ids: tuple[str, ...]) -> dict[str, Json]:
    found: dict[str, tuple[str, str]] = {}
    for path, item in upstream.get("paths", {}).items():
        for method in HTTP_METHODS:
            operation = item.get(method)
            if isinstance(operation, dict) and operation.get("operationId") in operation_ids:
                found[operation["operationId"]] = (path, method)
    missing = [op for op in operation_ids if op not in found]
    if missing:
        raise ValueError(f"upstream has no operation {', '.join(missing)}")
    paths: dict[str, Json] = {}
    for path, item in upstream["paths"].items():
        methods = {m for p, m in found.values() if p == path}
        if not methods:
            continue
        kept = {k: copy.deepcopy(v) for k, v in item.items() if k not in HTTP_METHODS or k in methods}
        paths[path] = kept
    return paths


def _security_schemes(document: Json) -> list[str]:
    names: set[str] = set()
    requirements = list(document.get("security", []))
    for item in document["paths"].values():
        for method in HTTP_METHODS:
            if method in item:
                requirements.extend(item[method].get("security", []))
    for requirement in requirements:
        names.update(requirement)
    return sorted(names)


COMPONENT_SECTIONS = ("schemas", "responses", "parameters", "requestBodies", "headers")


def _refresh_components(document: Json, upstream_components: Json) -> None:
    """Keep exactly the components that the document's paths reach.

    A component the document already holds is kept as it is (the overlay may have
    edited it); one newly reached is deep-copied from upstream, so an overlay action
    that adds a reference brings its schema along and later actions see it.
    """
    held = document.get("components", {})
    merged = {
        section: {**upstream_components.get(section, {}), **held.get(section, {})}
        for section in COMPONENT_SECTIONS
    }
    reachable = _closure(document["paths"], merged)
    components: dict[str, Json] = {}
    for section in COMPONENT_SECTIONS:
        if section in reachable:
            own = held.get(section, {})
            components[section] = {
                name: own[name] if name in own else copy.deepcopy(upstream_components[section][name])
                for name in reachable[section]
            }
    schemes = _security_schemes(document)
    if schemes:
        components["securitySchemes"] = {
            n: held.get("securitySchemes", {}).get(n)
            or copy.deepcopy(upstream_components["securitySchemes"][n])
            for n in schemes
        }
    document["components"] = components


def _assemble(upstream: Json, paths: dict[str, Json]) -> Json:
    """The cut document around ``paths``, with the upstream's top-level fields."""
    document: Json = {"openapi": upstream["openapi"], "info": copy.deepcopy(upstream["info"])}
    if "servers" in upstream:
        document["servers"] = copy.deepcopy(upstream["servers"])
    if "security" in upstream:
        document["security"] = copy.deepcopy(upstream["security"])
    tags = {t for item in paths.values() for m in HTTP_METHODS if m in item for t in item[m].get("tags", [])}
    if tags:
        document["tags"] = [copy.deepcopy(t) for t in upstream.get("tags", []) if t.get("name") in tags]
    document["paths"] = paths
    document["components"] = {}
    _refresh_components(document, upstream.get("components", {}))
    return document


class CutResult:
    """The cut document and what the provenance record says about it."""

    def __init__(self, document: Json, provenance: Json) -> None:
        self.document = document
        self.provenance = provenance

    @property
    def spec_text(self) -> str:
        return dump_yaml(self.document)

    @property
    def provenance_text(self) -> str:
        return json.dumps(self.provenance, indent=2, ensure_ascii=False) + "\n"


def cut(
    upstream_bytes: bytes,
    overlay: Json,
    *,
    operation_ids: tuple[str, ...] = OPERATIONS,
    upstream_name: str = "openapi.yaml",
) -> CutResult:
    upstream = load_yaml(upstream_bytes)
    upstream_components = upstream.get("components", {})
    document = _assemble(upstream, _select_paths(upstream, operation_ids))
    applied = apply_overlay(document, overlay, lambda: _refresh_components(document, upstream_components))
    provenance = {
        "upstream": {
            "file": upstream_name,
            "sha256": hashlib.sha256(upstream_bytes).hexdigest(),
            "openapi": upstream.get("openapi"),
            "info_version": upstream.get("info", {}).get("version"),
        },
        "operations": list(operation_ids),
        "schema_count": len(document["components"].get("schemas", {})),
        "component_counts": {k: len(v) for k, v in document["components"].items()},
        "overlay": applied,
    }
    return CutResult(document, provenance)


# --- the overlay -----------------------------------------------------------------


def _pointer(document: Json, pointer: str) -> tuple[Json, str]:
    """The parent container and last key of a JSON pointer (RFC 6901)."""
    if not pointer.startswith("/"):
        raise OverlayError(f"target {pointer!r} is not a JSON pointer")
    tokens = [_unescape(t) for t in pointer[1:].split("/")]
    node = document
    for token in tokens[:-1]:
        if isinstance(node, list) and token.isdigit() and int(token) < len(node):
            node = node[int(token)]
        elif isinstance(node, dict) and token in node:
            node = node[token]
        else:
            raise OverlayError(f"target {pointer!r}: no {token!r} in the cut")
    return node, tokens[-1]


def _walk_schemas(node: Json) -> Iterator[dict[str, Json]]:
    """Every dict in the tree, parents before children."""
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _walk_schemas(value)
    elif isinstance(node, list):
        for item in node:
            yield from _walk_schemas(item)


def _nullable_to_31(document: Json) -> int:
    """Rewrite OpenAPI 3.0 ``nullable: true`` as 3.1 ``anyOf [..., {type: null}]``."""
    changed = 0
    for schema in _walk_schemas(document):
        if "nullable" not in schema:
            continue
        nullable = schema.pop("nullable")
        changed += 1
        if nullable is not True:
            continue
        meta_keys = ("description", "title", "default", "example", "examples", "deprecated")
        meta = {k: schema.pop(k) for k in meta_keys if k in schema}
        inner = dict(schema)
        schema.clear()
        schema["anyOf"] = [inner, {"type": "null"}]
        schema.update(meta)
    return changed


def _free_form_objects_as_maps(document: Json) -> int:
    """Spell ``additionalProperties: true`` on property-less objects as ``{}``.

    Both mean "any JSON object"; generators read ``{}`` as a map of any values and
    ``true`` (or nothing) as an empty model that drops every key.
    """
    changed = 0
    for schema in _walk_schemas(document):
        if schema.get("type") != "object" or "properties" in schema or "patternProperties" in schema:
            continue
        if schema.get("additionalProperties", True) is True:
            schema["additionalProperties"] = {}
            changed += 1
    return changed


def _null_defaults_on_non_null_schemas(document: Json) -> int:
    """Drop ``default: null`` from schemas that do not admit null.

    Such a default contradicts its own schema (validators reject the document); the
    field being optional already says the same thing: absent unless sent.
    """
    changed = 0
    for schema in _walk_schemas(document):
        typed = "type" in schema or "$ref" in schema or "properties" in schema
        if typed and "default" in schema and schema["default"] is None and not _is_nullable(schema):
            del schema["default"]
            changed += 1
    return changed


ERROR_SCHEMA = "ErrorResponse"


def _default_error_responses(document: Json) -> int:
    """Declare the API's error body as the ``default`` response of every operation."""
    changed = 0
    for item in document["paths"].values():
        for method in HTTP_METHODS:
            responses = item.get(method, {}).get("responses")
            if responses is None or "default" in responses:
                continue
            responses["default"] = {
                "description": "An error, as the API reports every error.",
                "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{ERROR_SCHEMA}"}}},
            }
            changed += 1
    return changed


DEFAULT_KEY = "x-completionkit-default"
"""Where the overlay puts the value a response field takes when a server leaves it out.

It is not the spec's ``default`` (what a server assumes when a request leaves a field
out); codegen.generate turns it into the generated field's default."""


def _operation_parts(document: Json, parts: tuple[str, ...]) -> list[Json]:
    return [
        {k: v for k, v in item[method].items() if k in parts}
        for item in document["paths"].values()
        for method in HTTP_METHODS
        if method in item
    ]


def _response_only_schemas(document: Json) -> list[Json]:
    """The component schemas that responses reach and requests do not.

    The response policy changes only these: a schema a request also uses (a tool call
    sent back in an assistant message, a content part) keeps the spec's strictness.
    """
    components = document["components"]
    responses = _closure(_operation_parts(document, ("responses",)), components).get("schemas", [])
    requests = set(
        _closure(_operation_parts(document, ("requestBody", "parameters")), components).get("schemas", [])
    )
    schemas = components.get("schemas", {})
    return [schemas[name] for name in responses if name not in requests]


def _response_schemas(document: Json) -> list[Json]:
    """The component schemas that some response of the cut reaches."""
    reachable = _closure(_operation_parts(document, ("responses",)), document["components"])
    schemas = document["components"].get("schemas", {})
    return [schemas[name] for name in reachable.get("schemas", [])]


def _is_nullable(schema: Json) -> bool:
    if schema.get("type") == "null" or (isinstance(schema.get("type"), list) and "null" in schema["type"]):
        return True
    return any(
        _is_nullable(s) for s in schema.get("anyOf", []) + schema.get("oneOf", []) if isinstance(s, dict)
    )


def _union_tags(document: Json) -> set[tuple[int, str]]:
    """(id of a member schema, tag property) for every member of a discriminated union."""
    schemas = document["components"].get("schemas", {})
    tags: set[tuple[int, str]] = set()
    for schema in _walk_schemas(document):
        discriminator = schema.get("discriminator")
        if not isinstance(discriminator, dict):
            continue
        for member in schema.get("oneOf", []) + schema.get("anyOf", []):
            ref = member.get("$ref", "") if isinstance(member, dict) else ""
            if ref.startswith("#/components/schemas/"):
                tags.add((id(schemas[ref.rsplit("/", 1)[-1]]), discriminator["propertyName"]))
    return tags


def _open(schema: Json) -> None:
    keys = ("description", "title", "default", "example", DEFAULT_KEY)
    meta = {k: schema.pop(k) for k in keys if k in schema}
    closed = dict(schema)
    schema.clear()
    schema["anyOf"] = [closed, {"type": "string"}]
    schema.update(meta)


def _open_response_enums(document: Json) -> int:
    """Let enums and constants that responses carry take values the spec does not list.

    Multi-valued string enums open wherever a response reaches them; constants (one
    value) open in response-only schemas, except the tags of tagged unions, which must
    stay closed for the union to decode.
    """
    targets: dict[int, Json] = {}
    for root in _response_schemas(document):
        for schema in _walk_schemas(root):
            values = schema.get("enum")
            if isinstance(values, list) and len(values) > 1 and all(isinstance(v, str) for v in values):
                targets[id(schema)] = schema
    tags = _union_tags(document)
    for root in _response_only_schemas(document):
        for schema in _walk_schemas(root):
            properties = schema.get("properties")
            if not isinstance(properties, dict):
                continue
            for name, prop in properties.items():
                values = prop.get("enum") if isinstance(prop, dict) else None
                if isinstance(values, list) and len(values) == 1 and (id(schema), name) not in tags:
                    targets[id(prop)] = prop
    for schema in targets.values():
        _open(schema)
    return len(targets)


def _nullable(prop: Json) -> None:
    if _is_nullable(prop):
        return
    meta = {k: prop.pop(k) for k in ("description", "title", "deprecated", DEFAULT_KEY) if k in prop}
    inner = dict(prop)
    prop.clear()
    prop["anyOf"] = [inner, {"type": "null"}]
    prop.update(meta)


_NO_NEUTRAL = object()


def _neutral(prop: Json, schemas: Json) -> Json:
    """The value a required response field takes when a server leaves it out: the
    constant of a one-value enum, else the type's empty value; none for objects."""
    if "$ref" in prop:
        target = schemas.get(prop["$ref"].rsplit("/", 1)[-1], {})
        return _neutral(target, schemas) if "properties" not in target else _NO_NEUTRAL
    members = [m for m in prop.get("anyOf", []) + prop.get("oneOf", []) if isinstance(m, dict)]
    if members:
        constants = [m["enum"][0] for m in members if len(m.get("enum", [])) == 1]
        return constants[0] if constants else _neutral(members[0], schemas)
    if len(prop.get("enum", [])) == 1:
        return prop["enum"][0]
    empty = {"string": "", "integer": 0, "number": 0.0, "boolean": False, "array": []}
    kind = prop.get("type")
    return empty[kind] if isinstance(kind, str) and kind in empty else _NO_NEUTRAL


def _response_defaults(document: Json) -> int:
    """In response-only schemas, what a server leaves out reads as a neutral value.

    Every optional property becomes nullable with the default None, and so does every
    required property that is nullable already: absent and null then read the same,
    ``X | None = None``, and no response type carries ``UnsetType``.  A required
    property that is not nullable stays required in the types (``id: str``), with a
    neutral default for servers that leave it out: its constant, ``""``, ``0``,
    ``False`` or ``[]`` (objects have none and stay required on the wire).
    """
    changed = 0
    schemas = document["components"].get("schemas", {})
    for root in _response_only_schemas(document):
        for schema in _walk_schemas(root):
            properties = schema.get("properties")
            if not isinstance(properties, dict):
                continue
            required = schema.setdefault("required", [])
            for name, prop in properties.items():
                if not isinstance(prop, dict):
                    continue
                if DEFAULT_KEY in prop:  # set by a patch of the overlay
                    if prop[DEFAULT_KEY] is None:
                        _nullable(prop)
                    if name not in required:
                        required.append(name)
                    continue
                if name in required and not _is_nullable(prop):
                    neutral = _neutral(prop, schemas)
                    if neutral is not _NO_NEUTRAL:
                        prop[DEFAULT_KEY] = neutral
                        changed += 1
                    continue
                _nullable(prop)
                prop[DEFAULT_KEY] = None
                if name not in required:
                    required.append(name)
                changed += 1
            if not required:
                del schema["required"]
    return changed


TRANSFORMS: dict[str, Callable[[Json], int]] = {
    "default-error-responses": _default_error_responses,
    "nullable-3.0-to-3.1": _nullable_to_31,
    "free-form-objects-as-maps": _free_form_objects_as_maps,
    "null-defaults-on-non-null-schemas": _null_defaults_on_non_null_schemas,
    "open-response-enums": _open_response_enums,
    "response-defaults": _response_defaults,
}


def _split_objects(document: Json, union: Json, name: Any, where: str) -> None:
    """Move the $ref members of a discriminated union that also has scalar members
    into a union of their own, named ``name``: ``anyOf [scalars..., {$ref: name}]``."""
    schemas = document["components"]["schemas"]
    keyword = "oneOf" if "oneOf" in union else "anyOf"
    members = union.get(keyword)
    if not isinstance(name, str) or name in schemas or "discriminator" not in union or not members:
        raise OverlayError(f"{where}: split_objects needs a discriminated union and a new name")
    refs = [m for m in members if "$ref" in m]
    scalars = [m for m in members if "$ref" not in m]
    if not refs or not scalars:
        raise OverlayError(f"{where}: split_objects needs both $ref and scalar members")
    schemas[name] = {"oneOf": refs, "discriminator": union.pop("discriminator")}
    del union[keyword]
    union["anyOf"] = [*scalars, {"$ref": f"#/components/schemas/{name}"}]


def apply_overlay(document: Json, overlay: Json, after_each: Callable[[], None] | None = None) -> list[Json]:
    """Apply every action of ``overlay`` to ``document`` in place.

    Each action is either a named transform (``transform: NAME``) applied to the
    whole cut, or a patch at a JSON pointer (``target`` with one of ``set``,
    ``merge``, ``remove``, ``hoist`` or ``split_objects``, and optionally ``expect``:
    keys the target must hold before it is patched).  ``after_each`` runs after every
    action (the cut uses it to keep the components in step with the references).
    Every action must say ``why``: a patch nobody can explain cannot be reviewed when
    upstream changes.
    """
    if not isinstance(overlay, dict) or not isinstance(overlay.get("actions"), list):
        raise OverlayError("the overlay must be a mapping with an 'actions' list")
    applied: list[Json] = []
    for index, action in enumerate(overlay["actions"]):
        where = f"overlay action {index}"
        if not isinstance(action, dict):
            raise OverlayError(f"{where} is not a mapping")
        why = action.get("why")
        if not isinstance(why, str) or not why.strip():
            raise OverlayError(f"{where} has no 'why': every patch must say why it exists")
        if "transform" in action:
            name = action["transform"]
            if name not in TRANSFORMS:
                raise OverlayError(f"{where}: unknown transform {name!r}")
            count = TRANSFORMS[name](document)
            if count == 0:
                raise OverlayError(f"{where}: transform {name!r} changed nothing; drop it")
            applied.append({"transform": name, "changes": count, "why": " ".join(why.split())})
            if after_each is not None:
                after_each()
            continue
        target = action.get("target")
        if not isinstance(target, str):
            raise OverlayError(f"{where} has neither 'transform' nor 'target'")
        verbs = [v for v in ("set", "merge", "remove", "hoist", "split_objects") if v in action]
        if len(verbs) != 1:
            raise OverlayError(f"{where}: give exactly one of set, merge, remove, hoist, split_objects")
        verb = verbs[0]
        parent, token = _pointer(document, target)
        key: str | int = token
        if isinstance(parent, list):
            if not token.isdigit() or int(token) >= len(parent) or verb == "hoist":
                raise OverlayError(f"{where}: {target} is not an item of its list")
            key = int(token)
        elif key not in parent and verb != "set":
            raise OverlayError(f"{where}: nothing at {target}")
        # `expect` guards a patch addressed by position: it fails loudly when upstream
        # moved things, instead of patching the wrong place.
        for expected_key, expected in action.get("expect", {}).items():
            found = parent[key].get(expected_key) if isinstance(parent[key], dict) else None
            if found != expected:
                raise OverlayError(
                    f"{where}: expected {expected_key}={expected!r} at {target}, found {found!r}"
                )
        if verb == "hoist":
            # Move an inline schema into components/schemas under a name, leaving a $ref.
            schemas = document["components"].setdefault("schemas", {})
            name = action["hoist"]
            if not isinstance(name, str) or name in schemas:
                raise OverlayError(f"{where}: hoist needs a new schema name, not {name!r}")
            schemas[name] = parent[key]
            parent[key] = {"$ref": f"#/components/schemas/{name}"}
        elif verb == "split_objects":
            _split_objects(document, parent[key], action["split_objects"], where)
        elif verb == "remove":
            del parent[key]
        elif verb == "set":
            parent[key] = copy.deepcopy(action["set"])
        else:
            if not isinstance(parent[key], dict) or not isinstance(action["merge"], dict):
                raise OverlayError(f"{where}: merge needs a mapping at {target}")
            parent[key].update(copy.deepcopy(action["merge"]))
        applied.append({"target": target, "action": verb, "why": " ".join(why.split())})
        if after_each is not None:
            after_each()
    return applied


# --- command line ----------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m codegen.cut", description=__doc__.splitlines()[0])
    parser.add_argument("upstream", type=Path, help="the upstream OpenAPI file")
    parser.add_argument("--out", type=Path, default=SPEC_DIR, help="the spec folder (default: spec/)")
    parser.add_argument(
        "--check", action="store_true", help="compare with the files in --out instead of writing them"
    )
    args = parser.parse_args(argv)
    out: Path = args.out
    overlay = load_yaml((out / "overlay.yaml").read_bytes())
    result = cut(args.upstream.read_bytes(), overlay, upstream_name=args.upstream.name)
    outputs = {out / "openapi.yaml": result.spec_text, out / "provenance.json": result.provenance_text}
    if args.check:
        stale = [p for p, text in outputs.items() if not p.exists() or p.read_text("utf-8") != text]
        for path in stale:
            print(f"stale: {path} differs from what {args.upstream} and the overlay give", file=sys.stderr)
        return 1 if stale else 0
    for path, text in outputs.items():
        path.write_text(text, encoding="utf-8")
    print(f"wrote {out / 'openapi.yaml'}: {result.provenance['schema_count']} schemas")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
