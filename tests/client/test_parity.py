"""The same scenarios through OpenAI and AsyncOpenAI give the same results."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from completionkit import AsyncOpenAI, OpenAI
from completionkit.testing import LocalServer

from .conftest import RecordingClock
from .scenarios import SCENARIOS, Drive


def _run_sync(name: str) -> tuple[Any, list[float]]:
    clock = RecordingClock()
    with LocalServer() as server, OpenAI(api_key="k", base_url=server.url) as client:
        client._caller.clock = clock
        return asyncio.run(SCENARIOS[name](client, server, Drive())), clock.sleeps


def _run_async(name: str) -> tuple[Any, list[float]]:
    clock = RecordingClock()

    async def run(server: LocalServer) -> Any:
        async with AsyncOpenAI(api_key="k", base_url=server.url) as client:
            client._caller.clock = clock
            return await SCENARIOS[name](client, server, Drive())

    with LocalServer() as server:
        return asyncio.run(run(server)), clock.sleeps


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_sync_and_async_give_the_same_results(name: str) -> None:
    sync_result, sync_sleeps = _run_sync(name)
    async_result, async_sleeps = _run_async(name)
    assert sync_result == async_result
    assert len(sync_sleeps) == len(async_sleeps)


def test_what_the_scenarios_show() -> None:
    results = {name: _run_sync(name)[0] for name in SCENARIOS}
    assert results["create_with_stream_true"]["on_data"] == 5
    assert results["create_with_stream_true"]["ended"] == [True]
    assert results["create_with_stream_true"]["text"] == "Hello there world"
    streamed = results["create_streamed"]
    assert (streamed["text"], streamed["finish_reason"], streamed["usage"]) == (
        "Hello there world",
        "stop",
        6,
    )
    assert streamed["chunks"] == streamed["on_data"] == 6
    assert streamed["ended"] == 1
    assert results["text_deltas"] == ["Hello", " there", " world"]
    refusal, *_, tool_call, named_call, text = results["recorded_streams"]
    assert refusal["refusal"] == "I'm sorry, I can't assist with that request."
    assert tool_call["tool_calls"][0][0] == "get_weather"
    assert named_call["finish_reason"] == "tool_calls"
    assert text["text"].startswith("I'm unable to provide real-time weather")
    assert all(r["usage"] for r in results["recorded_streams"])  # every recording asked for usage
    assert results["stored_and_paged"] == {
        "listed": True,
        "filtered": True,
        "updated": {"k": "x"},
        "messages": ["Hello there world"],
        "retrieved": True,
        "deleted": [True, False],
    }
    errors = results["errors_and_retries"]
    assert errors[0] == "Hello there world"
    assert errors[1]["errors"] == ["InternalServerError"]
    assert errors[2] == ("NotFoundError", 404, "completion_id")
    assert errors[3] == ("APIStreamError", "overloaded", True)
    assert errors[4] == ("APIStreamIncompleteError", True)
    assert errors[5]["text"] == "Hello there world"
    assert results["early_break_closes"] is True
