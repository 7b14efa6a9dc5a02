"""OpenTelemetry spans, as the GenAI semantic conventions describe them, read back from the
SDK's in-memory exporter."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from opentelemetry.trace import SpanKind, StatusCode

from completionkit import APIStreamIncompleteError, AsyncOpenAI, BadRequestError, OpenAI
from completionkit.testing import Fault, LocalServer, Reply, ToolCall

from .conftest import KEY, USER, RecordingClock, Telemetry, attributes

CAPTURE = "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT"


def test_a_create_is_a_chat_span(server: LocalServer, client: OpenAI, telemetry: Telemetry) -> None:
    result = client.chat.completions.create(
        USER,
        model="gpt-4o-mini",
        temperature=0.2,
        top_p=0.9,
        max_completion_tokens=50,
        frequency_penalty=0.5,
        presence_penalty=-0.5,
        stop=["END", "STOP"],
        seed=7,
        n=2,
    )
    span = telemetry.span()
    assert span.name == "chat gpt-4o-mini"
    assert span.kind is SpanKind.CLIENT
    assert span.status.status_code is StatusCode.UNSET
    assert result.usage is not None
    port = int(server.url.rsplit(":", 1)[1].split("/")[0])
    assert attributes(span) == {
        "gen_ai.operation.name": "chat",
        "gen_ai.provider.name": "custom",
        "gen_ai.request.model": "gpt-4o-mini",
        "server.address": "127.0.0.1",
        "server.port": port,
        "gen_ai.request.temperature": 0.2,
        "gen_ai.request.top_p": 0.9,
        "gen_ai.request.max_tokens": 50,
        "gen_ai.request.frequency_penalty": 0.5,
        "gen_ai.request.presence_penalty": -0.5,
        "gen_ai.request.stop_sequences": ("END", "STOP"),
        "gen_ai.request.seed": 7,
        "gen_ai.request.choice.count": 2,
        "gen_ai.response.id": result.id,
        "gen_ai.response.model": result.model,
        "gen_ai.response.finish_reasons": ("stop", "stop"),
        "gen_ai.usage.input_tokens": result.usage.prompt_tokens,
        "gen_ai.usage.output_tokens": result.usage.completion_tokens,
        "gen_ai.usage.cache_read.input_tokens": 0,
        "gen_ai.usage.reasoning.output_tokens": 0,
    }
    assert span.events == ()


def test_a_structured_output_says_json(client: OpenAI, telemetry: Telemetry) -> None:
    client.chat.completions.create(USER, model="m", response_format={"type": "json_object"}, stop="END")
    span_attributes = attributes(telemetry.span())
    assert span_attributes["gen_ai.output.type"] == "json"
    assert span_attributes["gen_ai.request.stop_sequences"] == ("END",)


def test_the_openai_provider_adds_the_openai_attributes(
    server: LocalServer, clock: RecordingClock, telemetry: Telemetry
) -> None:
    with OpenAI(api_key=KEY, base_url=server.url, provider="openai") as client:
        client.chat.completions.create(USER, model="gpt-4o-mini", service_tier="flex", max_tokens=9)
    span_attributes = attributes(telemetry.span())
    assert span_attributes["gen_ai.provider.name"] == "openai"
    assert span_attributes["openai.api.type"] == "chat_completions"
    assert span_attributes["openai.request.service_tier"] == "flex"
    # OpenAI's reasoning models refuse max_tokens: the request sent max_completion_tokens.
    assert span_attributes["gen_ai.request.max_tokens"] == 9


@pytest.mark.parametrize(
    ("provider", "name"), [("groq", "groq"), ("mistral", "mistral_ai"), ("ollama", "ollama")]
)
def test_the_provider_is_named_as_the_conventions_name_it(
    provider: str, name: str, telemetry: Telemetry, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GROQ_API_KEY", KEY)
    monkeypatch.setenv("MISTRAL_API_KEY", KEY)
    with (
        LocalServer(profile=provider) as server,
        OpenAI(provider=provider, base_url=server.url) as client,
        client.chat.completions.stream(USER, model="llama-3.1-8b-instant") as stream,
    ):
        result = stream.final()
    span_attributes = attributes(telemetry.span())
    assert span_attributes["gen_ai.provider.name"] == name
    assert "openai.api.type" not in span_attributes  # OpenAI's own attributes are OpenAI's
    if provider in ("groq", "mistral"):
        # These send a stream's usage unasked, in its last chunk.
        assert result.usage is not None
        assert span_attributes["gen_ai.usage.output_tokens"] == result.usage.completion_tokens


def test_a_stream_ends_its_span_when_it_ends(client: OpenAI, telemetry: Telemetry) -> None:
    with client.chat.completions.stream(
        USER, model="gpt-4o-mini", stream_options={"include_usage": True}
    ) as stream:
        chunks = iter(stream)
        next(chunks)
        assert telemetry.spans() == []  # under way
        last = list(chunks)[-1]
        (span,) = telemetry.spans()  # read to its end: ended before the block is
    assert last.usage is not None  # the usage comes in the last chunk, and the span has it
    span_attributes = attributes(span)
    assert span_attributes["gen_ai.request.stream"] is True
    assert span_attributes["gen_ai.usage.input_tokens"] == last.usage.prompt_tokens
    assert span_attributes["gen_ai.usage.output_tokens"] == last.usage.completion_tokens
    assert span_attributes["gen_ai.response.finish_reasons"] == ("stop",)
    assert span_attributes["gen_ai.response.id"] == last.id
    assert span.status.status_code is StatusCode.UNSET


def test_a_stream_closed_before_its_end_ends_its_span(client: OpenAI, telemetry: Telemetry) -> None:
    with client.chat.completions.stream(
        USER, model="gpt-4o-mini", stream_options={"include_usage": True}
    ) as stream:
        first = next(iter(stream))
        assert telemetry.spans() == []
    span = telemetry.span()
    span_attributes = attributes(span)
    assert span_attributes["gen_ai.response.id"] == first.id
    assert "gen_ai.usage.input_tokens" not in span_attributes  # the chunk that had it was never read
    assert "gen_ai.response.finish_reasons" not in span_attributes
    assert span.status.status_code is StatusCode.UNSET  # the program chose to stop: not an error
    with pytest.raises(APIStreamIncompleteError):
        stream.final()
    assert len(telemetry.spans()) == 1


def test_a_stream_that_breaks_ends_its_span_with_the_error(
    server: LocalServer, client: OpenAI, telemetry: Telemetry
) -> None:
    server.inject(Fault.stream_cut(after_events=2))
    with client.chat.completions.stream(USER, model="m") as stream, pytest.raises(APIStreamIncompleteError):
        stream.final()
    span = telemetry.span()
    assert span.status.status_code is StatusCode.ERROR
    assert attributes(span)["error.type"] == "APIStreamIncompleteError"


def test_create_with_stream_true_is_one_span(client: OpenAI, telemetry: Telemetry) -> None:
    client.chat.completions.create(USER, model="m", stream=True, stream_options={"include_usage": True})
    span_attributes = attributes(telemetry.span())
    assert span_attributes["gen_ai.request.stream"] is True
    assert "gen_ai.usage.output_tokens" in span_attributes


def test_retries_are_events_of_the_one_span(
    server: LocalServer, client: OpenAI, telemetry: Telemetry, clock: RecordingClock
) -> None:
    server.inject(Fault.rate_limit(retry_after=2))
    server.inject(Fault.http_error(503, retry_after=1))
    client.chat.completions.create(USER, model="m")
    span = telemetry.span()
    assert span.status.status_code is StatusCode.UNSET  # retried, then answered: no error
    assert "error.type" not in attributes(span)
    assert attributes(span)["http.request.resend_count"] == 2
    assert [(event.name, dict(event.attributes or {})) for event in span.events] == [
        (
            "completionkit.retry",
            {
                "error.type": "RateLimitError",
                "http.request.resend_count": 1,
                "http.response.status_code": 429,
                "completionkit.retry.delay": 2.0,
            },
        ),
        (
            "completionkit.retry",
            {
                "error.type": "InternalServerError",
                "http.request.resend_count": 2,
                "http.response.status_code": 503,
                "completionkit.retry.delay": 1.0,
            },
        ),
    ]
    assert clock.sleeps == [2.0, 1.0]


def test_a_failed_create_has_its_error_type(
    server: LocalServer, client: OpenAI, telemetry: Telemetry
) -> None:
    server.inject(Fault.http_error(400, message="Unknown parameter"))
    with pytest.raises(BadRequestError):
        client.chat.completions.create(USER, model="m")
    span = telemetry.span()
    assert span.status.status_code is StatusCode.ERROR
    assert span.status.description is not None
    assert "Unknown parameter" in span.status.description
    assert attributes(span)["error.type"] == "BadRequestError"
    assert "gen_ai.response.id" not in attributes(span)


def test_a_hook_that_raises_ends_the_span_with_its_error(server: LocalServer, telemetry: Telemetry) -> None:
    def refuse(event: object) -> None:
        raise PermissionError("not now")

    with (
        OpenAI(api_key=KEY, base_url=server.url, on_request=refuse) as client,
        pytest.raises(PermissionError),
    ):
        client.chat.completions.create(USER, model="m")
    span = telemetry.span()
    assert attributes(span)["error.type"] == "PermissionError"
    assert span.status.status_code is StatusCode.ERROR


def test_no_message_content_unless_opted_in(
    client: OpenAI, telemetry: Telemetry, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(CAPTURE, raising=False)
    client.chat.completions.create(USER, model="m")
    monkeypatch.setenv(CAPTURE, "false")
    client.chat.completions.create(USER, model="m")
    for span in telemetry.spans():
        assert not {"gen_ai.input.messages", "gen_ai.output.messages"} & set(attributes(span))
        assert "Hello there" not in json.dumps(attributes(span))


def test_message_content_when_opted_in(
    server: LocalServer, client: OpenAI, telemetry: Telemetry, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(CAPTURE, "true")
    server.queue(Reply.calling("get_weather", {"city": "Paris"}, ToolCall("get_time", "{}")))
    messages: list[Any] = [
        {"role": "system", "content": "Be brief."},
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "Weather?"},
                {"type": "image_url", "image_url": {"url": "https://example.com/a.png"}},
            ],
        },
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "id": "call_1",
                    "type": "function",
                    "function": {"name": "get_weather", "arguments": '{"city":"Rome"}'},
                }
            ],
        },
        {"role": "tool", "tool_call_id": "call_1", "content": "rainy"},
    ]
    result = client.chat.completions.create(messages, model="m")
    span_attributes = attributes(telemetry.span())
    assert json.loads(span_attributes["gen_ai.input.messages"]) == [
        {"role": "system", "parts": [{"type": "text", "content": "Be brief."}]},
        {
            "role": "user",
            "parts": [
                {"type": "text", "content": "Weather?"},
                {"type": "uri", "modality": "image", "uri": "https://example.com/a.png"},
            ],
        },
        {
            "role": "assistant",
            "parts": [
                {"type": "tool_call", "id": "call_1", "name": "get_weather", "arguments": {"city": "Rome"}}
            ],
        },
        {"role": "tool", "parts": [{"type": "tool_call_response", "id": "call_1", "response": "rainy"}]},
    ]
    calls = result.choice.response_message.tool_calls
    assert calls is not None
    assert json.loads(span_attributes["gen_ai.output.messages"]) == [
        {
            "role": "assistant",
            "parts": [
                {
                    "type": "tool_call",
                    "id": calls[0].id,
                    "name": "get_weather",
                    "arguments": {"city": "Paris"},
                },
                {"type": "tool_call", "id": calls[1].id, "name": "get_time", "arguments": {}},
            ],
            "finish_reason": "tool_call",
        }
    ]


def test_the_async_client_makes_the_same_spans(
    server: LocalServer, telemetry: Telemetry, clock: RecordingClock
) -> None:
    server.inject(Fault.rate_limit(retry_after=0))

    async def run() -> None:
        async with AsyncOpenAI(api_key=KEY, base_url=server.url) as client:
            client._caller.clock = clock
            await client.chat.completions.create(USER, model="gpt-4o-mini", temperature=1.0)
            async with client.chat.completions.stream(
                USER, model="gpt-4o-mini", stream_options={"include_usage": True}
            ) as stream:
                async for chunk in stream:
                    assert chunk is not None
                    break

    asyncio.run(run())
    created, streamed = telemetry.spans()
    assert (created.name, streamed.name) == ("chat gpt-4o-mini", "chat gpt-4o-mini")
    assert attributes(created)["gen_ai.request.temperature"] == 1.0
    assert [event.name for event in created.events] == ["completionkit.retry"]
    assert "gen_ai.usage.input_tokens" in attributes(created)
    assert attributes(streamed)["gen_ai.request.stream"] is True
    assert "gen_ai.usage.input_tokens" not in attributes(streamed)  # closed after its first chunk


def test_stored_completion_operations_are_http_spans(
    server: LocalServer, client: OpenAI, telemetry: Telemetry
) -> None:
    created = client.chat.completions.create(USER, model="m", store=True)
    client.chat.completions.retrieve(created.id)
    assert client.chat.completions.delete("chatcmpl-none") is False
    _, retrieved, deleted = telemetry.spans()
    path = server.url.split("/", 3)[3]  # the base URL's path: "v1"
    assert retrieved.name == f"GET /{path}/chat/completions/{{completion_id}}"
    assert retrieved.kind is SpanKind.CLIENT
    assert attributes(retrieved) == {
        "http.request.method": "GET",
        "server.address": "127.0.0.1",
        "server.port": int(server.url.rsplit(":", 1)[1].split("/")[0]),
        "url.template": f"/{path}/chat/completions/{{completion_id}}",
        "url.full": f"{server.url}/chat/completions/{created.id}",
        "http.response.status_code": 200,
    }
    assert deleted.name == f"DELETE /{path}/chat/completions/{{completion_id}}"
    assert attributes(deleted)["error.type"] == "404"  # the HTTP conventions: an error status by its code
    assert attributes(deleted)["http.response.status_code"] == 404
    assert not any(name.startswith("gen_ai.") for name in attributes(retrieved))


def test_the_key_is_in_no_span(
    telemetry: Telemetry, clock: RecordingClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(CAPTURE, "true")
    with LocalServer(api_key=KEY) as server, OpenAI(api_key=KEY, base_url=server.url) as client:
        client._caller.clock = clock
        server.inject(Fault.rate_limit(retry_after=0))
        server.inject(
            Fault.http_error(401, message=f"Incorrect API key provided: {KEY}."),
            operation="getChatCompletion",
        )
        created = client.chat.completions.create(USER, model="m", store=True, extra_query={"api_key": KEY})
        with pytest.raises(Exception, match="Incorrect API key"):
            client.chat.completions.retrieve(created.id, extra_query={"key": KEY})
    spans = telemetry.spans()
    assert len(spans) == 2
    for span in spans:
        shown = [span.name, json.dumps(attributes(span)), span.status.description or ""]
        shown += [json.dumps(dict(event.attributes or {})) for event in span.events]
        assert not [text for text in shown if KEY in text]
    assert spans[1].status.description is not None
    assert "**********" in spans[1].status.description
