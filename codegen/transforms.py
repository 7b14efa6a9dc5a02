"""The policy transforms an overlay names (``transform: NAME`` in spec/overlay.yaml).

Each rewrites every place of one kind in the cut, in place, and returns how many it
changed; where one changes nothing, codegen.overlay says so as advice (the upstream cut
does not have the defect it mends), so that a transform upstream has made pointless is
seen and can be retired. ``TRANSFORMS`` maps the names the overlay uses to them.
"""

from __future__ import annotations

from collections.abc import Callable

from codegen.document import HTTP_METHODS, Json, closure, mappings

__all__ = ["BROUGHT", "DEFAULT_KEY", "ERROR_SCHEMA", "TRANSFORMS", "apply_response_policy"]

DEFAULT_KEY = "x-completionkit-default"
"""Where the overlay puts the value a response field takes when a server leaves it out.

It is not the spec's ``default`` (what a server assumes when a request leaves a field
out); codegen.generate turns it into the generated field's default."""

ERROR_SCHEMA = "ErrorResponse"
"""The component schema of the body every error answer carries."""


def _nullable_to_31(document: Json) -> int:
    """Rewrite OpenAPI 3.0 ``nullable: true`` as 3.1 ``anyOf [..., {type: null}]``."""
    changed = 0
    for schema in mappings(document):
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
    for schema in mappings(document):
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
    for schema in mappings(document):
        typed = "type" in schema or "$ref" in schema or "properties" in schema
        if typed and "default" in schema and schema["default"] is None and not _is_nullable(schema):
            del schema["default"]
            changed += 1
    return changed


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
    responses = closure(_operation_parts(document, ("responses",)), components).get("schemas", [])
    requests = set(
        closure(_operation_parts(document, ("requestBody", "parameters")), components).get("schemas", [])
    )
    schemas = components.get("schemas", {})
    return [schemas[name] for name in responses if name not in requests]


def _response_schemas(document: Json) -> list[Json]:
    """The component schemas that some response of the cut reaches."""
    reachable = closure(_operation_parts(document, ("responses",)), document["components"])
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
    for schema in mappings(document):
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
        for schema in mappings(root):
            values = schema.get("enum")
            if isinstance(values, list) and len(values) > 1 and all(isinstance(v, str) for v in values):
                targets[id(schema)] = schema
    tags = _union_tags(document)
    for root in _response_only_schemas(document):
        for schema in mappings(root):
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


def apply_response_policy(document: Json) -> int:
    """The response policy, applied to the document the models are generated from (never
    to spec/openapi.yaml, which keeps upstream's required fields, so that a validator or a
    mock built from spec/ accepts what real servers send): in response-only schemas, what
    a server leaves out reads as a neutral value.

    Why: vLLM, Ollama, LM Studio and llama.cpp leave out what they have no value for
    (`logprobs`, `refusal`, `usage`, `system_fingerprint`, ...) where the spec writes null
    or nothing, and OpenAI itself writes null for many optional fields; Ollama and
    Gemini's layer omit `choices[].index`, some gateways a chunk's `created`.

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
        for schema in mappings(root):
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
}
"""Each transform by the name an overlay action gives it."""

BROUGHT: dict[str, tuple[str, ...]] = {"default-error-responses": (f"#/components/schemas/{ERROR_SCHEMA}",)}
"""The components a transform makes the cut reach (by reference), that the operations may
not: the cut's kept inputs (codegen.cut) hold them too."""
