"""What the methods return: ``ChatCompletionResult`` (or ``ChatCompletionOutcome``), its
``Choice``, ``Page`` and ``AsyncPage``."""

from __future__ import annotations

import typing
import zlib
from collections.abc import AsyncIterator, Awaitable, Callable, Generator, Iterator
from typing import Any, Generic, NamedTuple, TypeVar

import httpx2
import msgspec

from ._decoding import decode_plain_json, encode_json
from ._exceptions import APIResponseValidationError, OpenAIError
from ._generated.models import (
    ChatCompletion,
    ChatCompletionMessage,
    CompletionUsage,
)
from ._generated.models import ChatCompletionChoice as _GeneratedChoice
from ._generated.models import (
    ChatCompletionChoiceLogprobs as Logprobs,
)
from ._messages import Message

if typing.TYPE_CHECKING:
    from typing_extensions import TypeVar as DefaultTypeVar

    from ._rate_limit import RateLimit

    P = DefaultTypeVar("P", default=None)
    """What ``choice.parsed`` is: the type given as ``response_format``, else None."""
else:
    P = TypeVar("P")  # the default (PEP 696) is for the type checkers: 3.11's TypeVar takes none

__all__ = [
    "AsyncPage",
    "AsyncPages",
    "ChatCompletionOutcome",
    "ChatCompletionResult",
    "Choice",
    "ListedJson",
    "Page",
    "PageData",
    "answer_json",
    "listed_results",
    "reasoning_text",
]

T = TypeVar("T")


class _Slotted:
    """Pickling for the slotted results, so that one crosses a process (a worker's answer):
    each slot by name, less the caches, which come back empty and are filled again when
    read (a result pickled after its ``message`` or a page's ``raw`` was read is no bigger
    for it).  Nothing of this runs when a result is made."""

    __slots__ = ()
    _caches: typing.ClassVar[tuple[str, ...]] = ()

    def __getstate__(self) -> dict[str, object]:
        names = (n for c in type(self).__mro__ for n in c.__dict__.get("__slots__", ()))
        state = {n: getattr(self, n) for n in names if n not in self._caches and hasattr(self, n)}
        state.update(getattr(self, "__dict__", {}))  # a subclass's own attributes
        return state

    def __setstate__(self, state: dict[str, object]) -> None:
        for name in self._caches:
            object.__setattr__(self, name, None)
        for name, value in state.items():
            object.__setattr__(self, name, value)


def reasoning_text(reasoning: str | None, reasoning_content: str | None) -> str | None:
    """The reasoning text of a message or a delta, whichever field the server used; with
    both, the one that holds text, ``reasoning`` first.  None when neither holds any."""
    return reasoning or reasoning_content or None


class Choice(_Slotted, Generic[P]):
    """One choice of a completion, with the 4D shortcuts ``text`` and ``message``, and
    ``parsed``: the answer as the type asked for with ``response_format=``."""

    __slots__ = ("_message", "_parsed", "raw")
    _caches = ("_message",)

    def __init__(self, raw: _GeneratedChoice, parsed: P | None = None) -> None:
        self.raw = raw
        """The choice as the spec types it."""
        self._message: Message | None = None
        self._parsed = parsed

    @property
    def parsed(self) -> P | None:
        """The answer decoded into the type given as ``response_format`` (a Struct, a
        dataclass, a TypedDict); None without one, and None for a refusal."""
        return self._parsed

    @property
    def index(self) -> int:
        """The choice's place among the completion's choices (``n=`` asks for several)."""
        return self.raw.index

    @property
    def finish_reason(self) -> str | None:
        """``stop``, ``length``, ``tool_calls``, ``content_filter``, a newer reason, or None
        from a server that gave none."""
        return self.raw.finish_reason

    @property
    def text(self) -> str | None:
        """The text the model wrote; None for a refusal or tool calls only."""
        content = self.raw.message.content
        return content if isinstance(content, str) else None

    @property
    def refusal(self) -> str | None:
        """The model's refusal to answer, in its words; None when it answered."""
        refusal = self.raw.message.refusal
        return refusal if isinstance(refusal, str) else None

    @property
    def reasoning(self) -> str | None:
        """The model's reasoning, whichever field the server sent it in: ``reasoning``
        (OpenRouter, Ollama, Groq, vLLM since it renamed the field) or
        ``reasoning_content`` (DeepSeek, llama.cpp, LM Studio, SGLang, older vLLM).  With
        both, the one that holds text, ``reasoning`` first; None when the answer has no
        reasoning (OpenAI's own API does not send it)."""
        message = self.raw.message
        return reasoning_text(message.reasoning, message.reasoning_content)

    @property
    def response_message(self) -> ChatCompletionMessage:
        """The message as the spec types it (tool calls as Structs, annotations, audio)."""
        return self.raw.message

    @property
    def message(self) -> Message:
        """The assistant message, to append to the conversation and send again."""
        if self._message is None:
            self._message = Message.from_response(self.raw.message)
        return self._message

    @property
    def logprobs(self) -> Logprobs | None:
        """The log probabilities of the answer's tokens, when asked for with ``logprobs=True``."""
        logprobs = self.raw.logprobs
        return logprobs if isinstance(logprobs, Logprobs) else None

    def __repr__(self) -> str:
        return f"Choice(index={self.index}, finish_reason={self.finish_reason!r}, text={self.text!r})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Choice):
            return NotImplemented
        theirs = typing.cast("Choice[object]", other)
        same: bool = self.raw == theirs.raw and self._parsed == theirs._parsed
        return same

    __hash__ = None  # type: ignore[assignment]  # its parts (Structs, a parsed answer) are mutable


def _parsed(choice: _GeneratedChoice, parse: type[P]) -> P | None:
    """A choice's answer as ``parse``; None for a refusal or an answer without text."""
    from ._schema import decode_parsed  # only for calls made with response_format=<a type>

    content = choice.message.content
    if not isinstance(content, str) or isinstance(choice.message.refusal, str):
        return None
    return decode_parsed(content, parse)


class ChatCompletionResult(_Slotted, Generic[P]):
    """A chat completion: what ``create`` answers (and ``retrieve``, ``update`` and a
    stream's ``final()``), with the 4D shortcuts ``choice``, ``usage`` and ``rate_limit``."""

    __slots__ = ("_choices", "_index", "_raw", "_raw_body", "completion", "headers")

    def __init__(
        self,
        completion: ChatCompletion,
        headers: httpx2.Headers,
        *,
        raw_body: bytes | ListedJson = b"",
        raw: dict[str, Any] | None = None,
        parse: type[P] | None = None,
        index: int = 0,
    ) -> None:
        self.completion = completion
        """The completion as the spec types it."""
        self.headers = headers
        """The response headers."""
        self._choices: list[Choice[P]] | None = None
        if parse is not None:
            # Parsed now, not when first read: an answer that does not fit the type is the
            # call's error (StructuredOutputError), raised where the call was made.
            self._choices = [Choice(c, _parsed(c, parse)) for c in completion.choices]
        self._raw_body = raw_body
        self._index = index  # a listed completion's place in its page's JSON
        self._raw = raw  # a stream's merged answer is JSON data already: no body to decode

    @property
    def raw(self) -> dict[str, Any]:
        """The answer's JSON as the server sent it, every field a provider added included
        (for a completion of ``list``, its object in the page)."""
        if self._raw is None:
            source = self._raw_body
            decoded = source.item(self._index) if isinstance(source, ListedJson) else _json(source)
            self._raw = typing.cast("dict[str, Any]", decoded) if isinstance(decoded, dict) else {}
        return self._raw

    @property
    def choices(self) -> list[Choice[P]]:
        """Every choice of the completion (one unless ``n=`` asked for more)."""
        if self._choices is None:
            self._choices = [Choice(c) for c in self.completion.choices]
        return self._choices

    @property
    def choice(self) -> Choice[P]:
        """The first choice.  An answer without any (which the API never sends) raises
        ``APIResponseValidationError``."""
        choices = self.choices
        if not choices:
            raise APIResponseValidationError(
                "The answer has no choices.", request_id=self.request_id, body=self.raw
            )
        return choices[0]

    @property
    def id(self) -> str:
        """The completion's id (``chatcmpl-...``), which ``retrieve``, ``update`` and
        ``delete`` take for a stored completion."""
        return self.completion.id

    @property
    def model(self) -> str:
        """The model that answered, as the server names it (``gpt-4o-mini-2024-07-18``)."""
        return self.completion.model

    @property
    def created(self) -> int:
        """When the completion was created, in seconds since the epoch."""
        return self.completion.created

    @property
    def usage(self) -> CompletionUsage | None:
        """The tokens the request and the answer took; None from a server that did not say."""
        return self.completion.usage

    @property
    def metadata(self) -> dict[str, str] | None:
        """The metadata of a stored completion (``store=True``)."""
        return self.completion.metadata

    @property
    def request_id(self) -> str | None:
        """The answer's ``x-request-id`` header, to quote to the provider; None without one."""
        request_id: str | None = self.headers.get("x-request-id")
        return request_id

    @property
    def rate_limit(self) -> RateLimit:
        """The answer's ``x-ratelimit-*`` headers: how much of the budget is left."""
        from ._rate_limit import RateLimit  # few read it: a cold start does not load it

        return RateLimit.from_headers(self.headers)

    def __repr__(self) -> str:
        return f"ChatCompletionResult(id={self.id!r}, model={self.model!r}, choices={self.choices!r})"

    def __eq__(self, other: object) -> bool:
        """The same answer: completion, JSON as sent (``raw``), parsed choices and headers."""
        if not isinstance(other, ChatCompletionResult):
            return NotImplemented
        theirs = typing.cast("ChatCompletionResult[object]", other)
        same: bool = (
            self.completion == theirs.completion
            and self.raw == theirs.raw
            and self.choices == theirs.choices
            and self.headers == theirs.headers
        )
        return same

    __hash__ = None  # type: ignore[assignment]  # its completion is a mutable Struct


def answer_json(result: ChatCompletionResult[Any]) -> bytes:
    """A result's JSON as the server sent it: the body's bytes as received, not encoded
    again (a bulk run's journal writes thousands a second); a stream's merged answer, or a
    listed completion, has no body of its own and has its ``raw`` encoded (a result made
    without either, its completion)."""
    body = result._raw_body  # pyright: ignore[reportPrivateUsage]  # this module's own class
    return body if isinstance(body, bytes) and body else encode_json(result.raw or result.completion)


def _json(body: bytes) -> object:
    """A body's JSON data; {} for an empty body or one that is not JSON (no fields to show)."""
    try:
        return decode_plain_json(body) if body else {}
    except msgspec.DecodeError:
        return {}


class ListedJson(_Slotted):
    """The JSON of one page of ``list``, for the ``raw`` of the completions in it.

    Kept compressed: a list of stored completions is often kept whole, and the JSON as it
    came would add some 60% to the memory the decoded completions take, for a ``raw``
    that few read.  The first ``raw`` read decodes the page once for all of its
    completions."""

    __slots__ = ("_compressed", "_items")
    _caches = ("_items",)

    def __init__(self, body: bytes) -> None:
        self._compressed = zlib.compress(body, 1)  # the fastest level: JSON shrinks well at any
        self._items: list[object] | None = None

    def item(self, index: int) -> object:
        """The page's ``index``-th completion as JSON data."""
        items = self._items
        if items is None:
            page = _json(zlib.decompress(self._compressed))
            data = typing.cast("dict[str, object]", page).get("data") if isinstance(page, dict) else None
            items = self._items = typing.cast("list[object]", data) if isinstance(data, list) else []
        return items[index] if index < len(items) else {}

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ListedJson):
            return NotImplemented
        return self._compressed == other._compressed  # compressed alike: the same bytes, the same level

    __hash__ = None  # type: ignore[assignment]  # like the results that hold it


def listed_results(
    completions: list[ChatCompletion], response: httpx2.Response
) -> list[ChatCompletionResult]:
    """The completions of one page of ``list`` as ``retrieve`` gives each: a
    ``ChatCompletionResult`` with the page's headers and, as ``raw``, its object in the page."""
    page = ListedJson(response.content)
    headers = response.headers
    return [
        ChatCompletionResult(completion, headers, raw_body=page, index=index)
        for index, completion in enumerate(completions)
    ]


class ChatCompletionOutcome(_Slotted, Generic[P]):
    """What ``try_create`` answers (4D's ``throw: False``): the result, or the errors
    that kept it from being one.  Check ``success`` (or ``result``) before reading it."""

    __slots__ = ("errors", "headers", "result")

    def __init__(
        self,
        result: ChatCompletionResult[P] | None,
        errors: list[OpenAIError] | None = None,
        headers: httpx2.Headers | None = None,
    ) -> None:
        self.result = result
        """The completion when the request succeeded, else None."""
        self.errors: list[OpenAIError] = errors or []
        """What went wrong; empty on success."""
        self.headers = result.headers if result is not None else headers or httpx2.Headers()
        """The response headers (empty when there was no answer)."""

    @classmethod
    def failed(cls, error: OpenAIError) -> ChatCompletionOutcome[Any]:
        """The outcome of a call that failed with ``error`` (with its answer's headers, if any)."""
        headers = getattr(error, "headers", None)
        return cls(None, [error], headers if isinstance(headers, httpx2.Headers) else None)

    @property
    def success(self) -> bool:
        """True when there is a result and no error."""
        return self.result is not None and not self.errors

    @property
    def completion(self) -> ChatCompletion | None:
        """The completion as the spec types it, or None when the request failed."""
        return self.result.completion if self.result is not None else None

    @property
    def choices(self) -> list[Choice[P]]:
        """The result's choices; empty when the request failed."""
        return self.result.choices if self.result is not None else []

    @property
    def choice(self) -> Choice[P] | None:
        """The first choice, or None when the request failed."""
        choices = self.choices
        return choices[0] if choices else None

    @property
    def id(self) -> str | None:
        """The completion's id, or None when the request failed."""
        return self.result.id if self.result is not None else None

    @property
    def usage(self) -> CompletionUsage | None:
        """The tokens the request and the answer took, or None."""
        return self.result.usage if self.result is not None else None

    @property
    def request_id(self) -> str | None:
        """The answer's ``x-request-id``, or that of the last error; None without one."""
        request_id: str | None = self.headers.get("x-request-id")
        if request_id is None and self.errors:
            return self.errors[-1].request_id
        return request_id

    @property
    def rate_limit(self) -> RateLimit:
        """The ``x-ratelimit-*`` headers of the answer, a failed one's included."""
        from ._rate_limit import RateLimit  # few read it: a cold start does not load it

        return RateLimit.from_headers(self.headers)

    def __repr__(self) -> str:
        if self.result is None:
            return f"ChatCompletionOutcome(success=False, errors={self.errors!r})"
        return f"ChatCompletionOutcome(success={self.success}, result={self.result!r})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ChatCompletionOutcome):
            return NotImplemented
        theirs = typing.cast("ChatCompletionOutcome[object]", other)
        return (
            self.result == theirs.result
            and self.headers == theirs.headers
            and [_error_value(e) for e in self.errors] == [_error_value(e) for e in theirs.errors]
        )

    __hash__ = None  # type: ignore[assignment]  # its errors are a list


def _error_value(error: OpenAIError) -> tuple[object, ...]:
    """What tells two errors apart in outcomes: exceptions compare by identity, and an
    outcome that came from another process holds copies of its errors."""
    return (type(error), error.args, str(error), error.body, getattr(error, "partial", None))


class _PageView(Generic[T]):
    """What a page shows of itself, for both kinds of page."""

    __slots__ = ("_page",)

    def __init__(self, page: PageData[T]) -> None:
        self._page = page

    @property
    def data(self) -> list[T]:
        """The items of this page alone."""
        return self._page.data

    @property
    def has_more(self) -> bool:
        """True when pages come after this one."""
        return self._page.has_more

    @property
    def first_id(self) -> str | None:
        """The id of this page's first item."""
        return self._page.first_id

    @property
    def last_id(self) -> str | None:
        """The id of this page's last item: where the next page starts (``after=``)."""
        return self._page.last_id

    def __repr__(self) -> str:
        return _page_repr(self._page)


class Page(_PageView[T]):
    """One page of a list, that also iterates over every item of every later page.

    ``for item in page`` fetches the next pages lazily, one request each, as the loop
    reaches them; ``page.data`` is this page alone and ``page.next_page()`` the next.
    """

    __slots__ = ("_fetch",)

    def __init__(self, page: PageData[T], fetch: Callable[[str], Page[T]]) -> None:
        super().__init__(page)
        self._fetch = fetch

    def next_page(self) -> Page[T] | None:
        """The page after this one (one request), or None when this is the last.

        A server whose cursor does not advance (``has_more`` with no ``last_id``, or a
        next page ending at the same ``last_id``) raises ``APIResponseValidationError``."""
        cursor = _next_cursor(self._page)
        if cursor is None:
            return None
        page = self._fetch(cursor)
        _check_advanced(page, cursor)
        return page

    def __iter__(self) -> Iterator[T]:
        page: Page[T] | None = self
        seen = _Cursors()
        while page is not None:
            yield from page.data
            seen.check(page)
            page = page.next_page()


class AsyncPage(_PageView[T]):
    """``Page`` for ``AsyncOpenAI``: ``async for`` goes through every page, ``await
    page.next_page()`` fetches the next one."""

    __slots__ = ("_fetch",)

    def __init__(self, page: PageData[T], fetch: Callable[[str], Awaitable[AsyncPage[T]]]) -> None:
        super().__init__(page)
        self._fetch = fetch

    async def next_page(self) -> AsyncPage[T] | None:
        """The page after this one (one request), or None when this is the last; a cursor
        that does not advance raises ``APIResponseValidationError``, as ``Page``'s does."""
        cursor = _next_cursor(self._page)
        if cursor is None:
            return None
        page = await self._fetch(cursor)
        _check_advanced(page, cursor)
        return page

    async def __aiter__(self) -> AsyncIterator[T]:
        page: AsyncPage[T] | None = self
        seen = _Cursors()
        while page is not None:
            for item in page.data:
                yield item
            seen.check(page)
            page = await page.next_page()


class AsyncPages(Generic[T]):
    """What ``AsyncOpenAI``'s ``list`` methods answer: ``async for`` goes through every
    item of every page, as ``for`` does with the sync client; ``await`` gives the first
    ``AsyncPage``."""

    __slots__ = ("_first",)

    def __init__(self, first: Callable[[], Awaitable[AsyncPage[T]]]) -> None:
        self._first = first

    def __await__(self) -> Generator[Any, None, AsyncPage[T]]:
        return self._first().__await__()

    async def __aiter__(self) -> AsyncIterator[T]:
        page: AsyncPage[T] | None = await self._first()
        seen = _Cursors()
        while page is not None:
            for item in page.data:
                yield item
            seen.check(page)
            page = await page.next_page()


def _stuck(cursor: str | None, how: str) -> APIResponseValidationError:
    at = "" if cursor is None else f" (cursor {cursor!r})"
    return APIResponseValidationError(
        f"The list does not advance: {how}{at}; stopped instead of asking for the same page again "
        "forever. The server's paging is broken (a mock server's fixed answer?)."
    )


def _next_cursor(page: PageData[Any] | _PageView[Any]) -> str | None:
    """The ``after`` of the page after ``page``, None when it is the last; a page that
    says ``has_more`` without a ``last_id`` to go on from raises."""
    if not page.has_more:
        return None
    if not page.last_id:
        raise _stuck(page.last_id, "a page says has_more but gives no last_id to list after")
    return page.last_id


def _check_advanced(page: _PageView[Any], cursor: str) -> None:
    """Raise when ``page``, fetched with ``after=cursor``, would have the same one fetched again."""
    if page.has_more and page.last_id == cursor:
        raise _stuck(cursor, f"the page after {cursor!r} ends at {cursor!r} again and says has_more")


class _Cursors:
    """The cursors one iteration went through: a cycle (A, B, A, ...) raises too."""

    __slots__ = ("_seen",)

    def __init__(self) -> None:
        self._seen: set[str] = set()

    def check(self, page: _PageView[Any]) -> None:
        cursor = _next_cursor(page)
        if cursor is None:
            return
        if cursor in self._seen:
            raise _stuck(cursor, f"the pages come back to {cursor!r}, listed after already")
        self._seen.add(cursor)


def _page_repr(page: PageData[Any]) -> str:
    ids = f"first_id={page.first_id!r}, last_id={page.last_id!r}"
    return f"Page(items={len(page.data)}, has_more={page.has_more}, {ids})"


class PageData(NamedTuple, Generic[T]):
    """One page of a list answer, and where the next one starts.  A NamedTuple: defining
    a dataclass costs a cold start a millisecond."""

    data: list[T]
    has_more: bool
    first_id: str | None
    last_id: str | None

    @property
    def next_cursor(self) -> str | None:
        """The ``after`` of the next page, or None when this is the last."""
        return self.last_id if self.has_more and self.last_id else None
