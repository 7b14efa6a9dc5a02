"""The model offline: JSON answers valid against a ``json_schema`` response format, and
tool calls to the tools the last user message names (or ``tool_choice`` forces).

Everything goes over HTTP to a real local server.  Validation uses the ``jsonschema``
package, which the test environment has through the ``spec`` group (openapi-spec-validator
depends on it); without it those tests are skipped.
"""

from __future__ import annotations

import json
import string
from collections.abc import Callable, Iterator
from typing import Any

import httpx2
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from completionkit.testing import LocalServer, Reply

from .conftest import check_response, sse_data

Json = Any
Validate = Callable[[Json, Json], None]

WEATHER = {
    "type": "object",
    "properties": {
        "city": {"type": "string", "description": "The city."},
        "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
        "days": {"type": "integer", "minimum": 1, "maximum": 7},
    },
    "required": ["city", "unit", "days"],
    "additionalProperties": False,
}
TIME = {
    "type": "object",
    "properties": {"timezone": {"type": "string", "pattern": "^[A-Z][a-z]+/[A-Z][a-z]+$"}},
    "required": ["timezone"],
}
TOOLS = [
    {"type": "function", "function": {"name": "get_weather", "parameters": WEATHER, "strict": True}},
    {"type": "function", "function": {"name": "get_time", "parameters": TIME}},
]
REPORT = {
    "type": "object",
    "properties": {
        "city": {"type": "string"},
        "temperature": {"type": "number", "minimum": -80, "maximum": 60},
        "conditions": {"type": "array", "items": {"type": "string", "enum": ["sunny", "rain"]}},
        "observed_at": {"type": "string", "format": "date-time"},
        "station": {"anyOf": [{"type": "null"}, {"$ref": "#/$defs/station"}]},
    },
    "required": ["city", "temperature", "conditions", "observed_at", "station"],
    "additionalProperties": False,
    "$defs": {
        "station": {
            "type": "object",
            "properties": {
                "id": {"type": "string", "pattern": "^[A-Z]{4}$"},
                "elevation": {"type": "integer"},
            },
            "required": ["id", "elevation"],
            "additionalProperties": False,
        }
    },
}


@pytest.fixture
def validate() -> Validate:
    jsonschema = pytest.importorskip("jsonschema")

    def check(value: Json, schema: Json) -> None:
        validator = jsonschema.Draft202012Validator
        validator.check_schema(schema)
        validator(schema, format_checker=validator.FORMAT_CHECKER).validate(value)

    return check


@pytest.fixture(scope="module")
def shared() -> Iterator[httpx2.Client]:
    """One server for a whole property test (hypothesis runs many examples in one test)."""
    with (
        LocalServer() as server,
        httpx2.Client(base_url=server.url, event_hooks={"response": [check_response]}, timeout=30) as http,
    ):
        yield http


def _post(client: httpx2.Client, messages: list[Json], **params: Json) -> Json:
    response = client.post("/chat/completions", json={"model": "gpt-4o-mini", "messages": messages, **params})
    assert response.status_code == 200, response.text
    return response.json()


def _ask(client: httpx2.Client, text: str, **params: Json) -> Json:
    return _post(client, [{"role": "user", "content": text}], **params)


def _schema_format(schema: Json, name: str = "report", strict: bool | None = True) -> Json:
    spec: Json = {"name": name, "schema": schema}
    if strict is not None:
        spec["strict"] = strict
    return {"type": "json_schema", "json_schema": spec}


def _merged_stream(response: httpx2.Response) -> Json:
    """The message and finish reason a stream adds up to, as a non-streamed choice has them."""
    data = sse_data(response.content)
    assert data[-1] == b"[DONE]"
    content: str | None = None
    calls: dict[int, Json] = {}
    finish = None
    for chunk in (json.loads(d) for d in data[:-1]):
        for choice in chunk["choices"]:
            delta = choice["delta"]
            if delta.get("content") is not None:
                content = (content or "") + delta["content"]
            for call in delta.get("tool_calls") or []:
                merged = calls.setdefault(call["index"], {"function": {"arguments": ""}})
                if "id" in call:
                    merged["id"], merged["type"] = call["id"], call["type"]
                    merged["function"]["name"] = call["function"]["name"]
                merged["function"]["arguments"] += call["function"]["arguments"]
            finish = choice["finish_reason"] or finish
    return {"content": content, "tool_calls": [calls[i] for i in sorted(calls)] or None, "finish": finish}


# -- structured answers --------------------------------------------------------------------


class TestJsonSchemaAnswers:
    @pytest.mark.parametrize("strict", [True, False, None], ids=["strict", "not-strict", "unsaid"])
    def test_the_answer_is_valid_against_the_schema(
        self, client: httpx2.Client, validate: Validate, strict: bool | None
    ) -> None:
        choice = _ask(client, "Weather in Paris?", response_format=_schema_format(REPORT, strict=strict))[
            "choices"
        ][0]
        assert choice["finish_reason"] == "stop"
        value = json.loads(choice["message"]["content"])
        validate(value, REPORT)
        # Mildly meaningful, and every property given: the first branch that is not null.
        assert value["city"] == "example city"
        assert value["station"] is not None
        assert value["conditions"] == ["sunny"]

    def test_the_same_request_gets_the_same_answer(self, client: httpx2.Client) -> None:
        params = {"response_format": _schema_format(REPORT)}
        first, second = _ask(client, "hi", **params), _ask(client, "hi", **params)
        assert first["choices"] == second["choices"]

    def test_a_stream_carries_the_same_json(self, client: httpx2.Client, validate: Validate) -> None:
        params = {"response_format": _schema_format(REPORT)}
        whole = _ask(client, "hi", **params)["choices"][0]["message"]["content"]
        response = client.post(
            "/chat/completions",
            json={"model": "m", "messages": [{"role": "user", "content": "hi"}], "stream": True, **params},
        )
        assert _merged_stream(response) == {"content": whole, "tool_calls": None, "finish": "stop"}

    @pytest.mark.parametrize(
        "schema",
        [
            {"type": "string", "pattern": "^[A-Z]{2,3}-\\d{3}$"},
            {"type": "string", "pattern": "^\\d{5}(-\\d{4})?$", "minLength": 10},
            {"type": "string", "pattern": "^(red|green|blue)$"},
            {"type": "string", "pattern": "^[a-z0-9._%+-]+@[a-z0-9.-]+\\.[a-z]{2,}$"},
            {"type": "string", "minLength": 30, "maxLength": 31},
            {"type": "string", "maxLength": 3},
            *[
                {"type": "string", "format": f}
                for f in ("date-time", "date", "time", "duration", "email", "hostname", "ipv4", "ipv6")
            ],
            {"type": "string", "format": "uuid"},
            {"type": "string", "format": "uri"},
            {"type": "integer", "minimum": 10, "exclusiveMaximum": 12},
            {"type": "integer", "multipleOf": 7, "minimum": 50},
            {"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 1},
            {"type": "number", "multipleOf": 0.1, "minimum": 0.25, "maximum": 0.5},
            {"type": "integer", "maximum": -100},
            {"type": ["null", "boolean"]},
            {"type": "null"},
            {"const": {"fixed": [1, 2]}},
            {"enum": [None, 3, "x"]},
            {"type": "array", "prefixItems": [{"type": "integer"}, {"type": "string"}], "items": False},
            {"type": "array", "items": {"type": "string"}, "minItems": 3, "maxItems": 3, "uniqueItems": True},
            {"type": "array", "maxItems": 0},
            {"type": "object", "additionalProperties": {"type": "integer"}, "minProperties": 2},
            {"type": "object", "properties": {"a": {"type": "string"}}, "maxProperties": 0},
            {"oneOf": [{"type": "string"}, {"type": "integer"}]},
            {
                "type": "object",
                "properties": {"a": {"type": "string"}, "b": {"type": "string"}},
                "anyOf": [{"required": ["a"]}, {"required": ["b"]}],
            },
            {"allOf": [{"$ref": "#/definitions/named"}, {"properties": {"age": {"type": "integer"}}}]},
            {
                "$defs": {
                    "tree": {
                        "type": "object",
                        "properties": {
                            "label": {"type": "string"},
                            "children": {"type": "array", "items": {"$ref": "#/$defs/tree"}},
                        },
                        "required": ["label", "children"],
                    }
                },
                "$ref": "#/$defs/tree",
            },
            {
                "type": "object",
                "properties": {
                    "value": {"type": "integer"},
                    "next": {"anyOf": [{"$ref": "#"}, {"type": "null"}]},
                },
                "required": ["value", "next"],
            },
            {},
            {
                "properties": {"anything": True, "never": False, "nothing": {"not": {}}},
                "required": ["anything"],
            },
        ],
    )
    def test_keywords(self, client: httpx2.Client, validate: Validate, schema: Json) -> None:
        if isinstance(schema, dict) and "allOf" in schema:
            schema = {
                **schema,
                "definitions": {"named": {"properties": {"name": {"type": "string"}}, "required": ["name"]}},
            }
        content = _ask(client, "x", response_format=_schema_format(schema))["choices"][0]["message"][
            "content"
        ]
        validate(json.loads(content), schema)

    def test_recursion_stays_finite(self, client: httpx2.Client, validate: Validate) -> None:
        schema = {
            "$defs": {
                "node": {
                    "type": "object",
                    "properties": {
                        "left": {"$ref": "#/$defs/node"},
                        "right": {"$ref": "#/$defs/node"},
                        "items": {"type": "array", "items": {"$ref": "#/$defs/node"}},
                    },
                }
            },
            "$ref": "#/$defs/node",
        }
        content = _ask(client, "x", response_format=_schema_format(schema))["choices"][0]["message"][
            "content"
        ]
        assert len(content) < 10_000
        validate(json.loads(content), schema)

    def test_json_object_still_echoes(self, client: httpx2.Client) -> None:
        content = _ask(client, "hi there", response_format={"type": "json_object"})["choices"][0]["message"][
            "content"
        ]
        assert json.loads(content) == {"echo": "hi there"}

    def test_a_json_schema_without_a_schema_echoes(self, client: httpx2.Client) -> None:
        response_format = {"type": "json_schema", "json_schema": {"name": "anything"}}
        content = _ask(client, "hi", response_format=response_format)["choices"][0]["message"]["content"]
        assert json.loads(content) == {"echo": "hi"}

    def test_a_queued_reply_comes_first(self, server: LocalServer, client: httpx2.Client) -> None:
        server.queue(Reply.json({"queued": True}))
        params = {"response_format": _schema_format(REPORT)}
        assert json.loads(_ask(client, "x", **params)["choices"][0]["message"]["content"]) == {"queued": True}
        assert "city" in json.loads(_ask(client, "x", **params)["choices"][0]["message"]["content"])


# -- any schema: a property test ---------------------------------------------------------

NAMES = st.sampled_from(["name", "city", "count", "tags", "createdAt", "user_id", "items", "a", "b"])
SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(-1000, 1000), st.text(string.ascii_letters, max_size=6)
)
PATTERNS = [
    "^[a-z]+$",
    "^[A-Z]{2,3}-\\d{3}$",
    "^\\d{5}(-\\d{4})?$",
    "^#[0-9a-fA-F]{6}$",
    "^(red|green|blue)$",
    "[0-9]+",
    "^\\+?[1-9]\\d{1,14}$",
    "^[^@\\s]+@[^@\\s]+\\.[a-z]{2,}$",
]
FORMATS = ["date-time", "date", "time", "email", "hostname", "ipv4", "ipv6", "uuid", "uri"]


@st.composite
def _strings(draw: st.DrawFn) -> Json:
    schema: Json = {"type": "string"}
    shape = draw(st.sampled_from(["plain", "length", "pattern", "format"]))
    if shape == "length":
        low = draw(st.integers(0, 40))
        schema["minLength"] = low
        if draw(st.booleans()):
            schema["maxLength"] = low + draw(st.integers(0, 10))
    elif shape == "pattern":
        schema["pattern"] = draw(st.sampled_from(PATTERNS))
    elif shape == "format":
        schema["format"] = draw(st.sampled_from(FORMATS))
    return schema


@st.composite
def _numbers(draw: st.DrawFn) -> Json:
    kind = draw(st.sampled_from(["integer", "number"]))
    schema: Json = {"type": kind}
    step = draw(st.sampled_from([None, 1, 2, 5, 0.5, 0.25] if kind == "number" else [None, 1, 3, 10]))
    low = draw(st.one_of(st.none(), st.integers(-(10**6), 10**6)))
    width = draw(st.integers(3, 100)) * (step or 1)
    if low is not None:
        schema["exclusiveMinimum" if draw(st.booleans()) else "minimum"] = low
    if draw(st.booleans()):
        high = (low if low is not None else draw(st.integers(-(10**6), 10**6))) + width
        schema["exclusiveMaximum" if draw(st.booleans()) else "maximum"] = high
    if step is not None:
        schema["multipleOf"] = step
    return schema


LEAVES = st.one_of(
    _strings(),
    _numbers(),
    st.just({"type": "boolean"}),
    st.just({"type": "null"}),
    st.just({}),
    st.sampled_from([["string", "null"], ["integer", "null"], ["null", "boolean"]]).map(
        lambda t: {"type": t}
    ),
    st.lists(SCALARS, min_size=1, max_size=4, unique_by=lambda v: (type(v), v)).map(lambda e: {"enum": e}),
    SCALARS.map(lambda c: {"const": c}),
    st.sampled_from(["#/$defs/tree", "#/$defs/chain", "#/$defs/leaf", "#/definitions/old"]).map(
        lambda r: {"$ref": r}
    ),
)


def _objects(children: st.SearchStrategy[Json]) -> st.SearchStrategy[Json]:
    @st.composite
    def build(draw: st.DrawFn) -> Json:
        properties = draw(st.dictionaries(NAMES, children, max_size=4))
        schema: Json = {"type": "object", "properties": properties}
        schema["required"] = draw(st.lists(st.sampled_from([*properties, "extra"]), unique=True, max_size=5))
        if draw(st.booleans()):
            schema["additionalProperties"] = False
            schema["required"] = [r for r in schema["required"] if r in properties]
        return schema

    return build()


def _arrays(children: st.SearchStrategy[Json]) -> st.SearchStrategy[Json]:
    @st.composite
    def build(draw: st.DrawFn) -> Json:
        schema: Json = {"type": "array", "items": draw(children)}
        low = draw(st.integers(0, 3))
        if draw(st.booleans()):
            schema["minItems"] = low
        if draw(st.booleans()):
            schema["maxItems"] = low + draw(st.integers(0, 2))
        if draw(st.booleans()):
            schema["prefixItems"] = draw(st.lists(children, min_size=1, max_size=2))
        return schema

    return build()


def _unions(children: st.SearchStrategy[Json]) -> st.SearchStrategy[Json]:
    branches = st.lists(st.one_of(children, st.just({"type": "null"})), min_size=1, max_size=3)
    return branches.map(lambda b: {"anyOf": b})


def _intersections(children: st.SearchStrategy[Json]) -> st.SearchStrategy[Json]:
    @st.composite
    def build(draw: st.DrawFn) -> Json:
        first = draw(st.dictionaries(NAMES, children, max_size=3))
        second = draw(st.dictionaries(NAMES, children, max_size=3))
        return {
            "allOf": [
                {"type": "object", "properties": {f"a_{k}": v for k, v in first.items()}},
                {
                    "properties": {f"b_{k}": v for k, v in second.items()},
                    "required": [f"b_{k}" for k in second],
                },
            ]
        }

    return build()


SCHEMAS = st.recursive(
    LEAVES,
    lambda children: st.one_of(
        _objects(children), _arrays(children), _unions(children), _intersections(children)
    ),
    max_leaves=12,
)
DEFINITIONS = {
    "tree": {
        "type": "object",
        "properties": {
            "label": {"type": "string"},
            "children": {"type": "array", "items": {"$ref": "#/$defs/tree"}},
        },
        "required": ["label", "children"],
        "additionalProperties": False,
    },
    "chain": {
        "type": "object",
        "properties": {
            "value": {"type": "integer"},
            "next": {"anyOf": [{"$ref": "#/$defs/chain"}, {"type": "null"}]},
        },
        "required": ["value", "next"],
    },
    "leaf": {"type": "string", "enum": ["north", "south"]},
}


@given(schema=SCHEMAS, name=st.from_regex(r"[a-z][a-z_]{0,20}", fullmatch=True), strict=st.booleans())
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_any_schema_gets_a_valid_deterministic_answer(
    shared: httpx2.Client, validate: Validate, schema: Json, name: str, strict: bool
) -> None:
    if isinstance(schema, dict):
        schema = {**schema, "$defs": DEFINITIONS, "definitions": {"old": {"type": "integer", "minimum": 3}}}
    params = {"response_format": _schema_format(schema, name, strict)}
    first = _ask(shared, "x", **params)["choices"][0]["message"]["content"]
    validate(json.loads(first), schema)
    assert _ask(shared, "x", **params)["choices"][0]["message"]["content"] == first


# -- tool calls ----------------------------------------------------------------------------


def _calls(completion: Json) -> list[tuple[str, Json]]:
    choice = completion["choices"][0]
    assert choice["finish_reason"] == "tool_calls"
    assert choice["message"]["content"] is None
    return [
        (c["function"]["name"], json.loads(c["function"]["arguments"]))
        for c in choice["message"]["tool_calls"]
    ]


class TestToolCalls:
    def test_a_named_tool_is_called_with_valid_arguments(
        self, client: httpx2.Client, validate: Validate
    ) -> None:
        completion = _ask(client, "Please use get_weather for Paris.", tools=TOOLS)
        ((name, arguments),) = _calls(completion)
        assert name == "get_weather"
        validate(arguments, WEATHER)
        assert arguments == {"city": "example city", "unit": "celsius", "days": 1}
        (call,) = completion["choices"][0]["message"]["tool_calls"]
        assert call["type"] == "function"
        assert call["id"].startswith("call_")

    def test_two_named_tools_are_called_in_the_order_named(
        self, client: httpx2.Client, validate: Validate
    ) -> None:
        completion = _ask(client, "First get_time in Tokyo, then get_weather there", tools=TOOLS)
        calls = _calls(completion)
        assert [name for name, _ in calls] == ["get_time", "get_weather"]
        validate(calls[0][1], TIME)
        validate(calls[1][1], WEATHER)
        ids = [c["id"] for c in completion["choices"][0]["message"]["tool_calls"]]
        assert len(set(ids)) == 2

    @pytest.mark.parametrize(
        "text", ["What's the weather like?", "get_weathers is not a tool", "xget_time", "get_time_zone"]
    )
    def test_no_tool_named_gets_text(self, client: httpx2.Client, text: str) -> None:
        choice = _ask(client, text, tools=TOOLS)["choices"][0]
        assert choice["finish_reason"] == "stop"
        assert choice["message"]["content"] == text
        assert "tool_calls" not in choice["message"]

    def test_tool_choice_none_gets_text(self, client: httpx2.Client) -> None:
        choice = _ask(client, "use get_weather", tools=TOOLS, tool_choice="none")["choices"][0]
        assert choice["message"]["content"] == "use get_weather"

    def test_tool_choice_required_calls_the_first_tool(self, client: httpx2.Client) -> None:
        assert [n for n, _ in _calls(_ask(client, "hello", tools=TOOLS, tool_choice="required"))] == [
            "get_weather"
        ]
        # The named ones still, when there are some.
        named = _ask(client, "get_time please", tools=TOOLS, tool_choice="required")
        assert [n for n, _ in _calls(named)] == ["get_time"]

    def test_a_forced_tool_is_called_whatever_the_text(self, client: httpx2.Client) -> None:
        forced = {"type": "function", "function": {"name": "get_time"}}
        completion = _ask(client, "use get_weather", tools=TOOLS, tool_choice=forced)
        assert [n for n, _ in _calls(completion)] == ["get_time"]

    def test_allowed_tools_limit_the_choice(self, client: httpx2.Client) -> None:
        choice = {
            "type": "allowed_tools",
            "allowed_tools": {
                "mode": "required",
                "tools": [{"type": "function", "function": {"name": "get_time"}}],
            },
        }
        completion = _ask(client, "get_weather and get_time", tools=TOOLS, tool_choice=choice)
        assert [n for n, _ in _calls(completion)] == ["get_time"]
        completion = _ask(client, "nothing named", tools=TOOLS, tool_choice=choice)
        assert [n for n, _ in _calls(completion)] == ["get_time"]

    def test_parallel_tool_calls_false_makes_one_call(self, client: httpx2.Client) -> None:
        completion = _ask(client, "get_weather and get_time", tools=TOOLS, parallel_tool_calls=False)
        assert [n for n, _ in _calls(completion)] == ["get_weather"]

    def test_a_tool_without_parameters_gets_an_empty_object(self, client: httpx2.Client) -> None:
        tools = [{"type": "function", "function": {"name": "ping"}}]
        assert _calls(_ask(client, "ping", tools=tools)) == [("ping", {})]

    def test_calls_are_deterministic(self, client: httpx2.Client) -> None:
        first = _ask(client, "get_weather and get_time", tools=TOOLS)
        second = _ask(client, "get_weather and get_time", tools=TOOLS)
        assert first["choices"] == second["choices"]
        assert first["id"] != second["id"]

    def test_a_stream_carries_the_same_calls(self, client: httpx2.Client) -> None:
        whole = _ask(client, "get_weather and get_time", tools=TOOLS)["choices"][0]
        response = client.post(
            "/chat/completions",
            json={
                "model": "gpt-4o-mini",
                "messages": [{"role": "user", "content": "get_weather and get_time"}],
                "tools": TOOLS,
                "stream": True,
            },
        )
        merged = _merged_stream(response)
        assert merged == {
            "content": None,
            "tool_calls": whole["message"]["tool_calls"],
            "finish": "tool_calls",
        }

    def test_a_queued_reply_comes_first(self, server: LocalServer, client: httpx2.Client) -> None:
        server.queue(Reply.text("queued"))
        assert _ask(client, "get_weather", tools=TOOLS)["choices"][0]["message"]["content"] == "queued"
        assert [n for n, _ in _calls(_ask(client, "get_weather", tools=TOOLS))] == ["get_weather"]


class TestAfterToolResults:
    def _conversation(self, client: httpx2.Client) -> list[Json]:
        question = [{"role": "user", "content": "get_weather and get_time for Paris"}]
        message = _post(client, question, tools=TOOLS)["choices"][0]["message"]
        first, second = message["tool_calls"]
        return [
            *question,
            {"role": "assistant", "content": None, "tool_calls": message["tool_calls"]},
            {"role": "tool", "tool_call_id": first["id"], "content": '{"temperature": 21}'},
            {"role": "tool", "tool_call_id": second["id"], "content": [{"type": "text", "text": "14:05"}]},
        ]

    def test_the_answer_sums_up_the_results(self, client: httpx2.Client) -> None:
        messages = self._conversation(client)
        choice = _post(client, messages, tools=TOOLS)["choices"][0]
        assert choice["finish_reason"] == "stop"
        assert choice["message"]["content"] == 'get_weather: {"temperature": 21}\nget_time: 14:05'
        # Even when a tool is required: the model does not call again on results.
        again = _post(client, messages, tools=TOOLS, tool_choice="required")["choices"][0]
        assert again["message"]["content"] == choice["message"]["content"]

    def test_under_a_schema_the_answer_is_an_instance(
        self, client: httpx2.Client, validate: Validate
    ) -> None:
        messages = self._conversation(client)
        completion = _post(client, messages, tools=TOOLS, response_format=_schema_format(REPORT))
        validate(json.loads(completion["choices"][0]["message"]["content"]), REPORT)
