"""generated/ is exactly what `nox -s generate` makes from spec/, whatever the hash seed."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
GENERATED = ROOT / "generated"


def _generate(out: Path, *extra: str, seed: str = "0") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "codegen.generate", "--out", str(out), *extra],
        cwd=ROOT,
        env={**os.environ, "PYTHONHASHSEED": seed},
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.fixture(scope="module")
def fresh(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("generated")
    completed = _generate(out, seed="1")
    assert completed.returncode == 0, completed.stderr
    return out


def test_generated_files_are_the_committed_bytes(fresh: Path) -> None:
    names = sorted(p.name for p in fresh.iterdir())
    assert names == sorted(p.name for p in GENERATED.glob("*.py"))
    for name in names:
        assert (fresh / name).read_bytes() == (GENERATED / name).read_bytes(), name


@pytest.mark.parametrize("seed", ["0", "4242", "random"])
def test_the_committed_bytes_do_not_depend_on_the_hash_seed(seed: str) -> None:
    completed = _generate(GENERATED, "--check", seed=seed)
    assert completed.returncode == 0, completed.stderr


def test_every_generated_file_says_do_not_edit(fresh: Path) -> None:
    for path in fresh.iterdir():
        assert path.read_text("utf-8").startswith(
            "# generated from spec/openapi.yaml by nox -s generate — do not edit\n"
        ), path.name


def test_check_names_a_stale_file(fresh: Path, tmp_path: Path) -> None:
    for path in fresh.iterdir():
        (tmp_path / path.name).write_bytes(path.read_bytes())
    models = tmp_path / "models.py"
    models.write_text(models.read_text("utf-8") + "\n# a hand edit\n", encoding="utf-8")
    completed = _generate(tmp_path, "--check")
    assert completed.returncode == 1
    assert "stale" in completed.stderr
    assert "models.py" in completed.stderr


def test_check_names_a_stray_file(fresh: Path, tmp_path: Path) -> None:
    for path in fresh.iterdir():
        (tmp_path / path.name).write_bytes(path.read_bytes())
    (tmp_path / "extra.py").write_text("x = 1\n", encoding="utf-8")
    completed = _generate(tmp_path, "--check")
    assert completed.returncode == 1
    assert "stray" in completed.stderr
