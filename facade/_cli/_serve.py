"""``completionkit serve``: the local server, as ``python -m completionkit.testing`` runs it.

Its options are that command's own: ``serve`` hands them over unparsed, so that the two
commands cannot drift apart (``completionkit serve --help`` is that command's help).
"""

from __future__ import annotations

import typer

from ._common import app, fail

__all__ = ["serve"]


@app.command(
    context_settings={"allow_extra_args": True, "ignore_unknown_options": True, "help_option_names": []},
    add_help_option=False,
)
def serve(ctx: typer.Context) -> None:
    """Serve the local OpenAI-compatible server (the testing extra) until interrupted.

    --port N (0: a free one), --host, --api-key KEY, --db FILE (stored completions),
    --profile NAME (answer as a provider does), --requests-per-minute N,
    --tokens-per-minute N, --cassette FILE, --no-control. Its URL is the last word of the
    line it prints on stdout. Faults are injected over its control routes
    (completionkit.testing.ServerControl). See completionkit serve --help.
    """
    try:
        from ..testing.__main__ import main
    except ImportError:
        fail("the local server needs the testing extra: pip install 'completionkit[testing]'")
    main(list(ctx.args), prog="completionkit serve")
