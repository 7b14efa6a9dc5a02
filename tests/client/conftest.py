"""Fixtures for the client's tests: the embedded server, a client on it, and a clock
that records the waits the client asks for instead of waiting."""

from __future__ import annotations

import datetime
from collections.abc import Iterator

import pytest

from completionkit import OpenAI
from completionkit.testing import LocalServer

NOW = datetime.datetime(2026, 11, 25, 12, 0, 0, tzinfo=datetime.UTC)


class RecordingClock:
    """Time that stands still at ``NOW``; every sleep is recorded, none is slept."""

    def __init__(self) -> None:
        self.sleeps: list[float] = []

    def now(self) -> datetime.datetime:
        return NOW

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)

    async def asleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)


@pytest.fixture
def server(completionkit_server: LocalServer) -> LocalServer:
    """The session's server of completionkit's pytest plugin, reset for this test."""
    return completionkit_server


@pytest.fixture
def clock() -> RecordingClock:
    return RecordingClock()


@pytest.fixture
def client(server: LocalServer, clock: RecordingClock) -> Iterator[OpenAI]:
    with OpenAI(api_key="sk-test-key", base_url=server.url) as openai:
        openai._caller.clock = clock  # the one seam: time
        yield openai


USER = [{"role": "user", "content": "Hello there"}]
