"""mypy --strict and pyright strict reject every wrong use in wrong_usage.py, and only those."""

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

WRONG = Path(__file__).with_name("wrong_usage.py")


def _marked_lines() -> set[int]:
    lines = WRONG.read_text("utf-8").splitlines()
    return {number for number, line in enumerate(lines, 1) if re.search(r"#\s*error\b", line)}


def _search_paths(tmp_path: Path) -> list[str]:
    """Where else a type checker must look to find ``completionkit``.

    An installed package is found as it is. An editable install maps facade/ and
    generated/ with an import hook that static checkers cannot follow: then the same
    tree is laid out with links.
    """
    package = Path(completionkit.__file__).parent
    if (package / "_generated").is_dir():
        return []
    shim = tmp_path / "site" / "completionkit"
    if shim.exists():
        return [str(shim.parent)]
    shim.mkdir(parents=True)
    for entry in package.iterdir():
        (shim / entry.name).symlink_to(entry)
    (shim / "_generated").symlink_to(Path(completionkit._generated.__file__).parent)
    return [str(shim.parent)]


def test_the_file_marks_wrong_uses() -> None:
    assert len(_marked_lines()) == 28


def test_mypy_rejects_each_marked_line(tmp_path: Path) -> None:
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--strict",
            "--no-incremental",
            "--cache-dir",
            str(tmp_path),
            "--show-error-codes",
            "--no-error-summary",
            str(WRONG),
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=False,
        env={**os.environ, "MYPYPATH": os.pathsep.join(_search_paths(tmp_path))},
    )
    errors = re.findall(rf"^{re.escape(str(WRONG))}:(\d+): error:", completed.stdout, re.M)
    assert {int(line) for line in errors} == _marked_lines(), completed.stdout


def test_pyright_rejects_each_marked_line(tmp_path: Path) -> None:
    config = tmp_path / "pyrightconfig.json"
    settings = {"typeCheckingMode": "strict", "pythonVersion": "3.11", "extraPaths": _search_paths(tmp_path)}
    config.write_text(json.dumps(settings))
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
            str(WRONG),
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=False,
    )
    try:
        report = json.loads(completed.stdout)
    except json.JSONDecodeError:
        pytest.fail(f"pyright did not run: {completed.stdout}{completed.stderr}")
    errors = {
        d["range"]["start"]["line"] + 1 for d in report["generalDiagnostics"] if d["severity"] == "error"
    }
    assert errors == _marked_lines(), json.dumps(report["generalDiagnostics"], indent=1)


def _mypy(tmp_path: Path, source: str) -> str:
    path = tmp_path / "consumer.py"
    path.write_text(source, encoding="utf-8")
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--strict",
            "--no-incremental",
            "--cache-dir",
            str(tmp_path / "cache"),
            str(path),
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=False,
        env={**os.environ, "MYPYPATH": os.pathsep.join(_search_paths(tmp_path))},
    )
    return completed.stdout


def _pyright(tmp_path: Path, source: str) -> list[str]:
    path = tmp_path / "consumer.py"
    path.write_text(source, encoding="utf-8")
    config = tmp_path / "pyrightconfig.json"
    settings = {"typeCheckingMode": "strict", "pythonVersion": "3.11", "extraPaths": _search_paths(tmp_path)}
    config.write_text(json.dumps(settings))
    completed = subprocess.run(
        [sys.executable, "-m", "pyright", "--outputjson", "--project", str(config), str(path)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=False,
    )
    return [
        d["message"] for d in json.loads(completed.stdout)["generalDiagnostics"] if d["severity"] == "error"
    ]


@pytest.mark.parametrize(
    ("call", "keyword"),
    [
        ('max_tokens="10"', "max_tokens"),
        ("temprature=0.5", "temprature"),
        ('reasoning_effort="extreme"', "reasoning_effort"),
        ('model="m", stream="yes"', "stream"),
    ],
)
def test_both_checkers_name_a_mistyped_or_misspelt_keyword(tmp_path: Path, call: str, keyword: str) -> None:
    model = "" if "model=" in call else 'model="gpt-4o-mini", '
    source = (
        "from completionkit import OpenAI\n\n"
        "def use(client: OpenAI) -> None:\n"
        f'    client.chat.completions.create([{{"role": "user", "content": "Hi"}}], {model}{call})\n'
    )
    mypy = _mypy(tmp_path, source)
    errors = [line for line in mypy.splitlines() if ": error:" in line]
    assert errors, mypy
    assert all(keyword in line for line in errors), mypy
    assert len(mypy.splitlines()) < 30, mypy
    pyright = _pyright(tmp_path, source)
    assert pyright, source
    assert all(keyword in message for message in pyright), pyright
