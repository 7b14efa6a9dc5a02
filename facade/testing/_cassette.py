"""Cassettes: real traffic recorded through a client into a file, served back by the local server.

``Cassette(path)`` gives an httpx2 client (sync or async, or a bare transport) to pass as
``OpenAI(http_client=...)``.  Each exchange is appended to the file as it ends, one JSON
object a line (JSON Lines), with its secret headers redacted.  ``read_cassette(path)``
reads the file back into ``Interaction`` values, and ``LocalServer(cassette=path)``
answers each request with the recorded answer of the interaction it matches.

One line::

    {"version": 1,
     "request": {"method": "POST", "path": "/chat/completions", "query": [],
                 "headers": [["authorization", "[redacted]"], ...], "json": {...}},
     "response": {"status": 200, "headers": [["content-type", "text/event-stream"], ...],
                  "body": "data: ...", "encoding": "text", "stream": true,
                  "chunks": [183, 164, 14], "complete": true}}

``path`` is relative to the API root (``/v1`` of ``https://api.openai.com/v1``, or an
Azure deployment's root, stripped).  A request body that is not JSON is ``"body"`` and
``"encoding"`` instead of ``"json"``; an empty one is neither.  A response body is text
when it is UTF-8, base64 (``"encoding": "base64"``) when not.  ``chunks`` are the sizes in
bytes of the pieces of a stream as they came; ``complete`` is false when the connection
broke (or the client stopped reading) after ``body``.  ``"response": null`` with an
``"error"`` (the transport error's name) is an exchange that got no answer at all.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import json
import os
import re
import threading
import typing
import urllib.parse
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from pathlib import Path
from typing import Any, ClassVar, Literal

import httpx2
import msgspec

# The client's own rules, reused: which header names may hold a secret, which are names.
from .._config import _TOKEN, CONNECTION_LIMITS, is_secret_header  # pyright: ignore[reportPrivateUsage]
from .._generated import endpoints
from ._http import HTTPError, Scope, Send, decoded_body, drop, query_pairs

__all__ = [
    "DEFAULT_REDACTED",
    "REDACTED",
    "Cassette",
    "CassetteError",
    "CassettePlayer",
    "Interaction",
    "answer_from",
    "api_path",
    "read_cassette",
]

Json = Any

FORMAT_VERSION = 1
REDACTED = "[redacted]"
DEFAULT_REDACTED = frozenset(
    {
        "authorization",
        "api-key",
        "cookie",
        "set-cookie",
        "openai-organization",
        "openai-project",
        "x-api-key",
    }
)
"""The headers (and query parameters) a cassette always redacts, besides any whose name
matches the client's secret-header pattern (``auth``, ``key``, ``token``, ``secret``,
``cookie``, ``password``, ``credential``)."""

# A secret's value this long or longer is also blanked out wherever else it shows in an
# exchange (an error message quoting the key); a shorter one would blank out common words.
_SCRUBBED_LENGTH = 12
# Set by the local server that replays the answer, or meaningless once replayed.
_NOT_REPLAYED = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "proxy-connection",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "content-length",
        "date",
    }
)
_API_PATHS = [
    re.compile("(?P<api>" + re.sub(r"\\{\w+\\}", "[^/]+", re.escape(path)) + ")$")
    for path in [*(e.path for e in endpoints.ENDPOINTS), "/models"]
]
# RFC 9110's field value, as HTTP servers (h11) check it: visible characters, obs-text,
# and spaces or tabs between them only.
_FIELD_VALUE = re.compile(r"(?:[\x21-\x7e\x80-\xff](?:[ \t]*[\x21-\x7e\x80-\xff])*)?")


class CassetteError(ValueError):
    """A cassette file that cannot be read: ``path`` and ``line`` (from 1) say where."""

    def __init__(self, path: str, line: int, problem: str) -> None:
        super().__init__(f"{path}:{line}: {problem}")
        self.path = path
        self.line = line
        self.problem = problem


@dataclasses.dataclass(frozen=True)
class Interaction:
    """One recorded exchange: a request and the answer it got."""

    method: str
    """The HTTP method: ``POST``, ``GET``, ``DELETE``."""
    path: str
    """The URL path relative to the API root, as sent (``/chat/completions/chatcmpl-1``)."""
    query: tuple[tuple[str, str], ...]
    """The query parameters, in order (secret ones redacted)."""
    request_headers: tuple[tuple[str, str], ...]
    """The request's headers (secret ones redacted)."""
    request_body: Json
    """The decoded JSON body; the bytes of one that is not JSON; None for none."""
    status: int | None
    """The answer's status; None when the exchange got no answer (``error`` says why)."""
    response_headers: tuple[tuple[str, str], ...]
    """The answer's headers (secret ones redacted)."""
    body: bytes
    """The answer's body, as it came."""
    stream: bool
    """Whether the answer was a stream (of server-sent events)."""
    chunks: tuple[int, ...]
    """The sizes of the pieces of a streamed ``body`` as they came (they add up to its size)."""
    complete: bool
    """False when the connection broke, or the client stopped reading, after ``body``."""
    error: str | None
    """The transport error of an exchange that got no answer (``ConnectError``)."""
    line: int
    """The line of the cassette file it was read from (0 for one not read from a file)."""


# --- the file's lines ----------------------------------------------------------------


class _RequestLine(msgspec.Struct):
    method: str
    path: str
    query: list[tuple[str, str]] = []
    headers: list[tuple[str, str]] = []
    json: Any = msgspec.UNSET
    body: str | None = None
    encoding: Literal["text", "base64"] = "text"


class _ResponseLine(msgspec.Struct):
    status: int
    headers: list[tuple[str, str]] = []
    body: str = ""
    encoding: Literal["text", "base64"] = "text"
    stream: bool = False
    chunks: list[int] | None = None
    complete: bool = True


class _Line(msgspec.Struct):
    version: int
    request: _RequestLine
    response: _ResponseLine | None = None
    error: str | None = None


def _encoded(data: bytes) -> tuple[str, Literal["text", "base64"]]:
    try:
        return data.decode("utf-8"), "text"
    except UnicodeDecodeError:
        return base64.b64encode(data).decode("ascii"), "base64"


class _LineError(Exception):
    pass


def _decoded(text: str, encoding: Literal["text", "base64"], what: str) -> bytes:
    try:
        if encoding == "base64":
            return base64.b64decode(text.encode("ascii"), validate=True)
        return text.encode("utf-8")
    except (UnicodeEncodeError, binascii.Error) as error:
        raise _LineError(f"{what} is not valid {encoding}: {error}") from None


def _checked_headers(pairs: list[tuple[str, str]], what: str) -> tuple[tuple[str, str], ...]:
    for name, value in pairs:
        if not _TOKEN.fullmatch(name):
            raise _LineError(f"{what} has a header name that cannot be sent: {name!r}")
        if not _FIELD_VALUE.fullmatch(value):
            raise _LineError(f"{what} header {name!r} has a value that cannot be sent: {value!r}")
    return tuple(pairs)


def _interaction(line: _Line, number: int) -> Interaction:
    if line.version != FORMAT_VERSION:
        raise _LineError(f"version {line.version} is not one this completionkit reads ({FORMAT_VERSION})")
    request = line.request
    if not _TOKEN.fullmatch(request.method):
        raise _LineError(f"the request's method {request.method!r} is not an HTTP method")
    if not request.path.startswith("/"):
        raise _LineError(f"the request's path {request.path!r} does not start with '/'")
    body: Json = None
    if request.json is not msgspec.UNSET:
        body = request.json
    elif request.body is not None:
        body = _decoded(request.body, request.encoding, "the request's body")
    response = line.response
    if response is None:
        if line.error is None:
            raise _LineError('an interaction needs a "response", or an "error" when it got none')
        return Interaction(
            request.method,
            api_path(request.path),
            tuple(request.query),
            tuple(request.headers),
            body,
            None,
            (),
            b"",
            False,
            (),
            False,
            line.error,
            number,
        )
    if not 200 <= response.status <= 599:
        raise _LineError(f"the response's status {response.status} is not one the server can replay")
    data = _decoded(response.body, response.encoding, "the response's body")
    if data and response.status in (204, 304):
        raise _LineError(f"a {response.status} response has no body, and this one has one")
    chunks = tuple(response.chunks) if response.chunks is not None else ((len(data),) if data else ())
    if any(size < 1 for size in chunks) or sum(chunks) != len(data):
        raise _LineError(
            f"the response's chunks add up to {sum(chunks)} bytes, not to its body's {len(data)}, "
            "or one of them is empty"
        )
    return Interaction(
        request.method,
        api_path(request.path),
        tuple(request.query),
        tuple(request.headers),
        body,
        response.status,
        _checked_headers(response.headers, "the response"),
        data,
        response.stream,
        chunks,
        response.complete,
        line.error,
        number,
    )


def read_cassette(path: str | os.PathLike[str]) -> list[Interaction]:
    """The interactions of a cassette file, in the order they were recorded.

    Blank lines are skipped.  ``CassetteError`` (a ``ValueError``) for a line that is not
    an interaction, naming the file and the line; ``OSError`` for a file that cannot be read.
    """
    name = os.fspath(path)
    data = Path(name).read_bytes()
    interactions: list[Interaction] = []
    for number, raw in enumerate(data.removeprefix(b"\xef\xbb\xbf").split(b"\n"), start=1):
        if not raw.strip():
            continue
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as error:
            raise CassetteError(name, number, f"not UTF-8 (byte {error.start})") from None
        try:
            value = json.loads(text)
        except RecursionError:
            raise CassetteError(name, number, "JSON nested too deeply") from None
        except ValueError as error:
            raise CassetteError(name, number, f"not JSON ({error})") from None
        try:
            line = msgspec.convert(value, _Line, strict=True)
            interactions.append(_interaction(line, number))
        except RecursionError:
            raise CassetteError(name, number, "JSON nested too deeply") from None
        except msgspec.ValidationError as error:
            raise CassetteError(name, number, f"not an interaction: {error}") from None
        except _LineError as problem:
            raise CassetteError(name, number, str(problem)) from None
    return interactions


def api_path(path: str) -> str:
    """``path`` relative to the API root: the longest tail of it that is a path of the API
    (``/v1/chat/completions`` and ``/openai/deployments/d/chat/completions`` are both
    ``/chat/completions``); else without a leading ``/v1``; else as it is."""
    found = ""
    for pattern in _API_PATHS:
        match = pattern.search(path)
        if match is not None and len(match["api"]) > len(found):
            found = match["api"]
    if found:
        return found
    if path == "/v1" or path.startswith("/v1/"):
        return path[3:] or "/"
    return path


# --- recording -----------------------------------------------------------------------


def _is_secret(name: str, redact: frozenset[str]) -> bool:
    lower = name.lower()
    if lower in DEFAULT_REDACTED or lower in redact:
        return True
    # Rate-limit counts (x-ratelimit-remaining-tokens) are no credentials, and a client
    # replayed without them would read no limits.
    if "ratelimit" in lower:
        return False
    return is_secret_header(lower)


def _is_secret_parameter(name: str, redact: frozenset[str]) -> bool:
    # metadata[...] and the like are the API's own filters, whatever their keys say.
    return "[" not in name and _is_secret(name, redact)


def _secret_values(value: str) -> list[str]:
    """What of a secret header's value to blank out elsewhere: the value, and its last word
    (the key of ``Bearer KEY``)."""
    words = value.split()
    found = [value, words[-1]] if words else [value]
    return [v for v in found if len(v) >= _SCRUBBED_LENGTH]


class _Redactor:
    """Redacts one exchange: its secret headers and query parameters, and their values
    wherever else they show."""

    def __init__(self, redact: frozenset[str]) -> None:
        self._redact = redact
        self._values: set[str] = set()

    def headers(self, raw: Iterable[tuple[bytes, bytes]]) -> list[tuple[str, str]]:
        pairs = ((key.decode("latin-1"), value.decode("latin-1")) for key, value in raw)
        return self._redacted(pairs, _is_secret)

    def query(self, pairs: list[tuple[str, str]]) -> list[tuple[str, str]]:
        return self._redacted(pairs, _is_secret_parameter)

    def _redacted(
        self, pairs: Iterable[tuple[str, str]], is_secret: Callable[[str, frozenset[str]], bool]
    ) -> list[tuple[str, str]]:
        """``pairs`` with each secret one's value redacted, and that value remembered so that
        it is scrubbed wherever else it shows."""
        shown: list[tuple[str, str]] = []
        for name, value in pairs:
            if is_secret(name, self._redact):
                self._values.update(_secret_values(value))
                value = REDACTED
            shown.append((name, value))
        return shown

    def scrubbed_text(self, pairs: list[tuple[str, str]]) -> list[tuple[str, str]]:
        out: list[tuple[str, str]] = []
        for name, text in pairs:
            for value in self._values:
                text = text.replace(value, REDACTED)
            out.append((name, text))
        return out

    def scrubbed(self, data: bytes) -> bytes:
        for value in self._values:
            for form in {value.encode("utf-8", "replace"), value.encode("latin-1", "replace")}:
                data = data.replace(form, REDACTED.encode())
        return data


def _line_text(value: Json) -> bytes:
    try:
        return (json.dumps(value, ensure_ascii=False, separators=(",", ":")) + "\n").encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate, from a "\ud800" in a JSON body
        return (json.dumps(value, separators=(",", ":")) + "\n").encode("ascii")


class _Exchange:
    """One exchange being recorded: its request when sent, its answer as it comes, written
    to the cassette once, when the answer ends (or the exchange fails)."""

    def __init__(self, cassette: Cassette, request: httpx2.Request, content: bytes) -> None:
        self._cassette = cassette
        self._redactor = _Redactor(cassette.redact)
        # Redacted now: the client conceals the key of a sent request, but this holds
        # nothing of it, concealed or not.
        headers = self._redactor.headers(request.headers.raw)
        pairs = urllib.parse.parse_qsl(request.url.query.decode("latin-1"), keep_blank_values=True)
        query = self._redactor.query(pairs)
        self._request: dict[str, Json] = {
            "method": request.method,
            "path": api_path(request.url.raw_path.decode("latin-1").split("?", 1)[0]),
            "query": self._redactor.scrubbed_text(query),
            "headers": self._redactor.scrubbed_text(headers),
        }
        content = self._redactor.scrubbed(content)
        self._asked_stream = False
        if content:
            try:
                decoded: Json = json.loads(content.decode("utf-8"))
            except (UnicodeDecodeError, ValueError, RecursionError):
                self._request["body"], self._request["encoding"] = _encoded(content)
            else:
                self._request["json"] = decoded
                fields = typing.cast("dict[str, Json]", decoded) if isinstance(decoded, dict) else {}
                self._asked_stream = fields.get("stream") is True
        self._status = 0
        self._headers: list[tuple[str, str]] = []
        self._stream = False
        self._pieces: list[bytes] = []
        self._written = False
        # A stream's end and its closing may come from two threads: one line all the same.
        self._lock = threading.Lock()

    def answered(self, response: httpx2.Response) -> None:
        self._status = response.status_code
        self._headers = self._redactor.scrubbed_text(self._redactor.headers(response.headers.raw))
        content_type = response.headers.get("content-type", "")
        self._stream = content_type.startswith("text/event-stream") or (
            self._asked_stream and response.is_success
        )

    def received(self, piece: bytes) -> None:
        if piece:
            self._pieces.append(piece)

    def failed(self, error: Exception) -> None:
        error_name = type(error).__name__
        self._write(
            {"version": FORMAT_VERSION, "request": self._request, "response": None, "error": error_name}
        )

    def finish(self, complete: bool) -> None:
        if self._written:
            return
        body = b"".join(self._pieces)
        scrubbed = self._redactor.scrubbed(body)
        chunks = [len(p) for p in self._pieces] if scrubbed == body else [len(scrubbed)] if scrubbed else []
        text, encoding = _encoded(scrubbed)
        response: dict[str, Json] = {
            "status": self._status,
            "headers": self._headers,
            "body": text,
            "encoding": encoding,
            "stream": self._stream,
            "chunks": chunks if self._stream else None,
            "complete": complete,
        }
        self._write({"version": FORMAT_VERSION, "request": self._request, "response": response})

    def _write(self, value: dict[str, Json]) -> None:
        with self._lock:
            if self._written:
                return
            self._written = True
        self._cassette.append(_line_text(value))


class _RecordedStream(httpx2.SyncByteStream):
    """An answer's body passed on to the client piece by piece, as it comes, and recorded."""

    def __init__(self, inner: httpx2.SyncByteStream, exchange: _Exchange) -> None:
        self._inner = inner
        self._exchange = exchange

    def __iter__(self) -> Iterator[bytes]:
        complete = False
        try:
            for piece in self._inner:
                self._exchange.received(piece)
                yield piece
            complete = True
        finally:
            self._exchange.finish(complete)

    def close(self) -> None:
        try:
            self._inner.close()
        finally:
            self._exchange.finish(False)  # nothing, if the body was read to its end


class _AsyncRecordedStream(httpx2.AsyncByteStream):
    """``_RecordedStream`` for an async client."""

    def __init__(self, inner: httpx2.AsyncByteStream, exchange: _Exchange) -> None:
        self._inner = inner
        self._exchange = exchange

    async def __aiter__(self) -> AsyncIterator[bytes]:
        complete = False
        try:
            async for piece in self._inner:
                self._exchange.received(piece)
                yield piece
            complete = True
        finally:
            self._exchange.finish(complete)

    async def aclose(self) -> None:
        try:
            await self._inner.aclose()
        finally:
            self._exchange.finish(False)


def _uncompressed(request: httpx2.Request) -> None:
    # A compressed answer would go into the cassette as base64: ask for readable text.
    request.headers["Accept-Encoding"] = "identity"


class _RecordingTransport(httpx2.BaseTransport):
    def __init__(self, cassette: Cassette, inner: httpx2.BaseTransport) -> None:
        self._cassette = cassette
        self._inner = inner

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        _uncompressed(request)
        exchange = _Exchange(self._cassette, request, request.read())
        try:
            response = self._inner.handle_request(request)
        except Exception as error:
            exchange.failed(error)
            raise
        exchange.answered(response)
        stream = response.stream
        if not isinstance(stream, httpx2.SyncByteStream):  # pragma: no cover - httpx2's own transports
            raise TypeError(f"a synchronous transport answered with a {type(stream).__name__}")
        response.stream = _RecordedStream(stream, exchange)
        return response

    def close(self) -> None:
        self._inner.close()


class _AsyncRecordingTransport(httpx2.AsyncBaseTransport):
    def __init__(self, cassette: Cassette, inner: httpx2.AsyncBaseTransport) -> None:
        self._cassette = cassette
        self._inner = inner

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        _uncompressed(request)
        exchange = _Exchange(self._cassette, request, await request.aread())
        try:
            response = await self._inner.handle_async_request(request)
        except Exception as error:
            exchange.failed(error)
            raise
        exchange.answered(response)
        stream = response.stream
        if not isinstance(stream, httpx2.AsyncByteStream):  # pragma: no cover - httpx2's own transports
            raise TypeError(f"an async transport answered with a {type(stream).__name__}")
        response.stream = _AsyncRecordedStream(stream, exchange)
        return response

    async def aclose(self) -> None:
        await self._inner.aclose()


_NOT_THROUGH_THE_CASSETTE = ("proxy", "mounts", "transport")


def _checked_options(options: dict[str, Any]) -> dict[str, Any]:
    given = [name for name in _NOT_THROUGH_THE_CASSETTE if name in options]
    if given:
        raise TypeError(
            f"{given[0]}= would send requests past the cassette: give the transport to record "
            "through as the first argument, e.g. cassette.client(httpx2.HTTPTransport(proxy=...))"
        )
    return options


class Cassette:
    """Records what a client sends and receives into ``path``, one JSON line an exchange:

        cassette = Cassette("tests/cassettes/chat.jsonl")
        with OpenAI(http_client=cassette.client()) as client:
            client.chat.completions.create(...)

    Then ``LocalServer(cassette="tests/cassettes/chat.jsonl")`` serves the recorded answers.

    Each exchange is written once it ends (a stream once its last byte came, passed on to
    the client piece by piece meanwhile), in one write: exchanges of concurrent requests
    never interleave.  The file is emptied first unless ``append=True``.

    Secret headers are written as ``[redacted]``: those of ``DEFAULT_REDACTED``
    (``Authorization``, ``api-key``, ``Cookie``, ``Set-Cookie``, ``OpenAI-Organization``,
    ``OpenAI-Project``, ``x-api-key``), any whose name holds ``auth``, ``key``, ``token``,
    ``secret``, ``cookie``, ``password`` or ``credential`` (but for the ``*ratelimit*``
    counts) and any named in ``redact``; query parameters of those names too.  The value
    of a redacted header (12 characters or more) is also blanked out wherever else it
    shows in the exchange: an error message quoting the key.  Requests ask for answers
    uncompressed (``Accept-Encoding: identity``), so that the file holds readable text.
    """

    DEFAULT_REDACTED: ClassVar[frozenset[str]] = DEFAULT_REDACTED
    """The header names always redacted, in lower case."""

    def __init__(
        self, path: str | os.PathLike[str], *, redact: Iterable[str] = (), append: bool = False
    ) -> None:
        self.path = os.fspath(path)
        """The cassette file."""
        if isinstance(redact, str):
            raise TypeError("redact= takes header names (a list), not one string")
        self.redact = frozenset(name.lower() for name in redact)
        """The header names redacted besides the default ones, in lower case."""
        self._lock = threading.Lock()
        with open(self.path, "ab" if append else "wb"):
            pass

    def __repr__(self) -> str:
        return f"Cassette({self.path!r}, redact={sorted(self.redact)!r})"

    def transport(self, inner: httpx2.BaseTransport | None = None) -> httpx2.BaseTransport:
        """A transport that records what goes through ``inner`` (an ``httpx2.HTTPTransport``
        by default): for ``httpx2.Client(transport=...)``."""
        if inner is None:
            inner = httpx2.HTTPTransport(limits=CONNECTION_LIMITS)
        return _RecordingTransport(self, inner)

    def async_transport(self, inner: httpx2.AsyncBaseTransport | None = None) -> httpx2.AsyncBaseTransport:
        """``transport`` for an ``httpx2.AsyncClient``."""
        if inner is None:
            inner = httpx2.AsyncHTTPTransport(limits=CONNECTION_LIMITS)
        return _AsyncRecordingTransport(self, inner)

    def client(self, transport: httpx2.BaseTransport | None = None, **options: Any) -> httpx2.Client:
        """An ``httpx2.Client`` that records into the cassette, for ``OpenAI(http_client=...)``;
        ``options`` go to ``httpx2.Client`` (a proxy goes to the ``transport`` recorded through:
        ``httpx2.HTTPTransport(proxy=...)``).  It is yours to close."""
        return httpx2.Client(transport=self.transport(transport), **_checked_options(options))

    def async_client(
        self, transport: httpx2.AsyncBaseTransport | None = None, **options: Any
    ) -> httpx2.AsyncClient:
        """``client`` for ``AsyncOpenAI(http_client=...)``: an ``httpx2.AsyncClient``."""
        return httpx2.AsyncClient(transport=self.async_transport(transport), **_checked_options(options))

    def append(self, line: bytes) -> None:
        """Append one line to the file (the recording transports' write)."""
        with self._lock, open(self.path, "ab") as file:
            file.write(line)


# --- serving -------------------------------------------------------------------------

_Key = tuple[str, str, str, str]


def _body_key(body: Json) -> str:
    if body is None:
        return ""
    if isinstance(body, bytes):
        return "bytes:" + base64.b64encode(body).decode("ascii")
    return "json:" + json.dumps(body, sort_keys=True, separators=(",", ":"))


class CassettePlayer:
    """The interactions of one cassette, answered in turn to the requests that match them:
    same method, same path (relative to the API root), same query (in any order; secret
    parameters left out) and same JSON body (in any key order).  Interactions of the same
    request are answered in the order recorded."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.source = os.fspath(path)
        """The cassette file played."""
        self._lock = threading.Lock()
        self._interactions = read_cassette(self.source)
        # Parameters recorded redacted are not compared: the replaying client sends its own.
        self._unmatched_names = {
            name for i in self._interactions for name, value in i.query if value == REDACTED
        }
        self._waiting: dict[_Key, deque[Interaction]] = {}
        self._recorded: dict[_Key, int] = {}
        self.rewind()

    def __repr__(self) -> str:
        return f"CassettePlayer({self.source!r}, {len(self._interactions)} interactions)"

    def _key(self, method: str, path: str, query: Iterable[tuple[str, str]], body: Json) -> _Key:
        kept = sorted(
            (n, v)
            for n, v in query
            if n not in self._unmatched_names and not _is_secret_parameter(n, frozenset())
        )
        return method.upper(), api_path(path), json.dumps(kept), _body_key(body)

    def rewind(self) -> None:
        """Answer from the first interaction again."""
        waiting: dict[_Key, deque[Interaction]] = {}
        for interaction in self._interactions:
            key = self._key(interaction.method, interaction.path, interaction.query, interaction.request_body)
            waiting.setdefault(key, deque()).append(interaction)
        with self._lock:
            self._waiting = waiting
            self._recorded = {key: len(queue) for key, queue in waiting.items()}

    @property
    def unplayed(self) -> list[Interaction]:
        """The interactions no request has been answered with yet, in the order recorded."""
        with self._lock:
            left = [i for queue in self._waiting.values() for i in queue]
        return sorted(left, key=lambda i: i.line)

    def take(self, method: str, path: str, query: Iterable[tuple[str, str]], body: Json) -> Interaction | str:
        """The interaction to answer this request with, or why there is none.

        ``body`` is the decoded JSON body, the bytes of one that is not JSON, None for none.
        """
        pairs = list(query)
        key = self._key(method, path, pairs, body)
        with self._lock:
            queue = self._waiting.get(key)
            if queue:
                return queue.popleft()
            recorded = self._recorded.get(key, 0)
        shown = f"{method} {path}" + (f"?{urllib.parse.urlencode(pairs)}" if pairs else "")
        if recorded:
            return (
                f"The cassette {self.source} has {recorded} recorded answer{'s' if recorded > 1 else ''} "
                f"to {shown} with this body, all served already."
            )
        return (
            f"No interaction of the cassette {self.source} matches {shown} "
            f"({'with body ' + _shown_body(body) if body is not None else 'without a body'})."
        )


def _shown_body(body: Json) -> str:
    text = _body_key(body).partition(":")[2]
    return text if len(text) <= 300 else text[:300] + "..."


async def answer_from(player: CassettePlayer, scope: Scope, path: str, body: bytes, send: Send) -> None:
    """Answer a request with the recorded answer of the interaction it matches; an
    ``HTTPError`` (404, type ``cassette_error``) saying why when none does."""
    decoded = decoded_body(body)
    found = player.take(scope["method"], path, query_pairs(scope), decoded)
    if isinstance(found, str):
        raise HTTPError(404, found, type="cassette_error", code="no_recorded_answer")
    await _replay(found, send)


async def _replay(interaction: Interaction, send: Send) -> None:
    if interaction.status is None:  # it got no answer: neither does this request
        await drop(send)
        return
    headers = [
        (name.encode("latin-1"), value.encode("latin-1"))
        for name, value in interaction.response_headers
        if name.lower() not in _NOT_REPLAYED
    ]
    body = interaction.body
    if not interaction.stream and interaction.complete:
        if interaction.status not in (204, 304):
            headers.append((b"content-length", str(len(body)).encode()))
        await send({"type": "http.response.start", "status": interaction.status, "headers": headers})
        await send({"type": "http.response.body", "body": body})
        return
    await send({"type": "http.response.start", "status": interaction.status, "headers": headers})
    offset = 0
    for size in interaction.chunks:
        await send({"type": "http.response.body", "body": body[offset : offset + size], "more_body": True})
        offset += size
    if not interaction.complete:  # the connection broke there when it was recorded
        await drop(send)
        return
    await send({"type": "http.response.body", "body": b""})
