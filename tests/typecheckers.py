"""Running mypy --strict and pyright strict on consumer code, as the tests that check
typing do: on files in a temporary folder, finding ``completionkit`` as a user's checker
would."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

import completionkit
import completionkit._generated

__all__ = ["Errors", "marked_lines", "mypy", "pyright", "search_paths"]

Errors = tuple[dict[Path, set[int]], str]
"""The lines with an error in each file checked, and the checker's output."""


def search_paths(tmp_path: Path) -> list[str]:
    """Where a type checker must look to find ``completionkit``: the package laid out
    again with links. An editable install maps facade/ and generated/ with an import hook
    that static checkers cannot follow; and checked by path inside site-packages, mypy
    would take site-packages for the project and stop at its first shadowing module."""
    shim = tmp_path / "site" / "completionkit"
    if shim.exists():
        return [str(shim.parent)]
    shim.mkdir(parents=True)
    package = Path(completionkit.__file__).parent
    for entry in package.iterdir():
        (shim / entry.name).symlink_to(entry)
    if not (shim / "_generated").exists():
        (shim / "_generated").symlink_to(Path(completionkit._generated.__file__).parent)
    return [str(shim.parent)]


def marked_lines(source: str) -> set[int]:
    """The lines of ``source`` marked ``# error``: those a checker must reject."""
    return {number for number, line in enumerate(source.splitlines(), 1) if re.search(r"#\s*error\b", line)}


def _by_file(files: list[Path], found: list[tuple[str, int]], output: str, cwd: Path) -> Errors:
    errors: dict[Path, set[int]] = {path.resolve(): set() for path in files}
    for file, line in found:
        errors.setdefault((cwd / file).resolve(), set()).add(line)
    return {path: errors[path.resolve()] for path in files}, output


def mypy(files: list[Path], cwd: Path, paths: list[str] | None = None) -> Errors:
    """mypy --strict on ``files``, finding packages in ``paths`` (by default the laid-out
    ``completionkit``); errors in the modules they import are not theirs."""
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--strict",
            "--no-incremental",
            "--cache-dir",
            str(cwd / ".mypy_cache"),
            "--show-error-codes",
            "--no-error-summary",
            *map(str, files),
        ],
        capture_output=True,
        text=True,
        cwd=cwd,
        check=False,
        env={**os.environ, "MYPYPATH": os.pathsep.join(search_paths(cwd) if paths is None else paths)},
    )
    if completed.returncode not in (0, 1):
        pytest.fail(f"mypy did not run: {completed.stdout}{completed.stderr}")
    found = [(file, int(line)) for file, line in re.findall(r"^(.+?):(\d+): error:", completed.stdout, re.M)]
    return _by_file(files, found, completed.stdout, cwd)


def pyright(files: list[Path], cwd: Path, paths: list[str] | None = None) -> Errors:
    """pyright strict on ``files``, as ``mypy``; the output is the JSON list of its errors."""
    config = cwd / "pyrightconfig.json"
    extra = search_paths(cwd) if paths is None else paths
    settings = {"typeCheckingMode": "strict", "pythonVersion": "3.11", "extraPaths": extra}
    config.write_text(json.dumps(settings), "utf-8")
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "pyright",
            "--outputjson",
            "--project",
            str(config),
            "--pythonpath",
            sys.executable,
        ]
        + [str(path) for path in files],
        capture_output=True,
        text=True,
        cwd=cwd,
        check=False,
    )
    try:
        diagnostics = json.loads(completed.stdout)["generalDiagnostics"]
    except (json.JSONDecodeError, KeyError):
        pytest.fail(f"pyright did not run: {completed.stdout}{completed.stderr}")
    errors = [d for d in diagnostics if d["severity"] == "error"]
    found = [(d["file"], d["range"]["start"]["line"] + 1) for d in errors]
    return _by_file(files, found, json.dumps(errors, indent=1), cwd)
