"""The overlay engine: apply spec/overlay.yaml's actions to a cut document.

The overlay's format is this project's own (not the OpenAPI Overlay Specification): a
mapping with an ``actions`` list, each action either a named policy transform
(``transform: NAME``, from codegen.transforms) or a patch at a JSON pointer (``target``
with one of ``set``, ``merge``, ``remove``, ``hoist`` or ``split_objects``), and every
action with a ``why``.

Every patch states the shape it relies on, as a condition on its target, in one of two
guards:

- ``expect``: the project's own additions and rules. The condition must hold: when
  upstream has changed the shape, a maintainer decides, rather than the patch landing in
  the wrong place.
- ``when``: a mend of an upstream defect, applied only while the condition holds (the
  defect is there). Otherwise it is skipped with a note: once no upstream the project
  cuts from needs it, it can be retired.

A condition is a mapping: ``has: [keys]`` must be present, ``lacks: [keys]`` absent, and
any other key must have the value given. Under either guard the target's parent must be
there: a missing parent means the shape changed.

The engine goes on after an action that fails and reports every problem of the run
(codegen.problems), each with what it found instead.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeGuard

import yaml

from codegen.document import Json, unescape
from codegen.problems import CodegenError, Note, Problem
from codegen.transforms import TRANSFORMS

__all__ = ["GUARDS", "RETIRE", "VERBS", "OverlayError", "OverlayResult", "apply_overlay"]

VERBS = ("set", "merge", "remove", "hoist", "split_objects")
"""What a patch may do at its target."""

GUARDS = ("expect", "when")
"""The condition a patch's target must meet: ``expect`` (else a problem) or ``when``
(else skipped, with a note)."""

_KEYS = frozenset({"why", "transform", "target", *VERBS, *GUARDS})
RETIRE = "once no upstream the project cuts from needs it, the action can be retired"
_SHORT = 100
"""How long a rendering of what was found may be before it is summarised."""


class OverlayError(CodegenError):
    """The overlay did not apply cleanly (what :meth:`OverlayResult.raise_for_problems` raises)."""


@dataclass
class OverlayResult:
    """What applying an overlay gave: the provenance records of its actions, in order
    (applied, skipped or changing nothing), the problems that stop the cut and the notes."""

    applied: list[Json] = field(default_factory=list[Json])
    problems: list[Problem] = field(default_factory=list[Problem])
    notes: list[Note] = field(default_factory=list[Note])

    def raise_for_problems(self) -> None:
        if self.problems:
            raise OverlayError(self.problems, self.notes)


class _ActionError(Exception):
    """An action that cannot apply: why, and what was found instead (caught in
    apply_overlay, which makes it a problem and goes on)."""

    def __init__(self, message: str, found: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.found = found


# --- what was found, in a line ------------------------------------------------------


def _flow(value: Json) -> str:
    text: str = yaml.safe_dump(
        value, default_flow_style=True, sort_keys=False, allow_unicode=True, width=1_000_000
    )
    return text.removesuffix("\n").removesuffix("\n...").strip()


def _short(text: str) -> bool:
    return len(text) <= _SHORT and "\n" not in text


def _keys(mapping: dict[Any, Json]) -> str:
    keys = [str(key) for key in mapping]
    more = f", … ({len(keys)} keys)" if len(keys) > 12 else ""
    return ", ".join(keys[:12]) + more


# Type guards rather than isinstance: a document is made of Any, and an isinstance test
# would leave the type checkers with containers of unknown items.
def _is_mapping(node: Json) -> TypeGuard[dict[str, Json]]:
    return isinstance(node, dict)


def _is_list(node: Json) -> TypeGuard[list[Json]]:
    return isinstance(node, list)


def _mapping(node: Json) -> dict[str, Json] | None:
    return node if _is_mapping(node) else None


def _list(node: Json) -> list[Json] | None:
    return node if _is_list(node) else None


def _render(value: Json) -> str:
    """``value`` if it is short, else what kind of node it is and its keys."""
    text = _flow(value)
    if _short(text):
        return text
    if (mapping := _mapping(value)) is not None:
        return f"a mapping with keys {_keys(mapping)}"
    if (items := _list(value)) is not None:
        return f"a list of {len(items)} items"
    return text[:_SHORT] + "…"


def _name(tokens: list[str]) -> str:
    """A node by the end of its pointer (``.../allOf/0``, ``.../Metadata``)."""
    if not tokens:
        return "the document"
    shown = tokens[-2:] if tokens[-1].isdigit() and len(tokens) > 1 else tokens[-1:]
    prefix = "/" if len(shown) == len(tokens) else ".../"
    return prefix + "/".join(token.replace("~", "~0").replace("/", "~1") for token in shown)


def _described(tokens: list[str], node: Json) -> str:
    mapping = _mapping(node)
    if mapping and len(mapping) > 12:
        return f"{_name(tokens)} has {len(mapping)} keys, not this one"
    if mapping:
        return f"{_name(tokens)} has keys {_keys(mapping)}"
    return f"{_name(tokens)} is {_render(node)}"


def _not_there(tokens: list[str], depth: int, reached: Json) -> str:
    """What stands where ``tokens[depth]`` was looked for in ``reached``."""
    if (listed := _list(reached)) is not None and depth > 0:
        items = f"{len(listed)} item{'' if len(listed) == 1 else 's'}"
        holder, key = _name(tokens[: depth - 1]), tokens[depth - 1]
        return f"no '{key}/{tokens[depth]}': {holder} has {key} with {items}"
    return f"no '{tokens[depth]}': {_described(tokens[:depth], reached)}"


def _child(node: Json, token: str) -> tuple[bool, Json]:
    if (items := _list(node)) is not None:
        if token.isdigit() and int(token) < len(items):
            return True, items[int(token)]
        return False, None
    if (mapping := _mapping(node)) is not None and token in mapping:
        return True, mapping[token]
    return False, None


def _walk(document: Json, tokens: list[str]) -> Json:
    node = document
    for depth, token in enumerate(tokens):
        present, child = _child(node, token)
        if not present:
            raise _ActionError(
                "the target's parent is not in the cut: upstream changed the shape",
                _not_there(tokens, depth, node),
            )
        node = child
    return node


# --- conditions ------------------------------------------------------------------------


def _condition_defects(guard: str, condition: Json) -> list[str]:
    mapping = _mapping(condition)
    if not mapping:
        return [f"`{guard}` must be a mapping of conditions (has, lacks, or key: value)"]
    defects: list[str] = []
    for reserved in ("has", "lacks"):
        keys = _list(mapping.get(reserved, []))
        if keys is None or not all(isinstance(k, str) for k in keys):
            defects.append(f"`{guard}.{reserved}` must be a list of keys")
    return defects


def _unmet(node: Json, condition: dict[str, Json]) -> list[str]:
    """The parts of ``condition`` that ``node`` does not meet."""
    if not isinstance(node, dict):
        return ["not a mapping"]
    unmet = [f"no `{key}`" for key in condition.get("has", []) if key not in node]
    unmet += [f"has `{key}`" for key in condition.get("lacks", []) if key in node]
    for key, expected in condition.items():
        if key in ("has", "lacks"):
            continue
        if key not in node:
            unmet.append(f"no `{key}` (expected {_render(expected)})")
        elif node[key] != expected:
            unmet.append(f"`{key}` is {_render(node[key])}, not {_render(expected)}")
    return unmet


# --- one action -------------------------------------------------------------------------


def _first_sentence(text: str) -> str:
    text = " ".join(text.split())
    # Not at an ellipsis ("pairs ... Keys"); a closing quote or bracket stays with it.
    match = re.match(r"(.+?(?<!\.)[.!?][\"')]?)(?=\s|$)", text)
    return match.group(1) if match else text


def _verbs(action: dict[str, Json]) -> list[str]:
    return [verb for verb in VERBS if verb in action]


def _context(action: dict[str, Json]) -> list[str]:
    """The lines that say which action it is: its target or transform, its verb, its why."""
    lines: list[str] = []
    if "transform" in action:
        lines.append(f"transform `{action['transform']}`")
    if "target" in action:
        verbs = _verbs(action)
        lines.append(f"{verbs[0] if len(verbs) == 1 else 'target'} at `{action['target']}`")
    why = action.get("why")
    if isinstance(why, str) and why.strip():
        lines.append(f"why: {_first_sentence(why)}")
    return lines


def _defects(action: dict[str, Json]) -> list[str]:
    """What makes an action malformed, whatever the document."""
    defects: list[str] = []
    why = action.get("why")
    if not isinstance(why, str) or not why.strip():
        defects.append("has no `why`: every action must say why it exists")
    unknown = sorted(str(key) for key in action if key not in _KEYS)
    if unknown:
        defects.append(f"unknown key {', '.join(unknown)}")
    verbs = _verbs(action)
    guards = [guard for guard in GUARDS if guard in action]
    if "transform" in action:
        name = action["transform"]
        if "target" in action or verbs or guards:
            defects.append("a transform rewrites the whole cut: it takes no target, verb or guard")
        if not isinstance(name, str) or name not in TRANSFORMS:
            defects.append(f"unknown transform {name!r} (known: {', '.join(TRANSFORMS)})")
        return defects
    target = action.get("target")
    if target is None:
        return [*defects, "has neither `transform` nor `target`"]
    if not isinstance(target, str) or not target.startswith("/"):
        defects.append(f"target {target!r} is not a JSON pointer")
    if len(verbs) != 1:
        given = f"{len(verbs)} verbs ({', '.join(verbs)})" if verbs else "no verb"
        defects.append(f"{given}: give exactly one of {', '.join(VERBS)}")
    elif verbs[0] == "merge" and not isinstance(action["merge"], dict):
        defects.append("`merge` needs a mapping to merge")
    elif verbs[0] in ("hoist", "split_objects") and not isinstance(action[verbs[0]], str):
        defects.append(f"`{verbs[0]}` needs the name of a new schema")
    if not guards:
        defects.append(
            "no guard: state the shape you expect there, with `expect:` (must hold) or"
            " `when:` (a mend of upstream, skipped when the condition does not hold)"
        )
    elif len(guards) == 2:
        defects.append("give `expect` or `when`, not both")
    else:
        defects += _condition_defects(guards[0], action[guards[0]])
    return defects


def _split_objects(document: Json, union: Json, name: str) -> None:
    """Move the $ref members of a discriminated union that also has scalar members
    into a union of their own, named ``name``: ``anyOf [scalars..., {$ref: name}]``."""
    schemas = document["components"]["schemas"]
    keyword = "oneOf" if "oneOf" in union else "anyOf"
    members = _list(union.get(keyword))
    if "discriminator" not in union or members is None:
        raise _ActionError("split_objects needs a discriminated oneOf or anyOf", f"found {_render(union)}")
    if name in schemas:
        raise _ActionError(f"split_objects needs a new schema name: {name} is in the cut already")
    refs = [m for m in members if "$ref" in (_mapping(m) or {})]
    scalars = [m for m in members if "$ref" not in (_mapping(m) or {})]
    if not refs or not scalars:
        raise _ActionError("split_objects needs both $ref and scalar members", f"found {_render(members)}")
    schemas[name] = {"oneOf": refs, "discriminator": union.pop("discriminator")}
    del union[keyword]
    union["anyOf"] = [*scalars, {"$ref": f"#/components/schemas/{name}"}]


def _apply_verb(document: Json, action: dict[str, Json], verb: str, parent: Json, key: str | int) -> None:
    if verb == "set":
        parent[key] = copy.deepcopy(action["set"])
    elif verb == "merge":
        parent[key].update(copy.deepcopy(action["merge"]))
    elif verb == "remove":
        del parent[key]
    elif verb == "hoist":
        # Move an inline schema into components/schemas under a name, leaving a $ref.
        schemas = document["components"].setdefault("schemas", {})
        name = action["hoist"]
        if name in schemas:
            raise _ActionError(f"hoist needs a new schema name: {name} is in the cut already")
        schemas[name] = parent[key]
        parent[key] = {"$ref": f"#/components/schemas/{name}"}
    else:
        _split_objects(document, parent[key], action["split_objects"])


def _patch(document: Json, action: dict[str, Json], where: str, result: OverlayResult) -> bool:
    """Apply a target patch, or skip it with a note; whether the document changed."""
    target: str = action["target"]
    verb = _verbs(action)[0]
    guard = "expect" if "expect" in action else "when"
    condition: dict[str, Json] = action[guard]
    tokens = [unescape(token) for token in target[1:].split("/")]
    parent = _walk(document, tokens[:-1])
    present, node = _child(parent, tokens[-1])
    if present:
        unmet = _unmet(node, condition)
        found = f"found {_render(node)}"
    else:
        unmet = ["the target is not there"]
        found = _not_there(tokens, len(tokens) - 1, parent)
    if unmet:
        if guard == "expect":
            raise _ActionError(f"not the shape the action expects: {'; '.join(unmet)}", found)
        result.notes.append(
            Note(
                where,
                f"skipped: this upstream does not have the shape it mends ({'; '.join(unmet)})",
                (*_context(action), found, RETIRE),
                subject=target,
            )
        )
        result.applied.append({"target": target, "action": verb, "skipped": found, "why": _why(action)})
        return False
    key: str | int = int(tokens[-1]) if isinstance(parent, list) else tokens[-1]
    _apply_verb(document, action, verb, parent, key)
    result.applied.append({"target": target, "action": verb, "why": _why(action)})
    return True


def _transform(document: Json, action: dict[str, Json], where: str, result: OverlayResult) -> bool:
    """Apply a named transform; whether it changed anything."""
    name: str = action["transform"]
    try:
        count = TRANSFORMS[name](document)
    except (LookupError, TypeError, ValueError, AttributeError) as error:
        # A shape the transform does not know: reported with the others, not a traceback.
        raise _ActionError(f"the transform failed on this cut: {type(error).__name__}: {error}") from None
    if count == 0:
        result.notes.append(
            Note(
                where,
                f"transform {name!r} changed nothing on this upstream",
                (*_context(action), RETIRE),
                subject=name,
            )
        )
    result.applied.append({"transform": name, "changes": count, "why": _why(action)})
    return count > 0


def _why(action: dict[str, Json]) -> str:
    return " ".join(str(action["why"]).split())


def _restore(document: Json, snapshot: Json) -> None:
    document.clear()
    document.update(snapshot)


def apply_overlay(
    document: Json, overlay: Json, after_each: Callable[[], object] | None = None
) -> OverlayResult:
    """Apply every action of ``overlay`` to ``document`` in place, going on after those
    that fail.

    ``after_each`` runs after every action that changed the document (the cut uses it
    to keep the components in step with the references); a ValueError from it (a
    reference to a schema the upstream lacks, say) is that action's problem. An action
    that fails leaves the document as it was before it.
    """
    result = OverlayResult()
    actions = _list((_mapping(overlay) or {}).get("actions"))
    if actions is None:
        result.problems.append(Problem("overlay", "must be a mapping with an 'actions' list"))
        return result
    for number, item in enumerate(actions, start=1):
        where = f"overlay action {number}"
        action = _mapping(item)
        if action is None:
            result.problems.append(Problem(where, "is not a mapping", (f"found {_render(item)}",)))
            continue
        context = _context(action)
        defects = _defects(action)
        if defects:
            result.problems.extend(Problem(where, defect, tuple(context)) for defect in defects)
            continue
        snapshot = copy.deepcopy(document)
        recorded, noted = len(result.applied), len(result.notes)
        try:
            apply = _transform if "transform" in action else _patch
            if apply(document, action, where, result) and after_each is not None:
                try:
                    after_each()
                except ValueError as error:
                    raise _ActionError(f"the cut does not hold together after it: {error}") from None
        except _ActionError as refused:
            _restore(document, snapshot)
            del result.applied[recorded:], result.notes[noted:]
            found = () if refused.found is None else (refused.found,)
            result.problems.append(Problem(where, refused.message, (*context, *found)))
    return result
