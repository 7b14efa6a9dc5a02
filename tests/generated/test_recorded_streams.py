"""The recorded streams of the live API (tests/fixtures/recorded) decode chunk by chunk."""

from __future__ import annotations

from pathlib import Path

import pytest

from completionkit import decode_json
from completionkit._generated.endpoints import create_chat_completion
from completionkit._generated.models import ChatCompletionChunk

RECORDED = sorted((Path(__file__).parent.parent / "fixtures" / "recorded").glob("*.sse"))


def _data_lines(raw: bytes) -> list[bytes]:
    # A deliberately plain reading of the wire format for this test: every event
    # here is one `data:` line, events are separated by a blank line.
    events = raw.replace(b"\r\n", b"\n").split(b"\n\n")
    return [e.removeprefix(b"data: ") for e in events if e.startswith(b"data: ")]


def test_recorded_streams_are_present() -> None:
    assert len(RECORDED) == 6


def test_create_streams_this_chunk_type() -> None:
    assert create_chat_completion.stream_chunk is ChatCompletionChunk


@pytest.mark.parametrize("path", RECORDED, ids=lambda p: p.name)
def test_every_chunk_decodes(path: Path) -> None:
    data = _data_lines(path.read_bytes())
    assert data[-1] == b"[DONE]"
    chunks = [decode_json(d, ChatCompletionChunk, strict=True) for d in data[:-1]]
    assert chunks
    assert {c.object for c in chunks} == {"chat.completion.chunk"}
    assert len({c.id for c in chunks}) == 1
    finished = [choice.finish_reason for c in chunks for choice in c.choices if choice.finish_reason]
    assert len(finished) == 1


def test_usage_chunk_has_no_choices() -> None:
    usage_chunks = []
    for path in RECORDED:
        for d in _data_lines(path.read_bytes())[:-1]:
            chunk = decode_json(d, ChatCompletionChunk)
            if chunk.usage:
                usage_chunks.append(chunk)
    assert usage_chunks
    for chunk in usage_chunks:
        assert chunk.choices == []
        assert chunk.usage is not None
        assert chunk.usage.total_tokens == chunk.usage.prompt_tokens + chunk.usage.completion_tokens
