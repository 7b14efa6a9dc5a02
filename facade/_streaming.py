"""Streamed answers: the server-sent events decoder, the accumulator, and the two streams.

``SSEDecoder`` reads the event stream format as the WHATWG HTML standard defines it
(https://html.spec.whatwg.org/multipage/server-sent-events.html#event-stream-interpretation),
``ChunkAccumulator`` merges chunks into the completion a non-streamed call would have
given, and ``StreamState`` ties them to the callbacks.  All three are free of I/O;
``ChatCompletionStream`` and ``AsyncChatCompletionStream`` only feed them bytes.
"""

from __future__ import annotations

import dataclasses
import re
import types
from collections.abc import AsyncGenerator, AsyncIterator, Generator, Iterator
from typing import Any

import httpx2
import msgspec

from ._answers import error_from_transport
from ._decoding import convert_lenient, decode_json, decode_plain_json
from ._exceptions import APIResponseValidationError, APIStreamError, APIStreamIncompleteError, OpenAIError
from ._generated.endpoints import Endpoint
from ._generated.models import CreateChatCompletionResponse, CreateChatCompletionStreamResponse
from ._results import ChatCompletionOutcome, ChatCompletionResult

__all__ = [
    "AsyncChatCompletionStream",
    "ChatCompletionStream",
    "ChunkAccumulator",
    "SSEDecoder",
    "ServerSentEvent",
    "StreamState",
]

# The chunk type, for annotations; decoding uses the one the endpoint stub names.
Chunk = CreateChatCompletionStreamResponse
Json = Any


@dataclasses.dataclass(frozen=True)
class ServerSentEvent:
    """One dispatched event: its type (``message`` unless the server named one) and data."""

    event: str
    data: str
    id: str | None = None


_LINE_END = re.compile(rb"\r\n|\r|\n")
_BOM = b"\xef\xbb\xbf"


class SSEDecoder:
    """Bytes in, events out: LF, CRLF and CR line ends, multi-line ``data:``, comments.

    Each byte is looked at a bounded number of times, whatever the chunking, and only
    the unfinished line is kept between calls; the pending event holds its own data.
    """

    def __init__(self) -> None:
        self._buffer = bytearray()
        self._skip_lf = False  # a CR ended the last call's last line: a LF after it is the same end
        self._at_start = True  # no byte but (part of) a BOM seen yet: one leading BOM is dropped
        self._data: list[str] = []
        self._event = ""
        self._id: str | None = None

    def feed(self, chunk: bytes) -> list[ServerSentEvent]:
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
        if self._skip_lf and chunk[:1] == b"\n":
            chunk = chunk[1:]
        self._skip_lf = False
        # What is left of the last call holds no line end: scan only the new bytes.
        scan = len(self._buffer)
        self._buffer += chunk
        buffer = self._buffer
        events: list[ServerSentEvent] = []
        line_start = 0
        while (end := _LINE_END.search(buffer, scan)) is not None:
            if end.group() == b"\r" and end.end() == len(buffer):
                self._skip_lf = True
            event = self._line(bytes(buffer[line_start : end.start()]).decode("utf-8", "replace"))
            if event is not None:
                events.append(event)
            line_start = scan = end.end()
        del buffer[:line_start]
        return events

    def _line(self, line: str) -> ServerSentEvent | None:
        if not line:
            return self._dispatch()
        if line.startswith(":"):
            return None  # a comment: keep-alives and the like
        name, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if name == "data":
            self._data.append(value)
        elif name == "event":
            self._event = value
        elif name == "id" and "\0" not in value:
            self._id = value
        # "retry" and unknown fields change nothing here.
        return None

    def _dispatch(self) -> ServerSentEvent | None:
        if not self._data:
            self._event = ""
            return None
        event = ServerSentEvent(self._event or "message", "\n".join(self._data), self._id)
        self._data = []
        self._event = ""
        return event

    @property
    def pending(self) -> bool:
        """True when the stream so far ends inside an event (or a line)."""
        return bool(self._buffer) or bool(self._data)


def _text(parts: list[str]) -> str | None:
    return "".join(parts) if parts else None


@dataclasses.dataclass
class _ChoiceParts:
    role: str | None = None
    content: list[str] = dataclasses.field(default_factory=list[str])
    refusal: list[str] = dataclasses.field(default_factory=list[str])
    reasoning_content: list[str] = dataclasses.field(default_factory=list[str])
    reasoning: list[str] = dataclasses.field(default_factory=list[str])
    tool_calls: list[dict[str, Any]] = dataclasses.field(default_factory=list[dict[str, Any]])
    tool_call_at: dict[int, int] = dataclasses.field(default_factory=dict[int, int])
    logprobs: list[Json] = dataclasses.field(default_factory=list[Json])
    refusal_logprobs: list[Json] = dataclasses.field(default_factory=list[Json])
    has_logprobs: bool = False
    finish_reason: str | None = None


class ChunkAccumulator:
    """Merges chunks into the completion a non-streamed call gives: text, refusal and
    reasoning joined, tool calls merged by index, logprobs, finish reasons, usage."""

    def __init__(self) -> None:
        self._head: dict[str, Any] = {"id": "", "model": "", "created": 0}
        self._choices: dict[int, _ChoiceParts] = {}
        self._usage: Json = None

    def add(self, chunk: Chunk) -> None:
        for key in ("id", "model", "created"):
            value = getattr(chunk, key)
            if value and not self._head[key]:
                self._head[key] = value  # Azure's first chunk has them empty
        for key in ("system_fingerprint", "service_tier"):
            value = getattr(chunk, key)
            if value is not None:
                self._head[key] = value
        if chunk.usage is not None:
            self._usage = msgspec.to_builtins(chunk.usage)
        for choice in chunk.choices:
            parts = self._choices.setdefault(choice.index, _ChoiceParts())
            delta = choice.delta
            if delta.role is not None:
                parts.role = delta.role
            for name in ("content", "refusal", "reasoning_content", "reasoning"):
                piece = getattr(delta, name)
                if piece:
                    getattr(parts, name).append(piece)
            for call in delta.tool_calls or []:
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
            parts.tool_calls.append({"id": "", "type": "function", "function": {"name": "", "arguments": ""}})
        call = parts.tool_calls[slot]
        if delta.get("id"):
            call["id"] = delta["id"]
        if delta.get("type"):
            call["type"] = delta["type"]
        function: dict[str, Any] = delta.get("function") or {}
        if function.get("name"):
            call["function"]["name"] += function["name"]
        if function.get("arguments"):
            call["function"]["arguments"] += function["arguments"]

    def completion(self) -> Json:
        """The merged answer, in the shape of a ``chat.completion`` object."""
        choices: list[Json] = []
        for index, parts in sorted(self._choices.items()):
            message: dict[str, Any] = {
                "role": parts.role or "assistant",
                "content": _text(parts.content),
                "refusal": _text(parts.refusal),
            }
            for name in ("reasoning_content", "reasoning"):
                text = _text(getattr(parts, name))
                if text is not None:
                    message[name] = text
            if parts.tool_calls:
                message["tool_calls"] = parts.tool_calls
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
        completion: dict[str, Any] = {**self._head, "object": "chat.completion", "choices": choices}
        if self._usage is not None:
            completion["usage"] = self._usage
        return completion


class StreamState:
    """A stream's progress, without its I/O: bytes in, chunks out, a result at the end."""

    def __init__(
        self,
        response: httpx2.Response,
        endpoint: Endpoint[Any, Any, Any, Any, Chunk],
        on_data: Any = None,
        on_terminate: Any = None,
    ) -> None:
        if endpoint.stream_chunk is None:
            raise TypeError(f"{endpoint.operation_id} does not stream")
        self._chunk_type = endpoint.stream_chunk
        self._error_type = endpoint.error
        self.headers = response.headers
        self._request_id = response.headers.get("x-request-id")
        self._decoder = SSEDecoder()
        self._accumulator = ChunkAccumulator()
        self._on_data = on_data
        self._on_terminate = on_terminate
        self._raw: list[bytes] = []
        self.done = False
        self.result: ChatCompletionResult | None = None
        self.error: OpenAIError | None = None

    @property
    def raw_chunks(self) -> list[Json]:
        """The JSON of every chunk so far, as the server sent it."""
        return [_plain(data) for data in self._raw]

    def feed(self, data: bytes) -> list[Chunk]:
        chunks: list[Chunk] = []
        for event in self._decoder.feed(data):
            if self.done:
                continue
            payload = event.data.encode()
            if event.data == "[DONE]":
                self.done = True
                continue
            if event.event == "error" or payload.lstrip().startswith(b'{"error"'):
                raise self._stream_error(payload)
            try:
                chunk = decode_json(payload, self._chunk_type)
            except msgspec.DecodeError as error:
                raise APIResponseValidationError(
                    f"A stream event is not a valid chunk: {error}; it starts {event.data[:120]!r}",
                    request_id=self._request_id,
                    body=payload,
                ) from error
            self._raw.append(payload)  # only chunks that decoded: raw_chunks decodes them again
            self._accumulator.add(chunk)
            if self._on_data is not None:
                self._on_data(chunk)
            chunks.append(chunk)
        return chunks

    def _stream_error(self, payload: bytes) -> APIStreamError:
        try:
            error = decode_json(payload, self._error_type).error
        except msgspec.DecodeError:
            return APIStreamError(
                payload.decode("utf-8", "replace")[:200] or "error event",
                request_id=self._request_id,
                body=payload,
            )
        code = None if error.code is None else str(error.code)
        return APIStreamError(
            error.message,
            code=code,
            type=error.type,
            param=error.param,
            request_id=self._request_id,
            body=payload,
        )

    def finish(self) -> ChatCompletionResult:
        if self._decoder.pending or not self.done:
            where = "in the middle of an event" if self._decoder.pending else "before data: [DONE]"
            raise APIStreamIncompleteError(f"The stream ended {where}.", request_id=self._request_id)
        merged = self._accumulator.completion()
        completion = convert_lenient(merged, CreateChatCompletionResponse)
        self.result = ChatCompletionResult(completion, self.headers, raw_body=msgspec.json.encode(merged))
        if self._on_terminate is not None:
            self._on_terminate(ChatCompletionOutcome(self.result))
        return self.result

    def final(self) -> ChatCompletionResult:
        """The result once the stream has been read to its end; the stream's own error if
        it failed, ``APIStreamIncompleteError`` if it was closed before its end."""
        if self.result is not None:
            return self.result
        if self.error is not None:
            raise self.error
        raise APIStreamIncompleteError(
            "The stream was closed before its end: there is no final result.", request_id=self._request_id
        )

    def fail(self, error: OpenAIError) -> OpenAIError:
        self.error = error
        if self._on_terminate is not None:
            self._on_terminate(ChatCompletionOutcome(None, [error], self.headers))
        return error


def _plain(data: bytes) -> Json:
    """A chunk's JSON; None for one too deeply nested to build (its typed decoding skipped it)."""
    try:
        return decode_plain_json(data)
    except msgspec.DecodeError:
        return None


def _mapped(error: OpenAIError | httpx2.RequestError) -> OpenAIError:
    return error if isinstance(error, OpenAIError) else error_from_transport(error, streaming=True)


def _text_deltas(chunk: Chunk) -> Iterator[str]:
    for choice in chunk.choices:
        if choice.index == 0 and choice.delta.content:
            yield choice.delta.content


class _StreamView:
    """What a stream shows of itself, for both kinds of stream."""

    def __init__(self, response: httpx2.Response, state: StreamState) -> None:
        self.response = response
        """The HTTP response the chunks are read from."""
        self._state = state

    @property
    def headers(self) -> httpx2.Headers:
        return self._state.headers

    @property
    def raw_chunks(self) -> list[Json]:
        """The JSON of every chunk read so far, as the server sent it."""
        return self._state.raw_chunks


class ChatCompletionStream(_StreamView):
    """A streamed answer: iterate for the chunks, ``text_deltas()`` for the text alone,
    ``final()`` for the whole result; ``with`` closes the connection, also on ``break``."""

    def __init__(self, response: httpx2.Response, state: StreamState) -> None:
        super().__init__(response, state)
        self._chunks = self._read()

    def _read(self) -> Generator[Chunk]:
        try:
            for data in self.response.iter_bytes():
                yield from self._state.feed(data)
            self._state.finish()
        except (OpenAIError, httpx2.RequestError) as error:
            raise self._state.fail(_mapped(error)) from error
        finally:
            self.response.close()

    def __iter__(self) -> Iterator[Chunk]:
        return self._chunks

    def text_deltas(self) -> Iterator[str]:
        """The text of the first choice, piece by piece."""
        for chunk in self._chunks:
            yield from _text_deltas(chunk)

    def final(self) -> ChatCompletionResult:
        """The whole answer, as a non-streamed ``create`` returns it; reads what is left."""
        for _ in self._chunks:
            pass
        return self._state.final()

    def close(self) -> None:
        self._chunks.close()
        self.response.close()

    def __enter__(self) -> ChatCompletionStream:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: types.TracebackType | None
    ) -> None:
        self.close()


class AsyncChatCompletionStream(_StreamView):
    """``ChatCompletionStream`` for ``AsyncOpenAI``: ``async for``, ``async with``, ``await final()``."""

    def __init__(self, response: httpx2.Response, state: StreamState) -> None:
        super().__init__(response, state)
        self._chunks = self._read()

    async def _read(self) -> AsyncGenerator[Chunk]:
        try:
            async for data in self.response.aiter_bytes():
                for chunk in self._state.feed(data):
                    yield chunk
            self._state.finish()
        except (OpenAIError, httpx2.RequestError) as error:
            raise self._state.fail(_mapped(error)) from error
        finally:
            await self.response.aclose()

    def __aiter__(self) -> AsyncIterator[Chunk]:
        return self._chunks

    async def text_deltas(self) -> AsyncIterator[str]:
        """The text of the first choice, piece by piece."""
        async for chunk in self._chunks:
            for text in _text_deltas(chunk):
                yield text

    async def final(self) -> ChatCompletionResult:
        """The whole answer, as a non-streamed ``create`` returns it; reads what is left."""
        async for _ in self._chunks:
            pass
        return self._state.final()

    async def close(self) -> None:
        await self._chunks.aclose()
        await self.response.aclose()

    async def __aenter__(self) -> AsyncChatCompletionStream:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: types.TracebackType | None
    ) -> None:
        await self.close()
