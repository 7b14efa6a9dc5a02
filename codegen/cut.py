"""Cut the chat-completions subset out of an upstream OpenAPI description.

    python -m codegen.cut UPSTREAM.yaml [--out spec/] [--check]

The cut keeps the operations named in ``OPERATIONS`` and the transitive closure of
every component they reference, applies ``spec/overlay.yaml`` (codegen.overlay, with
the policy transforms of codegen.transforms) and writes ``spec/openapi.yaml`` plus
``spec/provenance.json``.  The same upstream bytes and the same overlay always give
the same output bytes.
"""

from __future__ import annotations

import argparse
import copy
import hashlib
import json
import sys
from pathlib import Path

from codegen.document import HTTP_METHODS, Json, closure, dump_yaml, load_yaml
from codegen.overlay import apply_overlay

__all__ = [
    # HTTP_METHODS, dump_yaml and load_yaml live in codegen.document; the tests that read
    # spec/ still import them from here.
    "HTTP_METHODS",
    "OPERATIONS",
    "CutResult",
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

SPEC_DIR = Path(__file__).resolve().parent.parent / "spec"


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
    reachable = closure(document["paths"], merged)
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
    """The cut of ``upstream_bytes`` with ``overlay`` applied, and its provenance record."""
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
