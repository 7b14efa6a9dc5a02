"""The ``completionkit`` command line: a console script, in the ``cli`` extra (typer and rich).

Nothing here imports typer at import time: the console script is installed with the
package, extra or not, and without the extra it must say what to install instead of
failing with a traceback.  The app and what the commands share are in ``_common``; each
command module registers its commands on ``_common.app`` when imported, and ``main``
imports them all (``_COMMAND_MODULES``) before running the app.
"""

from __future__ import annotations

import importlib
import sys

__all__ = ["main"]

# The modules whose import registers commands on _common.app, in the order `--help` lists them.
_COMMAND_MODULES = ("_ask", "_chat", "_run", "_stored", "_export", "_serve", "_demo")
# What the cli extra brings (click: a dependency of the typer versions that carry no copy of it).
_EXTRA = frozenset({"typer", "rich", "click"})

MISSING_EXTRA = (
    "completionkit: the command line needs typer and rich, which the cli extra installs: "
    "pip install 'completionkit[cli]'"
)


def main() -> None:
    """The ``completionkit`` console script."""
    try:
        from ._common import app
    except ImportError as error:
        if (error.name or "").partition(".")[0] not in _EXTRA:
            raise
        print(MISSING_EXTRA, file=sys.stderr)
        raise SystemExit(2) from None
    for name in _COMMAND_MODULES:
        importlib.import_module(f".{name}", __name__)
    app(prog_name="completionkit")
