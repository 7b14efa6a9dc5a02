"""stop() returns promptly and quietly, whatever streams and slow answers are open or abandoned."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator

import httpx2
import pytest

from completionkit.testing import Fault, LocalServer

# Stopping takes a few tenths of a second; this only bounds how long a broken stop()
# may hold the test.  uvicorn's own graceful-shutdown timeout logs an ERROR when it
# has to cancel a handler, which the log check below catches whatever the bound.
STOP_BOUND = 2.5
STREAM = {
    "model": "m",
    "stream": True,
    "messages": [{"role": "user", "content": " ".join(f"word{i}" for i in range(50))}],
}


class _Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def logged() -> Iterator[list[logging.LogRecord]]:
    """Warnings and errors uvicorn and asyncio log (uvicorn's loggers do not reach caplog)."""
    handler = _Records()
    loggers = [logging.getLogger(name) for name in ("uvicorn", "uvicorn.error", "uvicorn.asgi", "asyncio")]
    for logger in loggers:
        logger.addHandler(handler)
    yield handler.records
    for logger in loggers:
        logger.removeHandler(handler)


def _stops_in_time(server: LocalServer) -> bool:
    """Call stop() in a thread; True if it returned within STOP_BOUND (it is joined either way)."""
    stopped = threading.Event()

    def stop() -> None:
        server.stop()
        stopped.set()

    thread = threading.Thread(target=stop)
    thread.start()
    in_time = stopped.wait(STOP_BOUND)
    thread.join()
    return in_time


def _quiet(records: list[logging.LogRecord]) -> list[str]:
    """What was logged at ERROR or with a traceback: must be nothing."""
    return [r.getMessage() for r in records if r.levelno >= logging.ERROR or r.exc_info]


def test_stop_after_a_slow_stream_is_abandoned_mid_way(logged: list[logging.LogRecord]) -> None:
    server = LocalServer().start()
    server.inject(Fault.slow_stream(0.5))
    with httpx2.Client(base_url=server.url, timeout=30) as client:
        with client.stream("POST", "/chat/completions", json=STREAM) as response:
            first = next(response.iter_raw())
        assert first.startswith(b"data: {")  # then the response is closed, half read
    assert _stops_in_time(server)
    assert _quiet(logged) == []


def test_stop_after_many_streams_are_abandoned(logged: list[logging.LogRecord]) -> None:
    server = LocalServer().start()
    server.inject(Fault.slow_stream(0.5), times=3)
    with httpx2.Client(base_url=server.url, timeout=30) as client:
        for _ in range(3):
            with client.stream("POST", "/chat/completions", json=STREAM) as response:
                next(response.iter_raw())
        with client.stream("POST", "/chat/completions", json=STREAM) as response:  # a fast one
            next(response.iter_raw())
    assert _stops_in_time(server)
    assert _quiet(logged) == []


def test_stop_while_a_client_still_reads_a_slow_stream_cuts_it(logged: list[logging.LogRecord]) -> None:
    server = LocalServer().start()
    server.inject(Fault.slow_stream(0.5))
    with (
        httpx2.Client(base_url=server.url, timeout=30) as client,
        client.stream("POST", "/chat/completions", json=STREAM) as response,
    ):
        chunks = response.iter_raw()
        next(chunks)
        assert _stops_in_time(server)
        with pytest.raises(httpx2.RemoteProtocolError):
            for _ in chunks:
                pass
    assert _quiet(logged) == []


@pytest.mark.parametrize("fault", [Fault.slow(60), Fault.gathering(100)], ids=["slow", "gathering"])
def test_stop_while_a_client_waits_for_an_answer(logged: list[logging.LogRecord], fault: Fault) -> None:
    server = LocalServer().start()
    server.inject(fault)
    outcome: list[BaseException | int] = []

    def wait_for_answer() -> None:
        try:
            outcome.append(httpx2.post(f"{server.url}/chat/completions", json=STREAM, timeout=60).status_code)
        except httpx2.HTTPError as error:
            outcome.append(error)

    waiting = threading.Thread(target=wait_for_answer)
    waiting.start()
    # The request has arrived (and met its fault) once it is recorded.
    for _ in range(10_000):
        if server.pending_faults == 0 and server.requests:
            break
        threading.Event().wait(0.001)
    assert server.pending_faults == 0
    assert _stops_in_time(server)
    waiting.join()
    assert len(outcome) == 1
    assert isinstance(outcome[0], httpx2.RemoteProtocolError)
    assert _quiet(logged) == []
