"""Consumer-style code for structured outputs and tools: mypy --strict and pyright strict
accept it as it is (nox -s typecheck), with assert_type on what the methods return; and
it runs, against the embedded server."""

from __future__ import annotations

import asyncio
import dataclasses
from typing import Literal, TypedDict, assert_type

import msgspec

from completionkit import (
    AsyncConversation,
    AsyncOpenAI,
    ChatCompletionOutcome,
    ChatCompletionResult,
    Conversation,
    MessageLike,
    OpenAI,
    Tool,
    ToolCallRequest,
    ToolRun,
    tool,
)
from completionkit.testing import LocalServer


class Weather(msgspec.Struct):
    city: str
    temperature: float
    conditions: Literal["sunny", "cloudy", "rainy"]


@dataclasses.dataclass
class Forecast:
    days: list[Weather]
    summary: str | None = None


class Location(TypedDict):
    city: str
    country: str


def get_weather(city: str, unit: Literal["C", "F"] = "C") -> Weather:
    """The current weather in a city.

    Args:
        city: The city's name.
        unit: The temperature unit.
    """
    return Weather(city, 21.5, "sunny")


async def get_time(city: str) -> str:
    """The local time in a city."""
    return "12:00"


def test_structured_outputs_and_tools_type_check_and_run() -> None:
    question: list[MessageLike] = [{"role": "user", "content": "Weather in Paris?"}]
    with LocalServer() as server, OpenAI(api_key="sk-local", base_url=server.url) as client:
        completions = client.chat.completions

        plain = completions.create(question, model="gpt-4o-mini")
        assert_type(plain, ChatCompletionResult[None])
        assert_type(plain.choice.parsed, None)

        weather = completions.create(question, model="gpt-4o-mini", response_format=Weather)
        assert_type(weather, ChatCompletionResult[Weather])
        assert_type(weather.choice.parsed, Weather | None)
        assert weather.choice.parsed is not None
        assert isinstance(weather.choice.parsed.temperature, float)

        forecast = completions.create(question, model="gpt-4o-mini", response_format=Forecast).choice.parsed
        assert_type(forecast, Forecast | None)
        assert isinstance(forecast, Forecast)

        location = completions.create(question, model="gpt-4o-mini", response_format=Location).choice.parsed
        assert_type(location, Location | None)
        assert location is not None
        assert isinstance(location["city"], str)

        outcome = completions.try_create(question, model="gpt-4o-mini", response_format=Weather)
        assert_type(outcome, ChatCompletionOutcome[Weather])
        assert outcome.choice is not None
        assert isinstance(outcome.choice.parsed, Weather)

        with completions.stream(question, model="gpt-4o-mini", response_format=Weather) as stream:
            streamed = stream.final().choice.parsed
        assert_type(streamed, Weather | None)
        assert isinstance(streamed, Weather)

        raw = completions.create(question, model="gpt-4o-mini", response_format={"type": "json_object"})
        assert_type(raw.choice.parsed, None)

        described = tool(get_weather)
        assert_type(described, Tool[Weather])
        assert_type(tool(get_time), Tool[str])

        seen: list[str] = []

        def allow(call: ToolCallRequest) -> bool:
            seen.append(call.name)
            return True

        asked: list[MessageLike] = [{"role": "user", "content": "Use get_weather for Paris"}]
        run = completions.run_tools(asked, model="gpt-4o-mini", tools=[get_weather], on_tool_call=allow)
        assert_type(run, ToolRun[None])
        assert seen == ["get_weather"]
        assert run.result.choice.text is not None

        typed = completions.run_tools(asked, model="gpt-4o-mini", tools=[described], response_format=Weather)
        assert_type(typed.result.choice.parsed, Weather | None)

        chat = client.chat.conversation("Be brief.", model="gpt-4o-mini", tools=[get_weather], max_messages=8)
        assert_type(chat, Conversation[None])
        answer = chat.ask("Use get_weather for Rome")
        assert_type(answer, ChatCompletionResult[None])
        assert len(chat.messages) == 5  # system, question, tool call, tool result, answer
        chat.reset()

        async def concurrently() -> None:
            async with AsyncOpenAI(api_key="sk-local", base_url=server.url) as aclient:
                both = await aclient.chat.completions.run_tools(
                    [{"role": "user", "content": "get_weather and get_time for Oslo"}],
                    model="gpt-4o-mini",
                    tools=[get_weather, get_time],
                )
                assert_type(both, ToolRun[None])
                achat = aclient.chat.conversation(model="gpt-4o-mini", response_format=Weather)
                assert_type(achat, AsyncConversation[Weather])
                parsed = (await achat.ask("Weather in Oslo?")).choice.parsed
                assert_type(parsed, Weather | None)

        asyncio.run(concurrently())
