"""What a call shows of itself while it runs, from one place (``Watch``): the client's hooks,
called with their events, and OpenTelemetry's spans and metrics.

A client makes a ``Watch`` for a call only when there is something to tell: the clients ask
``_config.watching``, which imports this module only for a client with hooks or when
OpenTelemetry is installed, and ``watch`` here returns None while it is not set up; a call
without a watch pays a None check at each step, nothing more.

OpenTelemetry is used only when its API is installed (the ``otel`` extra) and the program
has set up a tracer provider or a meter provider.  Whether it is installed is looked up
once, at the first call, without importing it (``_config.opentelemetry_installed``).  Then,
at each call: a provider can only be set through the API's modules (or named by
``OTEL_PYTHON_TRACER_PROVIDER`` / ``OTEL_PYTHON_METER_PROVIDER``), so while the program has
not imported them there is nothing to record; once it has, the provider is used unless it
is still the API's proxy or no-op one.  This module never sets a provider.

Spans and metrics follow the GenAI semantic conventions (semconv 1.40, gen-ai-spans.md,
gen-ai-metrics.md and openai.md): a chat create is a CLIENT span ``chat {model}`` covering
the whole call, its retries included (each one an event, ``completionkit.retry``: a
retried failure is not the operation's error), and a stream's span ends when the stream
does (read to its end, failed, or closed before its end).  The stored-completion
operations are not GenAI operations: each has a plain HTTP CLIENT span as the HTTP
conventions name it (``GET /v1/chat/completions/{completion_id}``), and no metric.
"""

from __future__ import annotations

import functools
import os
import sys
import time
import typing
import urllib.parse
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, NamedTuple, TypeVar

import httpx2
import msgspec

from ._config import ClientConfig, opentelemetry_installed
from ._decoding import decode_plain_json, encode_json
from ._exceptions import APIStatusError
from ._results import ChatCompletionResult
from ._retry import Attempt, Outcome
from ._version import __version__

if TYPE_CHECKING:
    from opentelemetry.metrics import Histogram, Meter
    from opentelemetry.trace import Span, Tracer
    from opentelemetry.util.types import AttributeValue

    from ._generated.models import CreateChatCompletionRequest
    from ._hooks import RequestEvent
    from ._operations import Call

__all__ = [
    "CAPTURE_CONTENT",
    "DURATION_BUCKETS",
    "PROVIDER_NAMES",
    "SCHEMA_URL",
    "TOKEN_BUCKETS",
    "Watch",
    "watch",
]

R = TypeVar("R")
Attributes = dict[str, "AttributeValue"]

SCHEMA_URL = "https://opentelemetry.io/schemas/1.40.0"
"""The semantic conventions the spans and metrics follow."""
CAPTURE_CONTENT = "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT"
"""The conventions' opt-in to message content: ``true`` records the messages on the span."""
# The values of CAPTURE_CONTENT that record content on spans: the first instrumentations'
# "true", and the newer ones' modes that include spans.
_CAPTURE_ON_SPANS = frozenset({"true", "span_only", "span_and_event"})
DURATION_BUCKETS = (0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92)
"""``gen_ai.client.operation.duration``'s bucket boundaries, in seconds, as the conventions give them."""
TOKEN_BUCKETS = tuple(4**power for power in range(14))
"""``gen_ai.client.token.usage``'s bucket boundaries, 1 to 4**13, as the conventions give them."""
PROVIDER_NAMES = {
    "openai": "openai",
    "azure": "azure.ai.openai",
    "groq": "groq",
    "deepseek": "deepseek",
    "mistral": "mistral_ai",
    # Names a providers file may give them.
    "anthropic": "anthropic",
    "cohere": "cohere",
    "gemini": "gcp.gemini",
    "perplexity": "perplexity",
    "xai": "x_ai",
}
"""``gen_ai.provider.name`` of each provider the conventions list, by our name for it; any
other is named as we name it (``ollama``, ``openrouter``, ``custom`` for a server known
only by its URL)."""
# The providers whose spans carry the openai.* attributes: OpenAI's API itself.
_OPENAI_APIS = frozenset({"openai", "azure.ai.openai"})
# The conventions' finish reasons (gen-ai-output-messages.json), by the API's.
_FINISH_REASONS = {"tool_calls": "tool_call", "function_call": "tool_call"}

_TRACER_VARIABLE = "OTEL_PYTHON_TRACER_PROVIDER"
_METER_VARIABLE = "OTEL_PYTHON_METER_PROVIDER"

_from_environment: bool | None = None
"""Whether a provider is named in the environment, for the API to load when first asked
for one; None until the first call looks."""


class Meters(NamedTuple):
    """The histograms of the GenAI conventions, made once for each meter provider."""

    duration: Histogram
    tokens: Histogram


class Telemetry(NamedTuple):
    """What a call records with: a tracer, the histograms, either of them None."""

    tracer: Tracer | None
    meters: Meters | None


# The last provider seen, and what was made from it: a program sets its provider once.
_tracer_of: tuple[object, Tracer | None] = (None, None)
_meters_of: tuple[object, Meters | None] = (None, None)


def watch(config: ClientConfig, call: Call[Any, Any], stream: bool) -> Watch | None:
    """The watch of a call about to be made with ``config``; None when there is nothing to
    tell (no hook, and OpenTelemetry not set up)."""
    telemetry = _telemetry() if opentelemetry_installed() else None
    if telemetry is None and config.hooks is None:
        return None
    return Watch(config, call, stream, telemetry)


def _telemetry() -> Telemetry | None:
    """What a call records with now; None when OpenTelemetry is not set up."""
    global _from_environment
    if _from_environment is None:
        _from_environment = _TRACER_VARIABLE in os.environ or _METER_VARIABLE in os.environ
    tracer = _tracer() if _from_environment or "opentelemetry.trace" in sys.modules else None
    meters = _meters() if _from_environment or "opentelemetry.metrics" in sys.modules else None
    if tracer is None and meters is None:
        return None
    return Telemetry(tracer, meters)


def _tracer() -> Tracer | None:
    global _tracer_of
    from opentelemetry import trace

    provider = trace.get_tracer_provider()
    if provider is not _tracer_of[0]:
        # The proxy stands in until a provider is set: it would make spans that record nothing.
        unset = isinstance(provider, trace.ProxyTracerProvider | trace.NoOpTracerProvider)
        tracer = None if unset else provider.get_tracer("completionkit", __version__, schema_url=SCHEMA_URL)
        _tracer_of = (provider, tracer)
    return _tracer_of[1]


def _meters() -> Meters | None:
    global _meters_of
    from opentelemetry import metrics

    # The API's stand-in until a provider is set has no public name.
    from opentelemetry.metrics._internal import _ProxyMeterProvider  # pyright: ignore[reportPrivateUsage]

    provider = metrics.get_meter_provider()
    if provider is not _meters_of[0]:
        meters: Meters | None = None
        if not isinstance(provider, _ProxyMeterProvider | metrics.NoOpMeterProvider):
            meter = provider.get_meter("completionkit", __version__, schema_url=SCHEMA_URL)
            meters = Meters(
                _histogram(
                    meter,
                    "gen_ai.client.operation.duration",
                    "s",
                    "GenAI operation duration.",
                    DURATION_BUCKETS,
                ),
                _histogram(
                    meter,
                    "gen_ai.client.token.usage",
                    "{token}",
                    "Number of input and output tokens used.",
                    TOKEN_BUCKETS,
                ),
            )
        _meters_of = (provider, meters)
    return _meters_of[1]


def _histogram(meter: Meter, name: str, unit: str, description: str, buckets: Sequence[float]) -> Histogram:
    """A histogram with the conventions' bucket boundaries; the API before 1.30 takes no
    boundaries (a program's View can set them)."""
    try:
        return meter.create_histogram(name, unit, description, explicit_bucket_boundaries_advisory=buckets)
    except TypeError:
        return meter.create_histogram(name, unit, description)


@functools.lru_cache(maxsize=64)
def _server(base_url: str) -> tuple[str, int, str]:
    """The host, port and path of a base URL (``server.address``, ``server.port``)."""
    parts = urllib.parse.urlsplit(base_url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return parts.hostname or "", port, parts.path.rstrip("/")


def _capture_content() -> bool:
    return os.environ.get(CAPTURE_CONTENT, "").strip().lower() in _CAPTURE_ON_SPANS


def _set(value: object) -> bool:
    return value is not None and value is not msgspec.UNSET


class Watch:
    """One call, watched: its hooks called and its span and metrics recorded as it goes.

    The clients call ``sending`` before each attempt, ``answered`` after it, and one of
    ``finished`` (the call's result), ``failed`` (its error) or, for a stream closed before
    its end, ``abandoned``; the first of those ends the watch, the others then do nothing."""

    __slots__ = (
        "_call",
        "_chat",
        "_common",
        "_config",
        "_content",
        "_ended",
        "_event",
        "_hooks",
        "_meters",
        "_provider",
        "_resends",
        "_sent",
        "_span",
        "_started",
        "_status",
    )

    def __init__(
        self, config: ClientConfig, call: Call[Any, Any], stream: bool, telemetry: Telemetry | None
    ) -> None:
        self._config = config
        self._call = call
        self._hooks = config.hooks
        self._event: RequestEvent | None = None
        self._sent = self._started = time.perf_counter()
        self._span: Span | None = None
        self._meters: Meters | None = None
        self._status: int | None = None
        self._resends = 0
        self._ended = False
        self._content = False
        self._common: Attributes = {}
        self._provider = PROVIDER_NAMES.get(config.provider.name, config.provider.name)
        body = call.body
        self._chat = call.endpoint.operation_id == "createChatCompletion" and body is not None
        if telemetry is None:
            return
        host, port, path = _server(config.base_url)
        if self._chat:
            request = typing.cast("CreateChatCompletionRequest", body)
            # What the conventions want at the span's start (for sampling), and on the metrics.
            self._common = {
                "gen_ai.operation.name": "chat",
                "gen_ai.provider.name": self._provider,
                "gen_ai.request.model": request.model,
                "server.address": host,
                "server.port": port,
            }
            self._meters = telemetry.meters
            if telemetry.tracer is not None:
                from opentelemetry.trace import SpanKind

                self._content = _capture_content()
                attributes = {**self._common, **self._request_attributes(request, stream)}
                if self._content:
                    attributes["gen_ai.input.messages"] = _json(
                        _input_messages(typing.cast("list[Any]", msgspec.to_builtins(request.messages)))
                    )
                self._span = telemetry.tracer.start_span(
                    f"chat {request.model}", kind=SpanKind.CLIENT, attributes=attributes
                )
        elif telemetry.tracer is not None:
            from opentelemetry.trace import SpanKind

            template = path + call.endpoint.path
            self._span = telemetry.tracer.start_span(
                f"{call.endpoint.method} {template}",
                kind=SpanKind.CLIENT,
                attributes={
                    "http.request.method": call.endpoint.method,
                    "server.address": host,
                    "server.port": port,
                    "url.template": template,
                },
            )

    def _request_attributes(self, request: CreateChatCompletionRequest, stream: bool) -> Attributes:
        attributes: Attributes = {}
        for name, value in (
            ("gen_ai.request.temperature", request.temperature),
            ("gen_ai.request.top_p", request.top_p),
            ("gen_ai.request.frequency_penalty", request.frequency_penalty),
            ("gen_ai.request.presence_penalty", request.presence_penalty),
        ):
            if _set(value):
                attributes[name] = float(typing.cast("float", value))
        # Whichever the request sends (a provider's adaptation may have changed which).
        for limit in (request.max_completion_tokens, request.max_tokens):
            if _set(limit):
                attributes["gen_ai.request.max_tokens"] = typing.cast("int", limit)
                break
        stop = request.stop
        if _set(stop):
            attributes["gen_ai.request.stop_sequences"] = (
                [stop] if isinstance(stop, str) else list(stop or ())
            )
        if _set(request.seed):
            attributes["gen_ai.request.seed"] = typing.cast("int", request.seed)
        if _set(request.n) and request.n != 1:
            attributes["gen_ai.request.choice.count"] = typing.cast("int", request.n)
        if stream:
            attributes["gen_ai.request.stream"] = True
        response_format = request.response_format
        if _set(response_format):
            kind = getattr(response_format, "type", None)
            attributes["gen_ai.output.type"] = "text" if kind == "text" else "json"
        if self._provider in _OPENAI_APIS:
            attributes["openai.api.type"] = "chat_completions"
            tier = request.service_tier
            if _set(tier) and tier != "auto":
                attributes["openai.request.service_tier"] = typing.cast("str", tier)
        return attributes

    def sending(self, request: httpx2.Request, content: bytes | None, attempt: int) -> None:
        """Attempt ``attempt`` (0 for the first) is about to be sent: ``on_request``."""
        hooks = self._hooks
        if hooks is not None:
            from ._hooks import request_event

            self._event = request_event(
                request, content, attempt + 1, self._call.endpoint.operation_id, self._config.provider.name
            )
            if hooks.on_request is not None:
                hooks.on_request(self._event)
        if attempt == 0 and self._span is not None and not self._chat:
            from ._hooks import redacted_url

            self._span.set_attribute("url.full", redacted_url(request.url))
        self._sent = time.perf_counter()

    def answered(self, result: Attempt, outcome: Outcome) -> None:
        """An attempt gave ``result``, and the retry policy ``outcome``: ``on_response`` for an
        answer, ``on_retry`` (and an event on the span) when it is tried again."""
        elapsed = time.perf_counter() - self._sent
        response = result if isinstance(result, httpx2.Response) else None
        status = None if response is None else response.status_code
        if status is not None:
            self._status = status
        retry = outcome.delay is not None
        if retry:
            self._resends += 1
            if self._span is not None:
                attributes: Attributes = {
                    "error.type": type(outcome.error).__qualname__,
                    "http.request.resend_count": self._resends,
                    "completionkit.retry.delay": typing.cast("float", outcome.delay),
                }
                if status is not None:
                    attributes["http.response.status_code"] = status
                self._span.add_event("completionkit.retry", attributes)
        hooks = self._hooks
        if hooks is None or self._event is None:
            return
        if response is not None and hooks.on_response is not None:
            from ._hooks import response_event

            hooks.on_response(response_event(self._event, response, elapsed))
        if retry and hooks.on_retry is not None and outcome.error is not None:
            from ._hooks import RetryEvent

            hooks.on_retry(
                RetryEvent(
                    request=self._event,
                    error=outcome.error,
                    status_code=status,
                    delay=typing.cast("float", outcome.delay),
                )
            )

    def finish(self, decode: Callable[[httpx2.Response], R], response: httpx2.Response) -> R:
        """``decode(response)``, the call's result, with the watch ended by it (or by its error)."""
        try:
            result = decode(response)
        except BaseException as error:
            self.failed(error)
            raise
        self.finished(result)
        return result

    def finished(self, result: object) -> None:
        """The call succeeded with ``result``: the span ends with what the answer says."""
        if self._ended:
            return
        self._ended = True
        answer: ChatCompletionResult[Any] | None = None
        if isinstance(result, ChatCompletionResult) and self._chat:
            answer = result  # pyright: ignore[reportUnknownVariableType]  # any P: only its completion is read
        span = self._span
        if span is not None:
            if answer is not None:
                span.set_attributes(self._response_attributes(answer))
                if self._content:
                    span.set_attribute("gen_ai.output.messages", _json(_output_messages(answer)))
            elif self._status is not None:
                span.set_attribute("http.response.status_code", self._status)
            if self._resends:
                span.set_attribute("http.request.resend_count", self._resends)
            span.end()
        if self._meters is not None:
            self._record(self._meters, answer, None)

    def abandoned(self, partial: ChatCompletionResult[Any] | None) -> None:
        """A stream was closed before its end: its span ends, with what was read (no usage,
        nor the unfinished messages), and as no error: the program chose to stop."""
        self._content = False
        self.finished(partial)

    def failed(self, error: BaseException) -> None:
        """The call failed with ``error`` (the API's, a transport's, a hook's, an interruption)."""
        if self._ended:
            return
        self._ended = True
        if self._chat:
            error_type = type(error).__qualname__
        else:
            # The HTTP conventions: an error status by its code, anything else by its class.
            error_type = (
                str(error.status_code) if isinstance(error, APIStatusError) else type(error).__qualname__
            )
        span = self._span
        if span is not None:
            from opentelemetry.trace import Status, StatusCode

            if self._status is not None and not self._chat:
                span.set_attribute("http.response.status_code", self._status)
            if self._resends:
                span.set_attribute("http.request.resend_count", self._resends)
            span.set_attribute("error.type", error_type)
            span.set_status(Status(StatusCode.ERROR, self._description(error)))
            span.end()
        if self._meters is not None:
            self._record(self._meters, None, error_type)

    def _description(self, error: BaseException) -> str:
        """The error's message, for the span's status; a server that quoted the key in its
        message (a 401's) has it concealed."""
        text = str(error)
        key = self._config.api_key
        if key is not None and key.reveal() in text:
            text = text.replace(key.reveal(), "**********")
        return text

    def _response_attributes(self, answer: ChatCompletionResult[Any]) -> Attributes:
        completion = answer.completion
        attributes: Attributes = {}
        if completion.id:
            attributes["gen_ai.response.id"] = completion.id
        if completion.model:
            attributes["gen_ai.response.model"] = completion.model
        reasons = [choice.finish_reason for choice in completion.choices if choice.finish_reason]
        if reasons:
            attributes["gen_ai.response.finish_reasons"] = reasons
        usage = completion.usage
        if usage is not None:
            attributes["gen_ai.usage.input_tokens"] = usage.prompt_tokens
            attributes["gen_ai.usage.output_tokens"] = usage.completion_tokens
            prompt, output = usage.prompt_tokens_details, usage.completion_tokens_details
            if prompt is not None and prompt.cached_tokens is not None:
                attributes["gen_ai.usage.cache_read.input_tokens"] = prompt.cached_tokens
            if output is not None and output.reasoning_tokens is not None:
                attributes["gen_ai.usage.reasoning.output_tokens"] = output.reasoning_tokens
        if self._provider in _OPENAI_APIS:
            if completion.system_fingerprint:
                attributes["openai.response.system_fingerprint"] = completion.system_fingerprint
            if completion.service_tier:
                attributes["openai.response.service_tier"] = completion.service_tier
        return attributes

    def _record(
        self, meters: Meters, answer: ChatCompletionResult[Any] | None, error_type: str | None
    ) -> None:
        attributes = dict(self._common)
        if answer is not None and answer.completion.model:
            attributes["gen_ai.response.model"] = answer.completion.model
        if error_type is not None:
            attributes["error.type"] = error_type
        meters.duration.record(time.perf_counter() - self._started, attributes)
        usage = None if answer is None else answer.completion.usage
        if usage is not None:
            meters.tokens.record(usage.prompt_tokens, {**attributes, "gen_ai.token.type": "input"})
            meters.tokens.record(usage.completion_tokens, {**attributes, "gen_ai.token.type": "output"})


def _json(value: object) -> str:
    """A structured attribute, as the conventions record one on a span: JSON text."""
    return encode_json(value).decode()


def _arguments(text: object) -> object:
    """A tool call's arguments as JSON data, or as sent when they are not JSON."""
    if isinstance(text, str):
        try:
            return decode_plain_json(text)
        except msgspec.DecodeError:
            pass
    return text


def _tool_call_part(call: dict[str, Any]) -> dict[str, Any]:
    function: dict[str, Any] = call.get("function") or call.get("custom") or {}
    arguments = function.get("arguments", function.get("input"))
    return {
        "type": "tool_call",
        "id": call.get("id"),
        "name": function.get("name"),
        "arguments": _arguments(arguments),
    }


def _content_parts(content: object) -> list[dict[str, Any]]:
    """A message's content as the conventions' parts (gen-ai-input-messages.json)."""
    if isinstance(content, str):
        return [{"type": "text", "content": content}]
    parts: list[dict[str, Any]] = []
    for part in typing.cast("list[dict[str, Any]]", content or []):
        kind = part.get("type")
        if kind in ("text", "refusal"):
            parts.append({"type": "text", "content": part.get(kind)})
        elif kind == "image_url":
            image: dict[str, Any] = part.get("image_url") or {}
            url = str(image.get("url", ""))
            if url.startswith("data:"):
                mime, _, data = url[5:].partition(";base64,")
                parts.append({"type": "blob", "modality": "image", "mime_type": mime, "content": data})
            else:
                parts.append({"type": "uri", "modality": "image", "uri": url})
        elif kind == "input_audio":
            audio: dict[str, Any] = part.get("input_audio") or {}
            parts.append(
                {
                    "type": "blob",
                    "modality": "audio",
                    "mime_type": f"audio/{audio.get('format')}",
                    "content": audio.get("data"),
                }
            )
        else:  # a file, or a kind of part newer than this: as it was sent
            parts.append(part)
    return parts


def _input_messages(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    shown: list[dict[str, Any]] = []
    for message in messages:
        role = message.get("role")
        content = message.get("content")
        if role == "tool":
            text = (
                content
                if isinstance(content, str)
                else "".join(p.get("content", "") for p in _content_parts(content))
            )
            parts = [{"type": "tool_call_response", "id": message.get("tool_call_id"), "response": text}]
        else:
            parts = _content_parts(content)
        parts.extend(_tool_call_part(call) for call in message.get("tool_calls") or ())
        entry: dict[str, Any] = {"role": role, "parts": parts}
        if message.get("name"):
            entry["name"] = message["name"]
        shown.append(entry)
    return shown


def _output_messages(answer: ChatCompletionResult[Any]) -> list[dict[str, Any]]:
    shown: list[dict[str, Any]] = []
    for choice in answer.choices:
        parts: list[dict[str, Any]] = []
        if choice.reasoning:
            parts.append({"type": "reasoning", "content": choice.reasoning})
        if choice.text is not None:
            parts.append({"type": "text", "content": choice.text})
        if choice.refusal is not None:
            parts.append({"type": "text", "content": choice.refusal})
        calls = choice.response_message.tool_calls
        if calls:
            parts.extend(
                _tool_call_part(call)
                for call in typing.cast("list[dict[str, Any]]", msgspec.to_builtins(calls))
            )
        reason = choice.finish_reason or "stop"
        shown.append(
            {
                "role": choice.response_message.role or "assistant",
                "parts": parts,
                "finish_reason": _FINISH_REASONS.get(reason, reason),
            }
        )
    return shown
