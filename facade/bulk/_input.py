"""The requests of a bulk run, read and checked a line at a time: the lines of OpenAI's
Batch API input, from a list, any iterable, or a JSONL file."""

from __future__ import annotations

import os
import typing
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from typing import Any, NamedTuple

import msgspec

from .._config import shown
from .._decoding import decode_plain_json
from .._exceptions import InvalidRequestError
from ._outcomes import BulkRequest

__all__ = ["Line", "Source", "checked_count", "finite", "request_lines"]

Source = Iterable[BulkRequest] | Iterable[Mapping[str, Any]] | str | os.PathLike[str]
"""What ``bulk`` takes: request lines, or the path of a JSONL file of them."""

_METHOD = "POST"
_URL = "/v1/chat/completions"
_FIELDS = ("custom_id", "body", "method", "url")
_BOM = b"\xef\xbb\xbf"  # an editor's byte order mark, which is not JSON


class Line(NamedTuple):
    """One request of the input, checked for its shape."""

    number: int
    """1-based: the line of the file, or the position in the iterable."""
    custom_id: str
    body: Mapping[str, Any]
    """``create``'s parameters, the messages included."""


def request_lines(source: Source) -> Iterator[Line]:
    """The requests of ``source``, lazily, each checked for its shape as it is read.

    A path is a JSONL file (blank lines skipped, but counted in the numbering), an
    object a line. Each line has a ``custom_id`` (a non-empty string, unique in the
    input), a ``body`` (a mapping with ``model`` and ``messages``) and, optionally,
    ``method`` (``"POST"``) and ``url`` (``"/v1/chat/completions"``); nothing else.
    Anything else raises ``InvalidRequestError`` naming the field as ``param``, with a
    message that starts with where it is: ``line 12 (custom_id 'row-12'): ...``.
    """
    items = _items(source)  # a source of the wrong kind raises here, not at the first next()
    return _checked(items)


def checked_count(source: Source, check_body: Callable[[Mapping[str, Any]], object]) -> int | None:
    """How many requests a finite ``source`` has (a path, a list, a tuple: a collection
    that is not an iterator), once every line of it is checked, before anything is sent:
    its shape (``request_lines``), its body through ``check_body`` (which raises
    ``InvalidRequestError`` for a bad parameter: raised again with the line's place, and
    ``param`` under ``body.``), and that no ``custom_id`` comes twice.

    Any other iterable (a generator) is read by the run alone: nothing is read here, and
    the answer is None.  Only the ``custom_id``s are held while checking, not the lines.
    """
    if not finite(source):
        request_lines(source)  # a source that is no lines at all raises; nothing is read
        return None
    count = 0
    for line in request_lines(source):
        try:
            check_body(line.body)
        except InvalidRequestError as error:
            message = error.message.removeprefix(f"{error.param}: ") if error.param else error.message
            field = f"body.{error.param}" if error.param else "body"
            raise InvalidRequestError(field, f"{_where(line.number, line.custom_id)}: {message}") from error
        count += 1
    return count


def finite(source: Source) -> bool:
    """Whether ``source`` can be read more than once: a path, or a collection (a list, a
    tuple) that is not an iterator."""
    if isinstance(source, str | os.PathLike):
        return True
    return isinstance(source, Collection) and not isinstance(source, Iterator | Mapping | bytes | bytearray)


def _items(source: object) -> Iterator[tuple[int, object]]:
    """Each line of ``source`` with its number, not checked yet (``object``: what a
    caller passes is checked, whatever its declared type)."""
    if isinstance(source, str | os.PathLike):
        return _file_items(os.fspath(typing.cast("str | os.PathLike[str]", source)))
    kind = type(source).__name__  # named before the checks below narrow the type
    if isinstance(source, Mapping | bytes | bytearray | memoryview) or not isinstance(source, Iterable):
        article = "an" if kind[:1].lower() in "aeiou" else "a"
        what = "one request: put it in a list" if isinstance(source, Mapping) else f"{article} {kind}"
        raise InvalidRequestError(
            "requests", f"expected request lines (an iterable, or the path of a JSONL file), got {what}"
        )
    return enumerate(typing.cast("Iterable[object]", source), start=1)


def _file_items(path: str) -> Iterator[tuple[int, object]]:
    with open(path, "rb") as file:
        for number, line in enumerate(file, start=1):
            text = line.removeprefix(_BOM) if number == 1 else line
            if not text.strip():
                continue
            try:
                item = decode_plain_json(text)
            except msgspec.DecodeError as error:
                raise InvalidRequestError("requests", f"line {number}: not a JSON line: {error}") from None
            yield number, item


def _checked(items: Iterator[tuple[int, object]]) -> Iterator[Line]:
    seen: dict[str, int] = {}
    for number, item in items:
        line = _line(number, item)
        first = seen.setdefault(line.custom_id, number)
        if first != number:
            raise InvalidRequestError(
                "custom_id",
                f"{_where(number, line.custom_id)}: the custom_id of line {first} again; "
                "each request's custom_id must be unique in the run",
            )
        yield line


def _line(number: int, item: object) -> Line:
    """``item`` as a request line, once checked."""
    if not isinstance(item, Mapping):
        raise InvalidRequestError(
            "requests",
            f"line {number}: expected a request line, a mapping such as "
            f'{{"custom_id": ..., "body": {{...}}}}, got {shown(item)}',
        )
    fields = typing.cast("Mapping[object, object]", item)
    custom_id = fields.get("custom_id")
    where = _where(number, custom_id) if isinstance(custom_id, str) and custom_id else f"line {number}"
    for name in fields:
        if name not in _FIELDS:
            raise _unknown_field(where, name)
    if not isinstance(custom_id, str) or not custom_id:
        got = "none" if "custom_id" not in fields else shown(custom_id)
        raise InvalidRequestError(
            "custom_id", f"{where}: expected a custom_id, a non-empty string naming the request; got {got}"
        )
    try:
        custom_id.encode()
    except UnicodeEncodeError:
        raise InvalidRequestError(
            "custom_id", f"{where}: holds a lone surrogate, which no JSON line can carry"
        ) from None
    method = fields.get("method", _METHOD)
    if method != _METHOD:
        raise InvalidRequestError("method", f"{where}: expected {_METHOD!r}, got {shown(method)}")
    url = fields.get("url", _URL)
    if url != _URL:
        raise InvalidRequestError("url", f"{where}: expected {_URL!r}, got {shown(url)}")
    body = fields.get("body")
    if not isinstance(body, Mapping):
        got = "none" if "body" not in fields else shown(body)
        raise InvalidRequestError(
            "body", f"{where}: expected a body, a mapping of create's parameters, got {got}"
        )
    parameters = typing.cast("Mapping[str, Any]", body)
    for needed in ("model", "messages"):
        if needed not in parameters:
            raise InvalidRequestError(f"body.{needed}", f"{where}: the body has no {needed}")
    return Line(number, custom_id, parameters)


def _unknown_field(where: str, name: object) -> InvalidRequestError:
    hint = ""
    if isinstance(name, str):
        import difflib  # for a mistake only

        close = difflib.get_close_matches(name, _FIELDS, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
    return InvalidRequestError(
        name if isinstance(name, str) else "requests",
        f"{where}: unknown field {shown(name)}{hint}; a request line has custom_id and body, and may "
        "have method and url (create's parameters go in body)",
    )


def _where(number: int, custom_id: str) -> str:
    return f"line {number} (custom_id {shown(custom_id)})"
