"""The progress bar of a bulk run, drawn by rich (the ``progress`` extra) on stderr."""

from __future__ import annotations

import importlib.util
import sys
from typing import Any

from .._exceptions import InvalidRequestError
from ._outcomes import BulkProgress, BulkSummary

__all__ = ["ProgressBar"]


class ProgressBar:
    """Done, failed, in flight, tokens, requests a second and time left, redrawn as
    answers come; a summary line at the end."""

    def __init__(self, total: int | None, console: Any = None) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

        self._console = console if console is not None else Console(stderr=True)
        # No redirection of sys.stdout or sys.stderr: those are the program's, not ours.
        self._progress = Progress(
            TextColumn("bulk"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[details]}"),
            TimeRemainingColumn(),
            console=self._console,
            redirect_stdout=False,
            redirect_stderr=False,
            transient=False,
        )
        self._task = self._progress.add_task("bulk", total=total, details="")
        self._progress.start()

    @classmethod
    def wanted(cls, wanted: bool | None, total: int | None) -> ProgressBar | None:
        """A bar when asked for (``progress=True``), or by default when stderr is a
        terminal and rich is installed; None otherwise."""
        if wanted is False:
            return None
        if importlib.util.find_spec("rich") is None:
            if wanted:
                raise InvalidRequestError(
                    "progress", "the progress bar needs rich: pip install 'completionkit[progress]'"
                ) from None
            return None
        if wanted is None and not sys.stderr.isatty():
            return None
        return cls(total)

    def update(self, progress: BulkProgress) -> None:
        self._progress.update(
            self._task,
            completed=progress.done + progress.skipped,
            details=describe(progress),
        )

    def close(self, summary: BulkSummary) -> None:
        self._progress.stop()
        self._console.print(summarise(summary))


def describe(progress: BulkProgress) -> str:
    """The bar's details: ``12 failed, 64 in flight, 1.2M tokens, 85.3/s``."""
    tokens = progress.prompt_tokens + progress.completion_tokens
    return (
        f"{progress.failed} failed, {progress.in_flight} in flight, {_count(tokens)} tokens, "
        f"{progress.requests_per_second:.1f}/s"
    )


def summarise(summary: BulkSummary) -> str:
    """The run in one line: counts by outcome and the usage."""
    parts = [f"{summary.succeeded} succeeded", f"{summary.failed} failed"]
    if summary.failures:
        parts[-1] += " (" + ", ".join(f"{n} {kind}" for kind, n in sorted(summary.failures.items())) + ")"
    if summary.skipped:
        parts.append(f"{summary.skipped} already in the journal")
    parts.append(f"{summary.retried} retried ({summary.rate_limited} rate-limited)")
    parts.append(
        f"{_count(summary.prompt_tokens)} prompt + {_count(summary.completion_tokens)} completion tokens"
    )
    parts.append(f"{summary.elapsed:.1f} s")
    text = "bulk: " + ", ".join(parts)
    if summary.stopped_by is not None:
        text += f"; stopped by {type(summary.stopped_by).__name__}: {summary.stopped_by.message}"
    return text


def _count(n: int) -> str:
    for size, unit in ((1_000_000_000, "G"), (1_000_000, "M"), (1_000, "k")):
        if n >= size:
            return f"{n / size:.1f}{unit}"
    return str(n)
