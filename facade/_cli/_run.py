"""``completionkit run``: the bulk runner (``client.chat.completions.bulk``) over a file of requests."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from .._exceptions import BulkStoppedError
from ..bulk._progress import summarise
from ._common import (
    ApiKeyFileOption,
    BaseUrlOption,
    ProviderOption,
    ProvidersFileOption,
    app,
    open_client,
    progress_wanted,
    say,
)

__all__ = ["run"]


@app.command()
def run(
    requests: Annotated[
        Path,
        typer.Argument(
            help='The requests: JSONL in the shape of the Batch API\'s input, {"custom_id": ..., '
            '"body": {"model": ..., "messages": [...]}} a line.',
            exists=True,
            dir_okay=False,
            show_default=False,
        ),
    ],
    journal: Annotated[
        Path,
        typer.Option(
            "--journal",
            "-j",
            help="Where every answer is written (JSONL in the shape of the Batch API's output). "
            "Run again with the same journal, a run carries on where the last one stopped.",
            dir_okay=False,
            show_default=False,
        ),
    ],
    max_concurrency: Annotated[
        int, typer.Option("--max-concurrency", min=1, help="At most this many requests in flight.")
    ] = 64,
    max_attempts: Annotated[
        int,
        typer.Option(
            "--max-attempts", min=1, help="Tries of a request that meets a 429, a 5xx or a broken connection."
        ),
    ] = 5,
    share: Annotated[
        float,
        typer.Option(
            "--share",
            help="This process's share of the rate limits (above 0, at most 1), when a job is split "
            "across processes or machines.",
        ),
    ] = 1.0,
    retry_failed: Annotated[
        bool,
        typer.Option(
            "--retry-failed/--no-retry-failed",
            help="Send again the requests the journal holds a failure for (else only those it has "
            "no answer for).",
        ),
    ] = True,
    progress: Annotated[
        bool | None,
        typer.Option(
            "--progress/--no-progress",
            help="Draw a progress bar on stderr (default: when stderr is a terminal).",
            show_default=False,
        ),
    ] = None,
    base_url: BaseUrlOption = None,
    provider: ProviderOption = None,
    providers_file: ProvidersFileOption = None,
    api_key_file: ApiKeyFileOption = None,
) -> None:
    """Send every request of a JSONL file (a bulk run), each answer written to the journal.

    The requests go within the server's rate limits, a summary on stderr at the end. A
    request that fails (after its retries) is data: its error is in the journal, the
    summary counts it, and the exit code is still 0 (--retry-failed sends it again next
    run). A run stopped by an answer no retry fixes (insufficient_quota, 401, 403) exits 1;
    Ctrl-C stops sending, journals the answers in flight and exits 130.
    """
    bar = progress_wanted(progress)
    with open_client(base_url, provider, providers_file, api_key_file) as client:
        bulk = client.chat.completions.bulk(
            requests,
            journal=journal,
            max_concurrency=max_concurrency,
            max_attempts=max_attempts,
            retry_failed=retry_failed,
            share=share,
            progress=bar,
        )
        try:
            for _ in bulk:
                pass
        except (BulkStoppedError, KeyboardInterrupt):
            if not bar:
                say(summarise(bulk.summary))
            raise
        if not bar:  # the bar ends with the summary itself
            say(summarise(bulk.summary))
