"""Generate ``generated/`` and ``facade/types.py`` from ``spec/openapi.yaml``.

    python -m codegen.generate [--check] [--spec FILE] [--root DIR]

``generated/models.py`` is datamodel-code-generator's output (msgspec Structs) as it
writes it, only formatted again at the project's line length; ``generated/endpoints.py``
comes from ``codegen.stubs``, ``generated/params.py`` from ``codegen.params``, and
``facade/types.py`` (the public ``completionkit.types``) lists the public types of
models.py and params.py.  The modules of codegen/runtime/ (the ``Model`` base,
``Endpoint`` and its parts) are copied in as they are.  Nothing here reads the clock, the
environment or a hash-ordered collection, so the output bytes depend on the spec and the
pinned tool versions alone.
"""

from __future__ import annotations

import argparse
import ast
import copy
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from codegen import naming, params, stubs
from codegen.document import dump_yaml, load_yaml
from codegen.transforms import DEFAULT_KEY, apply_response_policy

__all__ = [
    "DCG_OPTIONS",
    "HEADER",
    "PLACEHOLDERS",
    "RUNTIME",
    "generate",
    "listed_names",
    "main",
    "prepared",
    "public_names",
    "runtime_modules",
    "scalar_aliases",
]

ROOT = Path(__file__).resolve().parent.parent
SPEC = ROOT / "spec" / "openapi.yaml"
GENERATED = "generated"
# The one generated module of the hand-written package: completionkit.types must be a
# module of `completionkit` itself, and its __all__ a literal list (see _types_module).
TYPES = "facade/types.py"
RUNTIME = Path(__file__).resolve().parent / "runtime"

Json = Any

HEADER = "# generated from spec/openapi.yaml by nox -s generate — do not edit"

# Why each option (datamodel-code-generator 0.89, pinned in pyproject.toml):
DCG_OPTIONS = (
    "--input-file-type=openapi",
    "--output-model-type=msgspec.Struct",
    "--target-python-version=3.11",
    "--use-standard-collections",
    "--use-union-operator",
    # Constraints (minimum, maxLength, ...) as msgspec.Meta so decoding checks them.
    "--use-annotated",
    "--field-constraints",
    # Literal types keep enums open to `Literal[...] | str` where the overlay says so;
    # Enum classes could not express that.
    "--enum-field-as-literal=all",
    # Discriminated unions become tagged Structs, the only unions of Structs msgspec decodes.
    "--use-msgspec-tagged-unions",
    "--use-schema-description",
    # Annotations evaluated when the module is imported (and compiled into its .pyc),
    # not compiled from strings by msgspec at the first request: cheaper cold starts.
    "--disable-future-imports",
    # A required field with a default takes it when absent: the response policy's
    # defaults (None, [], {}) give `X | None = None` instead of `X | UnsetType = UNSET`.
    "--use-default",
    # Every Struct leaves out fields at their default when encoded, so that a decoded
    # answer encodes back to what the server sent, not to it plus a row of nulls.
    "--base-class=completionkit._generated._base.Model",
    "--disable-timestamp",
    # ruff is pinned too, so the formatting is part of the reproducible output.
    "--formatters=ruff-format",
    "--custom-file-header=" + HEADER,
)


def _without_defaults(node: Json, parent_key: str = "") -> Json:
    """The spec with every schema ``default`` moved aside to ``x-server-default``.

    A default in the spec says what the server assumes when a field is absent. Left in,
    datamodel-codegen makes it the Struct's default, and the client would then send
    ``temperature: 1``, ``n: 1``, ... in every request. The client sends only what the
    caller set, so every optional field defaults to ``msgspec.UNSET`` instead.  The
    response policy's own defaults (``x-completionkit-default``) become the defaults.
    """
    if isinstance(node, list):
        return [_without_defaults(item) for item in node]
    if not isinstance(node, dict):
        return node
    moved: dict[str, Json] = {}
    for key, value in node.items():
        # Under `properties` the keys are field names, one of which could be "default".
        if parent_key == "properties":
            moved[key] = _without_defaults(value, key)
        elif key == "default":
            moved["x-server-default"] = value
        elif key == DEFAULT_KEY:
            moved["default"] = value  # the response policy's default, see spec/overlay.yaml
        else:
            moved[key] = _without_defaults(value, key)
    return moved


# Keywords whose values are data, not schemas: a "description" key in them is no description.
# (_without_defaults has moved the spec's defaults to x-server-default by then.)
_DATA_KEYWORDS = frozenset({"default", "enum", "const", "example", "examples", "x-server-default"})


def _without_field_descriptions(node: Json, keep: bool = False) -> Json:
    """A schema without descriptions, but for its own when ``keep``."""
    if isinstance(node, list):
        return [_without_field_descriptions(item) for item in node]
    if not isinstance(node, dict):
        return node
    kept: dict[str, Json] = {}
    for key, value in node.items():
        if key in ("properties", "patternProperties") and isinstance(value, dict):
            # Keys here are field names, one of which could be "description".
            kept[key] = {name: _without_field_descriptions(v) for name, v in value.items()}
        elif key == "description" and not keep:
            continue
        elif key in _DATA_KEYWORDS:
            kept[key] = value
        else:
            kept[key] = _without_field_descriptions(value)
    return kept


def _for_datamodel_codegen(document: Json) -> Json:
    """The spec as datamodel-codegen is to read it: server defaults moved aside, and no
    descriptions but those of the component schemas that become classes.

    datamodel-codegen writes a class's description as its docstring, and every other
    description (of a property, an item, a union member, a type alias) as
    ``msgspec.Meta(description=...)``. msgspec keeps those only for JSON Schema output,
    and building hundreds of them doubled the module's import time, which every cold
    start pays. They stay in spec/openapi.yaml; params.py reads the properties' from there.
    """
    moved = _without_defaults(document)
    schemas = moved.get("components", {}).get("schemas", {})
    for name, schema in schemas.items():
        # naming.py has hoisted every inline schema that becomes a class to here.
        becomes_class = isinstance(schema, dict) and ("properties" in schema or "allOf" in schema)
        schemas[name] = _without_field_descriptions(schema, keep=becomes_class)
    return moved


# Names a generator falls back on when a schema gives it nothing better: as public
# names they say nothing, and the next regeneration may hand them to another schema.
PLACEHOLDERS = frozenset({"Datum", "Model", "Type", "Item", "Object", "Data", "Value", "Root"})


def public_names(tree: ast.Module) -> list[str]:
    """The classes and type aliases a module defines, sorted; refuses numbered or
    placeholder names (see codegen/naming.py for how inline schemas are named)."""
    names = sorted(
        [node.name for node in tree.body if isinstance(node, ast.ClassDef)]
        + [
            node.target.id
            for node in tree.body
            if isinstance(node, ast.AnnAssign)
            and isinstance(node.target, ast.Name)
            and isinstance(node.annotation, ast.Name)
            and node.annotation.id == "TypeAlias"
        ]
    )
    bad = [n for n in names if n[-1].isdigit() or n in PLACEHOLDERS]
    if bad:
        raise ValueError(f"generated names that say nothing or may change: {bad}; see codegen/naming.py")
    return names


_SCALARS = frozenset({"str", "int", "float", "bool"})


def scalar_aliases(tree: ast.Module) -> set[str]:
    """The type aliases of a module that stand for a scalar, constrained or not
    (``CreateChatCompletionRequestN: TypeAlias = Annotated[int, Meta(ge=1, le=128)]``).

    They are no public types: a caller passes an ``int``, and the constraint is checked
    when the request is encoded; models.py keeps them for the fields that use them.
    """
    found: set[str] = set()
    for node in tree.body:
        if not (
            isinstance(node, ast.AnnAssign)
            and isinstance(node.target, ast.Name)
            and isinstance(node.annotation, ast.Name)
            and node.annotation.id == "TypeAlias"
        ):
            continue
        value = node.value
        if isinstance(value, ast.Subscript) and ast.unparse(value.value) == "Annotated":
            value = value.slice.elts[0] if isinstance(value.slice, ast.Tuple) else value.slice
        if isinstance(value, ast.Name) and value.id in _SCALARS:
            found.add(node.target.id)
    return found


def _models(document: Json) -> str:
    with tempfile.TemporaryDirectory() as tmp:
        spec = Path(tmp) / "openapi.yaml"
        spec.write_text(dump_yaml(_for_datamodel_codegen(document)), encoding="utf-8")
        out = Path(tmp) / "models.py"
        command = [
            sys.executable,
            "-m",
            "datamodel_code_generator",
            f"--input={spec}",
            f"--output={out}",
            *DCG_OPTIONS,
        ]
        env = {**os.environ, "PYTHONWARNINGS": "ignore"}
        completed = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
        if completed.returncode != 0:
            raise RuntimeError(f"datamodel-codegen failed:\n{completed.stderr}")
        return out.read_text("utf-8")


def runtime_modules() -> dict[str, str]:
    """The modules of codegen/runtime/ as generated/ holds them: the header, then the source."""
    return {
        path.name: f"{HEADER}\n{path.read_text('utf-8')}"
        for path in sorted(RUNTIME.glob("*.py"))
        if path.name != "__init__.py"
    }


def _ruff(text: str, name: str, *arguments: str) -> str:
    command = [sys.executable, "-m", "ruff", *arguments, "--no-cache", "--stdin-filename", name, "-"]
    completed = subprocess.run(command, input=text, capture_output=True, text=True, cwd=ROOT, check=False)
    if completed.returncode != 0:
        raise RuntimeError(f"ruff {arguments[0]} failed on {name}:\n{completed.stderr}")
    return completed.stdout


def _ruff_format(text: str, name: str) -> str:
    return _ruff(text, name, "format")


def _ruff_sort_imports(text: str, name: str) -> str:
    """The imports in the order ruff's isort rule wants (case-insensitive, unlike ``sorted``),
    for a file that ruff lints: facade/types.py."""
    return _ruff(text, name, "check", "--select", "I", "--fix-only", "--exit-zero")


def prepared(document: Json) -> tuple[Json, dict[str, str]]:
    """The spec as the models are generated from it, and the name each schema gets by its
    place: the response policy applied (types that read what real servers send; see
    transforms.py), then every schema named (codegen/naming.py) — in that order, which
    generate() and what a regeneration compares (codegen/changes.py) share.  ``document``
    itself is left as it is."""
    document = copy.deepcopy(document)
    apply_response_policy(document)
    return naming.name_schemas(document), naming.schema_names(document)


def generate(spec: Path = SPEC) -> dict[str, str]:
    """The generated files, by path from the project's root (``generated/models.py``,
    ``facade/types.py``), as text."""
    document = load_yaml(spec.read_bytes())
    document = prepared(document)[0]
    # datamodel-codegen's formatter runs at its own line length; the project's is 110.
    models = _ruff_format(_models(document), "models.py")
    tree = ast.parse(models)
    model_names = public_names(tree)
    runtime = runtime_modules()
    _check_runtime_imports(runtime, model_names)
    files = {
        "__init__.py": (
            f'{HEADER}\n"""Types and endpoint descriptions generated from spec/openapi.yaml."""\n\n'
            "__all__: list[str] = []\n"
        ),
        **runtime,
        "models.py": models,
        "endpoints.py": _ruff_format(stubs.render(document, model_names, header=HEADER), "endpoints.py"),
    }
    # params.py describes the models above, imported from these files as their package.
    files["params.py"] = _ruff_format(params.render(document, files, header=HEADER), "params.py")
    public_models = [name for name in model_names if name not in scalar_aliases(tree)]
    types = _ruff_format(_ruff_sort_imports(_types_module(public_models, files["params.py"]), TYPES), TYPES)
    return {**{f"{GENERATED}/{name}": text for name, text in files.items()}, TYPES: types}


def _check_runtime_imports(runtime: dict[str, str], model_names: list[str]) -> None:
    """The runtime modules import from ``.models`` only what the models define."""
    for name, source in runtime.items():
        for node in ast.parse(source).body:
            if isinstance(node, ast.ImportFrom) and node.level == 1 and node.module == "models":
                missing = sorted({alias.name for alias in node.names} - set(model_names))
                if missing:
                    raise ValueError(f"codegen/runtime/{name} imports {missing}, which the models lack")


_TYPES_DOCSTRING = '''"""Every type a user may annotate with: the models of the API (``ChatCompletion``,
``ChatCompletionChunk``, ``ChatCompletionMessage``, ...) and the TypedDict twin of each
request object (``ChatCompletionToolParam``, ``ChatCompletionUserMessageParam``, ...), so
that user code never imports ``completionkit._generated``.  Where the official ``openai``
package has a name for a type, the type has that name (``openai.types.chat``'s).

Generated from spec/openapi.yaml (codegen/generate.py): a regeneration updates this
module, and a name here never carries a number or a generator's placeholder.
"""'''


def _types_module(model_names: list[str], params_source: str) -> str:
    """``completionkit.types``: every class and alias of models.py and every type of
    params.py, imported by name, under one sorted, literal ``__all__``.

    A literal list is the form every type checker reads in an installed library: from a
    computed one (``__all__ += other.__all__``) pyright took every name for a private
    import.  params.py's constants (``codegen.params.constant_names()``) are no types and
    stay out.
    """
    names = {
        "models": model_names,
        "params": sorted(set(listed_names(params_source)) - set(params.constant_names())),
    }
    everything = sorted(n for listed in names.values() for n in listed)
    if len(everything) != len(set(everything)):
        raise ValueError("models.py and params.py define a name twice")
    lines = [HEADER, _TYPES_DOCSTRING, ""]
    for module, listed in names.items():
        lines.append(f"from ._generated.{module} import (")
        lines.extend(f"    {name}," for name in listed)
        lines.append(")")
    lines += ["", "__all__ = [", *(f'    "{n}",' for n in everything), "]", ""]
    return "\n".join(lines)


def listed_names(source: str) -> list[str]:
    """The literal ``__all__`` of a module's source."""
    for node in ast.parse(source).body:
        if (
            isinstance(node, ast.Assign)
            and any(isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets)
            and isinstance(node.value, ast.List)
        ):
            return [
                e.value for e in node.value.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)
            ]
    raise ValueError("a generated module has no literal __all__")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m codegen.generate", description=__doc__.splitlines()[0])
    parser.add_argument("--spec", type=Path, default=SPEC)
    parser.add_argument(
        "--root", type=Path, default=ROOT, help="write generated/ and facade/types.py under this folder"
    )
    parser.add_argument("--check", action="store_true", help="fail if the files differ instead of writing")
    args = parser.parse_args(argv)
    try:
        files = generate(args.spec)
    except ValueError as error:  # the spec holds something the generator refuses; it says what
        print(f"generation failed: {error}", file=sys.stderr)
        return 1
    root: Path = args.root
    # generated/ holds nothing but what the generator writes; facade/ is hand-written but one file.
    strays = sorted(p for p in (root / GENERATED).glob("*.py") if f"{GENERATED}/{p.name}" not in files)
    if args.check:
        stale = sorted(
            root / name
            for name, text in files.items()
            if not (root / name).exists() or (root / name).read_text("utf-8") != text
        )
        for path in stale:
            print(f"stale: {path} differs from what {args.spec} gives", file=sys.stderr)
        for path in strays:
            print(f"stray: {path} is not generated from {args.spec}", file=sys.stderr)
        return 1 if stale or strays else 0
    for stray in strays:
        stray.unlink()
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")
    print(f"wrote {', '.join(sorted(files))} in {root}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
