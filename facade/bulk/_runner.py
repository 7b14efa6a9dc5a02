"""The bulk runner: one asyncio engine under both clients.

``AsyncOpenAI`` iterates the engine in its own loop; ``OpenAI`` runs it in a loop of its
own, in a thread of its own, and hands each outcome over through a bounded queue: the
sync client has no other way to keep hundreds of requests in flight, and the engine, its
journal, its budget and its retries stay one piece of code.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import queue
import threading
import time
import typing
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Iterator, Mapping
from typing import Any, Generic, NamedTuple

from .._async_client import AsyncCaller
from .._client import Caller
from .._config import check_flag
from .._connections import AsyncConnections
from .._exceptions import APIStatusError, BulkStoppedError, InvalidRequestError, OpenAIError, RateLimitError
from .._operations import prepare_create
from .._results import ChatCompletionResult, P
from ._budget import Budget, classify, estimate_tokens
from ._input import Line, Source, checked_count, request_lines
from ._journal import Journal
from ._outcomes import BulkOutcome, BulkProgress, BulkSummary

__all__ = ["AsyncBulkRun", "BulkRun", "BulkSettings"]

OnProgress = Callable[[BulkProgress], object]


class BulkSettings(NamedTuple):
    """How a bulk run goes: ``bulk()``'s keywords, checked."""

    journal: str | os.PathLike[str] | None
    response_format: type[Any] | None
    max_concurrency: int
    max_attempts: int
    retry_failed: bool
    share: float
    progress: bool | None
    on_progress: OnProgress | None
    grace: float

    @classmethod
    def checked(
        cls,
        *,
        journal: object,
        response_format: object,
        max_concurrency: object,
        max_attempts: object,
        retry_failed: object,
        share: object,
        progress: object,
        on_progress: object,
        grace: object,
    ) -> BulkSettings:
        if journal is not None and not isinstance(journal, str | os.PathLike):
            raise InvalidRequestError("journal", f"expected a path, got {type(journal).__name__}")
        for name, value in (("max_concurrency", max_concurrency), ("max_attempts", max_attempts)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise InvalidRequestError(name, f"expected an integer >= 1, got {value!r}")
        if isinstance(share, bool) or not isinstance(share, int | float) or not 0 < share <= 1:
            raise InvalidRequestError("share", f"expected a number above 0 and at most 1, got {share!r}")
        if isinstance(grace, bool) or not isinstance(grace, int | float) or not 0 <= grace <= 3600:
            raise InvalidRequestError("grace", f"expected seconds from 0 to 3600, got {grace!r}")
        if progress is not None:
            check_flag("progress", progress)
        if on_progress is not None and not callable(on_progress):
            raise InvalidRequestError("on_progress", f"expected a function, got {type(on_progress).__name__}")
        return cls(
            journal=typing.cast("str | os.PathLike[str] | None", journal),
            # A type, or one of the API's formats: checked by create's own checks, line by line.
            response_format=typing.cast("type[Any] | None", response_format),
            max_concurrency=typing.cast("int", max_concurrency),
            max_attempts=typing.cast("int", max_attempts),
            retry_failed=check_flag("retry_failed", retry_failed),
            share=float(share),
            progress=typing.cast("bool | None", progress),
            on_progress=typing.cast("OnProgress | None", on_progress),
            grace=float(grace),
        )


class _Tally:
    """The counts a run keeps: what progress shows and the summary says."""

    def __init__(self, total: int | None) -> None:
        self.started = time.monotonic()
        self.total = total
        self.done = self.failed = self.skipped = self.in_flight = 0
        self.retried = self.rate_limited = 0
        self.prompt_tokens = self.completion_tokens = 0
        self.failures: dict[str, int] = {}
        self.stopped_by: OpenAIError | None = None

    def answered(self, outcome: BulkOutcome[Any]) -> None:
        self.done += 1
        if outcome.error is not None:
            self.failed += 1
            kind = type(outcome.error).__name__
            self.failures[kind] = self.failures.get(kind, 0) + 1
        elif outcome.result is not None and outcome.result.usage is not None:
            self.prompt_tokens += outcome.result.usage.prompt_tokens
            self.completion_tokens += outcome.result.usage.completion_tokens

    def progress(self) -> BulkProgress:
        return BulkProgress(
            done=self.done,
            failed=self.failed,
            in_flight=self.in_flight,
            skipped=self.skipped,
            total=self.total,
            prompt_tokens=self.prompt_tokens,
            completion_tokens=self.completion_tokens,
            elapsed=time.monotonic() - self.started,
        )

    def summary(self) -> BulkSummary:
        return BulkSummary(
            succeeded=self.done - self.failed,
            failed=self.failed,
            skipped=self.skipped,
            retried=self.retried,
            rate_limited=self.rate_limited,
            prompt_tokens=self.prompt_tokens,
            completion_tokens=self.completion_tokens,
            elapsed=time.monotonic() - self.started,
            stopped_by=self.stopped_by,
            failures=dict(self.failures),
        )


_END = object()


class _Failed(NamedTuple):
    """The run cannot go on: ``error`` is raised to the caller."""

    error: Exception


class _Engine:
    """One run: reads the requests lazily, sends them within the budget, retries what may
    pass later, journals every answer, and queues the outcomes for the caller."""

    def __init__(self, caller: AsyncCaller, source: Source, settings: BulkSettings) -> None:
        self.caller = caller
        self.source = source
        self.settings = settings
        self.tally = _Tally(None)
        # Bounded: a caller who reads slowly holds up the run instead of its memory growing.
        self.outcomes: asyncio.Queue[object] = asyncio.Queue(maxsize=max(16, 2 * settings.max_concurrency))
        self.tasks: set[asyncio.Task[None]] = set()
        self.stopping = False
        self.journal: Journal | None = None
        self.producer: asyncio.Task[None] | None = None
        self.bar: Any = None

    # --- what the caller iterates ---------------------------------------------------

    async def run(self) -> AsyncGenerator[BulkOutcome[Any]]:
        settings = self.settings
        self.tally = _Tally(checked_count(self.source, self._check_body))
        if settings.journal is not None:
            self.journal = Journal.open(settings.journal, retry_failed=settings.retry_failed)
        self.budget = Budget(max_concurrency=settings.max_concurrency, share=settings.share)
        # The budget counts the requests on the wire; this, the requests whose outcome is
        # not queued yet: a caller who reads slowly must not leave ever more answered
        # requests waiting to queue theirs (nor the memory they hold).
        self.alive = asyncio.Semaphore(settings.max_concurrency)
        self.bar = _progress_bar(settings.progress, self.tally)
        self.producer = asyncio.create_task(self._produce())
        try:
            while True:
                item = await self.outcomes.get()
                if item is _END:
                    break
                if isinstance(item, _Failed):
                    raise item.error
                yield item  # type: ignore[misc]
        finally:
            await self._finish()
        if self.tally.stopped_by is not None:
            raise BulkStoppedError(self.tally.stopped_by, self.tally.summary())

    async def _finish(self) -> None:
        """Stop sending; give the answers in flight ``grace`` seconds to come and be
        journalled (Ctrl-C, a caller that stops iterating), then close the journal."""
        self.stopping = True
        if self.producer is not None and not self.producer.done():
            self.producer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.producer
        # Outcomes nobody will read now: taken out, so that no answer in flight is held
        # up on a full queue (each is journalled before it is queued).
        while not self.outcomes.empty():
            self.outcomes.get_nowait()
        if self.tasks:
            _, pending = await asyncio.wait(set(self.tasks), timeout=self.settings.grace)
            for task in pending:
                task.cancel()
            if pending:
                await asyncio.wait(pending)
        if self.journal is not None:
            self.journal.close()
        if self.bar is not None:
            self.bar.close(self.tally.summary())

    # --- sending ------------------------------------------------------------------------

    def _check_body(self, body: Mapping[str, Any]) -> object:
        return self._prepare(body)

    def _prepare(self, body: Mapping[str, Any]) -> Any:
        params = {key: value for key, value in body.items() if key != "messages"}
        if self.settings.response_format is not None and "response_format" not in params:
            params["response_format"] = self.settings.response_format
        params["max_retries"] = 0  # the run retries, within its budget
        return prepare_create(self.caller.config, body.get("messages"), None, params, method="bulk")

    async def _produce(self) -> None:
        answered = self.journal.answered if self.journal is not None else set[str]()
        try:
            for line in request_lines(self.source):
                if self.stopping:
                    break
                if line.custom_id in answered:
                    self.tally.skipped += 1
                    continue
                tokens = estimate_tokens(line.body)
                await self.alive.acquire()
                await self.budget.acquire(tokens)
                if self.stopping:
                    self.budget.release(tokens, headers=None, used_tokens=0)
                    self.alive.release()
                    break
                self.tally.in_flight += 1
                task = asyncio.create_task(self._send(line, tokens))
                self.tasks.add(task)
                task.add_done_callback(self.tasks.discard)
            if self.tasks:
                await asyncio.wait(set(self.tasks))
        except Exception as error:  # a bad line of a lazy input, met on the way: the caller's to see
            await self.outcomes.put(_Failed(error))
        else:
            await self.outcomes.put(_END)

    async def _send(self, line: Line, tokens: int) -> None:
        try:
            await self._answer(line, tokens)
        except Exception as error:  # a fault of ours or of a callback: the run cannot go on
            self.stopping = True
            await self.outcomes.put(_Failed(error))
        finally:
            self.alive.release()

    async def _answer(self, line: Line, tokens: int) -> None:
        attempt = 1
        while True:
            try:
                result: ChatCompletionResult[Any] = await self.caller.complete(self._prepare(line.body))
            except OpenAIError as error:
                headers = error.headers if isinstance(error, APIStatusError) else None
                verdict = classify(error)
                if isinstance(error, RateLimitError) and verdict == "retry":
                    self.tally.rate_limited += 1
                    self.budget.rate_limited(headers)
                # A 429 costs no tokens: give the estimate back.  Other errors keep it,
                # as a server may count a request it refused.
                used = 0 if isinstance(error, RateLimitError) else None
                self.budget.release(tokens, headers=headers, used_tokens=used)
                if verdict == "retry" and attempt < self.settings.max_attempts and not self.stopping:
                    attempt += 1
                    self.tally.retried += 1
                    await self.budget.acquire(tokens)
                    continue
                if verdict == "stop":
                    if self.tally.stopped_by is None:
                        self.tally.stopped_by = error
                    self.stopping = True  # not journalled: a rerun sends it again
                    self.tally.in_flight -= 1
                    return
                outcome: BulkOutcome[Any] = BulkOutcome(line.custom_id, None, error)
            else:
                usage = result.usage
                self.budget.release(
                    tokens, headers=result.headers, used_tokens=usage.total_tokens if usage else None
                )
                outcome = BulkOutcome(line.custom_id, result, None)
            self.tally.in_flight -= 1
            self._answered(outcome)
            await self.outcomes.put(outcome)
            return

    def _answered(self, outcome: BulkOutcome[Any]) -> None:
        if self.journal is not None:
            self.journal.write(outcome)
        self.tally.answered(outcome)
        if self.settings.on_progress is not None or self.bar is not None:
            progress = self.tally.progress()
            if self.settings.on_progress is not None:
                self.settings.on_progress(progress)
            if self.bar is not None:
                self.bar.update(progress)


def _progress_bar(wanted: bool | None, tally: _Tally) -> Any:
    """The progress bar on the terminal: when asked for, or (None) when stderr is a
    terminal and rich is installed."""
    from ._progress import ProgressBar

    return ProgressBar.wanted(wanted, tally.total)


class AsyncBulkRun(Generic[P]):
    """A bulk run of ``AsyncOpenAI``: ``async for outcome in run``; then ``run.summary``.

    Nothing is sent before the iteration begins; a finite input is checked whole first."""

    def __init__(self, caller: AsyncCaller, source: Source, settings: BulkSettings) -> None:
        self._engine = _Engine(caller, source, settings)
        self._started = False

    def __aiter__(self) -> AsyncIterator[BulkOutcome[P]]:
        if self._started:
            raise RuntimeError("a bulk run is iterated once; call bulk() again (with its journal) to resume")
        self._started = True
        return self._engine.run()

    @property
    def summary(self) -> BulkSummary:
        """The run's counts so far, and at its end."""
        return self._engine.tally.summary()


class BulkRun(Generic[P]):
    """A bulk run of ``OpenAI``: ``for outcome in run``; then ``run.summary``.

    The requests go from an event loop in a thread of the run's own; the outcomes come
    back here as they complete.  Ctrl-C stops sending, waits up to ``grace`` seconds for
    the answers in flight, journals them and raises ``KeyboardInterrupt``."""

    def __init__(self, caller: Caller, source: Source, settings: BulkSettings) -> None:
        self._config = caller.config
        self._source = source
        self._settings = settings
        self._engine: _Engine | None = None
        self._started = False

    def __iter__(self) -> Iterator[BulkOutcome[P]]:
        if self._started:
            raise RuntimeError("a bulk run is iterated once; call bulk() again (with its journal) to resume")
        self._started = True
        return self._outcomes()

    @property
    def summary(self) -> BulkSummary:
        """The run's counts so far, and at its end."""
        return self._engine.tally.summary() if self._engine is not None else _Tally(None).summary()

    def _outcomes(self) -> Iterator[BulkOutcome[P]]:
        handed: queue.Queue[tuple[str, object]] = queue.Queue(
            maxsize=max(16, 2 * self._settings.max_concurrency)
        )
        ready = threading.Event()
        running: list[tuple[asyncio.AbstractEventLoop, asyncio.Task[Any]]] = []

        async def pump() -> None:
            connections = AsyncConnections(None)
            self._engine = _Engine(AsyncCaller(self._config, connections), self._source, self._settings)
            task = asyncio.current_task()
            assert task is not None
            running.append((asyncio.get_running_loop(), task))
            ready.set()
            try:
                # Closed on the way out, cancelled included: its end waits for the answers
                # in flight and journals them, before the connections close.
                async with contextlib.aclosing(self._engine.run()) as outcomes:
                    async for outcome in outcomes:
                        await asyncio.to_thread(handed.put, ("outcome", outcome))
            except BaseException as error:  # handed to the caller's thread, raised there
                handed.put(("error", error))
            else:
                handed.put(("end", None))
            finally:
                await connections.aclose()

        thread = threading.Thread(target=asyncio.run, args=(pump(),), name="completionkit-bulk", daemon=True)
        thread.start()
        ready.wait()
        over = False
        try:
            while True:
                kind, value = handed.get()
                if kind == "outcome":
                    yield value  # type: ignore[misc]
                    continue
                over = True
                if kind == "error":
                    raise value  # type: ignore[misc]
                return
        finally:
            # Ctrl-C here, or a caller that stopped early: the engine stops sending and
            # waits for what is in flight, in its own loop.
            if not over and running:
                loop, task = running[0]
                loop.call_soon_threadsafe(task.cancel)
                while thread.is_alive():
                    with contextlib.suppress(queue.Empty):
                        handed.get(timeout=0.05)  # drain, so that the engine is never stuck on put
            thread.join()
