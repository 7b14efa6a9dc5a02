"""Decoding leaves the garbage collector alone.

A large answer decodes into tens of thousands of lists, and holding the collector off
while it does would make that faster; but the collector's switch and thresholds are the
application's, process-wide, and a library has no business changing them. These tests
watch them while a 1 MiB logprobs answer is received and decoded, and after.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from typing import Any

import pytest

from completionkit import OpenAI
from completionkit.testing import LocalServer, Reply

APPLICATION_THRESHOLDS = (1234, 11, 13)
"""Thresholds no one else sets: if anything changed them and put them back, they would
be CPython's defaults, not these."""


@pytest.fixture
def collector() -> Iterator[None]:
    """The collector put back as the test found it."""
    enabled, thresholds = gc.isenabled(), gc.get_threshold()
    yield
    gc.set_threshold(*thresholds)
    if enabled:
        gc.enable()
    else:
        gc.disable()


class Watch:
    """The collector's switch and thresholds at the start of every collection, while active."""

    def __init__(self) -> None:
        self.seen: list[tuple[bool, tuple[int, int, int]]] = []

    def __call__(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self.seen.append((gc.isenabled(), gc.get_threshold()))

    def __enter__(self) -> Watch:
        gc.callbacks.append(self)
        return self

    def __exit__(self, *exc: object) -> None:
        gc.callbacks.remove(self)


def _large_answer(server: LocalServer, client: OpenAI) -> int:
    """A 2,500-token answer with 5 top logprobs a token: more than 1 MiB of JSON, decoded to
    its last top logprob; the size of the body."""
    server.queue(Reply.text(" word" * 2500))
    result = client.chat.completions.create(
        [{"role": "user", "content": "Talk."}], model="m", logprobs=True, top_logprobs=5
    )
    assert result.choice.logprobs is not None
    tokens = result.choice.logprobs.content or []
    assert len(tokens) == 2500
    assert len(tokens[-1].top_logprobs) == 5
    return int(result.headers["content-length"])


@pytest.mark.usefixtures("collector")
def test_a_large_answer_leaves_a_running_collector_as_the_application_set_it() -> None:
    with LocalServer() as server, OpenAI(api_key="sk-test", base_url=server.url) as client:
        gc.enable()
        gc.set_threshold(*APPLICATION_THRESHOLDS)
        with Watch() as watch:
            size = _large_answer(server, client)
        assert (gc.isenabled(), gc.get_threshold()) == (True, APPLICATION_THRESHOLDS)
    assert size > 2**20
    # The collector ran while the answer came in and decoded, every time on the
    # application's thresholds: it was never held off.
    assert watch.seen
    assert set(watch.seen) == {(True, APPLICATION_THRESHOLDS)}


@pytest.mark.usefixtures("collector")
def test_a_large_answer_leaves_a_disabled_collector_disabled() -> None:
    with LocalServer() as server, OpenAI(api_key="sk-test", base_url=server.url) as client:
        gc.disable()
        gc.set_threshold(*APPLICATION_THRESHOLDS)
        with Watch() as watch:
            size = _large_answer(server, client)
        assert (gc.isenabled(), gc.get_threshold()) == (False, APPLICATION_THRESHOLDS)
    assert size > 2**20
    assert watch.seen == []  # nothing turned it on, even for a moment
