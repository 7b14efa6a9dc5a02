"""run_tools and conversations end to end, on the local server: the model's tool calls
run Python functions, their results go back, and the loop ends with the answer; a
conversation keeps its history, trimmed without ever splitting a tool call from its
results."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import typing
from collections.abc import Mapping, Sequence
from typing import Any, Literal

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from completionkit import (
    AsyncOpenAI,
    InternalServerError,
    InvalidRequestError,
    Message,
    MessageLike,
    OpenAI,
)
from completionkit._exceptions import StructuredOutputError, ToolLoopError
from completionkit._tool_loop import History, ToolCallRequest
from completionkit._tools import Tool, tool
from completionkit.testing import Fault, LocalServer, Reply
from completionkit.testing._model import ToolCall

# --- the tools -------------------------------------------------------------------------------


class Weather(msgspec.Struct):
    """The weather in a city."""

    city: str
    temperature: float
    unit: Literal["celsius", "fahrenheit"]


@dataclasses.dataclass
class Place:
    name: str
    country: str | None = None


class Recorder:
    """Tools that record the arguments they are called with."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, object]]] = []

    def get_weather(self, city: str, unit: Literal["celsius", "fahrenheit"] = "celsius") -> Weather:
        """Get the current weather in a city.

        Args:
            city: The city.
            unit: The unit of the temperature.
        """
        self.calls.append(("get_weather", {"city": city, "unit": unit}))
        return Weather(city, 21.5, unit)

    def get_time(self, place: Place, hours: int = 24) -> str:
        """The local time at a place."""
        self.calls.append(("get_time", {"place": place, "hours": hours}))
        return f"12:00 in {place.name}"

    def fail(self, city: str) -> str:
        """A tool that always raises."""
        self.calls.append(("fail", {"city": city}))
        raise ValueError(f"no such city: {city}")


def ask(text: str) -> list[MessageLike]:
    return [{"role": "user", "content": text}]


def _roles(messages: Sequence[object]) -> list[object]:
    out: list[object] = []
    for message in messages:
        if isinstance(message, Message):
            out.append(message.role)
        elif isinstance(message, Mapping):
            out.append(typing.cast("Mapping[str, object]", message).get("role"))
        else:
            out.append(getattr(message, "role", None))
    return out


def _field(message: object, name: str) -> Any:
    """A field of a message of the conversation, as JSON data: as it is sent."""
    if isinstance(message, Message):
        return message.to_dict().get(name)
    if isinstance(message, Mapping):
        return typing.cast("Mapping[str, Any]", message).get(name)
    return getattr(message, name, None)


def _check_tool_pairs(messages: Sequence[object]) -> None:
    """Every tool message answers a call of an assistant message before it, and every
    call of an assistant message is answered by the tool messages right after it."""
    open_ids: list[str] = []
    for message in messages:
        role = _roles([message])[0]
        if role == "tool":
            assert _field(message, "tool_call_id") in open_ids, "a tool message whose call is gone"
            open_ids.remove(_field(message, "tool_call_id"))
            continue
        assert open_ids == [], "a tool call without its result"
        calls: list[dict[str, Any]] = (_field(message, "tool_calls") if role == "assistant" else None) or []
        open_ids = [str(call["id"]) for call in calls]
    assert open_ids == [], "a tool call without its result"


def _request_messages(server: LocalServer, index: int = -1) -> list[dict[str, Any]]:
    messages: list[dict[str, Any]] = server.requests[index].body["messages"]
    return messages


# --- the loop ----------------------------------------------------------------------------------


def test_a_named_tool_runs_and_its_result_goes_back(server: LocalServer, client: OpenAI) -> None:
    tools = Recorder()
    messages = ask("What is the weather? Use get_weather.")
    given_messages = json.loads(json.dumps(messages))
    run = client.chat.completions.run_tools(messages, model="m", tools=[tools.get_weather])

    assert run.rounds == 2
    assert len(server.requests) == 2
    assert _roles(run.messages) == ["user", "assistant", "tool", "assistant"]
    assert messages == given_messages  # the caller's list is left as it was
    assert run.messages is not messages

    # The function ran with the arguments the model wrote, decoded into its types.
    [assistant_call] = _request_messages(server, 1)[1]["tool_calls"]
    arguments = json.loads(assistant_call["function"]["arguments"])
    assert tools.calls == [("get_weather", arguments)]
    assert isinstance(arguments["city"], str)

    # Its return value went back as JSON, answering that call.
    content = msgspec.json.encode(Weather(arguments["city"], 21.5, arguments["unit"])).decode()
    tool_message = _request_messages(server, 1)[2]
    assert tool_message == {"role": "tool", "content": content, "tool_call_id": assistant_call["id"]}
    assert _field(run.messages[2], "content") == content

    # The answer is the one that called no tool.
    assert run.result.choice.text == f"get_weather: {content}"
    assert run.result.choice.finish_reason == "stop"
    assert _field(run.messages[3], "content") == run.result.choice.text
    assert run.result.choice.parsed is None

    # Every request offered the tool, described strictly.
    for request in server.requests:
        assert request.body["tools"] == [tool(tools.get_weather).definition()]
    assert _request_messages(server, 0) == given_messages


def test_arguments_are_decoded_into_the_parameter_types(server: LocalServer, client: OpenAI) -> None:
    tools = Recorder()
    server.queue(Reply.calling("get_time", {"place": {"name": "Lyon", "country": None}, "hours": None}))
    run = client.chat.completions.run_tools(ask("What time is it?"), model="m", tools=[tools.get_time])
    assert tools.calls == [("get_time", {"place": Place("Lyon", None), "hours": 24})]  # null: the default
    assert _field(run.messages[2], "content") == "12:00 in Lyon"  # a str goes back as it is
    assert run.result.choice.text == "get_time: 12:00 in Lyon"


def test_parameters_mapping_and_keywords(server: LocalServer, client: OpenAI) -> None:
    tools = Recorder()
    run = client.chat.completions.run_tools(
        ask("get_weather"), {"model": "m", "tools": [tools.get_weather]}, temperature=0.5
    )
    assert run.rounds == 2
    assert all(r.body["temperature"] == 0.5 for r in server.requests)
    assert len(tools.calls) == 1


def test_a_tool_is_called_by_the_name_it_was_given(server: LocalServer, client: OpenAI) -> None:
    tools = Recorder()
    weather = tool(tools.get_weather, name="weather", description="The weather.")
    run = client.chat.completions.run_tools(ask("Ask weather."), model="m", tools=[weather])
    assert server.requests[0].body["tools"] == [weather.definition()]
    assert _field(run.messages[1], "tool_calls")[0]["function"]["name"] == "weather"
    assert len(tools.calls) == 1
    assert (run.result.choice.text or "").startswith("weather: ")


def test_parallel_calls_keep_their_order(server: LocalServer, client: OpenAI) -> None:
    tools = Recorder()
    run = client.chat.completions.run_tools(
        ask("First get_time, then get_weather."),
        model="m",
        tools=[tools.get_weather, tools.get_time],
    )
    assert run.rounds == 2
    assert _roles(run.messages) == ["user", "assistant", "tool", "tool", "assistant"]
    calls = _field(run.messages[1], "tool_calls")
    assert [c["function"]["name"] for c in calls] == ["get_time", "get_weather"]
    assert [name for name, _ in tools.calls] == ["get_time", "get_weather"]
    assert [_field(m, "tool_call_id") for m in run.messages[2:4]] == [c["id"] for c in calls]
    lines = (run.result.choice.text or "").splitlines()
    assert [line.split(":")[0] for line in lines] == ["get_time", "get_weather"]
    _check_tool_pairs(_request_messages(server))


def test_a_tool_that_raises_is_told_to_the_model_and_the_loop_goes_on(
    server: LocalServer, client: OpenAI
) -> None:
    tools = Recorder()
    server.queue(Reply.calling("fail", {"city": "Atlantis"}))
    run = client.chat.completions.run_tools(ask("Try it."), model="m", tools=[tools.fail])
    assert tools.calls == [("fail", {"city": "Atlantis"})]
    content = _field(run.messages[2], "content")
    assert content == "Error: fail raised ValueError: no such city: Atlantis"
    assert _request_messages(server)[2]["content"] == content
    assert run.rounds == 2
    assert run.result.choice.text == f"fail: {content}"


DO_NOT_FIT = "Error: the arguments do not fit get_weather's parameters: "


# Our words open what the model is told; the decoder's reason, in its own words, follows.
@pytest.mark.parametrize(
    ("arguments", "opening"),
    [
        ('{"city": 5}', DO_NOT_FIT),
        ('{"city": "Paris", "unit": "kelvin"}', DO_NOT_FIT),
        ('{"town": "Paris"}', DO_NOT_FIT),
        ('{"city": ', "Error: the arguments of get_weather are not valid JSON: "),
    ],
    ids=["wrong-type", "not-in-literal", "unknown-name", "not-json"],
)
def test_arguments_that_do_not_decode_are_told_to_the_model(
    server: LocalServer, client: OpenAI, arguments: str, opening: str
) -> None:
    tools = Recorder()
    server.queue(Reply.calling("get_weather", arguments))
    run = client.chat.completions.run_tools(ask("Weather?"), model="m", tools=[tools.get_weather])
    assert tools.calls == []  # the function is not called
    content = _field(run.messages[2], "content")
    assert isinstance(content, str)
    assert content.startswith(opening)
    assert content.removeprefix(opening).strip()
    assert _field(run.messages[2], "tool_call_id") == _field(run.messages[1], "tool_calls")[0]["id"]
    assert run.rounds == 2


def test_a_call_of_an_unknown_tool_is_told_to_the_model(server: LocalServer, client: OpenAI) -> None:
    tools = Recorder()
    server.queue(Reply.calling("get_stock", {"symbol": "ACME"}))
    run = client.chat.completions.run_tools(
        ask("Stocks?"), model="m", tools=[tools.get_weather, tools.get_time]
    )
    assert tools.calls == []
    content = _field(run.messages[2], "content")
    assert content == "Error: there is no tool named 'get_stock'; the tools are: get_weather, get_time."
    assert run.rounds == 2


def test_on_tool_call_sees_each_call_and_may_veto_it(server: LocalServer, client: OpenAI) -> None:
    tools = Recorder()
    seen: list[ToolCallRequest] = []

    def on_tool_call(request: ToolCallRequest) -> bool:
        seen.append(request)
        return request.name != "get_time"

    server.queue(
        Reply.calling(
            "get_weather",
            {"city": "Paris", "unit": "celsius"},
            ToolCall("get_time", '{"place": {"name": "Paris", "country": "France"}, "hours": 1}'),
            ToolCall("nope", "{}"),
        )
    )
    run = client.chat.completions.run_tools(
        ask("Go."), model="m", tools=[tools.get_weather, tools.get_time], on_tool_call=on_tool_call
    )
    calls = _field(run.messages[1], "tool_calls")
    assert [(r.id, r.name, r.arguments) for r in seen] == [
        (c["id"], c["function"]["name"], c["function"]["arguments"]) for c in calls
    ]
    assert seen[1].arguments == '{"place": {"name": "Paris", "country": "France"}, "hours": 1}'
    assert isinstance(seen[0].tool, Tool)
    assert seen[0].tool.name == "get_weather"
    assert seen[1].tool is not None
    assert seen[1].tool.name == "get_time"
    assert seen[2].tool is None  # asked for a tool it was not given
    assert tools.calls == [("get_weather", {"city": "Paris", "unit": "celsius"})]  # get_time vetoed
    contents = [_field(m, "content") for m in run.messages[2:5]]
    assert contents[0] == msgspec.json.encode(Weather("Paris", 21.5, "celsius")).decode()
    assert contents[1] == "Error: the application did not allow this call of get_time."
    assert contents[2].startswith("Error: there is no tool named 'nope'")
    assert _roles(run.messages) == ["user", "assistant", "tool", "tool", "tool", "assistant"]


def test_on_tool_call_returning_none_allows_the_call(server: LocalServer, client: OpenAI) -> None:
    tools = Recorder()
    seen: list[str] = []

    def on_tool_call(request: ToolCallRequest) -> None:
        seen.append(request.name)

    client.chat.completions.run_tools(
        ask("get_weather"), model="m", tools=[tools.get_weather], on_tool_call=on_tool_call
    )
    assert seen == ["get_weather"]
    assert len(tools.calls) == 1


def test_a_model_that_keeps_calling_tools_stops_at_max_rounds(server: LocalServer, client: OpenAI) -> None:
    tools = Recorder()
    server.queue(*[Reply.calling("get_weather", {"city": f"City {i}", "unit": "celsius"}) for i in range(4)])
    with pytest.raises(ToolLoopError) as caught:
        client.chat.completions.run_tools(ask("Loop."), model="m", tools=[tools.get_weather], max_rounds=2)
    assert len(server.requests) == 2
    assert tools.calls == [("get_weather", {"city": "City 0", "unit": "celsius"})]
    messages = caught.value.messages
    assert _roles(messages) == ["user", "assistant", "tool", "assistant"]
    assert (
        _field(messages[-1], "tool_calls")[0]["function"]["arguments"] == '{"city":"City 1","unit":"celsius"}'
    )
    assert str(caught.value) == "The model still called tools after 2 requests (max_rounds=2)."


def test_one_round_is_told_as_one_request(server: LocalServer, client: OpenAI) -> None:
    tools = Recorder()
    server.queue(Reply.calling("get_weather", {"city": "Oslo", "unit": "celsius"}))
    with pytest.raises(ToolLoopError) as caught:
        client.chat.completions.run_tools(ask("Loop."), model="m", tools=[tools.get_weather], max_rounds=1)
    assert str(caught.value) == "The model still called tools after 1 request (max_rounds=1)."


def test_max_rounds_one_allows_an_answer_without_calls(server: LocalServer, client: OpenAI) -> None:
    tools = Recorder()
    run = client.chat.completions.run_tools(ask("Hello"), model="m", tools=[tools.get_weather], max_rounds=1)
    assert run.rounds == 1
    assert run.result.choice.text == "Hello"
    assert tools.calls == []


def local_time(city: str) -> str:
    """A sync tool."""
    return f"noon in {city}"


async def fetch_weather(city: str) -> str:
    """An async tool."""
    return f"sunny in {city}"


def test_the_sync_client_refuses_an_async_tool_before_sending(server: LocalServer, client: OpenAI) -> None:
    with pytest.raises(InvalidRequestError) as caught:
        client.chat.completions.run_tools(ask("fetch_weather"), model="m", tools=[fetch_weather])
    assert caught.value.param == "tools.fetch_weather"
    assert server.requests == []


def test_a_tool_with_an_unannotated_parameter_is_refused_before_sending(
    server: LocalServer, client: OpenAI
) -> None:
    def lookup(city, country: str) -> str:  # type: ignore[no-untyped-def]  # pyright: ignore[reportMissingParameterType, reportUnknownParameterType]
        return f"{city}, {country}"

    with pytest.raises(InvalidRequestError) as caught:
        client.chat.completions.run_tools(ask("lookup"), model="m", tools=[lookup])  # pyright: ignore[reportUnknownArgumentType]
    assert caught.value.param == "tools.lookup"
    assert "'city'" in str(caught.value)
    assert "annotation" in str(caught.value)
    assert server.requests == []


@pytest.mark.parametrize(
    ("params", "param"),
    [
        ({"stream": True}, "stream"),
        ({"on_data": print}, "on_data"),
        ({"stream_options": {"include_usage": True}}, "stream_options"),
        ({"tools": []}, "tools"),
        ({"tools": "get_weather"}, "tools"),
        ({"tools": [{"type": "function", "function": {"name": "x"}}]}, "tools[0]"),
        ({"max_rounds": 0}, "max_rounds"),
        ({"on_tool_call": "yes"}, "on_tool_call"),
        ({"tools": None}, "tools"),
        ({"tools": [local_time, tool(local_time)]}, "tools[1]"),
    ],
    ids=[
        "stream",
        "on_data",
        "stream_options",
        "no-tools",
        "str",
        "dict-tool",
        "max_rounds",
        "on_tool_call",
        "none",
        "same-name",
    ],
)
def test_what_run_tools_refuses_before_sending(
    server: LocalServer, client: OpenAI, params: dict[str, Any], param: str
) -> None:
    tools = Recorder()
    given: dict[str, Any] = {"model": "m", "tools": [tools.get_weather], **params}
    with pytest.raises(InvalidRequestError) as caught:
        client.chat.completions.run_tools(ask("get_weather"), **given)
    assert caught.value.param == param
    assert server.requests == []


def test_run_tools_without_tools_is_refused(server: LocalServer, client: OpenAI) -> None:
    with pytest.raises(InvalidRequestError) as caught:
        client.chat.completions.run_tools(ask("hi"), model="m")
    assert caught.value.param == "tools"
    assert server.requests == []


def test_a_response_format_type_parses_the_final_answer(server: LocalServer, client: OpenAI) -> None:
    tools = Recorder()
    run = client.chat.completions.run_tools(
        ask("Use get_weather."), model="m", tools=[tools.get_weather], response_format=Weather
    )
    assert run.rounds == 2
    assert len(tools.calls) == 1
    assert isinstance(run.result.choice.parsed, Weather)
    text = run.result.choice.text
    assert text is not None
    assert run.result.choice.parsed == msgspec.json.decode(text, type=Weather)
    assert all(r.body["response_format"]["json_schema"]["name"] == "Weather" for r in server.requests)


def test_a_final_answer_that_does_not_fit_the_type_raises(server: LocalServer, client: OpenAI) -> None:
    tools = Recorder()
    server.queue(Reply.calling("get_weather", {"city": "Paris", "unit": "celsius"}), Reply.text("sunny"))
    with pytest.raises(StructuredOutputError) as caught:
        client.chat.completions.run_tools(
            ask("Weather?"), model="m", tools=[tools.get_weather], response_format=Weather
        )
    assert caught.value.path == "$"
    assert len(tools.calls) == 1


def test_a_server_error_in_the_loop_raises_it(server: LocalServer, client: OpenAI) -> None:
    tools = Recorder()

    def then_fail(request: ToolCallRequest) -> bool:
        server.inject(Fault.http_error(500))  # the loop's next request meets it
        return True

    with pytest.raises(InternalServerError):
        client.chat.completions.run_tools(
            ask("get_weather"), model="m", tools=[tools.get_weather], on_tool_call=then_fail, max_retries=0
        )
    assert len(server.requests) == 2
    assert len(tools.calls) == 1


# --- the async loop --------------------------------------------------------------------------


def test_the_async_loop_runs_sync_and_async_tools(server: LocalServer) -> None:
    tools = Recorder()
    messages = ask("Use get_weather and fetch_weather.")

    async def run() -> tuple[list[object], int, str | None]:
        async with AsyncOpenAI(api_key="k", base_url=server.url) as client:
            done = await client.chat.completions.run_tools(
                messages, model="m", tools=[tools.get_weather, fetch_weather]
            )
            return list(done.messages), done.rounds, done.result.choice.text

    conversation, rounds, text = asyncio.run(run())
    assert rounds == 2
    assert _roles(conversation) == ["user", "assistant", "tool", "tool", "assistant"]
    assert len(messages) == 1
    weather_call, fetch_call = _field(conversation[1], "tool_calls")
    assert tools.calls == [("get_weather", json.loads(weather_call["function"]["arguments"]))]
    city = json.loads(fetch_call["function"]["arguments"])["city"]
    assert _field(conversation[3], "content") == f"sunny in {city}"  # the async tool was awaited
    assert (text or "").splitlines() == [
        f"get_weather: {_field(conversation[2], 'content')}",
        f"fetch_weather: sunny in {city}",
    ]


def test_the_async_loop_runs_the_calls_of_an_answer_concurrently(server: LocalServer) -> None:
    order: list[str] = []

    async def run() -> list[object]:
        # Each tool waits for the other to have started: run one after the other, they
        # would wait forever (wait_for then fails the test).
        ping_started = asyncio.Event()
        pong_started = asyncio.Event()

        async def ping(n: int) -> str:
            """Ping."""
            ping_started.set()
            order.append("ping started")
            await pong_started.wait()
            order.append("ping ended")
            return f"ping {n}"

        async def pong(n: int) -> str:
            """Pong."""
            pong_started.set()
            order.append("pong started")
            await ping_started.wait()
            order.append("pong ended")
            return f"pong {n}"

        async with AsyncOpenAI(api_key="k", base_url=server.url) as client:
            done = await asyncio.wait_for(
                client.chat.completions.run_tools(ask("Call ping and pong."), model="m", tools=[ping, pong]),
                timeout=5,
            )
            return list(done.messages)

    conversation = asyncio.run(run())
    assert order[:2] == ["ping started", "pong started"]
    assert sorted(order[2:]) == ["ping ended", "pong ended"]
    assert _roles(conversation) == ["user", "assistant", "tool", "tool", "assistant"]
    calls = _field(conversation[1], "tool_calls")
    assert [c["function"]["name"] for c in calls] == ["ping", "pong"]
    # The results keep the order of the calls, whichever finished first.
    assert [_field(m, "tool_call_id") for m in conversation[2:4]] == [c["id"] for c in calls]
    assert str(_field(conversation[2], "content")).startswith("ping ")
    assert str(_field(conversation[3], "content")).startswith("pong ")


def test_the_async_loop_tells_the_model_what_went_wrong(server: LocalServer) -> None:
    tools = Recorder()

    async def broken(city: str) -> str:
        """Raises."""
        raise RuntimeError(f"down in {city}")

    async def run() -> list[object]:
        async with AsyncOpenAI(api_key="k", base_url=server.url) as client:
            server.queue(
                Reply.calling(
                    "broken", {"city": "Rome"}, ToolCall("get_weather", '{"city": 5}'), ToolCall("x", "{}")
                )
            )
            done = await client.chat.completions.run_tools(
                ask("Go."), model="m", tools=[broken, tools.get_weather]
            )
            return list(done.messages)

    conversation = asyncio.run(run())
    contents = [str(_field(m, "content")) for m in conversation[2:5]]
    assert contents[0] == "Error: broken raised RuntimeError: down in Rome"
    assert contents[1].startswith(DO_NOT_FIT)
    assert contents[2].startswith("Error: there is no tool named 'x'")
    assert tools.calls == []


def test_the_async_loop_stops_at_max_rounds_and_honours_vetoes(server: LocalServer) -> None:
    calls: list[str] = []

    async def probe(city: str) -> str:
        """Probe."""
        calls.append(city)
        return city

    async def run() -> ToolLoopError:
        async with AsyncOpenAI(api_key="k", base_url=server.url) as client:
            server.queue(*[Reply.calling("probe", {"city": f"c{i}"}) for i in range(3)])
            try:
                await client.chat.completions.run_tools(
                    ask("Go."),
                    model="m",
                    tools=[probe],
                    max_rounds=2,
                    on_tool_call=lambda request: request.arguments != '{"city":"c0"}',
                )
            except ToolLoopError as error:
                return error
            raise AssertionError("no ToolLoopError")

    error = asyncio.run(run())
    assert calls == []  # the only call that came to run was vetoed
    assert _roles(error.messages) == ["user", "assistant", "tool", "assistant"]
    assert _field(error.messages[2], "content") == "Error: the application did not allow this call of probe."


def test_the_async_loop_refuses_what_the_sync_one_refuses(server: LocalServer) -> None:
    def lookup(city) -> str:  # type: ignore[no-untyped-def]  # pyright: ignore[reportMissingParameterType, reportUnknownParameterType]
        return str(city)  # pyright: ignore[reportUnknownArgumentType]

    async def run(params: dict[str, Any]) -> None:
        async with AsyncOpenAI(api_key="k", base_url=server.url) as client:
            await client.chat.completions.run_tools(ask("lookup"), model="m", **params)

    with pytest.raises(InvalidRequestError) as unannotated:
        asyncio.run(run({"tools": [lookup]}))
    assert unannotated.value.param == "tools.lookup"
    with pytest.raises(InvalidRequestError) as streamed:
        asyncio.run(run({"tools": [fetch_weather], "stream": True}))
    assert streamed.value.param == "stream"
    assert server.requests == []


# --- conversations -----------------------------------------------------------------------------


def test_a_conversation_keeps_its_history(server: LocalServer, client: OpenAI) -> None:
    conversation = client.chat.conversation("Be brief.", model="m")
    first = conversation.ask("Hello")
    assert first.choice.text == "Hello"
    assert _request_messages(server) == [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "Hello"},
    ]
    second = conversation.ask("And again")
    assert second.choice.text == "And again"
    assert _request_messages(server) == [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "Hello"},
        {"role": "assistant", "content": "Hello"},
        {"role": "user", "content": "And again"},
    ]
    assert _roles(conversation.messages) == ["system", "user", "assistant", "user", "assistant"]
    assert [_field(m, "content") for m in conversation.messages] == [
        "Be brief.",
        "Hello",
        "Hello",
        "And again",
        "And again",
    ]
    assert all(r.body["model"] == "m" for r in server.requests)


def test_reset_keeps_only_the_system_message(server: LocalServer, client: OpenAI) -> None:
    conversation = client.chat.conversation("Be brief.", model="m")
    conversation.ask("Hello")
    conversation.reset()
    assert _roles(conversation.messages) == ["system"]
    conversation.ask("Anew")
    assert _request_messages(server) == [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "Anew"},
    ]


def test_a_conversation_without_a_system_message(server: LocalServer, client: OpenAI) -> None:
    conversation = client.chat.conversation(model="m")
    conversation.ask("One")
    conversation.ask("Two")
    assert _roles(_request_messages(server)) == ["user", "assistant", "user"]
    conversation.reset()
    assert conversation.messages == []


def test_a_streamed_conversation(server: LocalServer, client: OpenAI) -> None:
    chunks: list[object] = []
    conversation = client.chat.conversation("Be brief.", model="m", stream=True, on_data=chunks.append)
    assert conversation.ask("Hello there").choice.text == "Hello there"
    conversation.ask("Again")
    assert server.last_request.body["stream"] is True
    assert _roles(_request_messages(server)) == ["system", "user", "assistant", "user"]
    assert len(chunks) >= 6


def test_a_conversation_with_tools_and_a_type(server: LocalServer, client: OpenAI) -> None:
    tools = Recorder()
    conversation = client.chat.conversation(model="m", tools=[tools.get_weather], response_format=Weather)
    result = conversation.ask("get_weather")
    assert isinstance(result.choice.parsed, Weather)
    assert _roles(conversation.messages) == ["user", "assistant", "tool", "assistant"]


def test_a_conversation_runs_its_tools(server: LocalServer, client: OpenAI) -> None:
    tools = Recorder()
    conversation = client.chat.conversation("Be brief.", model="m", tools=[tools.get_weather])
    result = conversation.ask("Use get_weather for Paris.")
    assert len(tools.calls) == 1
    assert (result.choice.text or "").startswith("get_weather: ")
    assert _roles(conversation.messages) == ["system", "user", "assistant", "tool", "assistant"]
    call = _field(conversation.messages[2], "tool_calls")[0]
    assert call["function"]["name"] == "get_weather"
    assert _field(conversation.messages[3], "tool_call_id") == call["id"]
    assert _field(conversation.messages[4], "content") == result.choice.text

    conversation.ask("Thanks")  # names no tool: answered directly
    sent = _request_messages(server)
    assert _roles(sent) == ["system", "user", "assistant", "tool", "assistant", "user"]
    assert sent[3]["content"] == _field(conversation.messages[3], "content")
    assert len(tools.calls) == 1
    assert len(server.requests) == 3


def test_a_conversation_passes_its_options_to_the_loop(server: LocalServer, client: OpenAI) -> None:
    tools = Recorder()
    seen: list[str] = []

    def veto(request: ToolCallRequest) -> bool:
        seen.append(request.name)
        return False

    server.queue(*[Reply.calling("get_weather", {"city": "X", "unit": "celsius"}) for _ in range(2)])
    conversation = client.chat.conversation(
        model="m", tools=[tools.get_weather], max_rounds=2, on_tool_call=veto
    )
    with pytest.raises(ToolLoopError):
        conversation.ask("Go")
    assert seen == ["get_weather"]
    assert tools.calls == []  # vetoed
    assert conversation.messages == []  # a failed ask leaves the history as it was


def _asks(conversation: Any, texts: Sequence[str], server: LocalServer) -> None:
    for text in texts:
        before = len(server.requests)
        conversation.ask(text)
        assert _request_messages(server, before)[-1] == {"role": "user", "content": text}
        for request in server.requests[before:]:
            _check_tool_pairs(request.body["messages"])
            assert request.body["messages"][0]["role"] == "system"
        kept = conversation.messages
        assert _roles(kept)[0] == "system"
        _check_tool_pairs(kept)


def test_trimming_keeps_the_system_message_and_tool_calls_with_their_results(
    server: LocalServer, client: OpenAI
) -> None:
    tools = Recorder()
    conversation = client.chat.conversation(
        "Be brief.", model="m", max_messages=4, tools=[tools.get_weather, tools.get_time]
    )
    conversation.ask("Hello")
    assert _roles(conversation.messages) == ["system", "user", "assistant"]

    conversation.ask("Use get_weather.")
    # The first turn goes whole; the last stays whole although it alone is over the
    # budget: its question, the tool call with its result, the answer.
    assert _roles(conversation.messages) == ["system", "user", "assistant", "tool", "assistant"]

    conversation.ask("Bye")
    assert _roles(_request_messages(server)) == ["system", "user", "assistant", "tool", "assistant", "user"]
    # The tool turn went whole: the history never starts with an answer.
    assert _roles(conversation.messages) == ["system", "user", "assistant"]

    conversation.ask("get_time and get_weather, please")
    # Within the loop nothing is trimmed; after it, the call of two tools stays with both
    # its results, in the last turn.
    assert _roles(_request_messages(server)) == [
        "system",
        "user",
        "assistant",
        "user",
        "assistant",
        "tool",
        "tool",
    ]
    assert _roles(conversation.messages) == ["system", "user", "assistant", "tool", "tool", "assistant"]

    _asks(conversation, ["Hello", "get_weather", "get_time", "Hi", "get_weather get_time"], server)
    assert _roles(conversation.messages)[:2] == ["system", "user"]
    assert all(r.body["messages"][0] == {"role": "system", "content": "Be brief."} for r in server.requests)


@pytest.mark.parametrize("max_messages", [2, 3, 5, 6])
def test_trimming_over_many_asks(server: LocalServer, client: OpenAI, max_messages: int) -> None:
    tools = Recorder()
    conversation = client.chat.conversation(
        "Sys.", model="m", max_messages=max_messages, tools=[tools.get_weather, tools.get_time]
    )
    texts = ["a", "get_weather", "b", "get_time get_weather", "c", "d", "get_time", "e"]
    _asks(conversation, texts, server)
    # The last turn ("e" and its answer) stays whole, even over a budget of two.
    assert len(conversation.messages) <= max(max_messages, 3)
    assert _roles(conversation.messages)[-2:] == ["user", "assistant"]


def test_a_failed_ask_leaves_the_history_unchanged(server: LocalServer, client: OpenAI) -> None:
    conversation = client.chat.conversation("Be brief.", model="m", max_retries=0)
    conversation.ask("Hello")
    before = list(conversation.messages)
    server.inject(Fault.http_error(500))
    with pytest.raises(InternalServerError):
        conversation.ask("This fails")
    assert conversation.messages == before
    conversation.ask("Again")
    assert [m["content"] for m in _request_messages(server)] == ["Be brief.", "Hello", "Hello", "Again"]


def test_a_failed_tool_round_leaves_the_history_unchanged(server: LocalServer, client: OpenAI) -> None:
    tools = Recorder()

    def then_fail(request: ToolCallRequest) -> bool:
        server.inject(Fault.http_error(500))  # the second request of the loop meets it
        return True

    conversation = client.chat.conversation(
        "Be brief.", model="m", max_retries=0, tools=[tools.get_weather], on_tool_call=then_fail
    )
    with pytest.raises(InternalServerError):
        conversation.ask("get_weather")
    assert len(tools.calls) == 1
    assert _roles(conversation.messages) == ["system"]


def test_an_answer_that_does_not_fit_leaves_the_history_unchanged(
    server: LocalServer, client: OpenAI
) -> None:
    conversation = client.chat.conversation(model="m", response_format=Weather)
    first = conversation.ask("Weather?")
    assert isinstance(first.choice.parsed, Weather)
    server.queue(Reply.text("not json"))
    with pytest.raises(StructuredOutputError):
        conversation.ask("Again?")
    assert _roles(conversation.messages) == ["user", "assistant"]


def test_a_conversation_refuses_a_bad_budget(client: OpenAI) -> None:
    for bad in (1, 0, True, "4"):
        with pytest.raises(InvalidRequestError) as caught:
            client.chat.conversation(model="m", max_messages=bad)  # type: ignore[arg-type]
        assert caught.value.param == "max_messages"
    with pytest.raises(InvalidRequestError) as rounds:
        client.chat.conversation(model="m", max_rounds=0)
    assert rounds.value.param == "max_rounds"


def test_the_async_conversation(server: LocalServer) -> None:
    tools = Recorder()

    async def run() -> tuple[list[object], list[object]]:
        async with AsyncOpenAI(api_key="k", base_url=server.url, max_retries=0) as client:
            chat = client.chat.conversation("Be brief.", model="m")
            await chat.ask("Hello")
            await chat.ask("Again")
            server.inject(Fault.http_error(500))
            with pytest.raises(InternalServerError):
                await chat.ask("Fails")
            plain: list[object] = list(chat.messages)
            chat.reset()
            assert _roles(chat.messages) == ["system"]

            with_tools = client.chat.conversation(
                "Tools.", model="m", tools=[tools.get_weather, fetch_weather]
            )
            await with_tools.ask("fetch_weather and get_weather")
            return plain, list(with_tools.messages)

    plain, with_tools = asyncio.run(run())
    assert [_field(m, "content") for m in plain] == ["Be brief.", "Hello", "Hello", "Again", "Again"]
    assert _roles(with_tools) == ["system", "user", "assistant", "tool", "tool", "assistant"]
    assert len(tools.calls) == 1
    assert str(_field(with_tools[3], "content")).startswith("sunny in ")
    assert _roles(server.requests[1].body["messages"]) == ["system", "user", "assistant", "user"]


# --- History, directly: trimming over any sequence of turns ------------------------------------


def _turn(kind: list[int], start: int, answered: bool = True) -> list[MessageLike]:
    """One ask's messages: the question, then for each tool round an assistant message
    calling ``n`` tools and their ``n`` results, then (``answered``) the answer."""
    out: list[MessageLike] = [Message.user(f"q{start}")]
    for round_index, n in enumerate(kind):
        ids = [f"call_{start}_{round_index}_{i}" for i in range(n)]
        calls = [{"id": i, "type": "function", "function": {"name": "f", "arguments": "{}"}} for i in ids]
        out.append(Message.assistant(tool_calls=calls))
        out.extend(Message.tool("ok", tool_call_id=i) for i in ids)
    if answered or not kind:
        out.append(Message.assistant(f"a{start}"))
    return out


def _groups(messages: Sequence[MessageLike]) -> list[int]:
    """Where each turn starts: a question, with everything up to the next one."""
    return [i for i, role in enumerate(_roles(messages)) if role == "user"]


def _expected_kept(everything: list[MessageLike], budget: int) -> list[MessageLike]:
    """The longest suffix that starts a turn and fits the budget; the last turn alone
    when none does."""
    starts = _groups(everything)
    for start in starts:
        if len(everything) - start <= budget:
            return everything[start:]
    return everything[starts[-1] :] if starts else []


@settings(max_examples=200, deadline=None)
@given(
    system=st.booleans(),
    max_messages=st.one_of(st.none(), st.integers(min_value=2, max_value=10)),
    turns=st.lists(
        st.tuples(st.lists(st.integers(min_value=1, max_value=3), max_size=3), st.booleans()),
        min_size=1,
        max_size=8,
    ),
)
def test_trimming_keeps_its_invariants(
    system: bool, max_messages: int | None, turns: list[tuple[list[int], bool]]
) -> None:
    # A turn may end on tool results (as a loop stopped by max_rounds would), so that the
    # last group alone may be larger than the budget.
    history = History("Sys." if system else None, max_messages)
    everything: list[MessageLike] = []
    for index, (kind, answered) in enumerate(turns):
        turn = _turn(kind, index, answered)
        everything.extend(turn)
        history.extend(turn)
        kept = history.messages
        if system:
            assert _roles(kept)[0] == "system"
            assert _field(kept[0], "content") == "Sys."
            assert "system" not in _roles(kept[1:])
            turns_kept = kept[1:]
        else:
            assert "system" not in _roles(kept)
            turns_kept = kept
        _check_tool_pairs(turns_kept)
        assert turns_kept == everything[len(everything) - len(turns_kept) :]  # the oldest go first
        assert turns_kept, "the last turn is never dropped"
        if max_messages is None:
            assert turns_kept == everything
            continue
        budget = max_messages - (1 if system else 0)
        assert _roles(turns_kept)[0] == "user"  # never an answer without its question
        if len(kept) > max_messages:  # only when the last turn alone is larger
            assert _groups(turns_kept) == [0]
        assert turns_kept == _expected_kept(everything, budget)
        asked = history.asking("next")
        assert asked[:-1] == kept
        assert _roles(asked)[-1] == "user"


def test_history_refuses_a_question_that_is_not_text() -> None:
    history = History("Sys.", None)
    with pytest.raises(InvalidRequestError) as caught:
        history.asking(["not", "text"])
    assert caught.value.param == "text"
