"""client.chat.completions.create, end to end against the embedded server."""

from __future__ import annotations

from typing import Any

import httpx2
import pytest

from completionkit import (
    ChatCompletion,
    ChatCompletionsParameters,
    InvalidRequestError,
    Message,
    OpenAI,
)
from completionkit._generated.models import (
    ChatCompletionTool,
    FunctionObject,
    ResponseFormatJsonObject,
)
from completionkit.testing import Fault, LocalServer, RateLimits, Reply
from completionkit.types import ChatCompletionMessageToolCall

from .conftest import USER


def test_the_result_has_the_4d_shortcuts(server: LocalServer, client: OpenAI) -> None:
    result = client.chat.completions.create(USER, model="gpt-4o-mini")
    assert result.choice is result.choices[0]
    assert result.choice.text == "Hello there"
    assert result.choice.finish_reason == "stop"
    assert result.choice.index == 0
    assert isinstance(result.completion, ChatCompletion)
    assert result.id == result.completion.id
    assert result.model == "gpt-4o-mini"
    assert result.usage is not None
    assert result.usage.total_tokens == 4
    assert result.request_id == result.headers["x-request-id"]
    assert result.rate_limit.remaining_requests is None  # this server keeps no limits


def test_the_result_reads_the_rate_limit_headers() -> None:
    with LocalServer(rate_limits=RateLimits(requests_per_minute=2, tokens_per_minute=1000)) as limited:
        client = OpenAI(api_key="sk-test", base_url=limited.url)
        result = client.chat.completions.create(USER, model="gpt-4o-mini")
        client.close()
    assert (result.rate_limit.limit_requests, result.rate_limit.remaining_requests) == (2, 1)
    assert result.rate_limit.reset_requests == pytest.approx(30, abs=1)
    assert result.rate_limit.limit_tokens == 1000


def test_the_conversation_goes_on_with_the_reply(server: LocalServer, client: OpenAI) -> None:
    server.queue(Reply.text("Hi! How can I help?"))
    messages: list[Any] = [Message.system("Be brief."), {"role": "user", "content": "Hello"}]
    first = client.chat.completions.create(messages, model="m")
    assert first.choice is not None
    messages.append(first.choice.message)
    messages.append(Message.user("Thanks"))
    client.chat.completions.create(messages, model="m")
    assert server.last_request.body["messages"] == [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "Hello"},
        {"role": "assistant", "content": "Hi! How can I help?"},
        {"role": "user", "content": "Thanks"},
    ]


def test_a_tool_call_reply_goes_back_with_its_result(server: LocalServer, client: OpenAI) -> None:
    server.queue(Reply.calling("get_weather", {"city": "Paris"}))
    result = client.chat.completions.create(USER, model="m")
    assert result.choice is not None
    assert result.choice.text is None
    assert result.choice.finish_reason == "tool_calls"
    reply = result.choice.message
    (call,) = reply.tool_calls or []
    assert isinstance(call, ChatCompletionMessageToolCall)
    client.chat.completions.create([*USER, reply, Message.tool("18°C", tool_call_id=call.id)], model="m")
    sent = server.last_request.body["messages"]
    assert sent[1]["tool_calls"][0]["function"] == {"name": "get_weather", "arguments": '{"city":"Paris"}'}
    assert sent[2] == {"role": "tool", "content": "18°C", "tool_call_id": call.id}


def test_a_refusal_has_no_text(server: LocalServer, client: OpenAI) -> None:
    server.queue(Reply.refusal_of("I can't."))
    choice = client.chat.completions.create(USER, model="m").choice
    assert choice is not None
    assert (choice.text, choice.refusal) == (None, "I can't.")


def test_parameters_as_keywords_object_or_mapping(server: LocalServer, client: OpenAI) -> None:
    client.chat.completions.create(USER, model="a", temperature=0.5)
    by_keywords = server.last_request.body
    client.chat.completions.create(USER, ChatCompletionsParameters(model="a", temperature=0.5))
    assert server.last_request.body == by_keywords
    client.chat.completions.create(USER, {"model": "a", "temperature": 0.5})
    assert server.last_request.body == by_keywords
    client.chat.completions.create(USER, {"model": "a", "temperature": 0.9}, temperature=0.5)
    assert server.last_request.body == by_keywords  # keywords win


def test_nothing_is_sent_that_the_caller_did_not_set(server: LocalServer, client: OpenAI) -> None:
    client.chat.completions.create(USER, model="gpt-4o-mini")
    assert server.last_request.body == {"model": "gpt-4o-mini", "messages": USER}


def test_every_kind_of_parameter_goes_out_as_given(server: LocalServer, client: OpenAI) -> None:
    schema = {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}
    client.chat.completions.create(
        USER,
        model="gpt-4o-mini",
        temperature=0.2,
        top_p=0.9,
        n=2,
        max_completion_tokens=50,
        stop=["\n", "END"],
        seed=7,
        logprobs=True,
        top_logprobs=2,
        presence_penalty=0.5,
        frequency_penalty=-0.5,
        logit_bias={"50256": -100},
        user="user-1",
        store=True,
        metadata={"topic": "weather"},
        service_tier="flex",
        reasoning_effort="low",
        parallel_tool_calls=False,
        tool_choice="auto",
        tools=[ChatCompletionTool(function=FunctionObject(name="weather", parameters=schema))],
        response_format=ResponseFormatJsonObject(),
    )
    body = server.last_request.body
    assert body["tools"] == [{"type": "function", "function": {"name": "weather", "parameters": schema}}]
    assert body["response_format"] == {"type": "json_object"}
    assert body["stop"] == ["\n", "END"]
    assert body["logit_bias"] == {"50256": -100}
    assert body["metadata"] == {"topic": "weather"}
    assert (body["n"], body["seed"], body["service_tier"], body["parallel_tool_calls"]) == (
        2,
        7,
        "flex",
        False,
    )
    assert len(body) == 22  # the 20 set above, with model and messages


def test_nested_parameters_may_be_plain_dicts_at_run_time(server: LocalServer, client: OpenAI) -> None:
    params: dict[str, Any] = {
        "model": "m",
        "response_format": {
            "type": "json_schema",
            "json_schema": {"name": "x", "schema": {"type": "object"}},
        },
        "tool_choice": {"type": "function", "function": {"name": "f"}},
    }
    client.chat.completions.create(USER, params)
    assert server.last_request.body["response_format"] == params["response_format"]
    assert server.last_request.body["tool_choice"] == params["tool_choice"]


def test_extra_body_query_and_headers(server: LocalServer, client: OpenAI) -> None:
    client.chat.completions.create(
        USER,
        model="m",
        extra_body={"brand_new_parameter": True},
        extra_query={"api-version": "2026-01-01"},
        extra_headers={"X-Trace": "t-1"},
    )
    request = server.last_request
    assert request.body["brand_new_parameter"] is True
    assert request.params["api-version"] == "2026-01-01"
    assert request.headers["x-trace"] == "t-1"


# A message is "<param>: <why>". Where a value does not fit the request's types, the why
# is msgspec's (in its words, which change with its versions): only the param is checked.
@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        ({"model": "m", "temprature": 1}, "temprature", "did you mean 'temperature'"),
        ({"model": "m", "temperature": "hot"}, "temperature", None),
        ({"model": "m", "temperature": 3}, "temperature", None),
        ({"model": "m", "n": 1.5}, "n", None),
        ({"model": "m", "tool_choice": "sometimes"}, "tool_choice", None),
        ({"model": "m", "metadata": {"k": 1}}, "metadata", None),
        ({"model": "m", "messages": []}, "messages", "first argument (or messages=)"),
        ({"temperature": 1}, "model", "needs a model"),
        ({"model": "m", "max_retries": -1}, "max_retries", ">= 0"),
        ({"model": "m", "timeout": "soon"}, "timeout", "seconds"),
        ({"model": "m", "stream": "yes"}, "stream", "True or False"),
        ({"model": "m", "throw": False}, "throw", "try_create()"),
    ],
)
def test_bad_parameters_raise_before_sending(
    server: LocalServer, client: OpenAI, params: dict[str, Any], field: str, message: str | None
) -> None:
    with pytest.raises(InvalidRequestError) as raised:
        client.chat.completions.create(USER, params)
    assert raised.value.param == field
    assert raised.value.message.startswith(f"{field}: ")
    if message is not None:
        assert message in raised.value.message
    assert isinstance(raised.value, TypeError)
    assert server.requests == []


def test_parameters_that_are_not_a_mapping(server: LocalServer, client: OpenAI) -> None:
    with pytest.raises(InvalidRequestError) as raised:
        client.chat.completions.create(USER, ["model", "m"])  # type: ignore[arg-type]
    assert raised.value.param == "parameters"
    assert server.requests == []


@pytest.mark.parametrize(
    ("messages", "field"),
    [
        ([{"role": "user", "content": "ok"}, {"role": "wizard", "content": "x"}], "messages[1].role"),
        ([{"role": "user"}], "messages[0].content"),
        ([{"role": "user", "content": 42}], "messages[0].content"),
        ([{"role": "tool", "content": "x"}], "messages[0].tool_call_id"),
        ([{"content": "x"}], "messages[0].role"),
        (["hello"], "messages[0]"),
        ([], "messages"),
        ("hello", "messages"),
    ],
)
def test_malformed_messages_are_named_by_index_and_field(
    server: LocalServer, client: OpenAI, messages: Any, field: str
) -> None:
    with pytest.raises(InvalidRequestError) as raised:
        client.chat.completions.create(messages, model="m")
    assert raised.value.param == field
    assert server.requests == []


def test_a_per_call_timeout(server: LocalServer, client: OpenAI) -> None:
    server.inject(Fault.slow(5))
    outcome = client.chat.completions.try_create(USER, model="m", timeout=0.2, max_retries=0)
    assert not outcome.success
    assert outcome.errors[0].is_timeout_error


def test_own_http_client_is_used_and_not_closed(server: LocalServer) -> None:
    with httpx2.Client(headers={"X-From": "mine"}) as http:
        with OpenAI(api_key="k", base_url=server.url, http_client=http) as client:
            client.chat.completions.create(USER, model="m")
        assert server.last_request.headers["x-from"] == "mine"
        assert not http.is_closed
    with OpenAI(api_key="k", base_url=server.url) as client:
        owned = client._caller.http
    assert owned.is_closed


def test_the_raw_json_keeps_what_a_provider_added(server: LocalServer, client: OpenAI) -> None:
    body = (
        b'{"id": "gen-1", "object": "chat.completion", "created": 1, "model": "m", "provider": "DeepInfra",'
        b' "choices": [{"index": 0, "finish_reason": "stop", "native_finish_reason": "eos",'
        b' "message": {"role": "assistant", "content": "Hi", "reasoning": "short"}}]}'
    )
    server.inject(Fault.raw(body))
    result = client.chat.completions.create(USER, model="m")
    assert result.raw["provider"] == "DeepInfra"
    assert result.raw["choices"][0]["native_finish_reason"] == "eos"
    assert result.choice.response_message.reasoning == "short"


def test_required_fields_a_server_leaves_out_read_as_neutral_values(
    server: LocalServer, client: OpenAI
) -> None:
    # Ollama and Gemini's OpenAI layer leave out `choices[].index`; some gateways `created`.
    server.inject(Fault.raw(b'{"id": "c", "model": "m", "choices": [{"message": {"content": "Hi"}}]}'))
    result = client.chat.completions.create(USER, model="m")
    assert (result.choice.index, result.created, result.choice.text) == (0, 0, "Hi")
    assert result.completion.object == "chat.completion"
    assert result.raw == {"id": "c", "model": "m", "choices": [{"message": {"content": "Hi"}}]}
