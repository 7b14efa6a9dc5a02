"""``AsyncOpenAI``: the asynchronous client, ``OpenAI`` with ``await``.

This module is ``_client`` with ``async``/``await`` and the ``Async`` names, and nothing
else: tests/client/test_twins.py holds the two to that, line by line.
"""

from __future__ import annotations

import os
import types
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Generic, TypeVar, Unpack

import httpx2

from ._adapt import Adaptation, log_once
from ._base_client import ClientBase, wrong_http_client
from ._config import ClientConfig, RequestOptions, watching
from ._connections import AsyncConnections
from ._exceptions import NotFoundError, OpenAIError
from ._httpx_compat import legacy_async_client
from ._messages import Message, MessageLike
from ._operations import (
    Call,
    ChatCompletionsListParameters,
    ChatCompletionsParameters,
    ChatCompletionStreamParameters,
    CompletionMessagesListParameters,
    CreateCall,
    StoredMessage,
    prepare_create,
    prepare_delete,
    prepare_list,
    prepare_messages_list,
    prepare_retrieve,
    prepare_update,
)
from ._request import build_request, conceal, detach
from ._results import AsyncPage, AsyncPages, ChatCompletionOutcome, ChatCompletionResult, P
from ._retry import Attempt, Clock, decide

if TYPE_CHECKING:
    from ._streaming import AsyncChatCompletionStream, AsyncChatCompletionStreamManager
    from ._telemetry import Watch
    from ._tool_loop import History, OnToolCall, ToolRun
    from .bulk import BulkProgress, BulkRequest
    from .bulk._runner import AsyncBulkRun

__all__ = ["AsyncChat", "AsyncChatCompletions", "AsyncCompletionMessages", "AsyncConversation", "AsyncOpenAI"]

T = TypeVar("T")
R = TypeVar("R")


class AsyncCaller:
    """Sends the requests of one client: the only I/O there is."""

    def __init__(self, config: ClientConfig, connections: AsyncConnections) -> None:
        self.config = config
        self.connections = connections
        self.clock = Clock()
        self.adapted: set[Adaptation] = set()
        """The adaptations this client has logged: each is logged once."""

    @property
    def http(self) -> httpx2.AsyncClient:
        """The HTTP client this process (and event loop) sends with."""
        return self.connections.current()

    async def _attempt(
        self, http: httpx2.AsyncClient, request: httpx2.Request, stream: bool, key_header: str | None
    ) -> Attempt:
        try:
            response = await http.send(request, stream=stream)
            if stream and not response.is_success:
                try:
                    await response.aread()  # an error's body, to read what went wrong
                finally:
                    await response.aclose()
        except httpx2.RequestError as error:  # DecodingError too: a body that does not decompress
            return error
        finally:
            conceal(request, key_header)  # sent: the key must not be read from the response or the error
        return detach(response)

    async def request(
        self, call: Call[Any, Any], watch: Watch | None = None, *, stream: bool = False
    ) -> httpx2.Response:
        """The answer to ``call``, retried as the policy says; ``watch`` (None: nothing to
        tell) sees each attempt, and the call's failure."""
        if call.adaptations:
            log_once(call.adaptations, self.adapted)
        try:
            spec = build_request(
                call.config or self.config,
                call.endpoint,
                path=call.path,
                query=call.query,
                body=call.body,
                options=call.options,
            )
            attempt = 0
            while True:
                # A request of its own for each attempt: the one sent before is concealed.
                http = self.connections.current()
                request = spec.build(http)
                if watch is not None:
                    watch.sending(request, spec.content, attempt)
                result = await self._attempt(http, request, stream, spec.key_header)
                outcome = decide(attempt, spec.max_retries, result, self.clock.now, call.endpoint.error)
                if watch is not None:
                    try:
                        watch.answered(result, outcome)
                    except BaseException:  # a hook's: a stream's answer is still open
                        if isinstance(result, httpx2.Response):
                            await result.aclose()
                        raise
                if outcome.delay is None:
                    return outcome.result()
                await self.clock.asleep(outcome.delay)
                attempt += 1
        except BaseException as error:
            if watch is not None:
                watch.failed(error)
            raise

    async def run(self, call: Call[T, R]) -> R:
        watch = watching(call.config or self.config, call, False)
        try:
            response = await self.request(call, watch)
        except NotFoundError as error:
            return call.not_found(error)
        return call.finish(response) if watch is None else watch.finish(call.finish, response)

    async def open_stream(self, prepared: CreateCall) -> AsyncChatCompletionStream[Any]:
        # Imported here: a client that never streams does not pay for it at start-up.
        from ._streaming import AsyncChatCompletionStream, StreamState

        watch = watching(prepared.call.config or self.config, prepared.call, True)
        try:
            response = await self.request(prepared.call, watch, stream=True)
        except OpenAIError as error:
            prepared.terminated(error)
            raise
        return AsyncChatCompletionStream(
            response,
            StreamState(
                response,
                prepared.call.endpoint,
                prepared.on_data,
                prepared.on_terminate,
                prepared.parse,
                watch,
            ),
        )

    async def complete(self, prepared: CreateCall) -> ChatCompletionResult[Any]:
        """The whole result of a create, streamed or not."""
        if prepared.stream:
            async with await self.open_stream(prepared) as stream:
                return await stream.final()
        return await self.run(prepared.call)


class AsyncOpenAI(ClientBase[httpx2.AsyncClient, AsyncConnections]):
    """A client of the OpenAI Chat Completions API, or of any OpenAI-compatible server.

    ``api_key``, ``base_url``, ``organization`` and ``project`` fall back to the
    environment (``OPENAI_API_KEY``, ``OPENAI_BASE_URL``, ``OPENAI_ORG_ID``,
    ``OPENAI_PROJECT_ID``).  The key is used without surrounding whitespace (a key read
    from a file ends with a newline); one that cannot be sent in a header (a non-ASCII or
    control character inside it) raises ``InvalidRequestError`` (``param="api_key"``),
    which never shows it.  ``timeout`` (600 s) and ``max_retries`` (2) apply to every
    call unless the call says otherwise; ``default_headers`` go with every request.
    ``provider="ollama"`` (or groq, vllm, azure...: see "Providers" in the guide) talks to
    that provider: its base URL, its key's variable (none for a local server), its
    headers, and requests adapted where its server departs from the API (logged once;
    ``strict_params=True`` raises instead).  ``model="groq:llama-3.1-8b-instant"`` in any
    call sends that call to another provider; ``providers_file`` (else
    ``COMPLETIONKIT_PROVIDERS``, else the user's config folder) adds providers and model
    aliases.  Pass your own ``http_client`` (an ``httpx2.AsyncClient``; an httpx 0.28 ``httpx.Client``
    works too) to share connections or proxies; it is yours to close.  ``async with AsyncOpenAI()
    as client:`` closes the connections the client opened.

    ``on_request``, ``on_response`` and ``on_retry`` are called with the events of each
    attempt (``RequestEvent``, ``ResponseEvent``, ``RetryEvent``), which never show the
    key; with the ``otel`` extra and a tracer or meter provider set up, each call makes
    OpenTelemetry spans and metrics: see "Telemetry and hooks" in the guide.

    A client pickles with its settings but never its key (read again from
    ``OPENAI_API_KEY`` where it is unpickled), each process it is used in after an
    ``os.fork()`` opens connections of its own, and so does each event loop the async
    client runs in: see "Processes, pools and event loops" in the guide.
    """

    chat: AsyncChat
    """``client.chat``: ``client.chat.completions`` and ``client.chat.conversation(...)``."""

    def _connections_of(self, given: httpx2.AsyncClient | None) -> AsyncConnections:
        return AsyncConnections(given)

    def _adopt(self, given: object) -> httpx2.AsyncClient:
        if isinstance(given, httpx2.AsyncClient):
            return given
        legacy = legacy_async_client(given)
        if legacy is None:
            raise wrong_http_client(given, "httpx2.AsyncClient")
        return legacy

    def _start(self) -> None:
        self._caller = AsyncCaller(self._config, self._connections)
        self.chat = AsyncChat(self._caller)

    async def close(self) -> None:
        """Close the connections this client opened (not those of a client passed in)."""
        if self._owns_connections:
            await self._connections.aclose()

    async def __aenter__(self) -> AsyncOpenAI:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: types.TracebackType | None
    ) -> None:
        await self.close()


class AsyncChat:
    """``client.chat``: ``client.chat.completions``, and conversations."""

    def __init__(self, caller: AsyncCaller) -> None:
        self._caller = caller
        self.completions = AsyncChatCompletions(caller)
        """``client.chat.completions``: create, stream, retrieve, update, delete and list."""

    def conversation(
        self,
        system: str | None = None,
        *,
        max_messages: int | None = None,
        max_rounds: int = 8,
        on_tool_call: OnToolCall | None = None,
        **params: Unpack[ChatCompletionsParameters[P]],
    ) -> AsyncConversation[P]:
        """A conversation that keeps its history (4D AI Kit's ``OpenAIChatHelper``):
        ``ask(text)`` sends it with the history and remembers both sides.

        ``system`` (first, or ``system=``) is the system message.  ``params`` (``model=``
        first of all) go with every request; with ``tools=`` the model's tool calls are
        run as ``run_tools`` runs them.  ``max_messages`` bounds the history: the oldest
        turns go first, each whole (a question, its tool calls and their results, the
        answer); the system message and the last turn stay.  Everything is checked here,
        before any request is sent; a mistake raises ``InvalidRequestError`` naming it.
        """
        from ._tool_loop import History, check_rounds

        # Checked now, as conversation()'s parameters: a mistake is reported where it was
        # made, not by the create() of the first ask().
        prepare_create(self._caller.config, [Message.user("?")], None, params, method="conversation")
        return AsyncConversation(
            self.completions, History(system, max_messages), params, check_rounds(max_rounds), on_tool_call
        )


class AsyncConversation(Generic[P]):
    """``client.chat.conversation(...)``: ``ask`` a question, the history is kept."""

    def __init__(
        self,
        completions: AsyncChatCompletions,
        history: History,
        params: ChatCompletionsParameters[P],
        max_rounds: int,
        on_tool_call: OnToolCall | None,
    ) -> None:
        self._completions = completions
        self._history = history
        self._params = params
        self._max_rounds = max_rounds
        self._on_tool_call = on_tool_call

    @property
    def messages(self) -> list[MessageLike]:
        """The conversation as it is sent: the system message, then the turns kept."""
        return self._history.messages

    async def ask(self, text: str) -> ChatCompletionResult[P]:
        """Send ``text`` with the history; the question and the answer (and any tool calls
        and results in between) join the history only when the call succeeds."""
        sent = self._history.asking(text)
        if self._params.get("tools"):
            run = await self._completions.run_tools(
                sent, self._params, max_rounds=self._max_rounds, on_tool_call=self._on_tool_call
            )
            self._history.extend(run.messages[len(sent) - 1 :])
            return run.result
        result = await self._completions.create(sent, self._params)
        self._history.extend([sent[-1], result.choice.message])
        return result

    def reset(self) -> None:
        """Forget the turns; the system message stays."""
        self._history.reset()


class AsyncChatCompletions:
    """``client.chat.completions``: create, stream, retrieve, update, delete and list chat completions."""

    def __init__(self, caller: AsyncCaller) -> None:
        self._caller = caller
        self.messages = AsyncCompletionMessages(caller)
        """``client.chat.completions.messages``: the stored messages of a completion."""

    async def create(
        self,
        messages: Sequence[MessageLike],
        parameters: ChatCompletionsParameters[P] | None = None,
        **params: Unpack[ChatCompletionsParameters[P]],
    ) -> ChatCompletionResult[P]:
        """Create a model response for the conversation ``messages``; raises on failure.

        ``messages`` comes first or by keyword (``create(messages=..., model=...)``, as
        in openai).  The API's parameters (``model`` first of all) come as keywords, as a
        ``ChatCompletionsParameters`` mapping, or both (keywords win).  Everything is
        checked before anything is sent: an unknown or mistyped parameter, or a malformed
        message, raises ``InvalidRequestError`` naming it.  With ``stream=True`` the answer
        is streamed, ``on_data`` sees each chunk and ``on_terminate`` the end, and the
        whole result comes back at the end (4D's streaming); ``stream()`` hands you the
        chunks instead.
        """
        return await self._caller.complete(prepare_create(self._caller.config, messages, parameters, params))

    async def try_create(
        self,
        messages: Sequence[MessageLike],
        parameters: ChatCompletionsParameters[P] | None = None,
        **params: Unpack[ChatCompletionsParameters[P]],
    ) -> ChatCompletionOutcome[P]:
        """``create`` that returns its failures instead of raising them (4D's ``throw: False``):
        check ``outcome.success``, then read ``outcome.result`` or ``outcome.errors``.

        Bad arguments still raise ``InvalidRequestError``: nothing was sent.
        """
        prepared = prepare_create(self._caller.config, messages, parameters, params, method="try_create")
        try:
            return ChatCompletionOutcome(await self._caller.complete(prepared))
        except OpenAIError as error:
            return ChatCompletionOutcome.failed(error)

    def stream(
        self,
        messages: Sequence[MessageLike],
        parameters: ChatCompletionStreamParameters[P] | None = None,
        **params: Unpack[ChatCompletionStreamParameters[P]],
    ) -> AsyncChatCompletionStreamManager[P]:
        """Create a streamed response: iterate over the chunks as they arrive,
        ``text_deltas()`` for the text alone, ``final()`` for the whole result.

        Use it in a ``with`` block (``async with``, without ``await``, on the async client),
        so that the connection is closed also when you stop reading early.  Failures
        raise, before the first chunk or while reading.
        """
        prepared = prepare_create(
            self._caller.config, messages, parameters, params, stream=True, method="stream"
        )
        from ._streaming import AsyncChatCompletionStreamManager

        return AsyncChatCompletionStreamManager(self._caller.open_stream(prepared))

    async def run_tools(
        self,
        messages: Sequence[MessageLike],
        parameters: ChatCompletionsParameters[P] | None = None,
        *,
        max_rounds: int = 8,
        on_tool_call: OnToolCall | None = None,
        **params: Unpack[ChatCompletionsParameters[P]],
    ) -> ToolRun[P]:
        """Ask, run the tools the model calls, send their results, and ask again, until an
        answer calls no tool; returns it with the whole conversation.

        ``tools=`` are Python functions (or ``tool(...)``s): each call's arguments are
        decoded into the function's parameter types, and its return value is sent back
        as JSON.  A call that fails (arguments that do not fit, an exception) is sent
        back as a message saying so, for the model to try again.  ``on_tool_call`` sees
        each call first and vetoes it by returning False.  Raises ``ToolLoopError`` when
        the model still calls tools after ``max_rounds`` requests.
        """
        from ._tool_loop import ToolLoop, arun_all

        loop = ToolLoop(
            messages, {**(parameters or {}), **params}, max_rounds, on_tool_call, asynchronous=True
        )
        while True:
            result: ChatCompletionResult[P] = await self._caller.complete(
                prepare_create(self._caller.config, loop.messages, None, loop.parameters, method="run_tools")
            )
            calls = loop.answered(result)
            if calls is None:
                return loop.finished(result)
            loop.record(calls, await arun_all(calls))

    def bulk(
        self,
        requests: Iterable[BulkRequest] | Iterable[Mapping[str, Any]] | str | os.PathLike[str],
        /,
        *,
        journal: str | os.PathLike[str] | None = None,
        response_format: type[P] | None = None,
        max_concurrency: int = 64,
        max_attempts: int = 5,
        retry_failed: bool = True,
        share: float = 1.0,
        progress: bool | None = None,
        on_progress: Callable[[BulkProgress], object] | None = None,
        grace: float = 10.0,
    ) -> AsyncBulkRun[P]:
        """Many requests in one run: each outcome as it completes, the run kept to the
        server's rate limits, and every answer written to ``journal`` so that a rerun
        carries on where a stopped one left off.

        ``requests`` are lines of OpenAI's Batch API input (``{"custom_id": ..., "body":
        {create's parameters, messages included}}``), or the path of such a JSONL file.
        A list or a file is checked whole before anything is sent; other iterables are
        read lazily.  ``max_concurrency`` caps the requests in flight; ``share`` is this
        process's share of the rate limits when a job is split across processes or
        machines.  A 429, a 5xx or a broken connection is tried again (``max_attempts``
        in all), within the budget; ``insufficient_quota``, a 401 or a 403 stops the run
        with ``BulkStoppedError``.  ``progress`` draws a bar on stderr (by default when it
        is a terminal and rich is installed); ``on_progress`` is called after each answer.
        See "Bulk runs" in the guide.
        """
        from .bulk._runner import AsyncBulkRun, BulkSettings

        settings = BulkSettings.checked(
            journal=journal,
            response_format=response_format,
            max_concurrency=max_concurrency,
            max_attempts=max_attempts,
            retry_failed=retry_failed,
            share=share,
            progress=progress,
            on_progress=on_progress,
            grace=grace,
        )
        return AsyncBulkRun(self._caller, requests, settings)

    async def retrieve(
        self,
        completion_id: str,
        /,
        **options: Unpack[RequestOptions],
    ) -> ChatCompletionResult:
        """A stored completion (one created with ``store=True``)."""
        return await self._caller.run(prepare_retrieve(completion_id, options))

    async def update(
        self, completion_id: str, /, metadata: Mapping[str, str] | None, **options: Unpack[RequestOptions]
    ) -> ChatCompletionResult:
        """Replace the metadata of a stored completion (``update(id, {...})`` or, as in the
        openai package, ``update(id, metadata={...})``); returns the updated completion."""
        return await self._caller.run(prepare_update(completion_id, metadata, options))

    async def delete(self, completion_id: str, /, **options: Unpack[RequestOptions]) -> bool:
        """Delete a stored completion: True when it was deleted, False when there was none."""
        return await self._caller.run(prepare_delete(completion_id, options))

    def list(
        self,
        **params: Unpack[ChatCompletionsListParameters],
    ) -> AsyncPages[ChatCompletionResult]:
        """Stored completions, oldest first (``order="desc"`` for newest first), filtered by
        ``model`` and ``metadata`` (every pair must match); iterate to go through every page.
        Each is a ``ChatCompletionResult``, as ``retrieve`` returns it."""

        async def fetch(cursor: str | None) -> AsyncPage[ChatCompletionResult]:
            return AsyncPage(await self._caller.run(prepare_list(params, after=cursor)), fetch)

        return AsyncPages(lambda: fetch(params.get("after")))


class AsyncCompletionMessages:
    """``client.chat.completions.messages``: the stored input messages of a completion."""

    def __init__(self, caller: AsyncCaller) -> None:
        self._caller = caller

    def list(
        self,
        completion_id: str,
        /,
        **params: Unpack[CompletionMessagesListParameters],
    ) -> AsyncPages[StoredMessage]:
        """The messages of a stored completion; iterate to go through every page."""

        async def fetch(cursor: str | None) -> AsyncPage[StoredMessage]:
            call = prepare_messages_list(completion_id, params, after=cursor)
            return AsyncPage(await self._caller.run(call), fetch)

        return AsyncPages(lambda: fetch(params.get("after")))
