"""What `pip install .` puts in site-packages: one import package, typed, two dependencies."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from email.parser import Parser
from pathlib import Path

import pytest

import completionkit

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> zipfile.ZipFile:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "--wheel-dir", str(out), str(ROOT)],
        check=True,
    )
    (built,) = out.glob("completionkit-*.whl")
    return zipfile.ZipFile(built)


def test_wheel_holds_one_import_package(wheel: zipfile.ZipFile) -> None:
    tops = {name.split("/")[0] for name in wheel.namelist()}
    assert tops == {"completionkit", f"completionkit-{completionkit.__version__}.dist-info"}


def test_generated_code_installs_under_the_package(wheel: zipfile.ZipFile) -> None:
    names = set(wheel.namelist())
    assert {
        "completionkit/__init__.py",
        "completionkit/py.typed",
        "completionkit/_generated/__init__.py",
        "completionkit/_generated/models.py",
        "completionkit/_generated/endpoints.py",
    } <= names
    assert not any(n.startswith(("facade/", "generated/", "codegen/", "tests/")) for n in names)


def test_runtime_dependencies_are_httpx2_and_msgspec(wheel: zipfile.ZipFile) -> None:
    (metadata_name,) = [n for n in wheel.namelist() if n.endswith(".dist-info/METADATA")]
    metadata = Parser().parsestr(wheel.read(metadata_name).decode())
    requires = [r for r in metadata.get_all("Requires-Dist") or [] if "extra ==" not in r]
    assert sorted(r.split(">")[0].split("=")[0].strip() for r in requires) == ["httpx2", "msgspec"]
