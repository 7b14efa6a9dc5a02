"""``OpenAI``: the synchronous client, a thin I/O shell around ``_core``."""

from __future__ import annotations

import difflib
import logging
import types
import typing
from collections.abc import Mapping, Sequence
from typing import Any, Literal, TypeVar, Unpack

import httpx
import msgspec

from ._core import (
    DEFAULT_MAX_RETRIES,
    DEFAULT_TIMEOUT,
    ClientConfig,
    Clock,
    RequestOptions,
    build_request,
    check_flag,
    check_options,
    decide,
    decode,
)
from ._decoding import error_location
from ._exceptions import InvalidRequestError, NotFoundError, OpenAIError
from ._generated import endpoints
from ._generated.endpoints import Endpoint
from ._generated.models import (
    ChatCompletionDeleted,
    ChatCompletionList,
    ChatCompletionMessageList,
    CreateChatCompletionRequest,
    CreateChatCompletionResponse,
    UpdateChatCompletionRequest,
)
from ._generated.models import Datum as StoredMessage
from ._generated.params import CreateChatCompletionParams
from ._messages import MessageLike, request_messages
from ._results import ChatCompletionResult, Page

__all__ = [
    "Chat",
    "ChatCompletions",
    "ChatCompletionsParameters",
    "CompletionMessages",
    "CreateOptions",
    "OpenAI",
    "StoredMessage",
]

T = TypeVar("T")

logger = logging.getLogger("completionkit")


class CreateOptions(RequestOptions, total=False):
    """The per-call options of ``create``: those of every call, and ``throw``."""

    throw: bool
    """False returns failures in ``result.errors`` instead of raising them."""


class ChatCompletionsParameters(CreateChatCompletionParams, CreateOptions, total=False):
    """Everything ``create`` takes besides the messages, as one typed mapping.

    Every field of the request schema (generated, so a regeneration updates it) and the
    per-call options, as 4D AI Kit's ``OpenAIChatCompletionsParameters`` carries both::

        create(messages, ChatCompletionsParameters(model="gpt-4o-mini", temperature=0.2))
    """


_OPTION_NAMES = frozenset(CreateOptions.__annotations__) | frozenset(RequestOptions.__annotations__)
_API_NAMES = frozenset(CreateChatCompletionParams.__annotations__)
# What create() refuses as keywords, and why.
_NOT_KEYWORDS = {
    "messages": "the conversation is create()'s first argument, not a keyword",
    "stream": "create() returns whole completions; it does not stream",
    "stream_options": "create() returns whole completions; it does not stream",
}


def _unknown(name: str, known: frozenset[str]) -> InvalidRequestError:
    close = difflib.get_close_matches(name, known, n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    return InvalidRequestError(name, f"create() got an unexpected keyword argument{hint}")


def _mapping(name: str, value: object) -> Mapping[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise InvalidRequestError(name, f"expected a mapping, got {type(value).__name__}")
    return typing.cast("Mapping[str, Any]", value)


def _field_error(error: msgspec.ValidationError) -> InvalidRequestError:
    path, message = error_location(error)
    return InvalidRequestError(path or "body", message)


class _Caller:
    """Sends the requests of one client: the retry loop, the only I/O there is."""

    def __init__(self, config: ClientConfig, http: httpx.Client) -> None:
        self.config = config
        self.http = http
        self.clock = Clock()

    def send(self, request: httpx.Request, max_retries: int) -> httpx.Response:
        attempt = 0
        while True:
            result: httpx.Response | httpx.TransportError
            try:
                result = self.http.send(request)
            except httpx.TransportError as error:
                result = error
            outcome = decide(attempt, max_retries, result, self.clock.now())
            if outcome.response is not None:
                return outcome.response
            assert outcome.error is not None
            if outcome.delay is None:
                raise outcome.error
            logger.info(
                "%s %s failed (%s); retry %d of %d in %.2fs",
                request.method,
                request.url.path,
                type(outcome.error).__name__,
                attempt + 1,
                max_retries,
                outcome.delay,
            )
            self.clock.sleep(outcome.delay)
            attempt += 1

    def call(
        self,
        endpoint: Endpoint[Any, Any, Any, T, Any],
        options: RequestOptions,
        *,
        path: msgspec.Struct | None = None,
        query: msgspec.Struct | None = None,
        body: msgspec.Struct | None = None,
    ) -> tuple[T, httpx.Response]:
        check_options(options)
        spec = build_request(self.config, endpoint, path=path, query=query, body=body, options=options)
        request = self.http.build_request(
            spec.method, spec.url, headers=spec.headers, content=spec.content, timeout=spec.timeout
        )
        response = self.send(request, options.get("max_retries", self.config.max_retries))
        return decode(endpoint.response, response), response


class OpenAI:
    """A client of the OpenAI Chat Completions API, or of any OpenAI-compatible server.

    ``api_key``, ``base_url``, ``organization`` and ``project`` fall back to the
    environment (``OPENAI_API_KEY``, ``OPENAI_BASE_URL``, ``OPENAI_ORG_ID``,
    ``OPENAI_PROJECT_ID``).  ``timeout`` and ``max_retries`` apply to every call unless
    the call says otherwise; ``throw=False`` makes ``create`` return failures in
    ``result.errors`` instead of raising them.  Pass your own ``http_client`` to share
    connections or proxies; it is yours to close.  ``with OpenAI() as client:`` closes
    the connections the client opened.
    """

    def __init__(
        self,
        api_key: str | None = None,
        *,
        base_url: str | None = None,
        organization: str | None = None,
        project: str | None = None,
        timeout: float | httpx.Timeout | None = DEFAULT_TIMEOUT,
        max_retries: int = DEFAULT_MAX_RETRIES,
        default_headers: Mapping[str, str] | None = None,
        http_client: httpx.Client | None = None,
        throw: bool = True,
    ) -> None:
        config = ClientConfig.from_arguments(
            api_key=api_key,
            base_url=base_url,
            organization=organization,
            project=project,
            timeout=timeout,
            max_retries=max_retries,
            default_headers=default_headers,
            throw=throw,
        )
        self._owns_http = http_client is None
        self._caller = _Caller(config, http_client if http_client is not None else httpx.Client())
        self.chat = Chat(self._caller)

    @property
    def base_url(self) -> str:
        return self._caller.config.base_url

    @property
    def max_retries(self) -> int:
        return self._caller.config.max_retries

    @property
    def timeout(self) -> float | httpx.Timeout | None:
        return self._caller.config.timeout

    def __repr__(self) -> str:
        config = self._caller.config
        shown = (
            f"base_url={config.base_url!r}, organization={config.organization!r}, project={config.project!r}"
        )
        return f"OpenAI({shown})"

    def close(self) -> None:
        """Close the connections this client opened (not those of a client passed in)."""
        if self._owns_http:
            self._caller.http.close()

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

    def create(
        self,
        messages: Sequence[MessageLike],
        parameters: ChatCompletionsParameters | Mapping[str, Any] | None = None,
        /,
        **params: Unpack[ChatCompletionsParameters],
    ) -> ChatCompletionResult:
        """Create a model response for the conversation ``messages``.

        The API's parameters (``model`` first of all) come as keywords, as a
        ``ChatCompletionsParameters`` or a plain mapping, or both (keywords win).
        Everything is checked before anything is sent: an unknown or mistyped parameter,
        or a malformed message, raises ``InvalidRequestError`` naming it.
        """
        merged: dict[str, Any] = {**_mapping("parameters", parameters), **params}
        options: CreateOptions = {}
        fields: dict[str, Any] = {}
        for name, value in merged.items():
            if name in _NOT_KEYWORDS:
                raise InvalidRequestError(name, _NOT_KEYWORDS[name])
            if name in _OPTION_NAMES:
                options[name] = value  # type: ignore[literal-required]
            elif name in _API_NAMES:
                fields[name] = value
            else:
                raise _unknown(name, _API_NAMES | _OPTION_NAMES)
        if "model" not in fields:
            raise InvalidRequestError("model", "create() needs a model, such as model='gpt-4o-mini'")
        throw = check_flag("throw", options.pop("throw", self._caller.config.throw))
        try:
            body = msgspec.convert(
                {**fields, "messages": request_messages(messages)}, CreateChatCompletionRequest
            )
        except msgspec.ValidationError as error:
            raise _field_error(error) from None
        try:
            completion, response = self._caller.call(endpoints.create_chat_completion, options, body=body)
        except InvalidRequestError:
            raise
        except OpenAIError as error:
            if throw:
                raise
            headers = getattr(error, "headers", None)
            return ChatCompletionResult(
                None, headers if isinstance(headers, httpx.Headers) else httpx.Headers(), [error]
            )
        return ChatCompletionResult(completion, response.headers, raw_body=response.content)

    def retrieve(
        self, completion_id: str, /, **options: Unpack[RequestOptions]
    ) -> CreateChatCompletionResponse:
        """A stored completion (one created with ``store=True``)."""
        path = endpoints.GetChatCompletionPathParameters(completion_id=completion_id)
        return self._caller.call(endpoints.get_chat_completion, options, path=path)[0]

    def update(
        self, completion_id: str, metadata: Mapping[str, str] | None, /, **options: Unpack[RequestOptions]
    ) -> CreateChatCompletionResponse:
        """Replace the metadata of a stored completion; returns the updated completion."""
        path = endpoints.UpdateChatCompletionPathParameters(completion_id=completion_id)
        try:
            given = None if metadata is None else dict(_mapping("metadata", metadata))
            body = msgspec.convert({"metadata": given}, UpdateChatCompletionRequest)
        except msgspec.ValidationError as error:
            raise _field_error(error) from None
        return self._caller.call(endpoints.update_chat_completion, options, path=path, body=body)[0]

    def delete(self, completion_id: str, /, **options: Unpack[RequestOptions]) -> bool:
        """Delete a stored completion: True when it was deleted, False when there was none."""
        path = endpoints.DeleteChatCompletionPathParameters(completion_id=completion_id)
        try:
            deleted: ChatCompletionDeleted = self._caller.call(
                endpoints.delete_chat_completion, options, path=path
            )[0]
        except NotFoundError:
            return False
        return deleted.deleted

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
        given = {
            "after": after,
            "limit": limit,
            "order": order,
            "model": model,
            "metadata": dict(metadata) if metadata is not None else None,
        }
        try:
            query = msgspec.convert(
                {k: v for k, v in given.items() if v is not None}, endpoints.ListChatCompletionsQuery
            )
        except msgspec.ValidationError as error:
            raise _field_error(error) from None
        listed: ChatCompletionList = self._caller.call(endpoints.list_chat_completions, options, query=query)[
            0
        ]
        return Page(
            listed.data,
            has_more=listed.has_more,
            first_id=listed.first_id,
            last_id=listed.last_id,
            fetch=lambda last: self.list(
                after=last, limit=limit, order=order, model=model, metadata=metadata, **options
            ),
        )


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
        path = endpoints.GetChatCompletionMessagesPathParameters(completion_id=completion_id)
        given = {"after": after, "limit": limit, "order": order}
        try:
            query = msgspec.convert(
                {k: v for k, v in given.items() if v is not None}, endpoints.GetChatCompletionMessagesQuery
            )
        except msgspec.ValidationError as error:
            raise _field_error(error) from None
        listed: ChatCompletionMessageList = self._caller.call(
            endpoints.get_chat_completion_messages, options, path=path, query=query
        )[0]
        return Page(
            listed.data,
            has_more=listed.has_more,
            first_id=listed.first_id,
            last_id=listed.last_id,
            fetch=lambda last: self.list(completion_id, after=last, limit=limit, order=order, **options),
        )
