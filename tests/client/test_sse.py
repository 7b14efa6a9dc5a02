"""The server-sent events decoder and the chunk accumulator, without any I/O."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from completionkit import decode_json
from completionkit._generated.models import CreateChatCompletionStreamResponse
from completionkit._streaming import ChunkAccumulator, ServerSentEvent, SSEDecoder

RECORDED = sorted((Path(__file__).parents[1] / "fixtures" / "recorded").glob("*.sse"))


def _feed_all(pieces: list[bytes]) -> tuple[list[ServerSentEvent], SSEDecoder]:
    decoder = SSEDecoder()
    events = [event for piece in pieces for event in decoder.feed(piece)]
    return events, decoder


@pytest.mark.parametrize("newline", [b"\n", b"\r\n", b"\r"], ids=["LF", "CRLF", "CR"])
def test_every_line_end(newline: bytes) -> None:
    body = newline.join([b"data: one", b"", b"event: error", b"data: two", b"", b""])
    events, decoder = _feed_all([body])
    assert events == [ServerSentEvent("message", "one"), ServerSentEvent("error", "two")]
    assert not decoder.pending


@pytest.mark.parametrize("newline", [b"\n", b"\r\n", b"\r"], ids=["LF", "CRLF", "CR"])
def test_any_chunking_gives_the_same_events(newline: bytes) -> None:
    body = newline.join(
        [b": keep-alive", b"", b"data: first", b"data: second", b"id: 7", b"", b"data:x", b"", b""]
    )
    whole, _ = _feed_all([body])
    byte_by_byte, decoder = _feed_all([body[i : i + 1] for i in range(len(body))])
    assert (
        byte_by_byte
        == whole
        == [ServerSentEvent("message", "first\nsecond", "7"), ServerSentEvent("message", "x", "7")]
    )
    assert not decoder.pending


def test_comments_and_unknown_fields_are_ignored() -> None:
    events, _ = _feed_all([b": ping\n\nretry: 100\nfoo: bar\ndata: x\n\n"])
    assert events == [ServerSentEvent("message", "x")]


def test_an_event_without_a_blank_line_is_pending() -> None:
    events, decoder = _feed_all([b"data: complete\n\ndata: half"])
    assert [e.data for e in events] == ["complete"]
    assert decoder.pending
    _, decoder = _feed_all([b"data: complete\n\ndata: whole line\n"])
    assert decoder.pending  # the event was not dispatched


def test_multi_byte_characters_split_across_reads() -> None:
    body = "data: héllo wörld\n\n".encode()
    events, _ = _feed_all([body[:8], body[8:9], body[9:]])
    assert events == [ServerSentEvent("message", "héllo wörld")]


def test_memory_is_bounded_by_the_largest_event() -> None:
    decoder = SSEDecoder()
    event = b"data: " + b"x" * 1000 + b"\n\n"
    for _ in range(2000):
        decoder.feed(event[:500])
        decoder.feed(event[500:])
        assert len(decoder._buffer) <= len(event)  # nothing of past events is kept


@pytest.mark.parametrize("path", RECORDED, ids=lambda p: p.name)
def test_the_recorded_streams_decode_to_the_lines_they_hold(path: Path) -> None:
    raw = path.read_bytes()
    expected = [
        line.removeprefix(b"data: ").decode() for line in raw.split(b"\n") if line.startswith(b"data: ")
    ]
    events, decoder = _feed_all([raw[i : i + 37] for i in range(0, len(raw), 37)])
    assert [e.data for e in events] == expected
    assert not decoder.pending


def _chunk(**fields: object) -> CreateChatCompletionStreamResponse:
    base = {"id": "c", "object": "chat.completion.chunk", "created": 1, "model": "m"}
    return decode_json(json.dumps({**base, **fields}), CreateChatCompletionStreamResponse)


def test_accumulator_merges_choices_tool_calls_and_logprobs() -> None:
    accumulator = ChunkAccumulator()
    token = {"token": "Hi", "logprob": -0.1, "bytes": [72, 105], "top_logprobs": []}
    for chunk in [
        _chunk(
            choices=[
                {
                    "index": 0,
                    "delta": {"role": "assistant", "content": "Hi"},
                    "logprobs": {"content": [token], "refusal": None},
                }
            ]
        ),
        _chunk(
            choices=[
                {
                    "index": 1,
                    "delta": {
                        "role": "assistant",
                        "tool_calls": [
                            {
                                "index": 0,
                                "id": "call_a",
                                "type": "function",
                                "function": {"name": "f", "arguments": '{"a"'},
                            }
                        ],
                    },
                }
            ]
        ),
        _chunk(
            choices=[
                {
                    "index": 1,
                    "delta": {
                        "tool_calls": [
                            {"index": 0, "function": {"arguments": ": 1}"}},
                            {"index": 1, "id": "call_b", "function": {"name": "g"}},
                        ]
                    },
                }
            ]
        ),
        _chunk(
            choices=[
                {"index": 0, "delta": {"content": " there"}, "finish_reason": "stop"},
                {"index": 1, "delta": {}, "finish_reason": "tool_calls"},
            ]
        ),
        _chunk(choices=[], usage={"prompt_tokens": 3, "completion_tokens": 4, "total_tokens": 7}),
    ]:
        accumulator.add(chunk)
    completion = accumulator.completion()
    first, second = completion["choices"]
    assert first["message"]["content"] == "Hi there"
    # A required field at its neutral default ([] here) is left out when re-encoded; it
    # decodes back to the same value.
    assert first["logprobs"]["content"] == [{k: v for k, v in token.items() if v != []}]
    assert first["finish_reason"] == "stop"
    assert second["message"]["content"] is None
    assert second["message"]["tool_calls"] == [
        {"id": "call_a", "type": "function", "function": {"name": "f", "arguments": '{"a": 1}'}},
        {"id": "call_b", "type": "function", "function": {"name": "g", "arguments": ""}},
    ]
    assert second["finish_reason"] == "tool_calls"
    assert completion["usage"]["total_tokens"] == 7


def test_accumulator_takes_ids_from_the_first_chunk_that_has_them() -> None:
    accumulator = ChunkAccumulator()
    accumulator.add(
        decode_json(
            b'{"choices":[],"created":0,"id":"","model":"","object":""}', CreateChatCompletionStreamResponse
        )
    )
    accumulator.add(_chunk(id="chatcmpl-real", choices=[{"index": 0, "delta": {"content": "x"}}]))
    assert accumulator.completion()["id"] == "chatcmpl-real"


def test_tool_calls_without_index_are_merged_in_order() -> None:
    accumulator = ChunkAccumulator()
    call = {"id": "call_1", "type": "function", "function": {"name": "f", "arguments": "{}"}}
    accumulator.add(_chunk(choices=[{"index": 0, "delta": {"tool_calls": [call]}}]))
    accumulator.add(_chunk(choices=[{"index": 0, "delta": {"tool_calls": [{**call, "id": "call_2"}]}}]))
    calls = accumulator.completion()["choices"][0]["message"]["tool_calls"]
    assert [c["id"] for c in calls] == ["call_1", "call_2"]
