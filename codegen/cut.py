"""Cut the chat-completions subset out of an upstream OpenAPI description.

    python -m codegen.cut UPSTREAM.yaml [--out spec/] [--check] [--inputs-only FILE]

The cut keeps the operations named in ``OPERATIONS`` and the transitive closure of
every component they reference, applies ``spec/overlay.yaml`` (codegen.overlay, with
the policy transforms of codegen.transforms) and writes ``spec/openapi.yaml``,
``spec/provenance.json`` and ``spec/upstream.yaml``: the part of the upstream file the
cut reads, kept so that spec/ can be verified without the upstream file (cut again, it
gives the same three files).  The same upstream bytes and the same overlay always give
the same output bytes.  Every problem (an operation upstream lacks, an overlay action
that no longer applies, YAML the parser refuses) is reported, all of them in one run.
"""

from __future__ import annotations

import argparse
import copy
import hashlib
import json
import os
import sys
from pathlib import Path
from typing import cast

from codegen.document import HTTP_METHODS, Json, closure, dump_yaml, load_yaml, refs, split_ref
from codegen.overlay import apply_overlay
from codegen.problems import CodegenError, Note, Problem
from codegen.transforms import BROUGHT

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

PROJECT = Path(__file__).resolve().parent.parent
SPEC_DIR = PROJECT / "spec"


# --- the cut ---------------------------------------------------------------------


def _find_paths(upstream: Json, operation_ids: tuple[str, ...]) -> tuple[dict[str, Json], list[str]]:
    """The path items that hold the operations, with only those operations (deep copies),
    and the operations upstream lacks."""
    found: dict[str, tuple[str, str]] = {}
    for path, item in upstream.get("paths", {}).items():
        for method in HTTP_METHODS:
            operation = item.get(method)
            if isinstance(operation, dict) and operation.get("operationId") in operation_ids:
                found[operation["operationId"]] = (path, method)
    missing = [op for op in operation_ids if op not in found]
    paths: dict[str, Json] = {}
    for path, item in upstream.get("paths", {}).items():
        methods = {m for p, m in found.values() if p == path}
        if not methods:
            continue
        kept = {k: copy.deepcopy(v) for k, v in item.items() if k not in HTTP_METHODS or k in methods}
        paths[path] = kept
    return paths, missing


def _select_paths(upstream: Json, operation_ids: tuple[str, ...]) -> tuple[dict[str, Json], list[Problem]]:
    """The path items of the operations upstream has, and a problem naming those it lacks.

    The cut goes on with the operations found, so that one run reports the overlay's
    problems with this upstream too.
    """
    paths, missing = _find_paths(upstream, operation_ids)
    if not missing:
        return paths, []
    chat: list[str] = []
    upstream_paths: dict[str, Json] = upstream.get("paths", {})
    for path, item in upstream_paths.items():
        if str(path).startswith("/chat") and isinstance(item, dict):
            operations = cast("dict[str, Json]", item)
            chat += [
                str(operations[method]["operationId"])
                for method in HTTP_METHODS
                if isinstance(operations.get(method), dict) and "operationId" in operations[method]
            ]
    chat.sort()
    found = f"its operations under /chat: {', '.join(chat)}" if chat else "it has no operation under /chat"
    return paths, [Problem("upstream", f"has no operation {', '.join(missing)}", (found,))]


def _requirements(document: Json, paths: dict[str, Json]) -> list[Json]:
    """The security requirements of the document and of the operations in ``paths``."""
    requirements = list(document.get("security", []))
    for item in paths.values():
        for method in HTTP_METHODS:
            if method in item:
                requirements.extend(item[method].get("security", []))
    return requirements


def _security_schemes(document: Json) -> list[str]:
    return sorted(
        {name for requirement in _requirements(document, document["paths"]) for name in requirement}
    )


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


def _head(upstream: Json, paths: dict[str, Json]) -> Json:
    """The upstream's top-level fields a cut keeps (and its inputs): the version, the info,
    the servers and the security, and the tags the operations in ``paths`` use."""
    head: Json = {"openapi": upstream["openapi"], "info": copy.deepcopy(upstream["info"])}
    head.update((key, copy.deepcopy(upstream[key])) for key in ("servers", "security") if key in upstream)
    tags = {t for item in paths.values() for m in HTTP_METHODS if m in item for t in item[m].get("tags", [])}
    if tags:
        head["tags"] = [copy.deepcopy(t) for t in upstream.get("tags", []) if t.get("name") in tags]
    return head


def _assemble(upstream: Json, paths: dict[str, Json]) -> Json:
    """The cut document around ``paths``, with the upstream's top-level fields."""
    document = _head(upstream, paths)
    document["paths"] = paths
    document["components"] = {}
    _refresh_components(document, upstream.get("components", {}))
    return document


# The key under which the kept inputs (spec/upstream.yaml) record the upstream file they
# were taken from: cut again, they give the provenance that file gave.
UPSTREAM_KEY = "x-completionkit-upstream"


def _inputs(upstream: Json, paths: dict[str, Json], overlay: Json, record: Json) -> Json:
    """The part of ``upstream`` the cut reads, as upstream has it: its top-level fields, the
    operations kept, and every component they or the overlay's references reach.

    Kept in the repository as spec/upstream.yaml, it lets anyone verify spec/ byte for byte
    without the 3 MB upstream file: its cut is the cut of the whole file, and its own
    inputs are itself.  (The tests keep those of older upstream files the same way.)
    """
    components = upstream.get("components", {})
    named = []
    actions = overlay.get("actions", []) if isinstance(overlay, dict) else []
    brought = [
        ref
        for action in actions
        if isinstance(action, dict)
        for ref in BROUGHT.get(str(action.get("transform")), ())
    ]
    for ref in [*refs(overlay), *brought]:
        try:
            section, name = split_ref(ref)
        except ValueError:
            continue
        if name in components.get(section, {}):
            named.append({"$ref": ref})
    reached = closure({"paths": paths, "overlay": named}, components)
    kept: Json = {UPSTREAM_KEY: record, **_head(upstream, paths), "paths": copy.deepcopy(paths)}
    # The schemes the operations (or the whole file) require.
    schemes = {name for requirement in _requirements(upstream, paths) for name in requirement}
    sections: Json = {}
    for section, section_items in components.items():
        wanted = schemes if section == "securitySchemes" else set(reached.get(section, ()))
        # Upstream's order, so that the file reads like the upstream it comes from.
        chosen = {name: copy.deepcopy(value) for name, value in section_items.items() if name in wanted}
        if chosen:
            sections[section] = chosen
    kept["components"] = sections
    return kept


def kept_inputs(
    upstream_bytes: bytes, overlay: Json, *, operation_ids: tuple[str, ...] = OPERATIONS, upstream_name: str
) -> Json:
    """The inputs the cut of ``upstream_bytes`` reads (see ``_inputs``), whether or not the
    cut succeeds: the operations upstream has, and what they and the overlay reach."""
    upstream, record = _read(upstream_bytes, upstream_name)
    return _inputs(upstream, _find_paths(upstream, operation_ids)[0], overlay, record)


def _read(upstream_bytes: bytes, upstream_name: str) -> tuple[Json, Json]:
    """The upstream document, and what the provenance says of the file it comes from: the
    record kept inputs carry, or else the file's own (where it is, its sha256, versions)."""
    upstream = load_yaml(upstream_bytes, name=upstream_name)
    record = upstream.pop(UPSTREAM_KEY, None) or {
        "file": upstream_name.rsplit("/", 1)[-1],
        "source": upstream_name,
        "sha256": hashlib.sha256(upstream_bytes).hexdigest(),
        "openapi": upstream.get("openapi"),
        "info_version": upstream.get("info", {}).get("version"),
    }
    return upstream, record


class CutResult:
    """The cut document, what the provenance record says about it, and the cut's inputs."""

    def __init__(self, document: Json, provenance: Json, inputs: Json | None = None) -> None:
        self.document = document
        self.provenance = provenance
        self.inputs = inputs
        # What the cut advises without stopping (overlay actions this upstream does not need).
        self.notes: list[Note] = []

    @property
    def spec_text(self) -> str:
        return dump_yaml(self.document)

    @property
    def inputs_text(self) -> str:
        return dump_yaml(self.inputs)

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
    """The cut of ``upstream_bytes`` with ``overlay`` applied, its provenance record and its
    inputs.  ``upstream_name`` says where the file came from (a path from the project's root
    where it resolves).  ``upstream_bytes`` may be kept inputs (spec/upstream.yaml): their
    cut is the cut of the file they were taken from, provenance included."""
    upstream, record = _read(upstream_bytes, upstream_name)
    upstream_components = upstream.get("components", {})
    paths, problems = _select_paths(upstream, operation_ids)
    kept_paths = copy.deepcopy(paths)
    document = _assemble(upstream, paths)
    overlaid = apply_overlay(document, overlay, lambda: _refresh_components(document, upstream_components))
    problems += overlaid.problems
    if problems:
        raise CodegenError(problems, overlaid.notes)
    provenance = {
        "upstream": record,
        "inputs": "spec/upstream.yaml",
        "operations": list(operation_ids),
        "schema_count": len(document["components"].get("schemas", {})),
        "component_counts": {k: len(v) for k, v in document["components"].items()},
        "overlay": overlaid.applied,
    }
    result = CutResult(document, provenance, _inputs(upstream, kept_paths, overlay, record))
    result.notes = overlaid.notes
    return result


# --- command line ----------------------------------------------------------------


def source_name(path: Path) -> str:
    """Where ``path`` is, as the provenance records it: from the project's root where the
    file sits beside or inside it (``../shared/upstream/openapi.yaml``), so that the record
    resolves on every machine laid out alike; else the absolute path."""
    # Not resolved: a folder linked in beside the project is recorded as the link.
    absolute = Path(os.path.normpath(path.absolute()))
    for base, prefix in ((PROJECT, ""), (PROJECT.parent, "../")):
        if absolute.is_relative_to(base):
            return prefix + absolute.relative_to(base).as_posix()
    return absolute.as_posix()


def _report(problems: list[Problem], notes: list[Note]) -> None:
    """The problems and notes on stderr, as Markdown."""
    for title, found in (("Problems", problems), ("Notes", notes)):
        if found:
            print(f"## {title} ({len(found)})\n", file=sys.stderr)
            for item in found:
                print(str(item), file=sys.stderr)
            print(file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m codegen.cut", description=__doc__.splitlines()[0])
    parser.add_argument("upstream", type=Path, help="the upstream OpenAPI file")
    parser.add_argument("--out", type=Path, default=SPEC_DIR, help="the spec folder (default: spec/)")
    parser.add_argument(
        "--check", action="store_true", help="compare with the files in --out instead of writing them"
    )
    parser.add_argument(
        "--inputs-only",
        type=Path,
        metavar="FILE",
        help="write only the part of the upstream file the cut reads, to FILE, whether the cut "
        "succeeds or not (how tests/fixtures/upstream/ keeps older upstream versions)",
    )
    args = parser.parse_args(argv)
    out: Path = args.out
    try:
        overlay = load_yaml((out / "overlay.yaml").read_bytes(), name=str(out / "overlay.yaml"))
        if args.inputs_only is not None:
            inputs = kept_inputs(
                args.upstream.read_bytes(), overlay, upstream_name=source_name(args.upstream)
            )
            args.inputs_only.write_text(dump_yaml(inputs), encoding="utf-8")
            print(f"wrote {args.inputs_only}")
            return 0
        result = cut(args.upstream.read_bytes(), overlay, upstream_name=source_name(args.upstream))
    except CodegenError as error:
        _report(error.problems, error.notes)
        return 1
    except OSError as error:
        _report([Problem(str(error.filename), f"cannot be read: {error.strerror}")], [])
        return 1
    _report([], result.notes)
    outputs = {
        out / "openapi.yaml": result.spec_text,
        out / "provenance.json": result.provenance_text,
        out / "upstream.yaml": result.inputs_text,
    }
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
