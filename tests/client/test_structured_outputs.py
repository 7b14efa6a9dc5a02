"""Structured outputs end to end, on the local server: ``response_format=<a Python type>``
goes out as a strict json_schema, the answer comes back parsed into that type, an answer
that does not fit is the call's error; and ``tools=`` described from Python functions."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import typing
from typing import Any, Literal, TypedDict

import msgspec
import pytest

from completionkit import (
    APIResponseValidationError,
    AsyncOpenAI,
    ChatCompletionOutcome,
    InvalidRequestError,
    MessageLike,
    OpenAI,
)
from completionkit._exceptions import StructuredOutputError
from completionkit._generated.models import JsonSchema
from completionkit._schema import response_format_for
from completionkit._tools import tool
from completionkit.testing import LocalServer, Reply
from completionkit.types import (
    ChatCompletionMessageToolCall,
    ChatCompletionToolParam,
    ResponseFormatJsonObject,
    ResponseFormatJsonSchema,
    ResponseFormatText,
)

USER: list[MessageLike] = [{"role": "user", "content": "Hello there"}]

# --- the types asked for ------------------------------------------------------------------


class Reading(msgspec.Struct):
    hour: int
    value: float


class Weather(msgspec.Struct):
    """The weather in a city."""

    city: str
    temperature: float
    unit: Literal["celsius", "fahrenheit"]
    readings: list[Reading]
    note: str | None = None


@dataclasses.dataclass
class Place:
    name: str
    country: str | None = None


@dataclasses.dataclass
class Trip:
    destination: Place
    mode: Literal["train", "plane"]
    stops: list[Place]
    budget: float | None = None


class Day(TypedDict):
    date: str
    high: float


class Forecast(TypedDict):
    city: str
    days: list[Day]
    alert: Literal["none", "storm"] | None


class Stats(msgspec.Struct):
    city: str
    values: dict[str, float]


WEATHER_JSON: dict[str, Any] = {
    "city": "Paris",
    "temperature": 21.5,
    "unit": "celsius",
    "readings": [{"hour": 9, "value": 18.0}, {"hour": 15, "value": 23.5}],
    "note": None,
}
WEATHER = Weather("Paris", 21.5, "celsius", [Reading(9, 18.0), Reading(15, 23.5)], None)

CASES: list[tuple[type[Any], dict[str, Any], object]] = [
    (Weather, WEATHER_JSON, WEATHER),
    (
        Trip,
        {
            "destination": {"name": "Lyon", "country": "France"},
            "mode": "train",
            "stops": [{"name": "Dijon", "country": None}],
            "budget": None,
        },
        Trip(Place("Lyon", "France"), "train", [Place("Dijon", None)], None),
    ),
    (
        Forecast,
        {"city": "Oslo", "days": [{"date": "2026-11-26", "high": -2.5}], "alert": "storm"},
        Forecast(city="Oslo", days=[Day(date="2026-11-26", high=-2.5)], alert="storm"),
    ),
]
IDS = ["struct", "dataclass", "typeddict"]


# --- what strict mode asks of a schema ------------------------------------------------------


def _check_strict(schema: object, where: str = "$") -> None:
    """Every object of ``schema`` (its $defs too) names all its properties in ``required``
    and allows no others; no free-form maps."""
    if isinstance(schema, list):
        for index, item in enumerate(typing.cast("list[object]", schema)):
            _check_strict(item, f"{where}[{index}]")
        return
    if not isinstance(schema, dict):
        return
    node = typing.cast("dict[str, Any]", schema)
    if node.get("type") == "object" or "properties" in node:
        assert node.get("additionalProperties") is False, where
        assert "properties" in node, where
        assert node["required"] == list(node["properties"]), where
    for key, value in node.items():
        _check_strict(value, f"{where}.{key}")


def _field_names(type_: type[Any]) -> list[str]:
    if dataclasses.is_dataclass(type_):
        return [f.name for f in dataclasses.fields(type_)]
    if issubclass(type_, msgspec.Struct):
        return list(type_.__struct_fields__)
    return list(type_.__annotations__)


def _sent_format(server: LocalServer) -> dict[str, Any]:
    body: dict[str, Any] = server.last_request.body
    response_format: dict[str, Any] = body["response_format"]
    return response_format


# --- create with a type ------------------------------------------------------------------


@pytest.mark.parametrize(("type_", "answer", "expected"), CASES, ids=IDS)
def test_a_type_is_sent_as_a_strict_json_schema_and_the_answer_parsed_into_it(
    server: LocalServer, client: OpenAI, type_: type[Any], answer: dict[str, Any], expected: object
) -> None:
    server.queue(Reply.json(answer))
    result = client.chat.completions.create(USER, model="m", response_format=type_)

    sent = _sent_format(server)
    assert sent["type"] == "json_schema"
    assert set(sent) == {"type", "json_schema"}
    json_schema = sent["json_schema"]
    assert json_schema["name"] == type_.__name__
    assert json_schema["strict"] is True
    assert set(json_schema) <= {"name", "description", "schema", "strict"}
    schema = json_schema["schema"]
    assert schema["type"] == "object"
    assert sorted(schema["properties"]) == sorted(_field_names(type_))  # msgspec sorts a TypedDict's
    _check_strict(schema)
    assert sent == response_format_for(type_)

    parsed = result.choice.parsed
    assert parsed == expected
    if isinstance(expected, dict):
        assert isinstance(parsed, dict)
    else:
        assert type(parsed) is type_
    assert result.choice.text == json.dumps(answer, separators=(",", ":"))
    assert result.choices[0].parsed == expected


def test_a_docstring_becomes_the_description(server: LocalServer, client: OpenAI) -> None:
    server.queue(Reply.json(WEATHER_JSON))
    client.chat.completions.create(USER, model="m", response_format=Weather)
    assert _sent_format(server)["json_schema"]["description"] == "The weather in a city."
    server.queue(Reply.json(CASES[1][1]))
    client.chat.completions.create(USER, model="m", response_format=Trip)
    assert "description" not in _sent_format(server)["json_schema"]  # a dataclass's made-up docstring


def test_the_nested_types_optional_fields_and_literals_are_strict(
    server: LocalServer, client: OpenAI
) -> None:
    server.queue(Reply.json(WEATHER_JSON))
    client.chat.completions.create(USER, model="m", response_format=Weather)
    schema = _sent_format(server)["json_schema"]["schema"]
    assert schema["required"] == ["city", "temperature", "unit", "readings", "note"]  # note has a default
    assert schema["properties"]["unit"] == {"type": "string", "enum": ["celsius", "fahrenheit"]}
    assert {"type": "null"} in schema["properties"]["note"]["anyOf"]
    reading = schema["$defs"]["Reading"]
    assert reading["required"] == ["hour", "value"]
    assert reading["additionalProperties"] is False


@pytest.mark.parametrize("type_", [Weather, Trip, Forecast], ids=IDS)
def test_the_servers_own_answer_under_the_schema_parses(
    server: LocalServer, client: OpenAI, type_: type[Any]
) -> None:
    # No reply queued: the local model answers with an instance of the schema sent.
    result = client.chat.completions.create(USER, model="m", response_format=type_)
    text = result.choice.text
    assert text is not None
    assert result.choice.parsed == msgspec.json.decode(text, type=type_, strict=True)
    assert result.choice.parsed is not None


def test_every_choice_is_parsed(server: LocalServer, client: OpenAI) -> None:
    server.queue(Reply.json(WEATHER_JSON))
    result = client.chat.completions.create(USER, model="m", response_format=Weather, n=2)
    assert [c.parsed for c in result.choices] == [WEATHER, WEATHER]


def test_a_parameters_mapping_may_carry_the_type(server: LocalServer, client: OpenAI) -> None:
    server.queue(Reply.json(WEATHER_JSON))
    result = client.chat.completions.create(USER, {"model": "m", "response_format": Weather})
    assert result.choice.parsed == WEATHER


def test_a_refusal_is_parsed_as_none(server: LocalServer, client: OpenAI) -> None:
    server.queue(Reply.refusal_of("I cannot help with that."))
    result = client.chat.completions.create(USER, model="m", response_format=Weather)
    assert result.choice.parsed is None
    assert result.choice.refusal == "I cannot help with that."
    assert result.choice.text is None


def test_an_answer_cut_short_raises(server: LocalServer, client: OpenAI) -> None:
    server.queue(Reply.text(json.dumps(WEATHER_JSON)))  # spaced: the local model cuts it at a word
    with pytest.raises(StructuredOutputError) as caught:
        client.chat.completions.create(USER, model="m", response_format=Weather, max_completion_tokens=3)
    assert caught.value.path == "$"
    assert caught.value.text == '{"city": "Paris", "temperature":'


# --- an answer that does not fit -----------------------------------------------------------


@pytest.mark.parametrize(
    ("reply", "path"),
    [
        (Reply.json({**WEATHER_JSON, "temperature": "warm"}), "$.temperature"),
        (Reply.json({**WEATHER_JSON, "unit": "kelvin"}), "$.unit"),
        (
            Reply.json(
                {**WEATHER_JSON, "readings": [{"hour": 9, "value": 1.0}, {"hour": "x", "value": 2.0}]}
            ),
            "$.readings[1].hour",
        ),
        (Reply.json({k: v for k, v in WEATHER_JSON.items() if k != "city"}), "$.city"),
        (Reply.json([WEATHER_JSON]), "$"),
        (Reply.text("not json"), "$"),
    ],
    ids=["wrong-type", "not-in-literal", "nested", "missing", "not-an-object", "not-json"],
)
def test_an_answer_that_does_not_fit_raises_naming_the_path(
    server: LocalServer, client: OpenAI, reply: Reply, path: str
) -> None:
    server.queue(reply)
    with pytest.raises(StructuredOutputError) as caught:
        client.chat.completions.create(USER, model="m", response_format=Weather)
    error = caught.value
    assert error.path == path
    assert error.text == reply.content
    # Our words open the message; the decoder's own, which name the place in its style, follow.
    not_json = reply.content == "not json"
    assert str(error).startswith(
        "The answer is not JSON, so it does not fit Weather: "
        if not_json
        else "The answer does not fit Weather: "
    )
    assert isinstance(error, APIResponseValidationError)
    assert len(server.requests) == 1  # not retried: the answer was given


def test_the_answer_is_decoded_strictly(server: LocalServer, client: OpenAI) -> None:
    server.queue(Reply.json({**WEATHER_JSON, "readings": [{"hour": "9", "value": 1.0}]}))
    with pytest.raises(StructuredOutputError) as caught:
        client.chat.completions.create(USER, model="m", response_format=Weather)
    assert caught.value.path == "$.readings[0].hour"


def test_try_create_returns_the_error_in_the_outcome(server: LocalServer, client: OpenAI) -> None:
    server.queue(Reply.json({**WEATHER_JSON, "temperature": "warm"}))
    outcome = client.chat.completions.try_create(USER, model="m", response_format=Weather)
    assert not outcome.success
    assert outcome.result is None
    assert outcome.choice is None
    [error] = outcome.errors
    assert isinstance(error, StructuredOutputError)
    assert error.path == "$.temperature"

    server.queue(Reply.json(WEATHER_JSON))
    good = client.chat.completions.try_create(USER, model="m", response_format=Weather)
    assert good.success
    assert good.choice is not None
    assert good.choice.parsed == WEATHER


# --- streams ---------------------------------------------------------------------------------


def test_a_stream_parses_its_final_answer(server: LocalServer, client: OpenAI) -> None:
    server.queue(Reply.json(WEATHER_JSON))
    with client.chat.completions.stream(USER, model="m", response_format=Weather) as stream:
        text = "".join(stream.text_deltas())
        final = stream.final()
    assert json.loads(text) == WEATHER_JSON
    assert final.choice.parsed == WEATHER
    assert _sent_format(server) == response_format_for(Weather)
    assert server.last_request.body["stream"] is True


def test_create_with_stream_true_parses_and_tells_on_terminate(server: LocalServer, client: OpenAI) -> None:
    outcomes: list[ChatCompletionOutcome[Any]] = []
    chunks: list[object] = []
    server.queue(Reply.json(WEATHER_JSON))
    result = client.chat.completions.create(
        USER,
        model="m",
        stream=True,
        response_format=Weather,
        on_data=chunks.append,
        on_terminate=outcomes.append,
    )
    assert result.choice.parsed == WEATHER
    assert len(chunks) > 2
    [outcome] = outcomes
    assert outcome.success
    assert outcome.choice is not None
    assert outcome.choice.parsed == WEATHER
    assert server.last_request.body["stream"] is True


def test_a_streamed_answer_that_does_not_fit_raises_and_tells_on_terminate(
    server: LocalServer, client: OpenAI
) -> None:
    outcomes: list[ChatCompletionOutcome[Any]] = []
    server.queue(Reply.json({**WEATHER_JSON, "temperature": "warm"}))
    with pytest.raises(StructuredOutputError) as caught:
        client.chat.completions.create(
            USER, model="m", stream=True, response_format=Weather, on_terminate=outcomes.append
        )
    assert caught.value.path == "$.temperature"
    [outcome] = outcomes
    assert not outcome.success
    assert outcome.errors == [caught.value]

    server.queue(Reply.text("not json"))
    with (
        client.chat.completions.stream(USER, model="m", response_format=Weather) as stream,
        pytest.raises(StructuredOutputError) as again,
    ):
        stream.final()
    assert again.value.path == "$"
    with pytest.raises(StructuredOutputError):
        stream.final()  # the stream's own error, again


def test_a_streamed_refusal_is_parsed_as_none(server: LocalServer, client: OpenAI) -> None:
    server.queue(Reply.refusal_of("No."))
    with client.chat.completions.stream(USER, model="m", response_format=Weather) as stream:
        final = stream.final()
    assert final.choice.parsed is None
    assert final.choice.refusal == "No."


# --- the API's own formats ------------------------------------------------------------------


RAW_SCHEMA: dict[str, Any] = {
    "type": "json_schema",
    "json_schema": {
        "name": "echo",
        "schema": {
            "type": "object",
            "properties": {"echo": {"type": "string"}},
            "required": ["echo"],
            "additionalProperties": False,
        },
        "strict": True,
    },
}


@pytest.mark.parametrize(
    ("response_format", "sent"),
    [
        ({"type": "json_object"}, {"type": "json_object"}),
        (RAW_SCHEMA, RAW_SCHEMA),
        ({"type": "text"}, {"type": "text"}),
        (ResponseFormatJsonObject(), {"type": "json_object"}),
        (ResponseFormatText(), {"type": "text"}),
        (
            ResponseFormatJsonSchema(
                json_schema=JsonSchema(name="echo", schema=RAW_SCHEMA["json_schema"]["schema"])
            ),
            {
                "type": "json_schema",
                "json_schema": {"name": "echo", "schema": RAW_SCHEMA["json_schema"]["schema"]},
            },
        ),
    ],
    ids=[
        "json_object",
        "json_schema-dict",
        "text",
        "json_object-struct",
        "text-struct",
        "json_schema-struct",
    ],
)
def test_the_apis_formats_are_sent_as_they_are_and_parse_nothing(
    server: LocalServer, client: OpenAI, response_format: Any, sent: dict[str, Any]
) -> None:
    result = client.chat.completions.create(USER, model="m", response_format=response_format)
    assert _sent_format(server) == sent
    assert result.choice.parsed is None
    if sent["type"] == "json_object":
        assert json.loads(result.choice.text or "") == {"echo": "Hello there"}
    elif sent["type"] == "json_schema":  # the local model's instance of the schema
        assert json.loads(result.choice.text or "") == {"echo": "example echo"}
    else:
        assert result.choice.text == "Hello there"


def test_an_answer_under_a_raw_format_is_never_checked(server: LocalServer, client: OpenAI) -> None:
    server.queue(Reply.text("not json"))
    result = client.chat.completions.create(USER, model="m", response_format={"type": "json_object"})
    assert result.choice.text == "not json"
    assert result.choice.parsed is None


# --- types that cannot be asked for -------------------------------------------------------------


def test_a_type_strict_mode_cannot_express_is_refused_before_sending(
    server: LocalServer, client: OpenAI
) -> None:
    with pytest.raises(InvalidRequestError) as caught:
        client.chat.completions.create(USER, model="m", response_format=Stats)
    assert caught.value.param == "response_format.Stats.values"
    assert "free-form map" in str(caught.value)
    assert server.requests == []


@pytest.mark.parametrize(
    "response_format",
    [int, str, list[Weather], dict[str, Weather], Weather | None, tuple[int, str]],
    ids=["int", "str", "list", "dict", "optional", "tuple"],
)
def test_a_root_that_is_not_an_object_is_refused_before_sending(
    server: LocalServer, client: OpenAI, response_format: Any
) -> None:
    with pytest.raises(InvalidRequestError) as caught:
        client.chat.completions.create(USER, model="m", response_format=response_format)
    assert caught.value.param is not None
    assert caught.value.param.startswith("response_format")
    assert "JSON object" in str(caught.value) or "free-form map" in str(caught.value)
    assert server.requests == []


def test_a_refused_type_fails_try_create_and_stream_before_sending(
    server: LocalServer, client: OpenAI
) -> None:
    with pytest.raises(InvalidRequestError):
        client.chat.completions.try_create(USER, model="m", response_format=Stats)
    with pytest.raises(InvalidRequestError):
        client.chat.completions.stream(USER, model="m", response_format=Stats)
    with pytest.raises(InvalidRequestError):
        client.chat.completions.create(USER, model="m", stream=True, response_format=list[Weather])
    assert server.requests == []


# --- AsyncOpenAI -----------------------------------------------------------------------------


def test_async_create_and_stream_with_a_type(server: LocalServer) -> None:
    async def run() -> tuple[Weather | None, Weather | None, Exception | None]:
        async with AsyncOpenAI(api_key="k", base_url=server.url, max_retries=0) as client:
            server.queue(Reply.json(WEATHER_JSON))
            created = await client.chat.completions.create(USER, model="m", response_format=Weather)
            server.queue(Reply.json(WEATHER_JSON))
            async with client.chat.completions.stream(USER, model="m", response_format=Weather) as stream:
                streamed = await stream.final()
            server.queue(Reply.json({**WEATHER_JSON, "temperature": "warm"}))
            outcome = await client.chat.completions.try_create(USER, model="m", response_format=Weather)
            return (
                created.choice.parsed,
                streamed.choice.parsed,
                outcome.errors[0] if outcome.errors else None,
            )

    created, streamed, error = asyncio.run(run())
    assert created == WEATHER
    assert streamed == WEATHER
    assert isinstance(error, StructuredOutputError)
    assert error.path == "$.temperature"
    assert all(r.body["response_format"] == response_format_for(Weather) for r in server.requests)


def test_async_create_refuses_a_type_before_sending(server: LocalServer) -> None:
    async def run() -> None:
        async with AsyncOpenAI(api_key="k", base_url=server.url) as client:
            await client.chat.completions.create(USER, model="m", response_format=Stats)

    with pytest.raises(InvalidRequestError) as caught:
        asyncio.run(run())
    assert caught.value.param == "response_format.Stats.values"
    assert server.requests == []


# --- tools in create -------------------------------------------------------------------------


def get_weather(city: str, unit: Literal["celsius", "fahrenheit"] = "celsius") -> Weather:
    """Get the current weather in a city.

    Args:
        city: The city, in English.
        unit: The unit of the temperature.
    """
    return Weather(city, 20.0, unit, [])


def get_time(place: Place) -> str:
    """The local time at a place."""
    return f"12:00 in {place.name}"


def test_a_function_is_sent_as_a_strict_function_tool(server: LocalServer, client: OpenAI) -> None:
    client.chat.completions.create(USER, model="m", tools=[get_weather])
    [sent] = server.last_request.body["tools"]
    assert sent["type"] == "function"
    function = sent["function"]
    assert function["name"] == "get_weather"
    assert function["description"] == "Get the current weather in a city."
    assert function["strict"] is True
    parameters = function["parameters"]
    assert parameters["type"] == "object"
    assert list(parameters["properties"]) == ["city", "unit"]
    assert parameters["properties"]["city"] == {"description": "The city, in English.", "type": "string"}
    assert {"type": "null"} in parameters["properties"]["unit"]["anyOf"]  # null: the default
    _check_strict(parameters)
    assert sent == tool(get_weather).definition()


def test_the_model_calls_a_function_given_in_create(server: LocalServer, client: OpenAI) -> None:
    result = client.chat.completions.create(
        [{"role": "user", "content": "What is get_weather saying?"}], model="m", tools=[get_weather]
    )
    assert result.choice.finish_reason == "tool_calls"
    [call] = result.choice.message.tool_calls or []
    assert isinstance(call, ChatCompletionMessageToolCall)
    assert call.function.name == "get_weather"
    arguments = json.loads(call.function.arguments)
    assert set(arguments) == {"city", "unit"}


def test_functions_tools_and_dicts_mix(server: LocalServer, client: OpenAI) -> None:
    raw: ChatCompletionToolParam = {
        "type": "function",
        "function": {"name": "lookup", "description": "Look it up.", "parameters": {"type": "object"}},
    }
    client.chat.completions.create(
        USER,
        model="m",
        tools=[get_weather, tool(get_time, name="local_time", description="The time."), raw],
        tool_choice="auto",
    )
    sent = server.last_request.body["tools"]
    assert [t["function"]["name"] for t in sent] == ["get_weather", "local_time", "lookup"]
    assert sent[0] == tool(get_weather).definition()
    assert sent[1]["function"]["description"] == "The time."
    assert sent[1]["function"]["strict"] is True
    place = sent[1]["function"]["parameters"]["properties"]["place"]
    _check_strict(sent[1]["function"]["parameters"])
    assert place == {"$ref": "#/$defs/Place"}
    assert sent[2] == raw  # as it was given
    assert server.last_request.body["tool_choice"] == "auto"


def test_a_function_that_cannot_be_described_is_refused_before_sending(
    server: LocalServer, client: OpenAI
) -> None:
    def tally(counts: dict[str, int]) -> int:
        return sum(counts.values())

    with pytest.raises(InvalidRequestError) as caught:
        client.chat.completions.create(USER, model="m", tools=[tally])
    assert caught.value.param == "tools.tally.counts"
    assert server.requests == []


def test_a_type_and_tools_together(server: LocalServer, client: OpenAI) -> None:
    server.queue(Reply.json(WEATHER_JSON))
    result = client.chat.completions.create(USER, model="m", tools=[get_weather], response_format=Weather)
    assert result.choice.parsed == WEATHER
    body = server.last_request.body
    assert body["tools"] == [tool(get_weather).definition()]
    assert body["response_format"] == response_format_for(Weather)
