"""Streamed answers: the server-sent events decoder, the accumulator, and the two streams.

``SSEDecoder`` reads the event stream format as the WHATWG HTML standard defines it
(https://html.spec.whatwg.org/multipage/server-sent-events.html#event-stream-interpretation),
``ChunkAccumulator`` merges chunks into the completion a non-streamed call would have
given, and ``StreamState`` ties them to the callbacks.  All three are free of I/O;
``ChatCompletionStream`` and ``AsyncChatCompletionStream`` only feed them bytes.
"""

from __future__ import annotations

import re
import types
from collections.abc import AsyncGenerator, AsyncIterator, Coroutine, Generator, Iterator
from typing import TYPE_CHECKING, Any, Generic, NamedTuple, TypeVar

import httpx2
import msgspec

from ._answers import error_body, transport_failure
from ._decoding import convert_lenient, decode_json, decode_plain_json, decoder_for
from ._exceptions import (
    APIError,
    APIResponseValidationError,
    APIStreamError,
    APIStreamIncompleteError,
    OpenAIError,
)
from ._generated.endpoints import Endpoint
from ._generated.models import ChatCompletion, ChatCompletionChunk
from ._results import ChatCompletionOutcome, ChatCompletionResult, P, reasoning_text

if TYPE_CHECKING:
    from ._telemetry import Watch

__all__ = [
    "AsyncChatCompletionStream",
    "AsyncChatCompletionStreamManager",
    "ChatCompletionStream",
    "ChunkAccumulator",
    "SSEDecoder",
    "ServerSentEvent",
    "StreamState",
]

# The chunk type, for annotations; decoding uses the one the endpoint stub names.
Chunk = ChatCompletionChunk
Json = Any


class ServerSentEvent(NamedTuple):
    """One dispatched event: its type (``message`` unless the server named one) and data."""

    event: str
    data: str
    id: str | None = None


_LINE_END = re.compile(rb"\r\n|\r|\n")
_BOM = b"\xef\xbb\xbf"
_FEED_SLICE = 64 * 1024
"""How much of what the transport handed over is split into events at once: a network
read's size, so a whole stream handed over in one piece is read like one from a socket."""
_HEAD = 120
"""How much of the start of a stream is kept, to quote an answer that is no event stream."""

E = TypeVar("E", bound=APIError)


class SSEDecoder:
    """Bytes in, events out: LF, CRLF and CR line ends, multi-line ``data:``, comments.

    Each byte is looked at a bounded number of times, whatever the chunking, and only
    the unfinished line is kept between calls; the pending event holds its own data.
    """

    def __init__(self) -> None:
        self._buffer = bytearray()  # the unfinished line: it holds no line end
        self._skip_lf = False  # a CR ended the last call's last line: a LF after it is the same end
        self._at_start = True  # no byte but (part of) a BOM seen yet: one leading BOM is dropped
        self._data: list[bytes] = []
        self._event = ""
        self._id: str | None = None

    def feed(self, chunk: bytes) -> list[ServerSentEvent]:
        return [
            ServerSentEvent(event, data.decode("utf-8", "replace"), id_)
            for event, data, id_ in self.feed_bytes(chunk)
        ]

    def feed_bytes(self, chunk: bytes) -> list[tuple[str, bytes, str | None]]:
        """``feed``, with each event's data left as the bytes the server sent (a stream's
        chunks go to the JSON decoder as bytes: no decoding to text and back)."""
        if not chunk:
            return []  # nothing new: above all, a CR's LF may still come
        if self._at_start:
            # The stream's first bytes wait in the buffer until they are known to be, or
            # not to be, a UTF-8 BOM, which the standard strips once, at the very start.
            self._buffer += chunk
            if len(self._buffer) < len(_BOM) and _BOM.startswith(self._buffer):
                return []
            self._at_start = False
            chunk = bytes(self._buffer).removeprefix(_BOM)
            self._buffer.clear()
        if self._skip_lf:
            self._skip_lf = False
            if chunk[:1] == b"\n":
                chunk = chunk[1:]
        if b"\n" not in chunk and b"\r" not in chunk:
            # No line end yet: only these new bytes needed a look, and they are kept.
            self._buffer += chunk
            return []
        text = b"".join((self._buffer, chunk)) if self._buffer else chunk
        # Splitting in C is what makes this fast; CR line ends are rare enough to go
        # through the regular expression.  (The buffer holds no line end.)
        lines = _LINE_END.split(text) if b"\r" in chunk else text.split(b"\n")
        if text.endswith(b"\r"):
            self._skip_lf = True  # that CR ended a line: a LF at the start of the next call is part of it
        self._buffer = bytearray(lines.pop())  # bytes after the last line end: not a line yet
        events: list[tuple[str, bytes, str | None]] = []
        data = self._data
        for line in lines:
            if line.startswith(b"data: "):
                data.append(line[6:])
            elif not line:
                if data:
                    events.append((self._event or "message", b"\n".join(data), self._id))
                    data.clear()
                self._event = ""
            elif not line.startswith(b":"):  # a comment (keep-alives and the like) is skipped
                self._field(line)
        return events

    def _field(self, line: bytes) -> None:
        name, _, value = line.partition(b":")
        value = value.removeprefix(b" ")
        if name == b"data":
            self._data.append(value)
        elif name == b"event":
            self._event = value.decode("utf-8", "replace")
        elif name == b"id" and b"\0" not in value:
            self._id = value.decode("utf-8", "replace")
        # "retry" and unknown fields change nothing here.

    @property
    def pending(self) -> bool:
        """True when the stream so far ends inside an event (or a line)."""
        return bool(self._buffer) or bool(self._data)


def _text(utf8: bytearray) -> str | None:
    return utf8.decode() if utf8 else None


class _ToolCallParts:
    __slots__ = ("arguments", "id", "name", "type")

    def __init__(self) -> None:
        self.id = ""
        self.type = "function"
        self.name = bytearray()
        self.arguments = bytearray()


class _ChoiceParts:
    # Text that arrives in pieces is kept as one growing UTF-8 buffer each: a stream of
    # 50,000 pieces then holds its text, not 50,000 strings, and joining costs nothing
    # more per piece as the text grows (``+=`` on a str held in a dict would copy it all).
    __slots__ = (
        "content",
        "finish_reason",
        "has_logprobs",
        "logprobs",
        "reasoning",
        "reasoning_content",
        "refusal",
        "refusal_logprobs",
        "role",
        "tool_call_at",
        "tool_calls",
    )

    def __init__(self) -> None:
        self.role: str | None = None
        self.content = bytearray()
        self.refusal = bytearray()
        self.reasoning_content = bytearray()
        self.reasoning = bytearray()
        self.tool_calls: list[_ToolCallParts] = []
        self.tool_call_at: dict[int, int] = {}
        self.logprobs: list[Json] = []
        self.refusal_logprobs: list[Json] = []
        self.has_logprobs = False
        self.finish_reason: str | None = None


class ChunkAccumulator:
    """Merges chunks into the completion a non-streamed call gives: text, refusal and
    reasoning joined, tool calls merged by index, logprobs, finish reasons, usage.

    It runs once per chunk, so it reads the fields it knows by name, and keeps no more
    than the merged answer."""

    def __init__(self) -> None:
        self._id = ""
        self._model = ""
        self._created = 0
        self._extra: dict[str, Any] = {}  # system_fingerprint and service_tier: the last one sent
        self._choices: dict[int, _ChoiceParts] = {}
        self._usage: Json = None

    def add(self, chunk: Chunk) -> None:
        # Azure's first chunk has id, model and created empty: the first values sent count.
        if not self._id:
            self._id = chunk.id
        if not self._model:
            self._model = chunk.model
        if not self._created:
            self._created = chunk.created
        if chunk.system_fingerprint is not None:
            self._extra["system_fingerprint"] = chunk.system_fingerprint
        if chunk.service_tier is not None:
            self._extra["service_tier"] = chunk.service_tier
        if chunk.usage is not None:
            self._usage = msgspec.to_builtins(chunk.usage)
        elif chunk.x_groq is not None and chunk.x_groq.usage is not None:
            # Groq sends a stream's usage there, in its last chunk, and none in `usage`.
            self._usage = msgspec.to_builtins(chunk.x_groq.usage)
        for choice in chunk.choices:
            parts = self._choices.get(choice.index)
            if parts is None:
                parts = self._choices[choice.index] = _ChoiceParts()
            delta = choice.delta
            if delta.role is not None:
                parts.role = delta.role
            if delta.content:
                parts.content += delta.content.encode()
            if delta.refusal:
                parts.refusal += delta.refusal.encode()
            if delta.reasoning_content:
                parts.reasoning_content += delta.reasoning_content.encode()
            if delta.reasoning:
                parts.reasoning += delta.reasoning.encode()
            for call in delta.tool_calls or ():
                self._merge_tool_call(parts, call if isinstance(call, dict) else msgspec.to_builtins(call))
            if choice.logprobs is not None:
                parts.has_logprobs = True
                parts.logprobs.extend(msgspec.to_builtins(choice.logprobs.content or []))
                parts.refusal_logprobs.extend(msgspec.to_builtins(choice.logprobs.refusal or []))
            if choice.finish_reason is not None:
                parts.finish_reason = choice.finish_reason

    @staticmethod
    def _merge_tool_call(parts: _ChoiceParts, delta: dict[str, Any]) -> None:
        index = delta.get("index")
        if index is None:
            # No index (Gemini sends whole calls): a call with an id is a new one.
            slot = (
                len(parts.tool_calls)
                if delta.get("id") or not parts.tool_calls
                else len(parts.tool_calls) - 1
            )
        else:
            slot = parts.tool_call_at.setdefault(index, len(parts.tool_calls))
        if slot == len(parts.tool_calls):
            parts.tool_calls.append(_ToolCallParts())
        call = parts.tool_calls[slot]
        if delta.get("id"):
            call.id = delta["id"]
        if delta.get("type"):
            call.type = delta["type"]
        function: dict[str, Any] = delta.get("function") or {}
        if function.get("name"):
            call.name += function["name"].encode()
        if function.get("arguments"):
            call.arguments += function["arguments"].encode()

    def completion(self) -> Json:
        """The merged answer, in the shape of a ``chat.completion`` object."""
        choices: list[Json] = []
        for index, parts in sorted(self._choices.items()):
            message: dict[str, Any] = {
                "role": parts.role or "assistant",
                "content": _text(parts.content),
                "refusal": _text(parts.refusal),
            }
            if parts.reasoning_content:
                message["reasoning_content"] = parts.reasoning_content.decode()
            if parts.reasoning:
                message["reasoning"] = parts.reasoning.decode()
            if parts.tool_calls:
                message["tool_calls"] = [
                    {
                        "id": call.id,
                        "type": call.type,
                        "function": {"name": call.name.decode(), "arguments": call.arguments.decode()},
                    }
                    for call in parts.tool_calls
                ]
            logprobs = (
                {"content": parts.logprobs, "refusal": parts.refusal_logprobs} if parts.has_logprobs else None
            )
            choices.append(
                {
                    "index": index,
                    "message": message,
                    "logprobs": logprobs,
                    "finish_reason": parts.finish_reason,
                }
            )
        completion: dict[str, Any] = {
            "id": self._id,
            "model": self._model,
            "created": self._created,
            **self._extra,
            "object": "chat.completion",
            "choices": choices,
        }
        if self._usage is not None:
            completion["usage"] = self._usage
        return completion


class StreamState(Generic[P]):
    """A stream's progress, without its I/O: bytes in, chunks out, a result at the end."""

    def __init__(
        self,
        response: httpx2.Response,
        endpoint: Endpoint[Any, Any, Any, Any, Chunk],
        on_data: Any = None,
        on_terminate: Any = None,
        parse: type[P] | None = None,
        watch: Watch | None = None,
    ) -> None:
        if endpoint.stream_chunk is None:
            raise TypeError(f"{endpoint.operation_id} does not stream")
        self._chunk_type = endpoint.stream_chunk
        self._error_type = endpoint.error
        self.headers = response.headers
        self._request_id = response.headers.get("x-request-id")
        # What every error of the stream says of its answer.  Not the response itself: a
        # response still streaming holds the transport's own copy of the request, key included.
        try:
            self._request: httpx2.Request | None = response.request
        except RuntimeError:  # a response made without its request
            self._request = None
        self._status = response.status_code
        self._head = b""  # the stream's first bytes
        self._decoder = SSEDecoder()
        self._accumulator = ChunkAccumulator()
        self._on_data = on_data
        self._on_terminate = on_terminate
        self._parse = parse
        self._watch = watch  # the call's hooks and span: it ends where the stream does
        self._decode_chunk = decoder_for(self._chunk_type)
        self._raw: bytes | None = None  # the last chunk only: a long stream keeps no history
        self.done = False
        self.result: ChatCompletionResult[P] | None = None
        self.error: OpenAIError | None = None

    @property
    def raw_chunk(self) -> Json:
        """The JSON of the last chunk read, as the server sent it (None before the first)."""
        return None if self._raw is None else _plain(self._raw)

    def feed(self, data: bytes) -> Iterator[Chunk]:
        """The chunks in ``data``, each decoded, merged and called back as it is asked for.

        Lazily, and a slice of ``data`` at a time, because ``data`` can be a whole stream
        (a buffering proxy, a mock transport): decoding all its chunks before handing out
        the first held every one of them at once, and each cost more the longer the stream
        was (50,000 chunks: twice as much each as 500)."""
        if len(self._head) < _HEAD:
            self._head += data[: _HEAD - len(self._head)]
        for start in range(0, len(data), _FEED_SLICE):  # data[0:len(data)] is data, no copy
            for event, payload, _ in self._decoder.feed_bytes(data[start : start + _FEED_SLICE]):
                if self.done:
                    continue
                if payload == b"[DONE]":
                    self.done = True
                    continue
                if event == "error" or payload.lstrip().startswith(b'{"error"'):
                    raise self._stream_error(payload)
                try:
                    chunk = self._decode_chunk(payload)
                except msgspec.DecodeError as error:
                    payload, chunk = self._decode_repaired(payload, error)
                self._raw = payload  # only a chunk that decoded: raw_chunk decodes it again
                self._accumulator.add(chunk)
                if self._on_data is not None:
                    self._on_data(chunk)
                yield chunk

    def _decode_repaired(self, payload: bytes, error: msgspec.DecodeError) -> tuple[bytes, Chunk]:
        """A chunk that is not valid UTF-8 has its bad bytes replaced (U+FFFD), as the
        event stream standard reads them; any other chunk that does not decode is an error."""
        repaired = payload.decode("utf-8", "replace").encode()
        if repaired != payload:
            try:
                return repaired, self._decode_chunk(repaired)
            except msgspec.DecodeError as still:
                error = still
        raise self._error(
            APIResponseValidationError,
            f"A stream event is not a valid chunk: {error}; it starts {repaired[:120].decode()!r}",
            body=error_body(payload),
        ) from error

    def _stream_error(self, payload: bytes) -> APIStreamError:
        body = error_body(payload, error_member=True)
        try:
            error = decode_json(payload, self._error_type).error
        except msgspec.DecodeError:
            message = payload.decode("utf-8", "replace")[:200] or "error event"
            return self._error(APIStreamError, message, body=body)
        code = None if error.code is None else str(error.code)
        return self._error(
            APIStreamError, error.message, body=body, code=code, type=error.type, param=error.param
        )

    def _error(
        self,
        cls: type[E],
        message: str,
        *,
        body: object = None,
        code: str | None = None,
        type: str | None = None,
        param: str | None = None,
    ) -> E:
        """An error of this stream: with its answer's status, request and request id, and
        the answer so far (``partial``)."""
        return cls(
            message,
            self._request,
            body=body,
            status_code=self._status,
            code=code,
            type=type,
            param=param,
            request_id=self._request_id,
            partial=self._partial(),
        )

    def _partial(self) -> ChatCompletionResult[Any] | None:
        """The answer merged from the chunks so far, unparsed; None before the first."""
        if self._raw is None:
            return None
        return self._result(self._accumulator.completion(), parse=None)

    def _result(self, merged: Json, parse: type[P] | None) -> ChatCompletionResult[P]:
        return ChatCompletionResult(
            convert_lenient(merged, ChatCompletion), self.headers, raw=merged, parse=parse
        )

    def finish(self) -> ChatCompletionResult[P]:
        content_type = self.headers.get("content-type", "")
        if self._raw is None and not self.done and not content_type.startswith("text/event-stream"):
            raise self._error(
                APIResponseValidationError,
                f"The answer is not an event stream (content-type {content_type or 'none'}): the "
                f"server may not stream; it starts {self._head.decode('utf-8', 'replace')!r}",
            )
        if self._decoder.pending or not self.done:
            where = "in the middle of an event" if self._decoder.pending else "before data: [DONE]"
            raise self._error(APIStreamIncompleteError, f"The stream ended {where}")
        merged = self._accumulator.completion()
        self._accumulator = ChunkAccumulator()  # the merged answer holds the text now: the pieces can go
        self.result = self._result(merged, self._parse)
        if self._watch is not None:
            self._watch.finished(self.result)
        if self._on_terminate is not None:
            self._on_terminate(ChatCompletionOutcome(self.result))
        return self.result

    def final(self) -> ChatCompletionResult[P]:
        """The result once the stream has been read to its end; the stream's own error if
        it failed, ``APIStreamIncompleteError`` if it was closed before its end."""
        if self.result is not None:
            return self.result
        if self.error is not None:
            raise self.error
        raise self._error(
            APIStreamIncompleteError, "The stream was closed before its end: there is no final result"
        )

    def fail(self, error: OpenAIError | httpx2.RequestError) -> OpenAIError:
        """The error the stream ends with (a transport's becomes completionkit's, with the
        answer so far), after telling ``on_terminate``."""
        if isinstance(error, httpx2.RequestError):
            cls, message = transport_failure(error, streaming=True)
            error = self._error(cls, message)
        self.error = error
        if self._watch is not None:
            self._watch.failed(error)
        if self._on_terminate is not None:
            self._on_terminate(ChatCompletionOutcome(None, [error], self.headers))
        return error

    def closed(self) -> None:
        """The stream was closed: before its end, the call's watch ends with what was read."""
        if self._watch is not None and self.result is None and self.error is None:
            self._watch.abandoned(self._partial())


def _plain(data: bytes) -> Json:
    """A chunk's JSON; None for one too deeply nested to build (its typed decoding skipped it)."""
    try:
        return decode_plain_json(data)
    except msgspec.DecodeError:
        return None


def _text_deltas(chunk: Chunk) -> Iterator[str]:
    for choice in chunk.choices:
        if choice.index == 0 and choice.delta.content:
            yield choice.delta.content


def _reasoning_deltas(chunk: Chunk) -> Iterator[str]:
    for choice in chunk.choices:
        if choice.index == 0 and (
            text := reasoning_text(choice.delta.reasoning, choice.delta.reasoning_content)
        ):
            yield text


class _StreamView(Generic[P]):
    """What a stream shows of itself, for both kinds of stream."""

    def __init__(self, response: httpx2.Response, state: StreamState[P]) -> None:
        self.response = response
        """The HTTP response the chunks are read from."""
        self._state = state

    @property
    def headers(self) -> httpx2.Headers:
        """The response headers (``x-request-id``, ``x-ratelimit-*``, ...)."""
        return self._state.headers

    @property
    def raw_chunk(self) -> Json:
        """The JSON of the last chunk read, as the server sent it, with any field this
        version does not know (None before the first chunk).  Only the last one is kept,
        so that a long stream holds its text and the current chunk, not its history."""
        return self._state.raw_chunk


class ChatCompletionStream(_StreamView[P]):
    """A streamed answer: iterate for the chunks, ``text_deltas()`` for the text alone
    (``reasoning_deltas()`` for the reasoning), ``final()`` for the whole result; ``with``
    closes the connection, also on ``break``."""

    def __init__(self, response: httpx2.Response, state: StreamState[P]) -> None:
        super().__init__(response, state)
        self._chunks = self._read()

    def _read(self) -> Generator[Chunk]:
        try:
            for data in self.response.iter_bytes():
                yield from self._state.feed(data)
            self._state.finish()
        except (OpenAIError, httpx2.RequestError) as error:
            failure = self._state.fail(error)
            if failure is error:
                raise  # already ours: its own cause would be a cycle (pickled with tblib, endless)
            raise failure from error
        finally:
            self.response.close()

    def __iter__(self) -> Iterator[Chunk]:
        return self._chunks

    def text_deltas(self) -> Iterator[str]:
        """The text of the first choice, piece by piece."""
        for chunk in self._chunks:
            yield from _text_deltas(chunk)

    def reasoning_deltas(self) -> Iterator[str]:
        """The reasoning of the first choice, piece by piece, whichever field the server
        sends it in (``reasoning`` or ``reasoning_content``, read as ``choice.reasoning``
        reads them).  Like ``text_deltas()``, it reads the stream's chunks, the text's
        among them: the text is then in ``final().choice.text``."""
        for chunk in self._chunks:
            yield from _reasoning_deltas(chunk)

    def final(self) -> ChatCompletionResult[P]:
        """The whole answer, as a non-streamed ``create`` returns it; reads what is left."""
        for _ in self._chunks:
            pass
        return self._state.final()

    def close(self) -> None:
        """Stop reading and close the connection; ``with`` does it for you."""
        self._chunks.close()
        self.response.close()
        self._state.closed()

    def __enter__(self) -> ChatCompletionStream[P]:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: types.TracebackType | None
    ) -> None:
        self.close()


class AsyncChatCompletionStream(_StreamView[P]):
    """``ChatCompletionStream`` for ``AsyncOpenAI``: ``async for``, ``async with``, ``await final()``."""

    def __init__(self, response: httpx2.Response, state: StreamState[P]) -> None:
        super().__init__(response, state)
        self._chunks = self._read()

    async def _read(self) -> AsyncGenerator[Chunk]:
        try:
            async for data in self.response.aiter_bytes():
                for chunk in self._state.feed(data):
                    yield chunk
            self._state.finish()
        except (OpenAIError, httpx2.RequestError) as error:
            failure = self._state.fail(error)
            if failure is error:
                raise  # already ours: its own cause would be a cycle (pickled with tblib, endless)
            raise failure from error
        finally:
            await self.response.aclose()

    def __aiter__(self) -> AsyncIterator[Chunk]:
        return self._chunks

    async def text_deltas(self) -> AsyncIterator[str]:
        """The text of the first choice, piece by piece."""
        async for chunk in self._chunks:
            for text in _text_deltas(chunk):
                yield text

    async def reasoning_deltas(self) -> AsyncIterator[str]:
        """The reasoning of the first choice, piece by piece, as the sync stream's
        ``reasoning_deltas()`` gives it."""
        async for chunk in self._chunks:
            for text in _reasoning_deltas(chunk):
                yield text

    async def final(self) -> ChatCompletionResult[P]:
        """The whole answer, as a non-streamed ``create`` returns it; reads what is left."""
        async for _ in self._chunks:
            pass
        return self._state.final()

    async def close(self) -> None:
        """Stop reading and close the connection; ``async with`` does it for you."""
        await self._chunks.aclose()
        await self.response.aclose()
        self._state.closed()

    async def __aenter__(self) -> AsyncChatCompletionStream[P]:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: types.TracebackType | None
    ) -> None:
        await self.close()


class AsyncChatCompletionStreamManager(Generic[P]):
    """What ``AsyncOpenAI``'s ``stream()`` returns, as openai's does:
    ``async with client.chat.completions.stream(...) as stream:`` sends the request,
    gives the ``AsyncChatCompletionStream``, and closes it at the end of the block.

    ``await``-ing it instead gives the stream without a block, yours to close
    (``await stream.close()``), as the sync ``stream()`` gives it; ``async with await``,
    the form of earlier versions, still works.  Either way, it opens one stream, once.
    """

    def __init__(self, opening: Coroutine[Any, Any, AsyncChatCompletionStream[P]]) -> None:
        # The request goes when the manager is entered or awaited, in the caller's task;
        # a manager never used warns, as a coroutine never awaited does.
        self._opening = opening
        self._stream: AsyncChatCompletionStream[P] | None = None

    def __await__(self) -> Generator[Any, None, AsyncChatCompletionStream[P]]:
        """The stream, without a block: yours to close."""
        return self._opening.__await__()

    async def __aenter__(self) -> AsyncChatCompletionStream[P]:
        """Send the request; the stream, closed when the block ends."""
        self._stream = await self._opening
        return self._stream

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: types.TracebackType | None
    ) -> None:
        if self._stream is not None:
            await self._stream.close()
