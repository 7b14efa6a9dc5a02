"""OpenTelemetry's SDK, reading back what the clients record: a tracer provider whose spans
go to an in-memory exporter, a meter provider with an in-memory reader.

completionkit reads the global providers, as the conventions' instrumentations do, and
OpenTelemetry lets a process set each of them once: they are set here, once for the test
session, the first time a test of this folder asks for them.  That is process-wide test
set-up, never something the library does.  The spans of other tests of the session (run
after these, in the same process) are not kept: the exporter records only while a test of
this folder runs.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from typing import Any

import pytest
from opentelemetry import metrics, trace
from opentelemetry.context import Context
from opentelemetry.sdk.metrics import Histogram, MeterProvider
from opentelemetry.sdk.metrics.export import AggregationTemporality, HistogramDataPoint, InMemoryMetricReader
from opentelemetry.sdk.trace import ReadableSpan, Span, SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from completionkit import OpenAI
from completionkit.testing import LocalServer

NOW = datetime.datetime(2026, 11, 25, 12, 0, 0, tzinfo=datetime.UTC)
USER = [{"role": "user", "content": "Hello there"}]
KEY = "sk-proj-Tq8vW3xY9zA2bC4dE6fG8hJ0kL1mN3pQ5rS7tU9vW"
"""A key shaped as OpenAI's are, to look for wherever the key must not be."""


class RecordingClock:
    """Time that stands still; every wait is recorded, none is waited."""

    def __init__(self) -> None:
        self.sleeps: list[float] = []

    def now(self) -> datetime.datetime:
        return NOW

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)

    async def asleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)


class _WhileOpen(SpanProcessor):
    """Hands ended spans to ``processor`` only while a test of this folder runs."""

    def __init__(self, processor: SpanProcessor) -> None:
        self.processor = processor
        self.open = False

    def on_start(self, span: Span, parent_context: Context | None = None) -> None:
        pass

    def on_end(self, span: ReadableSpan) -> None:
        if self.open:
            self.processor.on_end(span)


class Telemetry:
    """The session's exporter and reader, for one test."""

    def __init__(self, exporter: InMemorySpanExporter, reader: InMemoryMetricReader) -> None:
        self.exporter = exporter
        self.reader = reader

    def spans(self) -> list[ReadableSpan]:
        """The spans ended since the test began, in the order they ended."""
        return list(self.exporter.get_finished_spans())

    def span(self) -> ReadableSpan:
        """The one span ended since the test began."""
        (span,) = self.spans()
        return span

    def histogram(self, name: str) -> list[HistogramDataPoint]:
        """The data points of histogram ``name`` recorded since the last reading."""
        data = self.reader.get_metrics_data()
        points: list[HistogramDataPoint] = []
        for resource in data.resource_metrics if data is not None else ():
            for scope in resource.scope_metrics:
                for metric in scope.metrics:
                    if metric.name == name:
                        points.extend(p for p in metric.data.data_points if isinstance(p, HistogramDataPoint))
        return points


@pytest.fixture(scope="session")
def _session_telemetry() -> tuple[InMemorySpanExporter, InMemoryMetricReader, _WhileOpen]:
    exporter = InMemorySpanExporter()
    gate = _WhileOpen(SimpleSpanProcessor(exporter))
    tracer_provider = TracerProvider()
    tracer_provider.add_span_processor(gate)
    # Delta: each reading holds what was recorded since the one before, so a test reads its own.
    reader = InMemoryMetricReader(preferred_temporality={Histogram: AggregationTemporality.DELTA})
    trace.set_tracer_provider(tracer_provider)
    metrics.set_meter_provider(MeterProvider(metric_readers=[reader]))
    return exporter, reader, gate


@pytest.fixture
def telemetry(
    _session_telemetry: tuple[InMemorySpanExporter, InMemoryMetricReader, _WhileOpen],
) -> Iterator[Telemetry]:
    exporter, reader, gate = _session_telemetry
    exporter.clear()
    reader.get_metrics_data()  # what earlier tests recorded: read, and so left out of this test's
    gate.open = True
    try:
        yield Telemetry(exporter, reader)
    finally:
        gate.open = False
        exporter.clear()


@pytest.fixture
def server(completionkit_server: LocalServer) -> LocalServer:
    """The session's local server, reset for this test."""
    return completionkit_server


@pytest.fixture
def clock() -> RecordingClock:
    return RecordingClock()


@pytest.fixture
def client(server: LocalServer, clock: RecordingClock, telemetry: Telemetry) -> Iterator[OpenAI]:
    with OpenAI(api_key=KEY, base_url=server.url) as openai:
        openai._caller.clock = clock  # the one seam: time
        yield openai


def attributes(span: ReadableSpan) -> dict[str, Any]:
    return dict(span.attributes or {})
