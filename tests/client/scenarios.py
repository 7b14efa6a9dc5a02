"""Scenarios written once and run against both OpenAI and AsyncOpenAI (test_parity.py).

Each takes the client, the server and a ``Drive`` that awaits what the async client
returns and leaves the sync client's values as they are, and returns plain data that
must be the same for both clients.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from completionkit import OpenAIError
from completionkit.testing import Fault, LocalServer, Reply

RECORDED = sorted((Path(__file__).parents[1] / "fixtures" / "recorded").glob("*.sse"))
USER = [{"role": "user", "content": "Hello there world"}]


class Drive:
    """Awaits what needs awaiting and collects what needs iterating, for either client."""

    async def __call__(self, value: Any) -> Any:
        return await value if inspect.isawaitable(value) else value

    async def items(self, iterable: Any) -> list[Any]:
        if hasattr(iterable, "__aiter__"):
            return [item async for item in iterable]
        return list(iterable)

    async def final(self, stream: Any) -> Any:
        return await self(stream.final())

    async def close(self, stream: Any) -> None:
        await self(stream.close())


def _summary(result: Any) -> dict[str, Any]:
    """A result (create's) or an outcome (try_create's), as plain data."""
    choice = result.choice
    calls = choice.message.tool_calls if choice else None
    return {
        "success": getattr(result, "success", True),
        "text": choice.text if choice else None,
        "refusal": choice.refusal if choice else None,
        "finish_reason": choice.finish_reason if choice else None,
        "tool_calls": [(c.function.name, c.function.arguments) for c in calls or []],
        "usage": result.usage.total_tokens if result.usage else None,
        "errors": [type(e).__name__ for e in getattr(result, "errors", [])],
    }


async def create_plain(client: Any, server: LocalServer, drive: Drive) -> Any:
    return _summary(await drive(client.chat.completions.create(USER, model="m", n=2)))


async def create_streamed(client: Any, server: LocalServer, drive: Drive) -> Any:
    seen: list[str] = []
    ended: list[Any] = []
    stream = await drive(
        client.chat.completions.stream(
            USER,
            model="m",
            stream_options={"include_usage": True},
            on_data=lambda chunk: seen.append(chunk.object),
            on_terminate=ended.append,
        )
    )
    chunks = await drive.items(stream)
    result = await drive.final(stream)
    return {"chunks": len(chunks), "on_data": len(seen), "ended": len(ended), **_summary(result)}


async def create_with_stream_true(client: Any, server: LocalServer, drive: Drive) -> Any:
    """4D's streaming: create(stream=True) calls on_data for each chunk and returns the result."""
    seen: list[str] = []
    ended: list[Any] = []
    result = await drive(
        client.chat.completions.create(
            USER,
            model="m",
            stream=True,
            on_data=lambda chunk: seen.append(chunk.object),
            on_terminate=ended.append,
        )
    )
    return {"on_data": len(seen), "ended": [e.success for e in ended], **_summary(result)}


async def text_deltas(client: Any, server: LocalServer, drive: Drive) -> Any:
    stream = await drive(client.chat.completions.stream(USER, model="m"))
    return await drive.items(stream.text_deltas())


async def recorded_streams(client: Any, server: LocalServer, drive: Drive) -> Any:
    out = []
    for path in RECORDED:
        server.replay([path.read_bytes()])
        stream = await drive(client.chat.completions.stream(USER, model="m"))
        out.append(_summary(await drive.final(stream)))
    return out


async def stored_and_paged(client: Any, server: LocalServer, drive: Drive) -> Any:
    completions = client.chat.completions
    ids = [
        (await drive(completions.create(USER, model="m", store=True, metadata={"k": str(i % 2)}))).id
        for i in range(5)
    ]
    listed = [c.id for c in await drive.items(completions.list(limit=2))]  # no await first
    filtered = [c.id for c in await drive.items(await drive(completions.list(metadata={"k": "1"})))]
    updated = await drive(completions.update(ids[0], {"k": "x"}))
    messages = await drive.items(await drive(completions.messages.list(ids[0], limit=1)))
    retrieved = await drive(completions.retrieve(ids[1]))
    deleted = [await drive(completions.delete(ids[2])), await drive(completions.delete(ids[2]))]
    return {
        "listed": listed == ids,
        "filtered": filtered == [ids[1], ids[3]],
        "updated": updated.metadata,
        "messages": [m.content for m in messages],
        "retrieved": retrieved.id == ids[1],
        "deleted": deleted,
    }


async def errors_and_retries(client: Any, server: LocalServer, drive: Drive) -> Any:
    out: list[Any] = []
    server.inject(Fault.rate_limit(retry_after=2))
    out.append((await drive(client.chat.completions.create(USER, model="m"))).choice.text)
    server.inject(Fault.http_error(500), times=3)
    out.append(_summary(await drive(client.chat.completions.try_create(USER, model="m"))))
    try:
        await drive(client.chat.completions.retrieve("missing"))
    except OpenAIError as error:
        out.append((type(error).__name__, error.status, error.param))
    server.inject(Fault.stream_error(after_events=1, message="overloaded"))
    stream = await drive(client.chat.completions.stream(USER, model="m"))
    try:
        await drive.items(stream)
    except OpenAIError as error:
        out.append((type(error).__name__, error.message, stream.response.is_closed))
    server.inject(Fault.stream_cut(after_events=2))
    stream = await drive(client.chat.completions.stream(USER, model="m"))
    try:
        await drive.final(stream)
    except OpenAIError as error:
        out.append((type(error).__name__, stream.response.is_closed))
    server.inject(Fault.stream_keepalive())
    stream = await drive(client.chat.completions.stream(USER, model="m"))
    out.append(_summary(await drive.final(stream)))
    return out


async def early_break_closes(client: Any, server: LocalServer, drive: Drive) -> Any:
    server.queue(Reply.text("one two three four five"))
    stream = await drive(client.chat.completions.stream(USER, model="m"))
    await drive.close(stream)
    return stream.response.is_closed


SCENARIOS: dict[str, Callable[[Any, LocalServer, Drive], Awaitable[Any]]] = {
    f.__name__: f
    for f in (
        create_plain,
        create_streamed,
        create_with_stream_true,
        text_deltas,
        recorded_streams,
        stored_and_paged,
        errors_and_retries,
        early_break_closes,
    )
}
