"""generated/ and facade/types.py: exactly what `nox -s generate` makes from spec/ whatever the
hash seed, with the runtime modules copied as they are and no generated source edited as text."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
GENERATED = ROOT / "generated"
TYPES = ROOT / "facade" / "types.py"
SPEC = ROOT / "spec" / "openapi.yaml"


def _generate(root: Path, *extra: str, seed: str = "0") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "codegen.generate", "--root", str(root), *extra],
        cwd=ROOT,
        env={**os.environ, "PYTHONHASHSEED": seed},
        capture_output=True,
        text=True,
        check=False,
    )


def _written(root: Path) -> list[Path]:
    """The files the generator writes under ``root``, by path from it."""
    return sorted(p.relative_to(root) for p in root.rglob("*") if p.is_file())


@pytest.fixture(scope="module")
def fresh(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("generated")
    completed = _generate(root, seed="1")
    assert completed.returncode == 0, completed.stderr
    return root


def test_generated_files_are_the_committed_bytes(fresh: Path) -> None:
    committed = sorted([p.relative_to(ROOT) for p in GENERATED.glob("*.py")] + [TYPES.relative_to(ROOT)])
    assert _written(fresh) == committed
    for path in committed:
        assert (fresh / path).read_bytes() == (ROOT / path).read_bytes(), path


@pytest.mark.parametrize("seed", ["0", "4242", "random"])
def test_the_committed_bytes_do_not_depend_on_the_hash_seed(seed: str) -> None:
    completed = _generate(ROOT, "--check", seed=seed)
    assert completed.returncode == 0, completed.stderr


def test_every_generated_file_says_do_not_edit(fresh: Path) -> None:
    header = "# generated from spec/openapi.yaml by nox -s generate — do not edit\n"
    for path in _written(fresh):
        assert (fresh / path).read_text("utf-8").startswith(header), path


def _copy(fresh: Path, root: Path) -> None:
    for path in _written(fresh):
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_bytes((fresh / path).read_bytes())


@pytest.mark.parametrize("edited", ["generated/models.py", "facade/types.py"])
def test_check_names_a_stale_file(fresh: Path, tmp_path: Path, edited: str) -> None:
    _copy(fresh, tmp_path)
    path = tmp_path / edited
    path.write_text(path.read_text("utf-8") + "\n# a hand edit\n", encoding="utf-8")
    completed = _generate(tmp_path, "--check")
    assert completed.returncode == 1
    assert f"stale: {path} " in completed.stderr


def test_check_names_a_stray_file(fresh: Path, tmp_path: Path) -> None:
    _copy(fresh, tmp_path)
    (tmp_path / "generated" / "extra.py").write_text("x = 1\n", encoding="utf-8")
    # facade/ is hand-written but for types.py: another module there is no stray.
    (tmp_path / "facade" / "_client.py").write_text("x = 1\n", encoding="utf-8")
    completed = _generate(tmp_path, "--check")
    assert completed.returncode == 1
    strays = [line for line in completed.stderr.splitlines() if line.startswith("stray: ")]
    assert strays == [f"stray: {tmp_path / 'generated' / 'extra.py'} is not generated from {SPEC}"]


def test_types_lists_every_public_name_literally() -> None:
    """completionkit.types names its exports in a literal __all__, imported by name: the form
    type checkers read in an installed library (nox -s typecheck checks that they do)."""
    tree = ast.parse(TYPES.read_text("utf-8"))
    (listed,) = [
        node.value
        for node in tree.body
        if isinstance(node, ast.Assign) and [ast.unparse(t) for t in node.targets] == ["__all__"]
    ]
    assert isinstance(listed, ast.List)
    names = [element.value for element in listed.elts if isinstance(element, ast.Constant)]
    imported = [
        alias.name
        for node in tree.body
        if isinstance(node, ast.ImportFrom) and node.module in ("_generated.models", "_generated.params")
        for alias in node.names
    ]
    assert names == sorted(imported)
    assert "ChatCompletionToolParam" in names


RUNTIME = ROOT / "codegen" / "runtime"
HEADER = "# generated from spec/openapi.yaml by nox -s generate — do not edit\n"


def test_the_runtime_modules_are_copied_as_they_are() -> None:
    sources = sorted(p.name for p in RUNTIME.glob("*.py") if p.name != "__init__.py")
    assert sources == ["_base.py", "_endpoint.py"]
    for name in sources:
        copied = (GENERATED / name).read_text("utf-8")
        assert copied == HEADER + (RUNTIME / name).read_text("utf-8"), name


def test_endpoints_import_the_runtime_classes_and_re_export_them() -> None:
    from completionkit._generated import _endpoint, endpoints

    tree = ast.parse((GENERATED / "endpoints.py").read_text("utf-8"))
    imported = {
        alias.name
        for node in tree.body
        if isinstance(node, ast.ImportFrom) and node.module == "_endpoint" and node.level == 1
        for alias in node.names
    }
    # BodyRule: spec/ gives createChatCompletion rules across fields (see spec/overlay.yaml).
    assert imported == {"BodyRule", "Endpoint", "NoParameters", "QueryParameter"}
    assert imported <= set(endpoints.__all__)
    assert not [node for node in tree.body if isinstance(node, ast.ClassDef) and node.name in imported]
    for name in imported:
        assert getattr(endpoints, name) is getattr(_endpoint, name)


def test_no_field_descriptions_in_the_generated_types() -> None:
    for name in ("models.py", "params.py"):
        source = (GENERATED / name).read_text("utf-8")
        assert "description=" not in source, name
        assert "Meta()" not in source, name
    # Class docstrings stay: they come from the schemas' own descriptions.
    from completionkit._generated import models

    assert models.ChatCompletionStreamOptions.__doc__ is not None
    assert "stream: true" in models.ChatCompletionStreamOptions.__doc__


# Where codegen may rewrite text with str.replace or the re module: each rewrites a name
# or a description of the spec, none reads generated source.
TEXT_EDITS = {
    ("document.py", "unescape"),  # a JSON pointer token
    ("naming.py", "_pascal"),  # a spec name into a class name
    ("overlay.py", "_name"),  # a JSON pointer's end, for a message
    ("overlay.py", "_first_sentence"),  # an action's why, for a message
    ("params.py", "_docstring"),  # a spec description into a docstring
    ("params.py", "exclusions_name"),  # a schema name into a constant's name
    ("stubs.py", "_snake"),  # an operationId into a variable name
    ("stubs.py", "_identifier"),  # a parameter's wire name into a field name
    ("stubs.py", "_parameter_struct"),  # a parameter's description into a docstring
}


def test_codegen_edits_no_generated_source_as_text() -> None:
    found: set[tuple[str, str]] = set()
    for path in sorted((ROOT / "codegen").rglob("*.py")):
        tree = ast.parse(path.read_text("utf-8"))
        assert not [
            node
            for node in ast.walk(tree)
            if isinstance(node, ast.ClassDef)
            and any(ast.unparse(base) in ("ast.NodeTransformer", "NodeTransformer") for base in node.bases)
        ], f"{path.name} rewrites a syntax tree"
        for function in ast.walk(tree):
            if not isinstance(function, ast.FunctionDef):
                continue
            for node in ast.walk(function):
                if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
                    continue
                on_re = isinstance(node.func.value, ast.Name) and node.func.value.id == "re"
                if node.func.attr == "replace" or on_re:
                    found.add((path.name, function.name))
    assert found == TEXT_EDITS
