"""The journal of a bulk run, and ``read``, which gives its outcomes back.

A journal is a JSONL file in the shape of OpenAI's Batch API output, one line per answer:

    {"id": "batch_req_...", "custom_id": "row-1",
     "response": {"status_code": 200, "request_id": "req_...", "body": {<the completion>}},
     "error": null}

An error status keeps its answer the same way (its status, request id and error body);
a failure with no answer to keep (a broken connection, a timeout, a stream broken off,
an answer that does not decode or does not fit ``response_format``) has ``"response":
null`` and an ``"error"`` object: ``{"code": "timeout", "message": "...", ...}``.

It is only ever appended to, a whole line in one write, and synced to the disk in small
groups; so a process killed at any moment leaves at most its last line torn, and that
line is cut off when the journal is opened again.  Failed lines to be tried again are
taken out by a rewrite that replaces the file at once (``os.replace``): every
``custom_id`` keeps exactly one line.
"""

from __future__ import annotations

import contextlib
import io
import os
import stat
import tempfile
import time
import typing
from collections.abc import Callable, Iterator
from types import TracebackType
from typing import Any, BinaryIO, Generic, NamedTuple, TypeVar

import httpx2
import msgspec

from .._answers import error_from_response
from .._decoding import decode_plain_json
from .._exceptions import (
    APIConnectionError,
    APIError,
    APIResponseValidationError,
    APIStatusError,
    APIStreamError,
    APIStreamIncompleteError,
    APITimeoutError,
    InvalidRequestError,
    OpenAIError,
    StructuredOutputError,
)
from .._generated.models import ErrorResponse
from .._operations import create_result
from .._results import P, answer_json
from ._outcomes import BulkOutcome

__all__ = ["Journal", "read"]

T = TypeVar("T")

# The code of each failure that has no answer to keep, most specific class first (a
# timeout is a connection error too).  Stable: journals written today are read tomorrow.
_CODES: tuple[tuple[type[OpenAIError], str], ...] = (
    (APITimeoutError, "timeout"),
    (APIStreamIncompleteError, "stream_incomplete"),
    (APIConnectionError, "connection_error"),
    (APIStreamError, "stream_error"),
    (StructuredOutputError, "structured_output"),
    (APIResponseValidationError, "invalid_response"),
    (InvalidRequestError, "invalid_request"),
    (APIError, "api_error"),
    (OpenAIError, "error"),
)
_CLASSES: dict[str, type[APIError]] = {
    "timeout": APITimeoutError,
    "stream_incomplete": APIStreamIncompleteError,
    "connection_error": APIConnectionError,
    "stream_error": APIStreamError,
    "invalid_response": APIResponseValidationError,
    "api_error": APIError,
}
_SUCCESS = 200  # what the Batch API writes for a completion; a result keeps no status of its own


class Journal:
    """The journal of a bulk run: one JSON line per outcome, in the shape of a line of
    OpenAI's Batch API output (see the module's docstring).  ``Journal.open`` makes one."""

    answered: set[str]
    """The ``custom_id``s the journal already has an answer for, not to be sent again:
    every one, or with ``retry_failed`` only those that succeeded."""

    def __init__(
        self, file: io.FileIO, answered: set[str], *, size: int, sync_every: int, sync_interval: float
    ) -> None:
        self._file = file
        self.answered = answered
        self._size = size
        self._sync_every = sync_every
        self._sync_interval = sync_interval
        self._unsynced = 0
        self._synced_at = time.monotonic()

    @classmethod
    def open(
        cls,
        path: str | os.PathLike[str],
        *,
        retry_failed: bool = True,
        sync_every: int = 64,
        sync_interval: float = 0.25,
    ) -> Journal:
        """Open the journal at ``path``, made if there is none.

        One that exists is read first (only each line's ``custom_id``, ``error`` and
        status: fast) for ``answered``; a torn last line, left by a process killed while
        writing it, is cut off.  With ``retry_failed``, the failed lines are taken out
        before the run tries them again, by writing the journal anew beside it and
        putting that in its place at once: a kill at any moment leaves the old journal
        or the new one, whole.

        A line that is not a journal's before other lines that are (not a torn tail)
        raises ``InvalidRequestError``: the file was edited, or is not a journal."""
        name = os.fspath(path)
        scan = _scan(name, retry_failed=retry_failed)
        if scan is not None:
            if scan.failed:
                _rewrite(name, scan)
            elif scan.tail or scan.newline:
                _cut(name, scan)
        file = open(name, "ab", buffering=0)  # noqa: SIM115  # the journal's own, closed by close()
        try:
            if scan is None:
                _sync_directory(name)  # the new file's name, as durable as its lines
            size = os.fstat(file.fileno()).st_size
        except BaseException:
            file.close()
            raise
        answered = scan.answered if scan is not None else set[str]()
        return cls(file, answered, size=size, sync_every=sync_every, sync_interval=sync_interval)

    def write(self, outcome: BulkOutcome[Any]) -> None:
        """Append ``outcome``'s line, whole and unbuffered: the line is in the file (if not
        yet on the disk) when this returns, so a process killed after it does not lose it.
        Synced every ``sync_every`` lines, or once ``sync_interval`` seconds have gone by
        since the last sync (checked at each write), and at ``close``."""
        line = journal_line(outcome)
        try:
            view = memoryview(line)
            while view:
                view = view[self._file.write(view) :]
        except BaseException:
            # A full disk, say: the part written is taken back, so that no torn line
            # is left in the middle of the journal if a later write gets through.
            with contextlib.suppress(OSError):
                self._file.truncate(self._size)
            raise
        self._size += len(line)
        self._unsynced += 1
        if self._unsynced >= self._sync_every or time.monotonic() - self._synced_at >= self._sync_interval:
            self.sync()

    def sync(self) -> None:
        """Have every line written so far on the disk."""
        if self._unsynced:
            os.fsync(self._file.fileno())
            self._unsynced = 0
        self._synced_at = time.monotonic()

    def close(self) -> None:
        """Sync and close the journal; closing it again does nothing."""
        if self._file.closed:
            return
        try:
            self.sync()
        finally:
            self._file.close()

    def __enter__(self) -> Journal:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc_value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Journal({self._file.name!r}, answered={len(self.answered)})"


# --- writing ---------------------------------------------------------------------------


def journal_line(outcome: BulkOutcome[Any]) -> bytes:
    """The journal's line for ``outcome``, its final newline included.  A result's body
    goes in as the bytes the server sent: a bulk run writes thousands of lines a second."""
    error = outcome.error
    if error is None:
        result = outcome.result
        if result is None:
            raise ValueError("an outcome holds a result or an error")
        request_id = result.request_id
        response = _response(_SUCCESS, request_id, _one_line(answer_json(result)))
        failure = b"null"
    elif isinstance(error, APIStatusError):
        response = _response(error.status_code, error.request_id, _error_body(error))
        failure = b"null"
    else:
        response = b"null"
        failure = _error_object(error)
    return b"".join(
        (
            b'{"id":"batch_req_',
            os.urandom(12).hex().encode(),
            b'","custom_id":',
            msgspec.json.encode(outcome.custom_id),
            b',"response":',
            response,
            b',"error":',
            failure,
            b"}\n",
        )
    )


def _response(status: int, request_id: str | None, body: bytes) -> bytes:
    rid = b"null" if request_id is None else msgspec.json.encode(request_id)
    return b'{"status_code":%d,"request_id":%s,"body":%s}' % (status, rid, body)


def _one_line(body: bytes) -> bytes:
    """JSON ``body`` on one line.  In JSON that decodes, a line break can only be white
    space between tokens (one in a string is escaped), so a space stands in for it."""
    if b"\n" in body or b"\r" in body:
        return body.replace(b"\r", b" ").replace(b"\n", b" ")
    return body


def _error_body(error: APIStatusError) -> bytes:
    """An error answer's body for its line: its JSON as it came, or, when it is not JSON
    (a proxy's HTML page, plain text, nothing), its text as a JSON string."""
    try:
        content = error.response.content
    except httpx2.ResponseNotRead:
        content = b""
    try:
        decode_plain_json(content)
    except msgspec.DecodeError:
        return msgspec.json.encode(content.decode("utf-8", "replace"))
    return _one_line(content)


def _code(error: OpenAIError) -> str:
    return next(code for cls, code in _CODES if isinstance(error, cls))


def _error_object(error: OpenAIError) -> bytes:
    """The ``error`` object of a failure with no answer: ``code`` names its class,
    ``message`` is its message, and the fields it has besides are kept to make it again."""
    fields: dict[str, object] = {"code": _code(error), "message": error.message}
    for name, value in (
        ("status_code", error.status_code),
        ("type", error.type),
        ("param", error.param),
        ("request_id", error.request_id),
        ("error_code", error.code),
    ):
        if value is not None:
            fields[name] = value
    if isinstance(error, StructuredOutputError):
        fields["path"] = error.path
        fields["text"] = error.text
    if error.body is not None:
        fields["body"] = error.body
    try:
        return msgspec.json.encode(fields)
    except (TypeError, ValueError, OverflowError, RecursionError):  # a body of no JSON type
        fields.pop("body", None)
    try:
        return msgspec.json.encode(fields)
    except (TypeError, ValueError, OverflowError, RecursionError):  # a lone surrogate in a text
        return msgspec.json.encode({"code": fields["code"], "message": _printable(error.message)})


def _printable(text: str) -> str:
    return text.encode("utf-8", "replace").decode("utf-8")


# --- opening ---------------------------------------------------------------------------


class _Status(msgspec.Struct):
    status_code: int = 0


class _Head(msgspec.Struct):
    """What opening a journal reads of each line; the body is skipped."""

    custom_id: str
    response: _Status | None = None
    error: object = None

    @property
    def succeeded(self) -> bool:
        return self.error is None and self.response is not None and 200 <= self.response.status_code < 300


_HEADS = msgspec.json.Decoder(_Head)
_UNDECODABLE = (msgspec.DecodeError, UnicodeDecodeError, RecursionError)


class _Whole(NamedTuple, Generic[T]):
    """A line of a journal that decodes."""

    number: int
    start: int
    """Where it starts in the file, and where it ends (after its newline, if it has one)."""
    end: int
    ended: bool
    """Whether it ends with its newline."""
    value: T


def _whole_lines(
    file: BinaryIO, decoder: msgspec.json.Decoder[T], not_ours: Callable[[int], Exception]
) -> Iterator[_Whole[T]]:
    """The lines of ``file`` that decode, blank ones skipped.  One that does not decode is
    a torn tail, left by a process killed while writing it, when nothing but others like
    it follows; followed by a line that decodes, it cannot be: ``not_ours(its number)``
    is raised (a journal is only appended to)."""
    torn: int | None = None
    position = 0
    for number, line in enumerate(file, start=1):
        start, position = position, position + len(line)
        if not line.strip():
            continue
        try:
            value = decoder.decode(line)
        except _UNDECODABLE:
            torn = number if torn is None else torn
            continue
        if torn is not None:
            raise not_ours(torn)
        yield _Whole(number, start, position, line.endswith(b"\n"), value)


class _Scan:
    """What opening found in a journal."""

    def __init__(self) -> None:
        self.answered: set[str] = set()
        self.failed: list[tuple[int, int]] = []
        """Where the failed lines to take out are: (start, end) offsets."""
        self.end = 0
        """The end of the last whole line; what follows is a torn tail."""
        self.tail = False
        """Whether anything follows ``end``."""
        self.newline = False
        """Whether the last line lacks its newline (it decodes: only the newline was lost)."""


def _scan(path: str, *, retry_failed: bool) -> _Scan | None:
    """Read a journal for ``Journal.open``; None when there is none."""
    try:
        file = open(path, "rb")  # noqa: SIM115  # closed below
    except FileNotFoundError:
        return None
    scan = _Scan()
    with file:
        for whole in _whole_lines(file, _HEADS, lambda number: _not_a_journal(path, number)):
            scan.end = whole.end
            scan.newline = not whole.ended
            if whole.value.succeeded or not retry_failed:
                scan.answered.add(whole.value.custom_id)
            else:
                scan.failed.append((whole.start, whole.end))
        scan.tail = file.tell() > scan.end
    return scan


def _not_a_journal(path: str, number: int) -> InvalidRequestError:
    return InvalidRequestError(
        "journal",
        f"{path}: line {number} is not a line of a journal, yet lines follow it: a journal "
        "is only appended to, so only its last line can be torn. Was it edited, or is it "
        "another file?",
    )


def _cut(path: str, scan: _Scan) -> None:
    """Cut a torn tail off the journal, and end its last line."""
    with open(path, "r+b") as file:
        file.truncate(scan.end)
        if scan.newline:
            file.seek(scan.end)
            file.write(b"\n")
        file.flush()
        os.fsync(file.fileno())


def _rewrite(path: str, scan: _Scan) -> None:
    """Write the journal anew without its failed lines (nor a torn tail), beside it, and
    put it in its place at once."""
    folder = os.path.dirname(os.path.abspath(path))
    descriptor, temporary = tempfile.mkstemp(prefix=f".{os.path.basename(path)}.", suffix=".tmp", dir=folder)
    try:
        with open(descriptor, "wb") as out, open(path, "rb") as source:
            kept = 0
            last = b"\n"
            for start, end in [*scan.failed, (scan.end, scan.end)]:
                source.seek(kept)
                left = start - kept
                while left > 0:
                    chunk = source.read(min(left, 1 << 20))
                    if not chunk:
                        break
                    out.write(chunk)
                    last = chunk[-1:]
                    left -= len(chunk)
                kept = end
            if last != b"\n":
                out.write(b"\n")
            out.flush()
            os.fsync(out.fileno())
        os.chmod(temporary, stat.S_IMODE(os.stat(path).st_mode))
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
    _sync_directory(path)


def _sync_directory(path: str) -> None:
    """Have a file's entry in its folder on the disk (a new file, a replaced one)."""
    try:
        descriptor = os.open(os.path.dirname(os.path.abspath(path)), os.O_RDONLY)
    except OSError:  # Windows has no handles on folders; its renames are durable as they are
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)


# --- reading ---------------------------------------------------------------------------


class _Response(msgspec.Struct):
    status_code: int
    request_id: str | None = None
    body: msgspec.Raw = msgspec.Raw()


class _Error(msgspec.Struct):
    code: str | None = None
    message: str | None = None
    status_code: int | None = None
    type: str | None = None
    param: str | None = None
    request_id: str | None = None
    error_code: str | None = None
    path: str | None = None
    text: str | None = None
    body: msgspec.Raw = msgspec.Raw()


class _Line(msgspec.Struct):
    custom_id: str
    response: _Response | None = None
    error: _Error | None = None


_LINES = msgspec.json.Decoder(_Line)


def read(path: str | os.PathLike[str], *, response_format: type[P] | None = None) -> Iterator[BulkOutcome[P]]:
    """The outcomes of a bulk run's journal, or of an output file downloaded from OpenAI's
    Batch API (its lines have the same shape), lazily, in the file's order.

    A success is a ``ChatCompletionResult`` as ``create`` gives it (``choice.parsed`` an
    instance of ``response_format``, a Struct, a dataclass or a TypedDict, when given); an
    error answer is the ``APIStatusError`` ``create`` raises for it (``BadRequestError``,
    ``NotFoundError``, ...), with its ``request_id``; a failure with no answer is the class
    its code names (``APIConnectionError``, ``APITimeoutError``, ``StructuredOutputError``,
    ...), and an error of the Batch API itself (``batch_expired``) an ``APIError`` of that
    ``code``.  A torn last line is left out; any other line that is not of this shape
    raises ``InvalidRequestError``.
    """
    if response_format is not None:
        from .._schema import strict_schema  # only a read that parses pays for it

        given = typing.cast("object", response_format)  # checked, whatever its declared type
        if not isinstance(given, type):
            raise InvalidRequestError(
                "response_format",
                f"expected a type (a Struct, a dataclass, a TypedDict), got {response_format!r}",
            )
        strict_schema(response_format)  # a type that cannot be an answer's is refused here, as by create
    name = os.fspath(path)
    os.stat(name)  # a missing file raises now, not at the first outcome
    return _outcomes(name, response_format)


def _outcomes(path: str, parse: type[P] | None) -> Iterator[BulkOutcome[P]]:
    with open(path, "rb") as file:
        for whole in _whole_lines(file, _LINES, lambda number: _not_an_output(path, number)):
            yield _outcome(whole.value, parse, path, whole.number)


def _not_an_output(path: str, number: int) -> InvalidRequestError:
    return InvalidRequestError(
        "path",
        f"{path}: line {number} is not a line of a journal or of a Batch API output file "
        '({"custom_id": ..., "response": {...} or null, "error": {...} or null})',
    )


def _outcome(line: _Line, parse: type[P] | None, path: str, number: int) -> BulkOutcome[P]:
    if line.error is not None:
        return BulkOutcome(line.custom_id, None, _failure(line.error))
    answer = line.response
    if answer is None:
        raise _not_an_output(path, number)
    raw = bytes(answer.body)
    content = _text(raw).encode() if raw.startswith(b'"') else raw
    # As bytes: a header is ASCII on the wire, but a file may hold any id; UTF-8 reads back as it was.
    headers = {} if answer.request_id is None else {b"x-request-id": answer.request_id.encode()}
    response = httpx2.Response(answer.status_code, headers=headers, content=content)
    if not 200 <= answer.status_code < 300:
        return BulkOutcome(line.custom_id, None, error_from_response(response, ErrorResponse))
    try:
        result = create_result(response, parse)
    except APIResponseValidationError as error:  # StructuredOutputError too: create's error
        return BulkOutcome(line.custom_id, None, error)
    return BulkOutcome(line.custom_id, result, None)


def _text(raw: bytes) -> str:
    """A body kept as a JSON string: the text of an error answer that was not JSON."""
    text = msgspec.json.decode(raw)
    return text if isinstance(text, str) else ""


def _failure(error: _Error) -> OpenAIError:
    """The error of a line's ``error`` object, as the run had it."""
    message = error.message
    body = decode_plain_json(bytes(error.body)) if error.body else None
    if error.code == "structured_output":
        return StructuredOutputError(message or "", path=error.path or "$", text=error.text or "")
    if error.code == "invalid_request":
        param = error.param or "requests"
        return InvalidRequestError(param, (message or "").removeprefix(f"{param}: "))
    if error.code == "error":
        return OpenAIError(
            message or "",
            status_code=error.status_code,
            code=error.error_code,
            type=error.type,
            param=error.param,
            request_id=error.request_id,
            body=body,
        )
    cls = _CLASSES.get(error.code or "")
    # An error of the Batch API's own (batch_expired, batch_cancelled) has only its code.
    return (cls or APIError)(
        message,
        None,
        body=body,
        status_code=error.status_code,
        code=error.error_code if cls is not None else error.code,
        type=error.type,
        param=error.param,
        request_id=error.request_id,
    )
