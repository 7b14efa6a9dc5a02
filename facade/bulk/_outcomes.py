"""What a bulk run takes and gives: the request lines (the shape of OpenAI's Batch API
input), each request's outcome, the progress as it goes and the summary at the end."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any, Generic, Literal, NotRequired, Required, TypedDict

from .._exceptions import OpenAIError
from .._results import ChatCompletionResult, P

__all__ = ["BulkOutcome", "BulkProgress", "BulkRequest", "BulkSummary"]


class BulkRequest(TypedDict):
    """One request of a bulk run: a line of OpenAI's Batch API input file.

        {"custom_id": "row-1", "body": {"model": "gpt-4o-mini", "messages": [...]}}

    ``body`` holds what ``create`` takes, the messages included (``messages=``);
    ``method`` and ``url``, when given, must be the Batch API's for chat completions."""

    custom_id: Required[str]
    """Names the request in its outcome and in the journal: unique within a run."""
    body: Required[Mapping[str, Any]]
    """``create``'s parameters, ``model`` and ``messages`` included."""
    method: NotRequired[Literal["POST"]]
    url: NotRequired[Literal["/v1/chat/completions"]]


@dataclasses.dataclass(frozen=True, slots=True)
class BulkOutcome(Generic[P]):
    """How one request of a bulk run ended: its ``result``, or the ``error`` that kept it
    from one (exactly one of the two is set)."""

    custom_id: str
    """The request's ``custom_id``."""
    result: ChatCompletionResult[P] | None
    """The completion, as ``create`` returns it (``parsed`` with ``response_format=``)."""
    error: OpenAIError | None
    """Why there is no result: the typed error ``create`` would have raised."""

    @property
    def success(self) -> bool:
        """Whether there is a result."""
        return self.error is None


@dataclasses.dataclass(frozen=True, slots=True)
class BulkProgress:
    """Where a bulk run stands, as ``on_progress`` is told (and the progress bar shows)."""

    done: int
    """Requests answered in this run (successes and failures)."""
    failed: int
    """Of those, how many failed."""
    in_flight: int
    """Requests sent and not answered yet."""
    skipped: int
    """Requests the journal already had an answer for: not sent."""
    total: int | None
    """How many requests the input has, when known before the run (a list, a file)."""
    prompt_tokens: int
    completion_tokens: int
    elapsed: float
    """Seconds since the run began."""

    @property
    def requests_per_second(self) -> float:
        """Answers a second, so far."""
        return self.done / self.elapsed if self.elapsed > 0 else 0.0

    @property
    def remaining(self) -> float | None:
        """Seconds left at the rate so far; None when the total is not known (or nothing is done)."""
        if self.total is None or self.done == 0:
            return None
        left = self.total - self.skipped - self.done
        return max(left, 0) / self.requests_per_second


@dataclasses.dataclass(frozen=True, slots=True)
class BulkSummary:
    """A bulk run, once over: ``run.summary``."""

    succeeded: int
    failed: int
    """Requests whose outcome is an error (not counting those retried to a success)."""
    skipped: int
    """Requests the journal already had an answer for."""
    retried: int
    """How many times a request was sent again (a 429, a 5xx, a broken connection)."""
    rate_limited: int
    """How many 429 answers the run met."""
    prompt_tokens: int
    completion_tokens: int
    elapsed: float
    """Seconds the run took."""
    stopped_by: OpenAIError | None = dataclasses.field(compare=False)
    """The error that stopped the run before its end (``insufficient_quota``, 401, 403),
    or None.  (Left out of ``==``: errors compare by identity.)"""
    failures: Mapping[str, int] = dataclasses.field(default_factory=dict[str, int])
    """The failed requests counted by kind (``"BadRequestError"``, ...)."""

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens
