"""Reading an OpenAPI document, for the cutter, the overlay and the generator alike.

YAML in and out (the same bytes whatever the machine), the HTTP methods a path item
may hold, ``$ref``s and the components they reach, and a walk over every mapping.
It sits below codegen.cut, codegen.overlay and codegen.transforms, which all need
these and would otherwise import each other in a circle.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import yaml
from yaml.composer import Composer
from yaml.events import AliasEvent

from codegen.problems import CodegenError, Problem

__all__ = [
    "HTTP_METHODS",
    "Json",
    "closure",
    "dump_yaml",
    "load_yaml",
    "mappings",
    "refs",
    "split_ref",
    "unescape",
]

Json = Any

HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


class _RedefinableAnchors(Composer):
    """PyYAML's composer, with anchors that may be defined again.

    YAML lets a document define an anchor twice (the 2024-06 upstream does): each
    alias refers to the latest definition before it. PyYAML refuses the second one, so
    a redefined anchor is forgotten just before its new node is composed.
    """

    # The parser's, from the loader this is mixed into.
    check_event: Callable[..., bool]
    peek_event: Callable[[], Any]

    def compose_node(self, parent: Any, index: Any) -> Any:
        if not self.check_event(AliasEvent):
            anchor = self.peek_event().anchor
            if anchor is not None:
                self.anchors.pop(anchor, None)
        return super().compose_node(parent, index)


# libyaml's loader when PyYAML has it. Its composer is written in C, where it cannot be
# changed: the loader below keeps libyaml's scanner and parser and composes in Python. On
# the newest upstream that costs about what libyaml's own loader does (building the Python
# objects, in Python either way, takes most of the time), a quarter of the pure-Python
# loader's time, so it is the only loader.
_FAST_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _RedefinableAnchorsLoader(_RedefinableAnchors, _FAST_LOADER):  # type: ignore[misc]
    def __init__(self, stream: str | bytes) -> None:
        _FAST_LOADER.__init__(self, stream)
        # libyaml's loader does not set up the Python composer's state.
        Composer.__init__(self)


def _parse_problem(error: yaml.YAMLError, name: str) -> Problem:
    mark = getattr(error, "problem_mark", None)
    problem = getattr(error, "problem", None)
    if mark is None or problem is None:
        return Problem(name, f"is not YAML: {' '.join(str(error).split())}")
    details: tuple[str, ...] = ()
    context, context_mark = getattr(error, "context", None), getattr(error, "context_mark", None)
    if context and context_mark is not None:
        details = (f"{context} (line {context_mark.line + 1}, column {context_mark.column + 1})",)
    return Problem(name, f"line {mark.line + 1}, column {mark.column + 1}: {problem}", details)


def load_yaml(text: str | bytes, *, name: str = "YAML") -> Json:
    """The document in ``text``; a :class:`CodegenError` naming ``name`` and the line if
    it is not YAML."""
    try:
        return yaml.load(text, Loader=_RedefinableAnchorsLoader)  # noqa: S506 - a safe loader
    except yaml.YAMLError as error:
        raise CodegenError([_parse_problem(error, name)]) from None


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


def refs(node: Json) -> Iterator[str]:
    """Every ``$ref`` in the tree, in document order."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                yield value
            else:
                yield from refs(value)
    elif isinstance(node, list):
        for item in node:
            yield from refs(item)


def unescape(token: str) -> str:
    """One token of a JSON pointer (RFC 6901), as the key it names."""
    return token.replace("~1", "/").replace("~0", "~")


def split_ref(ref: str) -> tuple[str, str]:
    """The section and name of a ``#/components/<section>/<name>`` reference."""
    parts = ref.split("/")
    if len(parts) != 4 or parts[0] != "#" or parts[1] != "components":
        raise ValueError(f"unsupported $ref {ref!r}: only #/components/<section>/<name>")
    return parts[2], unescape(parts[3])


def closure(roots: Json, components: dict[str, dict[str, Json]]) -> dict[str, list[str]]:
    """Names of every component reachable from ``roots``, per section, sorted."""
    seen: dict[str, set[str]] = {}
    pending = list(refs(roots))
    while pending:
        section, name = split_ref(pending.pop())
        if name in seen.setdefault(section, set()):
            continue
        try:
            target = components[section][name]
        except KeyError:
            raise ValueError(f"dangling $ref #/components/{section}/{name}") from None
        seen[section].add(name)
        pending.extend(refs(target))
    return {section: sorted(names) for section, names in sorted(seen.items())}


def mappings(node: Json) -> Iterator[dict[str, Json]]:
    """Every mapping in the tree, parents before children."""
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from mappings(value)
    elif isinstance(node, list):
        for item in node:
            yield from mappings(item)
