"""How the local server streams a created completion: one server-sent event per chunk,
then ``data: [DONE]``, the events that are ready handed over together; and the stream
faults met on the way (``Fault.cut_stream_after``, ``error_event_after``,
``keepalive_comments``, ``chunk_delay``, and ``drop="during"``, which cuts the stream at
its middle byte).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import msgspec

from ._faults import Fault
from ._http import Json, Message, Send, Watch, drop, extra_headers, response_headers

__all__ = ["HANDOVER_BYTES", "send_stream", "stream_cut"]

# A stream's events held before they are handed to the server: past this, they go at once.
HANDOVER_BYTES = 64 * 1024


async def send_stream(
    send: Send,
    chunks: Iterable[Json],
    request_id: str,
    fault: Fault | None,
    watch: Watch,
    limits: Mapping[str, str] | None = None,
) -> None:
    headers = response_headers("text/event-stream; charset=utf-8", request_id, extra_headers(fault, limits))
    headers.append((b"cache-control", b"no-cache"))
    watch.listen()  # a stream may meet a client that leaves half way
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    events = [b"data: " + msgspec.json.encode(c) + b"\n\n" for c in chunks] + [b"data: [DONE]\n\n"]
    cut = stream_cut(events, fault)
    error_at = None
    if fault is not None and fault.error_event_after is not None:
        error_at = min(fault.error_event_after, len(events) - 1)  # at the latest, instead of [DONE]
    # The events ready to go are handed over in one message, not one message each:
    # uvicorn frames and writes every message on its own, which made a 32-event stream
    # take 1.5 to 1.7 times as long (bench/run.py, workload 9).  They go before a wait
    # (chunk_delay), at a cut, at the end, and every HANDOVER_BYTES, so that a long
    # stream still meets uvicorn's flow control.
    ready: list[bytes] = []
    held = 0
    for index, event in enumerate(events):
        if fault is not None and fault.chunk_delay and index:
            if ready:
                await send(_more(ready))
                ready, held = [], 0
            await watch.wait(fault.chunk_delay)
        if watch.over:
            # Nobody reads on: stop at once.  A stopping server cuts the stream of a
            # client still reading, as a real one going down would.  (Nothing is ready
            # here: only a wait or a handover can end the watch, and both empty it.)
            if not watch.client_left:
                await drop(send)
            return
        if fault is not None and fault.keepalive_comments:
            ready.append(b": keep-alive\n\n")
        if cut is not None and cut[0] == index:
            ready.append(event[: cut[1]])
            await send(_more(ready))
            await drop(send)
            return
        if fault is not None and error_at == index:
            error = {
                "error": {
                    "message": fault.message,
                    "type": fault.error_type,
                    "param": None,
                    "code": fault.error_code,
                }
            }
            ready.append(b"event: error\ndata: " + msgspec.json.encode(error) + b"\n\n")
            await send({"type": "http.response.body", "body": b"".join(ready)})
            return
        ready.append(event)
        held += len(event)
        if held >= HANDOVER_BYTES:
            await send(_more(ready))
            ready, held = [], 0
    await send({"type": "http.response.body", "body": b"".join(ready)})


def _more(parts: list[bytes]) -> Message:
    return {"type": "http.response.body", "body": b"".join(parts), "more_body": True}


def stream_cut(events: list[bytes], fault: Fault | None) -> tuple[int, int] | None:
    """Where a stream fault breaks the stream off: (event index, bytes of that event sent), or None.

    ``cut_stream_after`` cuts the next event in half (at the latest [DONE]);
    ``drop="during"`` cuts at the middle byte of the whole body.
    """
    if fault is None:
        return None
    if fault.cut_stream_after is not None:
        index = min(fault.cut_stream_after, len(events) - 1)
        return index, len(events[index]) // 2
    if fault.drop == "during":
        half = sum(map(len, events)) // 2
        for index, event in enumerate(events):
            if half < len(event):
                return index, half
            half -= len(event)
    return None
