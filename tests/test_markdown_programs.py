"""Every Python example of README.md and of the docs runs, as written, against the local
server: each file is one program (tests/markdown_programs.py), run in a fresh interpreter
with OPENAI_API_KEY and OPENAI_BASE_URL pointing at a fresh ``LocalServer``, warnings as
errors.  (Their types are checked by `nox -s typecheck`, from the same programs.)
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from completionkit.testing import LocalServer

from .markdown_programs import README, ROOT, markdown_files, markdown_program, program_name, python_blocks

API_KEY = "sk-local-examples"


def _run(page: Path, tmp_path: Path) -> tuple[subprocess.CompletedProcess[str], int]:
    """Run the program of ``page`` against a local server: how it ended, and how many
    requests the server had."""
    program = tmp_path / f"{program_name(page)}.py"
    program.write_text(markdown_program(page), encoding="utf-8")
    with LocalServer(api_key=API_KEY) as server:
        env = {**os.environ, "OPENAI_API_KEY": API_KEY, "OPENAI_BASE_URL": server.url}
        completed = subprocess.run(
            [sys.executable, "-W", "error", str(program)],
            capture_output=True,
            text=True,
            env=env,
            cwd=tmp_path,
            timeout=120,
            check=False,
        )
        return completed, len(server.requests)


def test_the_readme_examples_run_against_the_local_server(tmp_path: Path) -> None:
    completed, served = _run(README, tmp_path)
    assert completed.returncode == 0, completed.stderr
    assert served >= 10  # every example talked to the server


DOCS_PAGES = [page for page in markdown_files() if page != README]


@pytest.mark.parametrize("page", DOCS_PAGES, ids=[page.relative_to(ROOT).as_posix() for page in DOCS_PAGES])
def test_each_docs_page_runs_against_the_local_server(page: Path, tmp_path: Path) -> None:
    completed, _ = _run(page, tmp_path)
    assert completed.returncode == 0, completed.stderr


def test_a_program_is_its_python_blocks_in_order_with_where_they_stand(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text(
        "# A page\n"
        "```python\n"
        "a = 1\n"
        "```\n"
        "```sh\n"
        "pip install completionkit\n"
        "```\n"
        "- in a list:\n"
        "\n"
        '    ```python title="b.py"\n'
        "    if a:\n"
        "        b = a\n"
        "\n"
        "    ```\n"
        "````markdown\n"
        "```python\n"
        "not_code = True\n"
        "```\n"
        "````\n",
        encoding="utf-8",
    )
    program = markdown_program(page)
    assert program.splitlines() == [
        f"# --- {page}, example 1 (line 3) ---",
        "a = 1",
        "",
        "",
        f"# --- {page}, example 2 (line 11) ---",
        "if a:",
        "    b = a",
        "",
    ]
    namespace: dict[str, object] = {}
    exec(compile(program, str(page), "exec"), namespace)
    assert namespace["b"] == 1


def test_py3_fences_are_shown_not_run() -> None:
    # docs/guide/coming-from-openai.md shows the openai package's code this way: openai is
    # not installed, and the page's program must not import it.
    assert python_blocks('=== "openai"\n\n    ```py3\n    import openai\n    ```\n') == []


def test_a_fence_never_closed_is_an_error_naming_its_line() -> None:
    with pytest.raises(ValueError, match=r"page\.md:2: a code fence"):
        python_blocks("text\n```python\nx = 1\n", name="page.md")


def test_a_file_without_python_blocks_has_no_program(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text("```sh\nnox\n```\n", encoding="utf-8")
    with pytest.raises(ValueError, match="has no ```python blocks"):
        markdown_program(page)


def test_module_names_are_distinct_identifiers() -> None:
    names = [program_name(page) for page in markdown_files()]
    assert len(set(names)) == len(names)
    assert all(name.isidentifier() for name in names)
    assert program_name(ROOT / "docs" / "guide" / "structured-outputs.md") == "docs_guide_structured_outputs"
