"""The overlay engine: apply spec/overlay.yaml's actions to a cut document.

The overlay's format is this project's own (not the OpenAPI Overlay Specification): a
mapping with an ``actions`` list, each action either a named policy transform
(``transform: NAME``, from codegen.transforms) or a patch at a JSON pointer (``target``
with one of ``set``, ``merge``, ``remove``, ``hoist`` or ``split_objects``), and every
action with a ``why``.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from codegen.document import Json, unescape
from codegen.transforms import TRANSFORMS

__all__ = ["VERBS", "OverlayError", "apply_overlay"]

VERBS = ("set", "merge", "remove", "hoist", "split_objects")
"""What a patch may do at its target."""


class OverlayError(ValueError):
    """The overlay is malformed or a patch does not apply to the cut."""


def _pointer(document: Json, pointer: str) -> tuple[Json, str]:
    """The parent container and last key of a JSON pointer (RFC 6901)."""
    if not pointer.startswith("/"):
        raise OverlayError(f"target {pointer!r} is not a JSON pointer")
    tokens = [unescape(t) for t in pointer[1:].split("/")]
    node = document
    for token in tokens[:-1]:
        if isinstance(node, list) and token.isdigit() and int(token) < len(node):
            node = node[int(token)]
        elif isinstance(node, dict) and token in node:
            node = node[token]
        else:
            raise OverlayError(f"target {pointer!r}: no {token!r} in the cut")
    return node, tokens[-1]


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
    upstream changes.  Returns what the provenance records of each action.
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
        verbs = [v for v in VERBS if v in action]
        if len(verbs) != 1:
            raise OverlayError(f"{where}: give exactly one of {', '.join(VERBS)}")
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
