"""``completionkit demo``: ``python -m completionkit demo``, as a command."""

from __future__ import annotations

import importlib

from ._common import app, fail

__all__ = ["demo"]


@app.command()
def demo() -> None:
    """Walk a conversation through every method against the embedded local server (no key, no network)."""
    try:
        importlib.import_module("completionkit.testing")  # the demo's server, which needs uvicorn
    except ImportError:
        fail("the demo runs the embedded server, which needs: pip install 'completionkit[testing]'")
    from ..__main__ import demo as run_demo

    run_demo()
