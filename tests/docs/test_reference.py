"""The documentation site (`nox -s docs`): its API reference lists every public name, and
a broken link or cross-reference fails the build.

`nox -s docs` builds the site with `mkdocs build --strict` and hands it over in
COMPLETIONKIT_DOCS_SITE; run alone, these tests build it themselves.  Either way the
package documented is the one installed, as a user has it.
"""

from __future__ import annotations

import importlib
import os
import shutil
import subprocess
import sys
import zlib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PUBLIC_MODULES = ["completionkit", "completionkit.bulk", "completionkit.types", "completionkit.testing"]


def _build(config_dir: Path, site: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site)],
        cwd=config_dir,
        capture_output=True,
        text=True,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
        timeout=600,
        check=False,
    )


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    built = os.environ.get("COMPLETIONKIT_DOCS_SITE")
    if built:
        return Path(built)
    site = tmp_path_factory.mktemp("site")
    completed = _build(ROOT, site)
    assert completed.returncode == 0, completed.stderr
    return site


def _inventory(site: Path) -> dict[str, str]:
    """objects.inv, the index of the site's documented names (Sphinx's format, which
    mkdocstrings writes: four header lines, then zlib): each name's page and anchor."""
    header, _, compressed = site.joinpath("objects.inv").read_bytes().partition(b"zlib.\n")
    assert header.startswith(b"# Sphinx inventory version 2")
    entries: dict[str, str] = {}
    for line in zlib.decompress(compressed).decode("utf-8").splitlines():
        # name domain:role priority uri display-name; the uri's trailing $ stands for the name.
        name, _role, _priority, uri, *_ = line.split(" ")
        entries[name] = uri.replace("$", name) if uri.endswith("$") else uri
    return entries


@pytest.mark.parametrize("module", PUBLIC_MODULES)
def test_the_reference_documents_every_public_name_on_its_module_page(site: Path, module: str) -> None:
    inventory = _inventory(site)
    # reference/completionkit/, reference/types/, reference/testing/
    page = f"reference/{module.removeprefix('completionkit.')}/"
    public = importlib.import_module(module).__all__
    assert public
    missing = [name for name in public if f"{module}.{name}" not in inventory]
    assert not missing, f"{module}: no reference entry for {missing}"
    elsewhere = {
        name: inventory[f"{module}.{name}"]
        for name in public
        if not inventory[f"{module}.{name}"].startswith(f"{page}#")
    }
    assert not elsewhere, f"{module}: documented outside {page}: {elsewhere}"
    html = (site / page / "index.html").read_text("utf-8")
    unanchored = [name for name in public if f'id="{module}.{name}"' not in html]
    assert not unanchored, f"{module}: no heading on {page} for {unanchored}"


@pytest.mark.parametrize(
    "broken",
    [
        pytest.param("[a name that does not exist][completionkit.Nope]", id="cross-reference"),
        pytest.param("[a page that does not exist](nope.md)", id="link"),
    ],
)
def test_a_broken_reference_fails_the_build(site: Path, tmp_path: Path, broken: str) -> None:
    # `site` is the same sources built cleanly: what fails here is the one line added.
    shutil.copy(ROOT / "mkdocs.yml", tmp_path / "mkdocs.yml")
    shutil.copytree(ROOT / "docs", tmp_path / "docs")
    index = tmp_path / "docs" / "index.md"
    index.write_text(index.read_text("utf-8") + f"\n\nSee {broken}.\n", encoding="utf-8")
    assert _build(tmp_path, tmp_path / "site").returncode != 0
