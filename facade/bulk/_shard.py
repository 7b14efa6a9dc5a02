"""One part of a bulk job split across processes or machines: ``shard``.

Each request goes to the part its ``custom_id`` hashes to, with a hash that is the same
in every process and on every machine (CRC-32 of the UTF-8 ``custom_id``; Python's own
``hash()`` of a string changes from one process to the next).  So workers that each
read the whole input agree, without talking to each other, on who sends what; and a
rerun of a part with its journal carries on where that part stopped.
"""

from __future__ import annotations

import os
import zlib
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from typing import Any, overload

from .._config import shown
from .._exceptions import InvalidRequestError
from ._input import Line, Source, finite, request_lines
from ._outcomes import BulkRequest

__all__ = ["shard"]


@overload
def shard(
    requests: str | os.PathLike[str] | Sequence[BulkRequest] | Sequence[Mapping[str, Any]],
    index: int,
    count: int,
) -> Collection[BulkRequest]: ...
@overload
def shard(requests: Source, index: int, count: int) -> Iterable[BulkRequest]: ...
def shard(requests: Source, index: int, count: int) -> Iterable[BulkRequest]:
    """The requests of part ``index`` (from 0) of ``count``: those whose ``custom_id``
    falls to it, in the input's order, read lazily.  ``bulk()`` takes it as it takes
    the input:

        part = bulk.shard("requests.jsonl", index, count)
        run = client.chat.completions.bulk(
            part, journal=f"answers-{index}.jsonl", share=1 / count, max_concurrency=64 // count
        )

    ``requests`` is what ``bulk()`` takes: a list, any iterable, or the path of a JSONL
    file of request lines.  Every part reads the whole input and keeps its own lines;
    across the ``count`` parts, each request is in exactly one, and always the same one,
    in any process, on any machine.

    Every line of the input is checked as ``bulk()`` checks it as it reads (its shape,
    and that no ``custom_id`` comes twice), wherever it falls, so each part refuses an
    input that a single run would refuse, naming the line of the input.  ``bulk()``
    checks each body of its part; its errors name the request's ``custom_id``, and its
    place in the part.

    A path or a list gives a part that can be read again and again, a ``Collection``
    (its ``len()`` reads it through): ``bulk()`` checks it whole before anything is sent,
    and knows its size, as for the input itself.  Other iterables give a part that is
    read once, as the run goes.

    ``index`` or ``count`` out of range raises ``InvalidRequestError`` naming it.
    """
    _check(index, count)
    if finite(requests):
        request_lines(requests)  # a source of the wrong kind raises now; nothing is read
        return _Part(requests, index, count)
    return _part(requests, index, count)


def part_of(custom_id: str, count: int) -> int:
    """The part (from 0) of ``count`` that ``custom_id`` falls to."""
    return zlib.crc32(custom_id.encode("utf-8")) % count


def _check(index: object, count: object) -> None:
    if isinstance(count, bool) or not isinstance(count, int) or count < 1:
        raise InvalidRequestError("count", f"expected how many parts, an integer >= 1, got {shown(count)}")
    if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < count:
        raise InvalidRequestError(
            "index", f"expected the part's index, an integer from 0 to {count - 1}, got {shown(index)}"
        )


def _part(source: Source, index: int, count: int) -> Iterator[BulkRequest]:
    lines = request_lines(source)  # before the first next(): a wrong kind of source raises in shard()
    return _kept(lines, index, count)


def _kept(lines: Iterator[Line], index: int, count: int) -> Iterator[BulkRequest]:
    for line in lines:
        if part_of(line.custom_id, count) == index:
            # Without method and url: request_lines lets through only the ones bulk() assumes.
            yield {"custom_id": line.custom_id, "body": line.body}


class _Part(Collection[BulkRequest]):
    """A part of a finite input (a path, a list): read anew each time it is iterated.

    A collection, so that ``bulk()`` checks it whole before sending and knows its size
    for the progress bar, as it does for the input itself.  ``len()`` reads it through."""

    __slots__ = ("_count", "_index", "_source")

    def __init__(self, source: Source, index: int, count: int) -> None:
        self._source = source
        self._index = index
        self._count = count

    def __iter__(self) -> Iterator[BulkRequest]:
        return _part(self._source, self._index, self._count)

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def __contains__(self, request: object) -> bool:
        return any(line == request for line in self)

    def __repr__(self) -> str:
        source = self._source
        what = repr(os.fspath(source)) if isinstance(source, str | os.PathLike) else type(source).__name__
        return f"shard({what}, {self._index}, {self._count})"
