"""The README's Python examples as one program: what `nox -s typecheck` hands to mypy and
pyright, and what tests/test_readme.py runs against the local server.

The blocks are taken from README.md as they stand, in order, and joined: a later
example may use what an earlier one set up (``client``, ``messages``), as a reader does.
"""

from __future__ import annotations

import re
from pathlib import Path

__all__ = ["README", "python_blocks", "readme_program"]

README = Path(__file__).resolve().parent.parent / "README.md"
_BLOCK = re.compile(r"^```python\n(.*?)^```$", re.S | re.M)


def python_blocks(text: str) -> list[str]:
    """The ```python blocks of a Markdown text, in order."""
    return _BLOCK.findall(text)


def readme_program(readme: Path = README) -> str:
    """Every Python block of the README, joined into one module."""
    blocks = python_blocks(readme.read_text("utf-8"))
    if not blocks:
        raise ValueError(f"{readme} has no ```python blocks")
    return "\n\n".join(f"# --- README.md, example {i} ---\n{block}" for i, block in enumerate(blocks, 1))


if __name__ == "__main__":
    print(readme_program())
