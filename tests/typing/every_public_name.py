"""Consumer programs that import every public name of the installed ``completionkit``, for
`nox -s typecheck` to check as a user's code.

    python tests/typing/every_public_name.py OUT_DIR

Run with the python of the environment the wheel is installed in: it writes one program
into OUT_DIR for each public module (``completionkit`` and every module below it whose
dotted name has no part with a leading underscore: ``completionkit.types``,
``completionkit.testing``, and any added later), which imports every name of the module's
``__all__`` and uses each.  A type checker that takes a name for a private import
(pyright's reportPrivateImportUsage, mypy's attr-defined "does not explicitly export")
fails on it.
"""

from __future__ import annotations

import importlib
import pkgutil
import sys
from pathlib import Path

import completionkit

__all__ = ["main", "program", "public_modules"]


def public_modules() -> list[str]:
    """The dotted names of the package's public modules, sorted."""
    found = [
        info.name
        for info in pkgutil.walk_packages(completionkit.__path__, f"{completionkit.__name__}.")
        if not any(part.startswith("_") for part in info.name.split("."))
    ]
    return sorted([completionkit.__name__, *found])


def program(module_name: str) -> str:
    """A module that imports every name of ``module_name.__all__`` and uses each."""
    names = getattr(importlib.import_module(module_name), "__all__", None)
    if not names:
        raise ValueError(f"{module_name} is a public module without an __all__ to say what it exports")
    return "\n".join(
        [
            f'"""Every name of {module_name}.__all__, imported and used (by every_public_name.py)."""',
            "",
            f"from {module_name} import (",
            *(f"    {name}," for name in names),
            ")",
            "",
            "EVERY_NAME: tuple[object, ...] = (",
            *(f"    {name}," for name in names),
            ")",
            "",
        ]
    )


def main(out: Path) -> None:
    for module_name in public_modules():
        path = out / f"every_name_of_{module_name.replace('.', '_')}.py"
        path.write_text(program(module_name), "utf-8")
        print(path)


if __name__ == "__main__":
    main(Path(sys.argv[1]))
