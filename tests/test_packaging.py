"""What `python -m build` makes (as `nox -s package` does): a wheel that installs one import
package, typed, with two dependencies; and an sdist that holds what builds that wheel and
nothing else, and that installs and runs."""

from __future__ import annotations

import configparser
import subprocess
import sys
import tarfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from email.message import Message
from email.parser import Parser
from pathlib import Path

import pytest

import completionkit

ROOT = Path(__file__).resolve().parents[1]
# The two folders that make the import package (pyproject.toml's package-dir).
SOURCES = ("facade", "generated")


@dataclass(frozen=True)
class Artifacts:
    sdist: Path
    wheel: zipfile.ZipFile


def _run(*command: str, cwd: Path | None = None) -> str:
    """Run ``command``; its output, or a failure that shows it."""
    completed = subprocess.run(command, cwd=cwd, capture_output=True, text=True, check=False)
    assert completed.returncode == 0, f"{command}: {completed.stdout}{completed.stderr}"
    return completed.stdout


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Artifacts]:
    """The sdist, and the wheel `python -m build` makes from it (not from the checkout)."""
    out = tmp_path_factory.mktemp("dist")
    _run(sys.executable, "-m", "build", "--outdir", str(out), str(ROOT))
    (sdist,) = out.glob("completionkit-*.tar.gz")
    (wheel,) = out.glob("completionkit-*.whl")
    with zipfile.ZipFile(wheel) as opened:
        yield Artifacts(sdist, opened)


def test_wheel_holds_one_import_package(built: Artifacts) -> None:
    tops = {name.split("/")[0] for name in built.wheel.namelist()}
    assert tops == {"completionkit", f"completionkit-{completionkit.__version__}.dist-info"}


def test_generated_code_installs_under_the_package(built: Artifacts) -> None:
    names = set(built.wheel.namelist())
    assert {
        "completionkit/__init__.py",
        "completionkit/py.typed",
        "completionkit/types.py",
        "completionkit/testing/__init__.py",
        "completionkit/_generated/__init__.py",
        "completionkit/_generated/models.py",
        "completionkit/_generated/endpoints.py",
    } <= names
    assert not any(n.startswith(("facade/", "generated/", "codegen/", "tests/")) for n in names)


def test_the_wheel_registers_the_pytest_plugin(built: Artifacts) -> None:
    (name,) = [n for n in built.wheel.namelist() if n.endswith(".dist-info/entry_points.txt")]
    entry_points = configparser.ConfigParser()
    entry_points.read_string(built.wheel.read(name).decode())
    assert dict(entry_points["pytest11"]) == {"completionkit": "completionkit._pytest_plugin"}
    assert "completionkit/_pytest_plugin.py" in built.wheel.namelist()


def test_the_wheel_installs_the_console_script(built: Artifacts) -> None:
    (name,) = [n for n in built.wheel.namelist() if n.endswith(".dist-info/entry_points.txt")]
    entry_points = configparser.ConfigParser()
    entry_points.read_string(built.wheel.read(name).decode())
    assert dict(entry_points["console_scripts"]) == {"completionkit": "completionkit._cli:main"}
    assert "completionkit/_cli/__init__.py" in built.wheel.namelist()


def _metadata(wheel: zipfile.ZipFile) -> Message:
    (name,) = [n for n in wheel.namelist() if n.endswith(".dist-info/METADATA")]
    return Parser().parsestr(wheel.read(name).decode())


def test_runtime_dependencies_are_httpx2_and_msgspec(built: Artifacts) -> None:
    metadata = _metadata(built.wheel)
    requires = [r for r in metadata.get_all("Requires-Dist") or [] if "extra ==" not in r]
    assert sorted(r.split(">")[0].split("=")[0].strip() for r in requires) == ["httpx2", "msgspec"]


def test_the_wheel_carries_the_mit_license(built: Artifacts) -> None:
    metadata = _metadata(built.wheel)
    assert metadata["License-Expression"] == "MIT"
    assert metadata.get_all("License-File") == ["LICENSE"]
    dist_info = f"completionkit-{completionkit.__version__}.dist-info"
    assert built.wheel.read(f"{dist_info}/licenses/LICENSE") == (ROOT / "LICENSE").read_bytes()
    assert b"MIT License" in (ROOT / "LICENSE").read_bytes()


def test_the_sdist_holds_what_builds_the_wheel_and_nothing_else(built: Artifacts) -> None:
    top = f"completionkit-{completionkit.__version__}"
    with tarfile.open(built.sdist) as sdist:
        files = {member.name.removeprefix(f"{top}/") for member in sdist.getmembers() if member.isfile()}
    assert {name.split("/")[0] for name in files} == {
        # what the build reads
        "pyproject.toml",
        "README.md",
        "LICENSE",
        "MANIFEST.in",
        *SOURCES,
        # what setuptools writes into every sdist
        "PKG-INFO",
        "setup.cfg",
        "completionkit.egg-info",
    }
    # Every module of the two folders and the py.typed marker: the package's files.
    sources = {
        path.relative_to(ROOT).as_posix()
        for folder in SOURCES
        for path in (ROOT / folder).rglob("*")
        if (path.suffix == ".py" or path.name == "py.typed") and "__pycache__" not in path.parts
    }
    assert {name for name in files if name.startswith(tuple(f"{f}/" for f in SOURCES))} == sources


def test_the_sdist_installs_in_a_fresh_environment_and_runs_the_demo(
    built: Artifacts, tmp_path: Path
) -> None:
    venv = tmp_path / "venv"
    _run(sys.executable, "-m", "venv", str(venv))
    python = str(venv / ("Scripts" if sys.platform == "win32" else "bin") / "python")
    _run(python, "-m", "pip", "install", "--quiet", f"{built.sdist}[testing]")
    # From a folder outside the checkout: nothing but the installed copy to import.
    installed = _run(python, "-c", "import completionkit; print(completionkit.__file__)", cwd=tmp_path)
    assert Path(installed.strip()).is_relative_to(venv)
    demo = _run(python, "-m", "completionkit", "demo", cwd=tmp_path)
    assert "completionkit demo: a local OpenAI-compatible server" in demo
    assert demo.rstrip().endswith("Done.")
    # The console script is installed without the cli extra too: it says what to install.
    script = str(venv / ("Scripts" if sys.platform == "win32" else "bin") / "completionkit")
    without_cli = subprocess.run(
        [script, "--help"], cwd=tmp_path, capture_output=True, text=True, check=False
    )
    assert without_cli.returncode == 2
    assert "pip install 'completionkit[cli]'" in without_cli.stderr
    assert "Traceback" not in without_cli.stderr
