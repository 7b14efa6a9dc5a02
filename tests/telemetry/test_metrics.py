"""The GenAI client metrics: gen_ai.client.operation.duration and gen_ai.client.token.usage,
read back from the SDK's in-memory reader."""

from __future__ import annotations

import pytest

from completionkit import BadRequestError, OpenAI
from completionkit.testing import Fault, LocalServer

from .conftest import USER, Telemetry

DURATION = "gen_ai.client.operation.duration"
TOKENS = "gen_ai.client.token.usage"


def _common(server: LocalServer, model: str) -> dict[str, object]:
    return {
        "gen_ai.operation.name": "chat",
        "gen_ai.provider.name": "custom",
        "gen_ai.request.model": model,
        "server.address": "127.0.0.1",
        "server.port": int(server.url.rsplit(":", 1)[1].split("/")[0]),
    }


def test_a_create_records_its_duration_and_its_tokens(
    server: LocalServer, client: OpenAI, telemetry: Telemetry
) -> None:
    result = client.chat.completions.create(USER, model="gpt-4o-mini")
    with client.chat.completions.stream(
        USER, model="gpt-4o-mini", stream_options={"include_usage": True}
    ) as stream:
        streamed = stream.final()
    assert result.usage is not None
    assert streamed.usage is not None
    data = telemetry.reader.get_metrics_data()
    assert data is not None
    metrics = {
        metric.name: metric
        for resource in data.resource_metrics
        for scope in resource.scope_metrics
        if scope.scope.name == "completionkit"
        for metric in scope.metrics
    }
    assert set(metrics) == {DURATION, TOKENS}
    assert (metrics[DURATION].unit, metrics[TOKENS].unit) == ("s", "{token}")
    common = {**_common(server, "gpt-4o-mini"), "gen_ai.response.model": result.model}
    (duration,) = metrics[DURATION].data.data_points
    assert dict(duration.attributes or {}) == common
    assert duration.count == 2  # a histogram's point
    assert list(duration.explicit_bounds) == [
        0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92
    ]  # fmt: skip
    tokens = {dict(p.attributes or {})["gen_ai.token.type"]: p for p in metrics[TOKENS].data.data_points}
    assert set(tokens) == {"input", "output"}
    assert dict(tokens["input"].attributes or {}) == {**common, "gen_ai.token.type": "input"}
    assert tokens["input"].sum == result.usage.prompt_tokens + streamed.usage.prompt_tokens
    assert tokens["output"].sum == result.usage.completion_tokens + streamed.usage.completion_tokens
    assert tokens["output"].count == 2
    assert list(tokens["output"].explicit_bounds) == [4**i for i in range(14)]


def test_a_failed_create_records_its_duration_with_the_error_type(
    server: LocalServer, client: OpenAI, telemetry: Telemetry
) -> None:
    server.inject(Fault.http_error(400))
    with pytest.raises(BadRequestError):
        client.chat.completions.create(USER, model="m")
    (duration,) = telemetry.histogram(DURATION)
    assert dict(duration.attributes or {}) == {**_common(server, "m"), "error.type": "BadRequestError"}
    assert telemetry.histogram(TOKENS) == []  # there was no usage to count


def test_a_stream_without_usage_records_no_tokens(
    server: LocalServer, client: OpenAI, telemetry: Telemetry
) -> None:
    with client.chat.completions.stream(USER, model="m") as stream:
        stream.final()
    (duration,) = telemetry.histogram(DURATION)
    assert duration.count == 1
    assert telemetry.histogram(TOKENS) == []


def test_stored_completion_operations_record_no_metric(client: OpenAI, telemetry: Telemetry) -> None:
    list(client.chat.completions.list())
    client.chat.completions.delete("chatcmpl-none")
    assert telemetry.histogram(DURATION) == []
    assert telemetry.histogram(TOKENS) == []
