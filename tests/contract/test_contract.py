"""The client against Prism (nox -s contract): every method with every parameter set.

Prism validates each request against spec/openapi.yaml and answers 422 to one that does
not pass, which the client raises; its answers are made from the spec's schemas, and
each must decode into the method's type.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from completionkit import (
    ChatCompletion,
    ChatCompletionMessage,
    ChatCompletionResult,
    Message,
    OpenAI,
    UnprocessableEntityError,
)
from completionkit.types import (
    ChatCompletionTool,
    FunctionObject,
    JsonSchema,
    ResponseFormatJsonSchema,
    ResponseFormatText,
    WebSearchOptions,
)

from ..prism_server import running_prism

SCHEMA = {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}


@pytest.fixture(scope="module")
def client() -> Iterator[OpenAI]:
    with running_prism() as url, OpenAI(api_key="sk-contract", base_url=url, max_retries=0) as openai:
        yield openai


MESSAGES: list[Any] = [
    Message.developer("Be brief."),
    Message.system("You are helpful."),
    Message.user("What is in this picture?").add_image_url("https://example.com/a.png", detail="low"),
    Message.assistant(
        tool_calls=[{"id": "call_1", "type": "function", "function": {"name": "weather", "arguments": "{}"}}]
    ),
    Message.tool("18°C", tool_call_id="call_1"),
    {"role": "user", "content": [{"type": "text", "text": "And tomorrow?"}]},
]

PARAMETER_SETS: list[dict[str, Any]] = [
    {},
    {"temperature": 0.2, "top_p": 0.9, "n": 2, "seed": 7, "max_completion_tokens": 100},
    {
        "stop": ["\n", "END"],
        "presence_penalty": 0.5,
        "frequency_penalty": -0.5,
        "logit_bias": {"50256": -100},
    },
    {"logprobs": True, "top_logprobs": 3, "user": "u-1", "safety_identifier": "s-1", "prompt_cache_key": "k"},
    {"store": True, "metadata": {"topic": "weather"}, "service_tier": "flex", "reasoning_effort": "low"},
    {
        "tools": [ChatCompletionTool(function=FunctionObject(name="weather", parameters=SCHEMA))],
        "tool_choice": "required",
        "parallel_tool_calls": False,
    },
    {"response_format": ResponseFormatJsonSchema(json_schema=JsonSchema(name="weather", schema=SCHEMA))},
    {"response_format": ResponseFormatText(), "modalities": ["text"], "verbosity": "low"},
    {"web_search_options": WebSearchOptions(search_context_size="low")},
    # The same objects as dict literals (their generated TypedDicts).
    {
        "tools": [{"type": "function", "function": {"name": "weather", "parameters": SCHEMA}}],
        "tool_choice": {"type": "function", "function": {"name": "weather"}},
        "response_format": {"type": "json_schema", "json_schema": {"name": "weather", "schema": SCHEMA}},
        "web_search_options": {"search_context_size": "low"},
    },
]


@pytest.mark.parametrize("params", PARAMETER_SETS, ids=lambda p: ",".join(p) or "minimal")
def test_create(client: OpenAI, params: dict[str, Any]) -> None:
    result = client.chat.completions.create(MESSAGES, model="gpt-4o-mini", **params)
    assert isinstance(result.completion, ChatCompletion)
    for choice in result.choices:
        assert isinstance(choice.response_message, ChatCompletionMessage)


def test_retrieve_update_delete(client: OpenAI) -> None:
    assert isinstance(client.chat.completions.retrieve("chatcmpl-abc"), ChatCompletionResult)
    updated = client.chat.completions.update("chatcmpl-abc", {"topic": "weather", "reviewed": "yes"})
    assert isinstance(updated.completion, ChatCompletion)
    assert client.chat.completions.update("chatcmpl-abc", None) is not None
    assert isinstance(client.chat.completions.delete("chatcmpl-abc"), bool)


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"limit": 5},
        {"after": "chatcmpl-abc", "order": "desc"},
        {"model": "gpt-4o-mini"},
        {"metadata": {"topic": "weather", "team": "a"}},
    ],
    ids=lambda p: ",".join(p) or "none",
)
def test_list(client: OpenAI, params: dict[str, Any]) -> None:
    page = client.chat.completions.list(**params)
    assert isinstance(page.data, list)
    assert all(isinstance(c, ChatCompletionResult) for c in page.data)
    assert all(isinstance(c.completion, ChatCompletion) for c in page.data)


@pytest.mark.parametrize(
    "params", [{}, {"limit": 3}, {"after": "m-1", "order": "asc"}], ids=lambda p: ",".join(p) or "none"
)
def test_messages_list(client: OpenAI, params: dict[str, Any]) -> None:
    page = client.chat.completions.messages.list("chatcmpl-abc", **params)
    assert isinstance(page.data, list)


def test_ids_that_need_encoding(client: OpenAI) -> None:
    assert isinstance(client.chat.completions.retrieve("chat cmpl/with?odd#chars"), ChatCompletionResult)


def test_prism_does_refuse_what_the_spec_forbids(client: OpenAI) -> None:
    # The proof that the tests above were judged: a value the spec forbids, sent past
    # the client's own checks with extra_body, is refused.
    with pytest.raises(UnprocessableEntityError) as raised:
        client.chat.completions.create(MESSAGES, model="gpt-4o-mini", extra_body={"temperature": 5})
    assert raised.value.status == 422
