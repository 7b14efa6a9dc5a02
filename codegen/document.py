"""Reading an OpenAPI document, for the cutter, the overlay and the generator alike.

YAML in and out (the same bytes whatever the machine), the HTTP methods a path item
may hold, ``$ref``s and the components they reach, and a walk over every mapping.
It sits below codegen.cut, codegen.overlay and codegen.transforms, which all need
these and would otherwise import each other in a circle.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import yaml

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
