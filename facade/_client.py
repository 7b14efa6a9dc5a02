"""``OpenAI``: the synchronous client, a thin I/O shell around ``_core`` and ``_operations``."""

from __future__ import annotations

import types
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal, TypeVar, Unpack, overload

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
from ._generated.models import ChatCompletionStreamOptions, CreateChatCompletionResponse
from ._messages import MessageLike
from ._operations import (
    Call,
    ChatCompletionsParameters,
    OnData,
    OnTerminate,
    StoredMessage,
    prepare_create,
    prepare_delete,
    prepare_list,
    prepare_messages_list,
    prepare_retrieve,
    prepare_update,
)
from ._results import ChatCompletionResult, Page

if TYPE_CHECKING:
    from ._streaming import ChatCompletionStream

__all__ = ["Chat", "ChatCompletions", "CompletionMessages", "OpenAI"]

T = TypeVar("T")
R = TypeVar("R")


class _Caller:
    """Sends the requests of one client: the only I/O there is."""

    def __init__(self, config: ClientConfig, http: httpx.Client) -> None:
        self.config = config
        self.http = http
        self.clock = Clock()

    def _attempt(self, request: httpx.Request, stream: bool) -> Attempt:
        try:
            response = self.http.send(request, stream=stream)
        except httpx.TransportError as error:
            return error
        if stream and not response.is_success:
            response.read()  # an error's body, to read what went wrong
            response.close()
        return response

    def request(self, call: Call[Any, Any], *, stream: bool = False) -> httpx.Response:
        spec = build_request(
            self.config, call.endpoint, path=call.path, query=call.query, body=call.body, options=call.options
        )
        request = spec.build(self.http)
        flow = retry_flow(spec.max_retries, self.clock, f"{spec.method} {request.url.path}")
        step = next(flow)
        try:
            while True:
                if step is None:
                    step = flow.send(self._attempt(request, stream))
                else:
                    self.clock.sleep(step)
                    step = flow.send(None)
        except StopIteration as done:
            response: httpx.Response = done.value
            return response

    def run(self, call: Call[T, R]) -> R:
        try:
            response = self.request(call)
        except NotFoundError as error:
            return call.not_found(error)
        return call.finish(response)


class OpenAI(ClientBase[httpx.Client]):
    """A client of the OpenAI Chat Completions API, or of any OpenAI-compatible server.

    ``api_key``, ``base_url``, ``organization`` and ``project`` fall back to the
    environment (``OPENAI_API_KEY``, ``OPENAI_BASE_URL``, ``OPENAI_ORG_ID``,
    ``OPENAI_PROJECT_ID``).  ``timeout`` (600 s) and ``max_retries`` (2) apply to every
    call unless the call says otherwise; ``throw=False`` makes ``create`` return failures
    in ``result.errors`` instead of raising them.  Pass your own ``http_client`` to share
    connections or proxies; it is yours to close.  ``with OpenAI() as client:`` closes
    the connections the client opened.
    """

    chat: Chat

    def _new_http_client(self) -> httpx.Client:
        return httpx.Client(limits=CONNECTION_LIMITS)

    def _start(self) -> None:
        self._caller = _Caller(self._config, self._http)
        self.chat = Chat(self._caller)

    def close(self) -> None:
        """Close the connections this client opened (not those of a client passed in)."""
        if self._owns_http:
            self._http.close()

    def __enter__(self) -> OpenAI:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: types.TracebackType | None
    ) -> None:
        self.close()


class Chat:
    """``client.chat``: the namespace of ``client.chat.completions``."""

    def __init__(self, caller: _Caller) -> None:
        self.completions = ChatCompletions(caller)


class ChatCompletions:
    """``client.chat.completions``: create, retrieve, update, delete and list chat completions."""

    def __init__(self, caller: _Caller) -> None:
        self._caller = caller
        self.messages = CompletionMessages(caller)

    @overload
    def create(
        self,
        messages: Sequence[MessageLike],
        parameters: ChatCompletionsParameters | Mapping[str, Any] | None = None,
        /,
        *,
        stream: Literal[True],
        stream_options: ChatCompletionStreamOptions | Mapping[str, bool] = None,
        on_data: OnData | None = None,
        on_terminate: OnTerminate | None = None,
        **params: Unpack[ChatCompletionsParameters],
    ) -> ChatCompletionStream: ...
    @overload
    def create(
        self,
        messages: Sequence[MessageLike],
        parameters: ChatCompletionsParameters | Mapping[str, Any] | None = None,
        /,
        *,
        stream: Literal[False] | None = None,
        **params: Unpack[ChatCompletionsParameters],
    ) -> ChatCompletionResult: ...
    def create(
        self,
        messages: Sequence[MessageLike],
        parameters: ChatCompletionsParameters | Mapping[str, Any] | None = None,
        /,
        *,
        stream: bool | None = None,
        stream_options: ChatCompletionStreamOptions | Mapping[str, bool] = None,
        on_data: OnData | None = None,
        on_terminate: OnTerminate | None = None,
        **params: Unpack[ChatCompletionsParameters],
    ) -> ChatCompletionResult | ChatCompletionStream:
        """Create a model response for the conversation ``messages``.

        The API's parameters (``model`` first of all) come as keywords, as a
        ``ChatCompletionsParameters`` or a plain mapping, or both (keywords win).
        Everything is checked before anything is sent: an unknown or mistyped parameter,
        or a malformed message, raises ``InvalidRequestError`` naming it.  With
        ``stream=True`` the answer is a ``ChatCompletionStream`` of chunks, whose
        ``final()`` is the same result; ``on_data`` sees each chunk, ``on_terminate`` the
        end.
        """
        prepared = prepare_create(
            self._caller.config,
            messages,
            parameters,
            params,
            stream=stream,
            stream_options=stream_options,
            on_data=on_data,
            on_terminate=on_terminate,
        )
        try:
            if prepared.stream:
                # Imported here: a client that never streams does not pay for it at start-up.
                from ._streaming import ChatCompletionStream, StreamState

                response = self._caller.request(prepared.call, stream=True)
                return ChatCompletionStream(
                    response, StreamState(response, prepared.on_data, prepared.on_terminate)
                )
            return self._caller.run(prepared.call)
        except OpenAIError as error:
            return prepared.failed(error)

    def retrieve(
        self, completion_id: str, /, **options: Unpack[RequestOptions]
    ) -> CreateChatCompletionResponse:
        """A stored completion (one created with ``store=True``)."""
        return self._caller.run(prepare_retrieve(completion_id, options))

    def update(
        self, completion_id: str, metadata: Mapping[str, str] | None, /, **options: Unpack[RequestOptions]
    ) -> CreateChatCompletionResponse:
        """Replace the metadata of a stored completion; returns the updated completion."""
        return self._caller.run(prepare_update(completion_id, metadata, options))

    def delete(self, completion_id: str, /, **options: Unpack[RequestOptions]) -> bool:
        """Delete a stored completion: True when it was deleted, False when there was none."""
        return self._caller.run(prepare_delete(completion_id, options))

    def list(
        self,
        *,
        after: str | None = None,
        limit: int | None = None,
        order: Literal["asc", "desc"] | None = None,
        model: str | None = None,
        metadata: Mapping[str, str] | None = None,
        **options: Unpack[RequestOptions],
    ) -> Page[CreateChatCompletionResponse]:
        """Stored completions, oldest first (``order="desc"`` for newest first), filtered by
        ``model`` and ``metadata`` (every pair must match); iterate to go through every page."""

        def fetch(cursor: str | None) -> Page[CreateChatCompletionResponse]:
            call = prepare_list(
                after=cursor, limit=limit, order=order, model=model, metadata=metadata, options=options
            )
            return Page(self._caller.run(call), fetch)

        return fetch(after)


class CompletionMessages:
    """``client.chat.completions.messages``: the stored input messages of a completion."""

    def __init__(self, caller: _Caller) -> None:
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
    ) -> Page[StoredMessage]:
        """The messages of a stored completion; iterate to go through every page."""

        def fetch(cursor: str | None) -> Page[StoredMessage]:
            call = prepare_messages_list(
                completion_id, after=cursor, limit=limit, order=order, options=options
            )
            return Page(self._caller.run(call), fetch)

        return fetch(after)
