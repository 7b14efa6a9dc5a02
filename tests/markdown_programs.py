"""The Python examples of the project's Markdown files, as programs: what `nox -s typecheck`
hands to mypy and pyright, and what tests/test_markdown_programs.py runs against the local
server.

Each file is one program: its ```python blocks taken as they stand, in order, and joined,
so a later example may use what an earlier one set up (``client``, ``messages``), as a
reader does.  Each file stands alone: a docs page sets up what its examples use.  A block
indented inside a list or a content tab counts too.  What is shown but not to be run is
fenced as something else (```sh, ```console, ```text, ```pycon); Python that is shown
highlighted but not run (the openai package's side of docs/guide/coming-from-openai.md)
is fenced ```py3, which is not one of the fences taken here.

Only the standard library here: noxfile.py loads this module in nox's own environment.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

__all__ = ["DOCS", "README", "ROOT", "markdown_files", "markdown_program", "program_name", "python_blocks"]

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
DOCS = ROOT / "docs"

_PYTHON = {"python", "py", "python3"}
_OPENING = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})[ \t]*\{?\.?(?P<language>[\w+-]*)")


def python_blocks(text: str, *, name: str = "<markdown>") -> list[tuple[int, str]]:
    """The ```python blocks of a Markdown text, in order: each one's first line number (from 1)
    and its code, unindented.  Raises ValueError for a fence that is never closed."""
    blocks: list[tuple[int, str]] = []
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        opening = _OPENING.match(lines[i])
        if opening is None:
            i += 1
            continue
        indent, fence = len(opening["indent"]), opening["fence"]
        start = i + 1
        end = start
        # A fence closes with the same character, at least as many, and nothing else on the line.
        while end < len(lines) and not _closes(lines[end], fence):
            end += 1
        if end == len(lines):
            raise ValueError(f"{name}:{i + 1}: a code fence ({fence}) that is never closed")
        if opening["language"].lower() in _PYTHON:
            code = "".join(_unindent(line, indent) + "\n" for line in lines[start:end])
            blocks.append((start + 1, code))
        i = end + 1
    return blocks


def _closes(line: str, fence: str) -> bool:
    stripped = line.strip()
    return len(stripped) >= len(fence) and set(stripped) == {fence[0]}


def _unindent(line: str, indent: int) -> str:
    """``line`` without the fence's indentation (a blank line may have less)."""
    spaces = len(line) - len(line.lstrip(" \t"))
    return line[min(indent, spaces) :]


def markdown_program(path: Path) -> str:
    """Every Python block of the Markdown file ``path``, joined into one module.

    Each block is preceded by a comment naming the file and the line it starts on, which
    is where to look when a checker or the interpreter reports an error in the program.
    Raises ValueError for a file that has no ```python block.
    """
    relative = _relative(path)
    blocks = python_blocks(path.read_text("utf-8"), name=relative)
    if not blocks:
        raise ValueError(f"{relative} has no ```python blocks")
    return "\n\n".join(
        f"# --- {relative}, example {n} (line {line}) ---\n{code}" for n, (line, code) in enumerate(blocks, 1)
    )


def markdown_files() -> list[Path]:
    """README.md and every page under docs/ that has Python examples, each a program."""
    pages = sorted(DOCS.rglob("*.md")) if DOCS.is_dir() else []
    return [README, *(page for page in pages if python_blocks(page.read_text("utf-8"), name=_relative(page)))]


def program_name(path: Path) -> str:
    """A module name for the program of ``path``, distinct for every file of the project:
    ``readme`` for README.md, ``docs_guide_structured_outputs`` for
    docs/guide/structured-outputs.md (mypy refuses two files of the same module name)."""
    parts = Path(_relative(path)).with_suffix("").parts
    return re.sub(r"\W", "_", "_".join(parts)).lower()


def _relative(path: Path) -> str:
    resolved = path.resolve()
    return resolved.relative_to(ROOT).as_posix() if resolved.is_relative_to(ROOT) else str(path)


if __name__ == "__main__":
    # python tests/markdown_programs.py docs/guide/tools.md: the program, as it is checked and run.
    print(markdown_program(Path(sys.argv[1]) if len(sys.argv) > 1 else README))
