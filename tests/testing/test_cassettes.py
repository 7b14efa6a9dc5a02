"""Cassettes: traffic recorded through a client (``Cassette``) and served back by a local
server (``LocalServer(cassette=...)``), secrets redacted on the way into the file."""

from __future__ import annotations

import asyncio
import base64
import concurrent.futures
import json
import secrets
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx2
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from completionkit import (
    APIConnectionError,
    AsyncOpenAI,
    AuthenticationError,
    InternalServerError,
    NotFoundError,
    OpenAI,
    OpenAIError,
    RateLimitError,
)
from completionkit._results import ChatCompletionResult
from completionkit.testing import (
    Cassette,
    CassetteError,
    Fault,
    Interaction,
    LocalServer,
    RateLimits,
    read_cassette,
)
from completionkit.testing.__main__ import main

from ..command_line_server import command_line_server

# Shaped like a real key, and never seen elsewhere: grepping the file for it means something.
KEY = "sk-proj-" + secrets.token_urlsafe(48)
ORGANIZATION = "org-" + secrets.token_hex(12)
PROJECT = "proj_" + secrets.token_hex(12)


def _user(text: str) -> list[dict[str, str]]:
    return [{"role": "user", "content": text}]


def _seen(result: ChatCompletionResult[Any]) -> tuple[object, ...]:
    return result.raw, result.choice.text, result.usage


def _failure(error: OpenAIError) -> tuple[object, ...]:
    return type(error).__name__, getattr(error, "status", None), getattr(error, "message", None)


def _sync_session(client: OpenAI, recording: LocalServer | None) -> list[object]:
    """Every kind of call, and what it gave; ``recording`` is the server recorded from,
    told its faults (a replay gets them from the cassette)."""
    seen: list[object] = []
    plain = client.chat.completions.create(_user("Hello there"), model="m", store=True, metadata={"run": "a"})
    seen.append(_seen(plain))
    with client.chat.completions.stream(
        _user("Stream me some words"), model="m", stream_options={"include_usage": True}
    ) as stream:
        seen.append(list(stream.text_deltas()))
    seen.append(_seen(stream.final()))
    seen.append(_seen(client.chat.completions.create(_user("Also streamed"), model="m", stream=True)))
    seen.append(_seen(client.chat.completions.retrieve(plain.id)))
    seen.append(_seen(client.chat.completions.update(plain.id, {"run": "b"})))
    seen.append([_seen(r) for r in client.chat.completions.list(metadata={"run": "b"}, limit=5)])
    seen.append([m.content for m in client.chat.completions.messages.list(plain.id, limit=10)])
    seen.append(client.chat.completions.delete(plain.id))
    seen.append(client.chat.completions.delete(plain.id))  # False: no such completion now
    if recording is not None:
        recording.inject(Fault.rate_limit(retry_after=30))
    with pytest.raises(RateLimitError) as limited:
        client.chat.completions.create(_user("Too many"), model="m")
    seen.append(_failure(limited.value))
    seen.append(limited.value.response.headers.get("retry-after"))
    return seen


async def _async_session(client: AsyncOpenAI, recording: LocalServer | None) -> list[object]:
    seen: list[object] = []
    plain = await client.chat.completions.create(_user("Hello async"), model="m", store=True)
    seen.append(_seen(plain))
    async with client.chat.completions.stream(_user("Stream async words"), model="m") as stream:
        seen.append([t async for t in stream.text_deltas()])
    seen.append(_seen(await stream.final()))
    seen.append(_seen(await client.chat.completions.retrieve(plain.id)))
    results = await asyncio.gather(
        *(
            client.chat.completions.create(_user(f"Concurrent {i}"), model="m", stream=i % 2 == 0)
            for i in range(8)
        )
    )
    seen.append([_seen(r) for r in results])
    if recording is not None:
        recording.inject(Fault.http_error(429, retry_after=30, code="rate_limit_exceeded"))
    with pytest.raises(RateLimitError) as limited:
        await client.chat.completions.create(_user("Too many"), model="m")
    seen.append(_failure(limited.value))
    return seen


@pytest.fixture
def recording() -> Iterator[LocalServer]:
    with LocalServer(api_key=KEY) as server:
        yield server


def test_a_sync_recording_replays_to_the_same_results(recording: LocalServer, tmp_path: Path) -> None:
    path = tmp_path / "sync.jsonl"
    cassette = Cassette(path)
    with (
        cassette.client() as http,
        OpenAI(api_key=KEY, base_url=recording.url, http_client=http, max_retries=0) as client,
    ):
        recorded = _sync_session(client, recording)
    assert len(read_cassette(path)) == len(recording.requests) == 10

    with (
        LocalServer(cassette=path) as replay,
        OpenAI(api_key="sk-another", base_url=replay.url, max_retries=0) as client,
    ):
        assert _sync_session(client, None) == recorded
        assert replay.unplayed == []
        assert len(replay.requests) == 10  # each was recorded by the replaying server too


def test_an_async_recording_replays_to_the_same_results(recording: LocalServer, tmp_path: Path) -> None:
    path = tmp_path / "async.jsonl"
    cassette = Cassette(path)

    async def record() -> list[object]:
        async with (
            cassette.async_client() as http,
            AsyncOpenAI(api_key=KEY, base_url=recording.url, http_client=http, max_retries=0) as client,
        ):
            return await _async_session(client, recording)

    recorded = asyncio.run(record())
    assert len(read_cassette(path)) == 12

    async def replay(url: str) -> list[object]:
        async with AsyncOpenAI(api_key="sk-another", base_url=url, max_retries=0) as client:
            return await _async_session(client, None)

    with LocalServer(cassette=path) as server:
        assert asyncio.run(replay(server.url)) == recorded
        assert server.unplayed == []


def test_a_sync_recording_replays_into_an_async_client(recording: LocalServer, tmp_path: Path) -> None:
    path = tmp_path / "either.jsonl"
    with (
        Cassette(path).client() as http,
        OpenAI(api_key=KEY, base_url=recording.url, http_client=http) as client,
    ):
        recorded = _seen(client.chat.completions.create(_user("Either way"), model="m", stream=True))

    async def replay(url: str) -> tuple[object, ...]:
        async with AsyncOpenAI(api_key="k", base_url=url) as client:
            return _seen(await client.chat.completions.create(_user("Either way"), model="m", stream=True))

    with LocalServer(cassette=path) as server:
        assert asyncio.run(replay(server.url)) == recorded


def test_retried_requests_are_answered_in_the_order_recorded(recording: LocalServer, tmp_path: Path) -> None:
    path = tmp_path / "retried.jsonl"
    recording.inject(Fault.http_error(503, retry_after_ms=1), times=2)
    with (
        Cassette(path).client() as http,
        OpenAI(api_key=KEY, base_url=recording.url, http_client=http) as client,
    ):
        recorded = _seen(client.chat.completions.create(_user("Third time lucky"), model="m"))
    assert [i.status for i in read_cassette(path)] == [503, 503, 200]

    with LocalServer(cassette=path) as replay:
        with OpenAI(api_key="k", base_url=replay.url, max_retries=0) as client:
            for _ in range(2):
                with pytest.raises(InternalServerError):
                    client.chat.completions.create(_user("Third time lucky"), model="m")
            assert _seen(client.chat.completions.create(_user("Third time lucky"), model="m")) == recorded
            with pytest.raises(NotFoundError) as used_up:  # three recorded answers, all given
                client.chat.completions.create(_user("Third time lucky"), model="m")
            assert str(path) in used_up.value.message
        replay.reset()  # from the first interaction again
        with OpenAI(api_key="k", base_url=replay.url, max_retries=2) as client:
            assert _seen(client.chat.completions.create(_user("Third time lucky"), model="m")) == recorded


def test_a_cut_stream_and_a_dropped_connection_replay_as_they_happened(
    recording: LocalServer, tmp_path: Path
) -> None:
    path = tmp_path / "broken.jsonl"

    def broken(client: OpenAI, server: LocalServer | None) -> list[str]:
        met: list[str] = []
        if server is not None:
            server.inject(Fault.stream_cut(after_events=2))
        with (
            client.chat.completions.stream(_user("one two three four five"), model="m") as stream,
            pytest.raises(APIConnectionError) as cut,
        ):
            met.extend(stream.text_deltas())
        met.append(type(cut.value).__name__)
        if server is not None:
            server.inject(Fault.dropped())
        with pytest.raises(APIConnectionError) as dropped:
            client.chat.completions.create(_user("Gone"), model="m")
        met.append(type(dropped.value).__name__)
        return met

    with (
        Cassette(path).client() as http,
        OpenAI(api_key=KEY, base_url=recording.url, http_client=http, max_retries=0) as client,
    ):
        recorded = broken(client, recording)
    cut, dropped = read_cassette(path)
    assert cut.stream
    assert not cut.complete
    assert cut.status == 200
    assert dropped.status is None
    assert dropped.error is not None
    with (
        LocalServer(cassette=path) as replay,
        OpenAI(api_key="k", base_url=replay.url, max_retries=0) as client,
    ):
        assert broken(client, None) == recorded


def test_a_stream_reaches_the_client_before_it_is_written(recording: LocalServer, tmp_path: Path) -> None:
    path = tmp_path / "streaming.jsonl"
    with (
        Cassette(path).client() as http,
        OpenAI(api_key=KEY, base_url=recording.url, http_client=http) as client,
        client.chat.completions.stream(_user("several words to stream back"), model="m") as stream,
    ):
        deltas = stream.text_deltas()
        assert next(deltas) == "several"
        # Written once the stream has ended: had it been read whole before the client saw
        # its first piece, the line would be there already.
        assert path.read_bytes() == b""
        assert "".join(deltas) == " words to stream back"
    (streamed,) = read_cassette(path)
    assert streamed.stream
    assert streamed.complete
    assert streamed.body.startswith(b"data: {")
    assert streamed.body.endswith(b"data: [DONE]\n\n")
    assert sum(streamed.chunks) == len(streamed.body)


def test_concurrent_exchanges_are_written_one_line_each(recording: LocalServer, tmp_path: Path) -> None:
    path = tmp_path / "concurrent.jsonl"
    cassette = Cassette(path)
    texts = [f"thread {i} " + "word " * 200 for i in range(16)]
    with cassette.client() as http, OpenAI(api_key=KEY, base_url=recording.url, http_client=http) as client:

        def ask(text: str) -> str | None:
            return client.chat.completions.create(
                _user(text), model="m", stream=len(text) % 2 == 0
            ).choice.text

        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            answers = list(pool.map(ask, texts))

    async def more() -> None:
        async with (
            cassette.async_client() as http,
            AsyncOpenAI(api_key=KEY, base_url=recording.url, http_client=http) as client,
        ):
            await asyncio.gather(
                *(client.chat.completions.create(_user(t), model="m", stream=True) for t in texts)
            )

    asyncio.run(more())
    interactions = read_cassette(path)
    assert len(interactions) == 32
    assert sorted(i.request_body["messages"][0]["content"] for i in interactions) == sorted(texts * 2)
    assert answers == texts


# --- redaction ---------------------------------------------------------------------------


def test_secret_headers_never_reach_the_file(tmp_path: Path) -> None:
    path = tmp_path / "secrets.jsonl"
    cookie = "session=" + secrets.token_hex(16)
    with LocalServer(
        api_key=KEY, rate_limits=RateLimits(requests_per_minute=100, tokens_per_minute=10_000)
    ) as server:
        server.inject(
            Fault(headers={"set-cookie": cookie, "x-upstream-token": "tok-" + secrets.token_hex(8)})
        )
        # An error message quoting the key whole: the key is blanked out there too.
        server.inject(Fault.http_error(401, message=f"Incorrect API key provided: {KEY}."))
        with (
            Cassette(path).client() as http,
            OpenAI(
                api_key=KEY,
                organization=ORGANIZATION,
                project=PROJECT,
                base_url=server.url,
                http_client=http,
                max_retries=0,
                default_headers={"Cookie": cookie, "X-Auth-Token": "auth-" + secrets.token_hex(8)},
            ) as client,
        ):
            client.chat.completions.create(_user("Hello"), model="m")
            with pytest.raises(AuthenticationError):
                client.chat.completions.create(_user("Hello"), model="m")
    text = path.read_text("utf-8")
    for secret in (KEY, KEY.removeprefix("sk-proj-"), ORGANIZATION, PROJECT, cookie):
        assert secret not in text
    assert "tok-" not in text
    assert "auth-" not in text
    first, second = read_cassette(path)
    sent = {name.lower(): value for name, value in first.request_headers}
    for name in ("authorization", "openai-organization", "openai-project", "cookie", "x-auth-token"):
        assert sent[name] == "[redacted]"
    answered = {name.lower(): value for name, value in first.response_headers}
    assert answered["set-cookie"] == answered["x-upstream-token"] == "[redacted]"
    # Counts, not credentials, though "tokens" is in their names.
    assert answered["x-ratelimit-remaining-tokens"].isdigit()
    assert answered["x-ratelimit-remaining-requests"] == "99"
    assert b"Incorrect API key provided: [redacted]." in second.body


def test_redact_adds_headers_to_the_list(recording: LocalServer, tmp_path: Path) -> None:
    def recorded_headers(cassette: Cassette) -> dict[str, str]:
        with (
            cassette.client() as http,
            OpenAI(
                api_key=KEY,
                base_url=recording.url,
                http_client=http,
                default_headers={"X-Tenant": "acme-tenant-7"},
            ) as client,
        ):
            client.chat.completions.create(_user("Hello"), model="m")
        (interaction,) = read_cassette(cassette.path)
        return {name.lower(): value for name, value in interaction.request_headers}

    assert recorded_headers(Cassette(tmp_path / "plain.jsonl"))["x-tenant"] == "acme-tenant-7"
    configured = Cassette(tmp_path / "configured.jsonl", redact=["X-Tenant"])
    assert configured.redact == {"x-tenant"}
    assert recorded_headers(configured)["x-tenant"] == "[redacted]"
    assert "acme-tenant-7" not in Path(configured.path).read_text("utf-8")
    assert "authorization" in Cassette.DEFAULT_REDACTED


def test_a_secret_query_parameter_is_redacted_and_not_matched(tmp_path: Path) -> None:
    path = tmp_path / "query.jsonl"
    with (
        LocalServer() as server,
        Cassette(path).client() as http,
        OpenAI(api_key="k", base_url=server.url, http_client=http) as client,
    ):
        page = client.chat.completions.list(limit=3, extra_query={"api_key": KEY, "order": "desc"})
    assert KEY not in path.read_text("utf-8")
    (listed,) = read_cassette(path)
    assert dict(listed.query) == {"limit": "3", "api_key": "[redacted]", "order": "desc"}
    with LocalServer(cassette=path) as replay, OpenAI(api_key="k", base_url=replay.url) as client:
        # Another key, the query in another order: the same request.
        again = client.chat.completions.list(extra_query={"order": "desc", "api_key": "other"}, limit=3)
        assert again.data == page.data
        assert replay.unplayed == []


def test_redact_takes_a_list_of_names() -> None:
    with tempfile.TemporaryDirectory() as folder, pytest.raises(TypeError, match="redact"):
        Cassette(Path(folder) / "c.jsonl", redact="X-Tenant")


def test_a_proxy_cannot_be_given_past_the_cassette(tmp_path: Path) -> None:
    cassette = Cassette(tmp_path / "c.jsonl")
    with pytest.raises(TypeError, match="past the cassette"):
        cassette.client(proxy="http://127.0.0.1:9")


def test_a_cassette_is_emptied_unless_appended_to(recording: LocalServer, tmp_path: Path) -> None:
    path = tmp_path / "appended.jsonl"
    for append in (False, True, False, True, True):
        with (
            Cassette(path, append=append).client() as http,
            OpenAI(api_key=KEY, base_url=recording.url, http_client=http) as client,
        ):
            client.chat.completions.create(_user("Hello"), model="m")
    assert len(read_cassette(path)) == 3


# --- serving -----------------------------------------------------------------------------


def _recorded_once(recording: LocalServer, path: Path) -> ChatCompletionResult[Any]:
    with (
        Cassette(path).client() as http,
        OpenAI(api_key=KEY, base_url=recording.url, http_client=http) as client,
    ):
        return client.chat.completions.create(_user("Recorded"), model="m")


def test_an_unmatched_request_gets_an_error_naming_it_and_the_cassette(
    recording: LocalServer, tmp_path: Path
) -> None:
    path = tmp_path / "one.jsonl"
    _recorded_once(recording, path)
    with (
        LocalServer(cassette=path) as replay,
        OpenAI(api_key="k", base_url=replay.url, max_retries=0) as client,
    ):
        with pytest.raises(NotFoundError) as unmatched:
            client.chat.completions.create(_user("Never recorded"), model="m")
        assert unmatched.value.status == 404
        assert unmatched.value.type == "cassette_error"
        assert str(path) in unmatched.value.message
        assert "POST /v1/chat/completions" in unmatched.value.message
        assert "Never recorded" in unmatched.value.message
        assert replay.last_request.body["messages"][0]["content"] == "Never recorded"
        with pytest.raises(NotFoundError, match="cassette"):  # not "no such completion": no False
            client.chat.completions.delete("chatcmpl-unknown")
        assert len(replay.unplayed) == 1


def test_the_cassette_is_served_with_v1_and_without(recording: LocalServer, tmp_path: Path) -> None:
    path = tmp_path / "paths.jsonl"
    result = _recorded_once(recording, path)
    body = {"messages": _user("Recorded"), "model": "m"}
    with LocalServer(cassette=path) as replay, httpx2.Client(timeout=30) as http:
        root = f"http://127.0.0.1:{replay.port}"
        for url in (f"{root}/v1/chat/completions", f"{root}/chat/completions"):
            replay.reset()
            answer = http.post(url, json=body)
            assert answer.status_code == 200
            assert answer.json() == result.raw
            assert answer.headers["x-request-id"] == result.request_id
            assert answer.headers["content-length"] == str(len(answer.content))


def test_a_cassette_of_another_api_root_is_served_under_v1(tmp_path: Path) -> None:
    interaction = {
        "version": 1,
        "request": {"method": "POST", "path": "/openai/deployments/d1/chat/completions", "json": {"x": 1}},
        "response": {"status": 200, "headers": [["content-type", "application/json"]], "body": '{"ok":true}'},
    }
    path = tmp_path / "azure.jsonl"
    path.write_text(json.dumps(interaction) + "\n", "utf-8")
    (read,) = read_cassette(path)
    assert read.path == "/chat/completions"
    with LocalServer(cassette=path) as replay:
        answer = httpx2.post(f"{replay.url}/chat/completions", json={"x": 1}, timeout=30)
        assert answer.status_code == 200
        assert answer.content == b'{"ok":true}'


def test_play_switches_cassettes_and_back_to_the_model(recording: LocalServer, tmp_path: Path) -> None:
    path = tmp_path / "switch.jsonl"
    _recorded_once(recording, path)
    with LocalServer() as server, OpenAI(api_key="k", base_url=server.url, max_retries=0) as client:
        assert client.chat.completions.create(_user("Recorded"), model="m").id != ""
        server.play(Cassette(path, append=True))
        with pytest.raises(NotFoundError):
            client.chat.completions.create(_user("Not in it"), model="m")
        server.play(None)
        assert client.chat.completions.create(_user("Not in it"), model="m").choice.text == "Not in it"
        assert server.unplayed == []
        server.play(path)
        assert len(server.unplayed) == 1
        server.reset()  # a cassette played by a test is the test's: gone with the rest
        assert server.unplayed == []
        assert client.chat.completions.create(_user("Not in it"), model="m").choice.text == "Not in it"


def test_the_command_line_serves_a_cassette(recording: LocalServer, tmp_path: Path) -> None:
    path = tmp_path / "cli.jsonl"
    result = _recorded_once(recording, path)
    with command_line_server("--cassette", str(path)) as url, OpenAI(api_key="k", base_url=url) as client:
        assert _seen(client.chat.completions.create(_user("Recorded"), model="m")) == _seen(result)


def test_the_command_line_refuses_a_broken_cassette(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "broken.jsonl"
    path.write_bytes(b"\n{not json\n")
    with pytest.raises(SystemExit) as stopped:
        main(["--cassette", str(path)])
    assert stopped.value.code == 2
    assert f"{path}:2:" in capsys.readouterr().err


# --- reading a cassette file ----------------------------------------------------------------

_VALID: dict[str, Any] = {
    "version": 1,
    "request": {
        "method": "POST",
        "path": "/v1/chat/completions",
        "query": [],
        "headers": [],
        "json": {"a": 1},
    },
    "response": {
        "status": 200,
        "headers": [["content-type", "text/event-stream"]],
        "body": "data: 1\n\n",
        "encoding": "text",
        "stream": True,
        "chunks": [3, 6],
        "complete": True,
    },
}


def _with(changes: dict[str, Any], where: str | None = None) -> dict[str, Any]:
    line = json.loads(json.dumps(_VALID))
    (line if where is None else line[where]).update(changes)
    return line


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        (b"{not json", "not JSON"),
        (b"\xff\xfe{}", "not UTF-8"),
        (b"[]", "not an interaction"),
        (json.dumps(_with({"status": "200"}, "response")).encode(), "response.status"),
        (json.dumps(_with({"version": 2})).encode(), "version 2"),
        (json.dumps(_with({"body": "%%%", "encoding": "base64"}, "response")).encode(), "base64"),
        (json.dumps(_with({"chunks": [3, 5]}, "response")).encode(), "chunks"),
        (json.dumps(_with({"headers": [["x-a", "b\r\nc"]]}, "response")).encode(), "x-a"),
        (json.dumps(_with({"status": 99}, "response")).encode(), "status 99"),
        (json.dumps(_with({"method": "GE T"}, "request")).encode(), "method"),
        (json.dumps(_with({"response": None})).encode(), "error"),
        (b"[" * 100_000 + b"]" * 100_000, "nested"),
    ],
)
def test_a_malformed_line_is_named_by_file_and_line(tmp_path: Path, line: bytes, problem: str) -> None:
    path = tmp_path / "malformed.jsonl"
    path.write_bytes(json.dumps(_VALID).encode() + b"\n\n" + line + b"\n")
    with pytest.raises(CassetteError) as raised:
        read_cassette(path)
    assert raised.value.path == str(path)
    assert raised.value.line == 3
    assert str(raised.value).startswith(f"{path}:3: ")
    assert problem in raised.value.problem
    with pytest.raises(CassetteError, match=r"malformed\.jsonl:3: "):
        LocalServer(cassette=path)


def test_a_valid_line_reads_back(tmp_path: Path) -> None:
    path = tmp_path / "valid.jsonl"
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps(_VALID).encode() + b"\r\n")
    (read,) = read_cassette(path)
    assert read == Interaction(
        "POST",
        "/chat/completions",
        (),
        (),
        {"a": 1},
        200,
        (("content-type", "text/event-stream"),),
        b"data: 1\n\n",
        True,
        (3, 6),
        True,
        None,
        1,
    )


def _one_of_the_fields_replaced() -> st.SearchStrategy[bytes]:
    json_values = st.recursive(
        st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
        max_leaves=12,
    )
    places = [(None, key) for key in _VALID] + [
        (part, key) for part in ("request", "response") for key in _VALID[part]
    ]

    def replaced(place: tuple[str | None, str], value: Any) -> bytes:
        where, key = place
        return json.dumps(_with({key: value}, where)).encode()

    return st.builds(replaced, st.sampled_from(places), json_values)


@settings(max_examples=300, deadline=None)
@given(st.binary() | _one_of_the_fields_replaced())
def test_no_line_breaks_the_reader_but_with_a_cassette_error(line: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "any.jsonl"
        path.write_bytes(json.dumps(_VALID).encode() + b"\n" + line + b"\n" + json.dumps(_VALID).encode())
        read = _read_or_refused(path)
    if isinstance(read, CassetteError):
        assert read.line >= 2
        assert read.path == str(path)
    else:
        assert 2 <= len(read) <= 2 + line.count(b"\n") + 1


def _read_or_refused(path: Path) -> list[Interaction] | CassetteError:
    try:
        return read_cassette(path)
    except CassetteError as error:  # the one error a line may raise
        return error


@pytest.fixture(scope="module")
def replaying() -> Iterator[tuple[LocalServer, Path]]:
    """One server for a whole property test, playing whatever cassette it is given."""
    with tempfile.TemporaryDirectory() as folder, LocalServer() as server:
        yield server, Path(folder) / "generated.jsonl"


_VALUE_CHARACTERS = st.characters(codec="latin-1", exclude_characters="\r\n\0\x7f", exclude_categories=["Cc"])
_HEADERS = st.lists(
    st.tuples(
        st.from_regex(r"x-[a-z0-9-]{1,12}", fullmatch=True),
        st.text(_VALUE_CHARACTERS, max_size=20).map(lambda v: v.strip(" \t")),
    ),
    max_size=4,
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    status=st.integers(200, 599).filter(lambda s: s not in (204, 304)),
    headers=_HEADERS,
    pieces=st.lists(st.binary(min_size=1, max_size=64), max_size=5),
    stream=st.booleans(),
    as_base64=st.booleans(),
)
def test_what_a_cassette_holds_is_served_byte_for_byte(
    replaying: tuple[LocalServer, Path],
    status: int,
    headers: list[tuple[str, str]],
    pieces: list[bytes],
    stream: bool,
    as_base64: bool,
) -> None:
    server, path = replaying
    body = b"".join(pieces)
    try:
        text, encoding = body.decode("utf-8"), "text"
    except UnicodeDecodeError:
        as_base64 = True
    if as_base64:
        text, encoding = base64.b64encode(body).decode(), "base64"
    line = {
        "version": 1,
        "request": {"method": "POST", "path": "/v1/anything", "json": {"n": len(body)}},
        "response": {
            "status": status,
            "headers": headers,
            "body": text,
            "encoding": encoding,
            "stream": stream,
            "chunks": [len(p) for p in pieces] if stream else None,
        },
    }
    path.write_text(json.dumps(line) + "\n", "utf-8")
    server.play(path)
    answer = httpx2.post(f"{server.url}/anything", json={"n": len(body)}, timeout=30)
    assert answer.status_code == status
    assert answer.content == body
    for name, value in headers:
        assert (name.encode(), value.encode("latin-1")) in answer.headers.raw
    assert ("content-length" in answer.headers) is not stream
    assert server.unplayed == []
