"""``AsyncOpenAI``: the asynchronous client; ``OpenAI``'s surface with ``await`` and ``async for``.

Everything but the I/O comes from ``_core``, ``_operations`` and ``_streaming``, as for
the synchronous client.
"""

from __future__ import annotations

import types
from collections.abc import Mapping, Sequence
from typing import Any, Literal, TypeVar, Unpack

import httpx

from ._core import (
    CONNECTION_LIMITS,
    Attempt,
    ClientBase,
    ClientConfig,
    Clock,
    RequestOptions,
    build_request,
    retry_flow,
)
from ._exceptions import NotFoundError, OpenAIError
from ._generated.models import CreateChatCompletionResponse
from ._messages import MessageLike
from ._operations import (
    Call,
    ChatCompletionsParameters,
    ChatCompletionStreamParameters,
    CreateCall,
    StoredMessage,
    prepare_create,
    prepare_delete,
    prepare_list,
    prepare_messages_list,
    prepare_retrieve,
    prepare_update,
)
from ._results import AsyncPage, AsyncPages, ChatCompletionOutcome, ChatCompletionResult
from ._streaming import AsyncChatCompletionStream, StreamState

__all__ = ["AsyncChat", "AsyncChatCompletions", "AsyncCompletionMessages", "AsyncOpenAI"]

T = TypeVar("T")
R = TypeVar("R")


class _AsyncCaller:
    """Sends the requests of one async client: the only I/O there is."""

    def __init__(self, config: ClientConfig, http: httpx.AsyncClient) -> None:
        self.config = config
        self.http = http
        self.clock = Clock()

    async def _attempt(self, request: httpx.Request, stream: bool) -> Attempt:
        try:
            response = await self.http.send(request, stream=stream)
        except httpx.TransportError as error:
            return error
        if stream and not response.is_success:
            await response.aread()  # an error's body, to read what went wrong
            await response.aclose()
        return response

    async def request(self, call: Call[Any, Any], *, stream: bool = False) -> httpx.Response:
        spec = build_request(
            self.config, call.endpoint, path=call.path, query=call.query, body=call.body, options=call.options
        )
        request = spec.build(self.http)
        flow = retry_flow(spec.max_retries, self.clock, f"{spec.method} {request.url.path}")
        step = next(flow)
        try:
            while True:
                if step is None:
                    step = flow.send(await self._attempt(request, stream))
                else:
                    await self.clock.asleep(step)
                    step = flow.send(None)
        except StopIteration as done:
            response: httpx.Response = done.value
            return response

    async def run(self, call: Call[T, R]) -> R:
        try:
            response = await self.request(call)
        except NotFoundError as error:
            return call.not_found(error)
        return call.finish(response)

    async def open_stream(self, prepared: CreateCall) -> AsyncChatCompletionStream:
        try:
            response = await self.request(prepared.call, stream=True)
        except OpenAIError as error:
            prepared.terminated(error)
            raise
        return AsyncChatCompletionStream(
            response, StreamState(response, prepared.on_data, prepared.on_terminate)
        )

    async def complete(self, prepared: CreateCall) -> ChatCompletionResult:
        """The whole result of a create, streamed or not."""
        if prepared.stream:
            async with await self.open_stream(prepared) as stream:
                return await stream.final()
        return await self.run(prepared.call)


class AsyncOpenAI(ClientBase[httpx.AsyncClient]):
    """``OpenAI`` for asyncio: the same arguments, the same methods to ``await``.

    ``async with AsyncOpenAI() as client:`` closes the connections the client opened;
    a caller's own ``httpx.AsyncClient`` is theirs to close.
    """

    chat: AsyncChat

    def _new_http_client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(limits=CONNECTION_LIMITS)

    def _start(self) -> None:
        self._caller = _AsyncCaller(self._config, self._http)
        self.chat = AsyncChat(self._caller)

    async def close(self) -> None:
        """Close the connections this client opened (not those of a client passed in)."""
        if self._owns_http:
            await self._http.aclose()

    async def __aenter__(self) -> AsyncOpenAI:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: types.TracebackType | None
    ) -> None:
        await self.close()


class AsyncChat:
    """``client.chat``: the namespace of ``client.chat.completions``."""

    def __init__(self, caller: _AsyncCaller) -> None:
        self.completions = AsyncChatCompletions(caller)


class AsyncChatCompletions:
    """``client.chat.completions`` of ``AsyncOpenAI``: ``OpenAI``'s methods, awaited."""

    def __init__(self, caller: _AsyncCaller) -> None:
        self._caller = caller
        self.messages = AsyncCompletionMessages(caller)

    async def create(
        self,
        messages: Sequence[MessageLike],
        parameters: ChatCompletionsParameters | None = None,
        /,
        **params: Unpack[ChatCompletionsParameters],
    ) -> ChatCompletionResult:
        """``OpenAI.chat.completions.create``, awaited."""
        return await self._caller.complete(prepare_create(self._caller.config, messages, parameters, params))

    async def try_create(
        self,
        messages: Sequence[MessageLike],
        parameters: ChatCompletionsParameters | None = None,
        /,
        **params: Unpack[ChatCompletionsParameters],
    ) -> ChatCompletionOutcome:
        """``OpenAI.chat.completions.try_create``, awaited."""
        prepared = prepare_create(self._caller.config, messages, parameters, params)
        try:
            return ChatCompletionOutcome(await self._caller.complete(prepared))
        except OpenAIError as error:
            return ChatCompletionOutcome.failed(error)

    async def stream(
        self,
        messages: Sequence[MessageLike],
        parameters: ChatCompletionStreamParameters | None = None,
        /,
        **params: Unpack[ChatCompletionStreamParameters],
    ) -> AsyncChatCompletionStream:
        """``OpenAI.chat.completions.stream``, awaited: ``async with`` and ``async for`` the chunks."""
        prepared = prepare_create(self._caller.config, messages, parameters, params, stream=True)
        return await self._caller.open_stream(prepared)

    async def retrieve(
        self, completion_id: str, /, **options: Unpack[RequestOptions]
    ) -> ChatCompletionResult:
        """A stored completion (one created with ``store=True``)."""
        return await self._caller.run(prepare_retrieve(completion_id, options))

    async def update(
        self, completion_id: str, metadata: Mapping[str, str] | None, /, **options: Unpack[RequestOptions]
    ) -> ChatCompletionResult:
        """Replace the metadata of a stored completion; returns the updated completion."""
        return await self._caller.run(prepare_update(completion_id, metadata, options))

    async def delete(self, completion_id: str, /, **options: Unpack[RequestOptions]) -> bool:
        """Delete a stored completion: True when it was deleted, False when there was none."""
        return await self._caller.run(prepare_delete(completion_id, options))

    def list(
        self,
        *,
        after: str | None = None,
        limit: int | None = None,
        order: Literal["asc", "desc"] | None = None,
        model: str | None = None,
        metadata: Mapping[str, str] | None = None,
        **options: Unpack[RequestOptions],
    ) -> AsyncPages[CreateChatCompletionResponse]:
        """Stored completions: ``async for`` goes through every page, ``await`` gives the first."""

        async def fetch(cursor: str | None) -> AsyncPage[CreateChatCompletionResponse]:
            call = prepare_list(
                after=cursor, limit=limit, order=order, model=model, metadata=metadata, options=options
            )
            return AsyncPage(await self._caller.run(call), fetch)

        return AsyncPages(lambda: fetch(after))


class AsyncCompletionMessages:
    """``client.chat.completions.messages`` of ``AsyncOpenAI``."""

    def __init__(self, caller: _AsyncCaller) -> None:
        self._caller = caller

    def list(
        self,
        completion_id: str,
        /,
        *,
        after: str | None = None,
        limit: int | None = None,
        order: Literal["asc", "desc"] | None = None,
        **options: Unpack[RequestOptions],
    ) -> AsyncPages[StoredMessage]:
        """The messages of a stored completion: ``async for`` goes through every page."""

        async def fetch(cursor: str | None) -> AsyncPage[StoredMessage]:
            call = prepare_messages_list(
                completion_id, after=cursor, limit=limit, order=order, options=options
            )
            return AsyncPage(await self._caller.run(call), fetch)

        return AsyncPages(lambda: fetch(after))
