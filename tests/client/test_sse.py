"""The server-sent events decoder and the chunk accumulator, without any I/O."""

from __future__ import annotations

import collections
import json
from pathlib import Path

import pytest

from completionkit import decode_json
from completionkit._generated.models import ChatCompletionChunk
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


def _chunk(**fields: object) -> ChatCompletionChunk:
    base = {"id": "c", "object": "chat.completion.chunk", "created": 1, "model": "m"}
    return decode_json(json.dumps({**base, **fields}), ChatCompletionChunk)


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
        decode_json(b'{"choices":[],"created":0,"id":"","model":"","object":""}', ChatCompletionChunk)
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


# --- a leading BOM, a CR's LF after an empty chunk, and any chunking (hypothesis) ------------

BOM = b"\xef\xbb\xbf"


def test_a_leading_bom_is_stripped_and_the_first_event_kept() -> None:
    body = BOM + b"data: Hello\n\ndata:  world\n\n"
    whole, decoder = _feed_all([body])
    assert [e.data for e in whole] == ["Hello", " world"]
    assert not decoder.pending
    for split in range(1, len(BOM) + 2):  # the BOM split across chunks, empty chunks between
        events, _ = _feed_all([b"", body[:split], b"", body[split:]])
        assert events == whole, split


def test_only_one_bom_and_only_at_the_start_is_stripped() -> None:
    events, _ = _feed_all([BOM + BOM + b"data: a\n\n" + BOM + b"data: b\n\ndata: c\n\n"])
    # The second BOM makes the first line a field named "\ufeffdata": ignored, as is the third's.
    assert [e.data for e in events] == ["c"]


def test_a_stream_that_is_only_part_of_a_bom_is_pending() -> None:
    _, decoder = _feed_all([BOM[:2]])
    assert decoder.pending


def test_an_empty_chunk_between_a_cr_and_its_lf_keeps_one_line_end() -> None:
    events, decoder = _feed_all([b"data: a\r", b"", b"\n\n"])
    assert events == [ServerSentEvent("message", "a")]
    assert not decoder.pending
    events, _ = _feed_all([b"data: a\r", b"", b"", b"\ndata: b\r\n\r\n"])
    assert events == [ServerSentEvent("message", "a\nb")]


def _reference(body: bytes) -> list[ServerSentEvent]:
    """The WHATWG algorithm, written plainly, for the whole stream at once."""
    import re

    text = body.removeprefix(BOM).decode("utf-8", "replace")
    events: list[ServerSentEvent] = []
    data: list[str] = []
    kind = ""
    last_id: str | None = None
    lines = re.split(r"\r\n|\r|\n", text)
    for line in lines[:-1]:  # the last piece has no line end: never processed
        if not line:
            if data:
                events.append(ServerSentEvent(kind or "message", "\n".join(data), last_id))
            data, kind = [], ""
            continue
        if line.startswith(":"):
            continue
        name, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if name == "data":
            data.append(value)
        elif name == "event":
            kind = value
        elif name == "id" and "\0" not in value:
            last_id = value
    return events


def test_every_split_in_two_and_three_of_a_tricky_stream_gives_the_same_events() -> None:
    body = BOM + b"data: \xc3\xa9t\xc3\xa9\r\nid: 1\r\r\n: c\revent: x\ndata\n\ndata: \xf0\x9f\x98\x80\r\n\r"
    whole, _ = _feed_all([body])
    assert whole == _reference(body)
    assert [e.data for e in whole] == ["été", "", "😀"]
    n = len(body)
    for i in range(n + 1):
        for j in range(i, n + 1):
            events, _ = _feed_all([body[:i], body[i:j], body[j:]])
            assert events == whole, (i, j)


try:
    from hypothesis import given, settings
    from hypothesis import strategies as st
except ImportError:  # the exhaustive test above still runs

    def test_any_split_of_a_stream_gives_the_events_of_the_whole() -> None:
        pytest.skip("hypothesis is not installed")

else:
    _values = st.text(alphabet=st.sampled_from(["a", "é", "字", " ", ":", "😀", "\ufeff"]), max_size=6)
    _line = st.one_of(
        st.builds(lambda v: "data:" + v, _values),
        st.builds(lambda v: "data: " + v, _values),
        st.just("data"),
        st.builds(lambda v: "event: " + v, _values),
        st.builds(lambda v: "id: " + v, _values),
        st.builds(lambda v: ": " + v, _values),
        st.builds(lambda v: "retry: " + v, _values),
        st.just(""),
    )
    _stream = st.tuples(
        st.booleans(),
        st.lists(st.tuples(_line, st.sampled_from([b"\n", b"\r\n", b"\r"])), max_size=12),
    ).map(lambda t: (BOM if t[0] else b"") + b"".join(line.encode() + end for line, end in t[1]))

    @settings(max_examples=400, deadline=None)
    @given(body=_stream, cuts=st.lists(st.integers(min_value=0, max_value=200), max_size=8))
    def test_any_split_of_a_stream_gives_the_events_of_the_whole(body: bytes, cuts: list[int]) -> None:
        whole, whole_decoder = _feed_all([body])
        assert whole == _reference(body)
        points = sorted(min(c, len(body)) for c in cuts)  # a repeated point gives an empty chunk
        pieces = [body[a:b] for a, b in zip([0, *points], [*points, len(body)], strict=True)]
        events, decoder = _feed_all(pieces)
        assert events == whole
        assert decoder.pending == whole_decoder.pending


def _word_event(i: int) -> bytes:
    """The event of a chunk whose text is one numbered word (``" w00042"``)."""
    delta = {"index": 0, "delta": {"content": f" w{i:05d}"}, "finish_reason": None}
    chunk = {"id": "c", "object": "chat.completion.chunk", "created": 1, "model": "m", "choices": [delta]}
    return b"data: " + json.dumps(chunk).encode() + b"\n\n"


def test_a_long_stream_holds_its_text_and_the_current_chunk_only() -> None:
    """Memory, not time: 20,000 more chunks add about their text, not a record of each."""
    import tracemalloc

    import httpx2

    from completionkit._generated.endpoints import create_chat_completion
    from completionkit._streaming import StreamState

    state = StreamState(httpx2.Response(200), create_chat_completion)
    tracemalloc.start()
    try:
        list(state.feed(_word_event(0)))
        before = tracemalloc.get_traced_memory()[0]
        for i in range(1, 20_001):
            list(state.feed(_word_event(i)))
        grown = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    text = 20_000 * len(" w00000")
    assert grown < 2 * text + 4096, (grown, text)  # a growing buffer over-allocates a little
    list(state.feed(b"data: [DONE]\n\n"))
    assert state.finish().choice.text == "".join(f" w{i:05d}" for i in range(20_001))


def test_a_whole_stream_handed_over_at_once_is_decoded_a_chunk_at_a_time() -> None:
    """A buffering proxy (or a mock transport) can hand over every event in one piece:
    the chunks are still decoded one at a time, as they are asked for, so reading them
    holds a slice of the body's events and the current chunk, never all of them."""
    import tracemalloc

    import httpx2

    from completionkit._generated.endpoints import create_chat_completion
    from completionkit._streaming import StreamState

    body = b"".join(_word_event(i) for i in range(20_000)) + b"data: [DONE]\n\n"
    seen = collections.Counter[str]()
    state = StreamState(
        httpx2.Response(200), create_chat_completion, on_data=lambda c: seen.update(["chunk"])
    )
    chunks = state.feed(body)
    tracemalloc.start()
    try:
        first = next(chunks)
        assert seen["chunk"] == 1  # called back as it is handed out, not all ahead of it
        assert first.choices[0].delta.content == " w00000"
        count = 1 + sum(1 for _ in chunks)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert count == 20_000
    assert seen["chunk"] == 20_000
    # The text (140 KB, in a growing buffer) and a slice's events: about a seventh of the
    # body.  Decoded all at once, the events and the chunks took several times the body.
    assert peak < len(body) // 4, (peak, len(body))
    assert state.finish().choice.text == "".join(f" w{i:05d}" for i in range(20_000))
