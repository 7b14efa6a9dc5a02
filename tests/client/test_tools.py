"""Tools from Python functions: the strict schema of their parameters, their description
from the docstring, and running one call to the tool message's content, whatever the
model sends and whatever the function does."""

from __future__ import annotations

import asyncio
import dataclasses
import enum
import functools
import typing
from typing import Annotated, Literal, TypedDict

import msgspec
import pytest

from completionkit import InvalidRequestError
from completionkit._tools import BoundCall, Tool, tool

# --- the functions ------------------------------------------------------------------------


class Unit(enum.Enum):
    CELSIUS = "celsius"
    FAHRENHEIT = "fahrenheit"


class Weather(msgspec.Struct):
    city: str
    temperature: float
    unit: Unit


@dataclasses.dataclass
class Place:
    city: str
    country: str | None = None


class Window(TypedDict):
    start: int
    end: int


def get_weather(city: str, days: int = 3, unit: Unit = Unit.CELSIUS, note: str | None = None) -> Weather:
    """Get the weather in a city.

    A second paragraph, for the reader of the code only.

    Args:
        city: The city, in English,
            without its country.
        days (int): How many days to look ahead.
        unit: The unit of the temperatures.

    Returns:
        The weather.
    """
    return Weather(city, 21.5 + days, unit)


def get_weather_sphinx(city: str, days: int = 3) -> str:
    """Get the weather in a city.

    :param city: The city: in English,
        without its country.
    :param int days: How many days.
    :returns: A report.
    """
    return f"{city}: sunny for {days} days"


def get_weather_numpy(city: str, low: float, high: float) -> None:
    """Get the weather in a city.

    Parameters
    ----------
    city : str
        The city, in English,
        without its country.
    low, high : float
        The range of temperatures.

    Returns
    -------
    None
    """


def plan(places: list[Place], window: Window, mode: Literal["walk", "drive"] | None = None) -> list[str]:
    """Plan a trip."""
    return [p.city for p in places] + [str(window["end"] - window["start"]), str(mode)]


async def fetch_weather(city: str) -> str:
    """Fetch the weather, asynchronously."""
    await asyncio.sleep(0)
    if city == "Atlantis":
        raise LookupError("no such city")
    return f"{city}: rain"


def divide(a: float, b: float, /, *, digits: int = 2) -> float:
    return round(a / b, digits)


def nothing() -> None:
    return None


# --- the schema -----------------------------------------------------------------------------


def test_a_tool_is_described_by_its_signature_and_docstring() -> None:
    weather = tool(get_weather)
    assert (weather.name, weather.description, weather.function, weather.is_async) == (
        "get_weather",
        "Get the weather in a city.",
        get_weather,
        False,
    )
    assert weather.definition() == {
        "type": "function",
        "function": {
            "name": "get_weather",
            "description": "Get the weather in a city.",
            "parameters": {
                "type": "object",
                "properties": {
                    "city": {"description": "The city, in English, without its country.", "type": "string"},
                    # A parameter with a default is required and nullable; null is the default.
                    "days": {
                        "description": "How many days to look ahead. (null for the default: 3)",
                        "anyOf": [{"type": "integer"}, {"type": "null"}],
                    },
                    "unit": {
                        "description": 'The unit of the temperatures. (null for the default: "celsius")',
                        "anyOf": [{"$ref": "#/$defs/Unit"}, {"type": "null"}],
                    },
                    "note": {"anyOf": [{"type": "string"}, {"type": "null"}]},
                },
                "required": ["city", "days", "unit", "note"],
                "additionalProperties": False,
                "$defs": {"Unit": {"title": "Unit", "type": "string", "enum": ["celsius", "fahrenheit"]}},
            },
            "strict": True,
        },
    }


def test_sphinx_style_describes_the_parameters() -> None:
    described = tool(get_weather_sphinx)
    assert described.description == "Get the weather in a city."
    assert {name: p["description"] for name, p in described.parameters["properties"].items()} == {
        "city": "The city: in English, without its country.",
        "days": "How many days. (null for the default: 3)",
    }


def test_numpy_style_describes_the_parameters() -> None:
    described = tool(get_weather_numpy)
    assert described.description == "Get the weather in a city."
    assert {name: p["description"] for name, p in described.parameters["properties"].items()} == {
        "city": "The city, in English, without its country.",
        "low": "The range of temperatures.",
        "high": "The range of temperatures.",
    }


def test_structs_dataclasses_typeddicts_and_literals_as_parameters() -> None:
    parameters = tool(plan).parameters
    assert parameters["properties"] == {
        "places": {"type": "array", "items": {"$ref": "#/$defs/Place"}},
        "window": {"$ref": "#/$defs/Window"},
        "mode": {"anyOf": [{"type": "string", "enum": ["drive", "walk"]}, {"type": "null"}]},
    }
    assert parameters["$defs"]["Place"]["required"] == ["city", "country"]
    assert parameters["$defs"]["Window"]["additionalProperties"] is False
    result = tool(plan).run(
        '{"places": [{"city": "Oslo", "country": null}], "window": {"start": 1, "end": 4}, "mode": "walk"}'
    )
    assert result == '["Oslo","3","walk"]'


def test_no_docstring_no_description() -> None:
    assert tool(divide).description is None
    assert "description" not in tool(divide).definition()["function"]


def test_name_and_description_can_be_given() -> None:
    named = tool(get_weather, name="weather-now", description="Now.")
    assert (named.name, named.description) == ("weather-now", "Now.")
    assert named.definition()["function"]["name"] == "weather-now"


def test_a_tool_is_returned_as_it_is_or_renamed() -> None:
    weather = tool(get_weather)
    assert tool(weather) is weather
    renamed = tool(weather, name="w")
    assert (renamed.name, renamed.description, renamed.function) == ("w", weather.description, get_weather)
    assert weather.name == "get_weather"


def test_each_definition_is_the_callers_own() -> None:
    weather = tool(get_weather)
    weather.definition()["function"]["parameters"]["properties"].clear()
    assert "city" in weather.definition()["function"]["parameters"]["properties"]


def test_the_types_a_checker_sees() -> None:
    typing.assert_type(tool(get_weather), Tool[Weather])
    typing.assert_type(tool(fetch_weather), Tool[str])
    typing.assert_type(tool(tool(nothing)), Tool[None])


# --- running a call ---------------------------------------------------------------------------


def test_a_call_runs_and_its_value_is_the_content() -> None:
    weather = tool(get_weather)
    content = weather.run('{"city": "Paris", "days": 1, "unit": "fahrenheit", "note": null}')
    assert content == '{"city":"Paris","temperature":22.5,"unit":"fahrenheit"}'


def test_null_means_the_default() -> None:
    call = tool(get_weather).prepare('{"city": "Paris", "days": null, "unit": null, "note": null}')
    assert isinstance(call, BoundCall)
    assert (call.args, call.kwargs) == ((), {"city": "Paris", "days": 3, "unit": Unit.CELSIUS, "note": None})
    # Left out (not in strict mode, but some servers do) is the default too.
    assert (
        tool(get_weather).run('{"city": "Paris"}') == '{"city":"Paris","temperature":24.5,"unit":"celsius"}'
    )


def test_positional_only_parameters_are_named_by_the_model_and_passed_by_position() -> None:
    divided = tool(divide)
    assert divided.parameters["required"] == ["a", "b", "digits"]
    call = divided.prepare('{"a": 1, "b": 3, "digits": null}')
    assert isinstance(call, BoundCall)
    assert (call.args, call.kwargs) == ((1.0, 3.0), {"digits": 2})
    assert divided.run('{"a": 1, "b": 3, "digits": 4}') == "0.3333"


@pytest.mark.parametrize(
    ("function", "content"),
    [
        (lambda: "plain text", "plain text"),  # a str as it is, not as JSON
        (nothing, "null"),
        (lambda: [1, {"a": None}], '[1,{"a":null}]'),
        (lambda: Place("Oslo"), '{"city":"Oslo","country":null}'),
        (lambda: "a\ud800b", "a?b"),  # a lone surrogate no request could carry
    ],
)
def test_what_a_return_value_becomes(function: typing.Callable[[], object], content: str) -> None:
    assert tool(function, name="f").run("{}") == content


def test_no_arguments_at_all_is_an_empty_object() -> None:
    assert tool(nothing).run("") == "null"
    assert tool(nothing).run(b"  ") == "null"


DO_NOT_FIT = "Error: the arguments do not fit get_weather's parameters: "
NOT_JSON = "Error: the arguments of get_weather are not valid JSON: "


# What the model is told opens with our words; the decoder's reason (which names the
# field in msgspec's style, and changes with its versions) follows them.
@pytest.mark.parametrize(
    ("arguments", "opening"),
    [
        ('{"city": "Paris", "days": "two", "unit": null, "note": null}', DO_NOT_FIT),
        ('{"days": 2, "unit": null, "note": null}', DO_NOT_FIT),
        ('{"city": "Paris", "days": 2, "unit": "kelvin", "note": null}', DO_NOT_FIT),
        ('{"city": "Paris", "country": "FR"}', DO_NOT_FIT),
        ('["Paris"]', DO_NOT_FIT),
        ('{"city": "Par', NOT_JSON),
    ],
)
def test_arguments_that_do_not_fit_are_told_to_the_model(arguments: str, opening: str) -> None:
    weather = tool(get_weather)
    content = weather.prepare(arguments)
    assert isinstance(content, str)
    assert content.startswith(opening)
    assert content.removeprefix(opening).strip()
    assert weather.run(arguments) == content
    assert asyncio.run(weather.arun(arguments)) == content


def fails(kind: str) -> str:
    if kind == "value":
        raise ValueError("no such city")
    if kind == "long":
        raise RuntimeError("line one\nline two " + "x" * 1000)
    if kind == "empty":
        raise KeyError
    return "fine"


class UnprintableError(Exception):
    def __str__(self) -> str:
        raise RuntimeError("cannot say")


def fails_badly() -> None:
    raise UnprintableError


def test_a_function_that_raises_is_told_to_the_model() -> None:
    failing = tool(fails)
    assert failing.run('{"kind": "value"}') == "Error: fails raised ValueError: no such city"
    assert failing.run('{"kind": "empty"}') == "Error: fails raised KeyError"
    long = failing.run('{"kind": "long"}')
    assert long.startswith("Error: fails raised RuntimeError: line one line two xxx")
    assert long.endswith("...")
    assert len(long) < 600
    assert "\n" not in long
    assert "Traceback" not in long
    assert tool(fails_badly).run("{}") == "Error: fails_badly raised UnprintableError"


def test_a_value_json_cannot_hold_is_told_to_the_model() -> None:
    content = tool(lambda: object(), name="odd").run("{}")
    assert content == (
        "Error: odd returned a value that cannot be encoded as JSON: "
        "Encoding objects of type object is unsupported"
    )


def interrupted() -> None:
    raise KeyboardInterrupt


def test_what_is_not_an_exception_is_not_caught() -> None:
    with pytest.raises(KeyboardInterrupt):
        tool(interrupted).run("{}")


# --- async ------------------------------------------------------------------------------------


def test_an_async_tool_is_awaited() -> None:
    fetch = tool(fetch_weather)
    assert fetch.is_async
    assert asyncio.run(fetch.arun('{"city": "Oslo"}')) == "Oslo: rain"
    assert (
        asyncio.run(fetch.arun('{"city": "Atlantis"}'))
        == "Error: fetch_weather raised LookupError: no such city"
    )


def test_a_sync_tool_runs_in_async_code_too() -> None:
    assert (
        asyncio.run(tool(get_weather_sphinx).arun('{"city": "Oslo", "days": 2}')) == "Oslo: sunny for 2 days"
    )


def test_an_async_tool_cannot_run_synchronously() -> None:
    with pytest.raises(InvalidRequestError) as caught:
        tool(fetch_weather).run('{"city": "Oslo"}')
    assert caught.value.param == "tools.fetch_weather"
    assert "arun()" in caught.value.message


def test_an_awaitable_from_a_function_not_marked_async_is_not_left_unawaited() -> None:
    def later(city: str) -> typing.Awaitable[str]:
        return fetch_weather(city)

    hidden = tool(later)
    assert not hidden.is_async
    assert (
        hidden.run('{"city": "Oslo"}') == "Error: later returned an awaitable, which only arun() can wait for"
    )
    assert asyncio.run(hidden.arun('{"city": "Oslo"}')) == "Oslo: rain"


async def cancelled() -> None:
    raise asyncio.CancelledError


def test_cancellation_is_not_caught() -> None:
    with pytest.raises(asyncio.CancelledError):
        asyncio.run(tool(cancelled).arun("{}"))


# --- methods, partials, callable objects --------------------------------------------------------


class Forecaster:
    """Forecasts for one country."""

    def __init__(self, country: str) -> None:
        self.country = country

    def forecast(self, city: str) -> str:
        """Forecast for a city.

        Args:
            city: The city.
        """
        return f"{city}, {self.country}: sunny"

    async def __call__(self, city: str) -> str:
        return f"{city}, {self.country}: windy"


def test_a_bound_method_is_described_after_self() -> None:
    forecast = tool(Forecaster("NO").forecast)
    assert forecast.name == "forecast"
    assert forecast.parameters["properties"] == {"city": {"description": "The city.", "type": "string"}}
    assert forecast.run('{"city": "Oslo"}') == "Oslo, NO: sunny"


def test_a_partial_hides_what_it_binds_by_keyword() -> None:
    two_days = tool(functools.partial(get_weather_sphinx, days=2))
    assert two_days.name == "get_weather_sphinx"
    assert list(two_days.parameters["properties"]) == ["city"]
    assert two_days.run('{"city": "Oslo"}') == "Oslo: sunny for 2 days"


def test_a_callable_object_is_described_by_its_call() -> None:
    windy = tool(Forecaster("NO"))
    assert (windy.name, windy.description, windy.is_async) == (
        "Forecaster",
        "Forecasts for one country.",
        True,
    )
    assert asyncio.run(windy.arun('{"city": "Oslo"}')) == "Oslo, NO: windy"


# --- refused -----------------------------------------------------------------------------------


def unannotated(city: str, days: int) -> str:
    return city


del unannotated.__annotations__["city"]  # as if written `def unannotated(city, days: int)`


def star_args(*cities: str) -> str:
    return ""


def star_kwargs(city: str, **options: int) -> str:
    return ""


def with_map(readings: dict[str, float]) -> str:
    return ""


class Opaque:
    pass


def with_opaque(thing: Opaque) -> str:
    return ""


def with_any(thing: typing.Any) -> str:
    return ""


def unresolved(thing: str) -> str:
    return thing


unresolved.__annotations__["thing"] = "Missing"  # a name nothing defines


def mangled(__x: int) -> int:
    return __x


def anonymous(x: int) -> int:
    return x


anonymous.__name__ = "<lambda>"


@pytest.mark.parametrize(
    ("function", "param", "words"),
    [
        (
            unannotated,
            "tools.unannotated",
            "parameter 'city' of unannotated has no type annotation: "
            "tools are described from their annotations",
        ),
        (star_args, "tools.star_args", "star_args takes *cities"),
        (star_kwargs, "tools.star_kwargs", "star_kwargs takes **options"),
        (with_map, "tools.with_map.readings", "free-form map"),
        (with_opaque, "tools.with_opaque.thing", "msgspec cannot describe `Opaque`"),
        (with_any, "tools.with_any.thing", "without a type"),
        (unresolved, "tools.unresolved", "NameError"),
        (
            anonymous,
            "tools.<lambda>",
            "a lambda has no name the model can call it by, nor types for its parameters",
        ),
        (mangled, "tools.mangled", "cannot be decoded into a msgspec Struct"),
        (Forecaster, "tools", "is not a function"),
        ("get_weather", "tools", "is not a function"),
    ],
)
def test_what_cannot_be_described_strictly_is_refused(function: typing.Any, param: str, words: str) -> None:
    with pytest.raises(InvalidRequestError) as caught:
        tool(function)
    assert caught.value.param == param
    assert words in caught.value.message


@pytest.mark.parametrize("name", ["", "a b", "x" * 65, "émoji"])
def test_a_name_the_api_refuses_is_refused(name: str) -> None:
    with pytest.raises(InvalidRequestError, match="is not a name the API takes for a tool: pass a name= of"):
        tool(get_weather, name=name)


def test_a_parameter_described_by_its_annotation_keeps_that_description() -> None:
    def rate(stars: Annotated[int, msgspec.Meta(ge=1, le=5, description="From 1 to 5.")]) -> None:
        return None

    assert tool(rate).parameters["properties"]["stars"] == {
        "description": "From 1 to 5.",
        "type": "integer",
        "minimum": 1,
        "maximum": 5,
    }
    # The annotation's bounds hold: 5 fits, 9 does not (after our words, the decoder's reason).
    assert tool(rate).run('{"stars": 5}') == "null"
    assert tool(rate).run('{"stars": 9}').startswith("Error: the arguments do not fit rate's parameters: ")
