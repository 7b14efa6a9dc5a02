"""client.with_options(...): a copy of the client with some settings changed, as openai's,
sending through the same connections; only the client that opened them closes them."""

from __future__ import annotations

import asyncio

import httpx2
import pytest

from completionkit import (
    AsyncOpenAI,
    AuthenticationError,
    InternalServerError,
    InvalidRequestError,
    OpenAI,
)
from completionkit.testing import Fault, LocalServer

from .conftest import USER


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "OPENAI_ORG_ID", "OPENAI_PROJECT_ID"):
        monkeypatch.delenv(name, raising=False)


def test_a_copy_with_other_settings_shares_the_connections(server: LocalServer, client: OpenAI) -> None:
    copy = client.with_options(timeout=30, max_retries=0)
    assert type(copy) is OpenAI
    assert (copy.timeout, copy.max_retries, copy.base_url) == (30, 0, client.base_url)
    assert (client.timeout, client.max_retries) == (600.0, 2)  # the original is as it was
    assert copy._caller.http is client._caller.http
    client.chat.completions.create(USER, model="m")
    copy.chat.completions.create(USER, model="m")
    pool = client._caller.http._transport._pool  # type: ignore[attr-defined]
    assert len(pool.connections) == 1  # the copy's request went over the original's connection


def test_the_copy_sends_with_its_settings(server: LocalServer, client: OpenAI) -> None:
    copy = client.with_options(max_retries=0)
    server.inject(Fault.http_error(500))
    with pytest.raises(InternalServerError):
        copy.chat.completions.create(USER, model="m")
    assert len(server.requests) == 1  # not retried
    server.inject(Fault.http_error(500))
    assert client.chat.completions.create(USER, model="m").choice.text == "Hello there"
    assert len(server.requests) == 3  # the original retried once
    server.inject(Fault.slow(5))
    outcome = client.with_options(timeout=0.2, max_retries=0).chat.completions.try_create(USER, model="m")
    assert outcome.errors[0].is_timeout_error


def test_every_setting_can_be_changed(client: OpenAI) -> None:
    with LocalServer(api_key="sk-right") as other:
        copy = client.with_options(
            api_key="sk-right",
            base_url=other.url,
            organization="org-copy",
            project="proj-copy",
            default_headers={"X-Copy": "yes"},
        )
        copy.chat.completions.create(USER, model="m")
        headers = other.last_request.headers
        assert (headers["openai-organization"], headers["openai-project"]) == ("org-copy", "proj-copy")
        assert headers["x-copy"] == "yes"
        with pytest.raises(AuthenticationError):  # another key, but the same server
            copy.with_options(api_key="sk-wrong", max_retries=0).chat.completions.create(USER, model="m")
    assert "sk-right" not in repr(copy)


def test_default_headers_are_added_to_or_replaced(server: LocalServer) -> None:
    with OpenAI(api_key="k", base_url=server.url, default_headers={"X-A": "a", "X-B": "b"}) as client:
        client.with_options(default_headers={"X-B": "B", "X-C": "c"}).chat.completions.create(USER, model="m")
        added = server.last_request.headers
        assert (added["x-a"], added["x-b"], added["x-c"]) == ("a", "B", "c")
        client.with_options(set_default_headers={"X-C": "c"}).chat.completions.create(USER, model="m")
        replaced = server.last_request.headers
        assert ("x-a" in replaced, "x-b" in replaced, replaced["x-c"]) == (False, False, "c")
        client.chat.completions.create(USER, model="m")
        assert (server.last_request.headers["x-b"], "x-c" in server.last_request.headers) == ("b", False)


def test_the_environment_is_not_read_again(server: LocalServer, monkeypatch: pytest.MonkeyPatch) -> None:
    with OpenAI(api_key="k", base_url=server.url) as client:
        monkeypatch.setenv("OPENAI_ORG_ID", "org-later")
        client.with_options(max_retries=1).chat.completions.create(USER, model="m")
    assert "openai-organization" not in server.last_request.headers


def test_closing_a_copy_leaves_the_connections_open(server: LocalServer) -> None:
    with OpenAI(api_key="k", base_url=server.url) as client:
        with client.with_options(max_retries=0) as copy:
            copy.chat.completions.create(USER, model="m")
        copy.with_options(timeout=5).close()
        assert not client._caller.http.is_closed
        assert client.chat.completions.create(USER, model="m").choice.text == "Hello there"
    assert client._caller.http.is_closed  # the client that opened them closed them


def test_a_copy_with_its_own_http_client(server: LocalServer, client: OpenAI) -> None:
    with httpx2.Client(headers={"X-From": "mine"}) as http:
        with client.with_options(http_client=http) as copy:
            assert copy._caller.http is http
            copy.chat.completions.create(USER, model="m")
        assert server.last_request.headers["x-from"] == "mine"
        assert not http.is_closed  # yours to close
    client.chat.completions.create(USER, model="m")
    assert "x-from" not in server.last_request.headers


@pytest.mark.parametrize(
    ("options", "param", "words"),
    [
        ({"max_retry": 3}, "max_retry", "with_options() got an unexpected keyword argument (did you mean"),
        ({"timout": 3}, "timout", "did you mean 'timeout'?"),
        ({"htp_client": None}, "htp_client", "did you mean 'http_client'?"),
        ({"max_retries": -1}, "max_retries", "expected an integer >= 0"),
        ({"timeout": "soon"}, "timeout", "expected seconds"),
        ({"base_url": "ftp://example"}, "base_url", "expected an http(s) URL"),
        ({"default_headers": {"X-A": "a\nb"}}, "default_headers['X-A']", "visible ASCII"),
        ({"default_headers": {}, "set_default_headers": {}}, "set_default_headers", "not both"),
    ],
)
def test_a_wrong_option_is_refused_by_name(
    server: LocalServer, client: OpenAI, options: dict[str, object], param: str, words: str
) -> None:
    with pytest.raises(InvalidRequestError) as raised:
        client.with_options(**options)  # type: ignore[arg-type]
    assert raised.value.param == param
    assert words in raised.value.message
    client.chat.completions.create(USER, model="m")  # the client is as it was
    assert server.requests[0].headers.get("x-a") is None


def test_the_async_client_copies_as_the_sync_one(server: LocalServer) -> None:
    async def run() -> tuple[type, bool, bool, str | None]:
        async with AsyncOpenAI(api_key="k", base_url=server.url) as client:
            async with client.with_options(max_retries=0, default_headers={"X-Copy": "1"}) as copy:
                server.inject(Fault.http_error(500))
                outcome = await copy.chat.completions.try_create(USER, model="m")
                shared = copy._caller.http is client._caller.http
            result = await client.chat.completions.create(USER, model="m")  # after the copy closed
            return type(copy), shared, outcome.success, result.choice.text

    assert asyncio.run(run()) == (AsyncOpenAI, True, False, "Hello there")
    assert [r.headers.get("x-copy") for r in server.requests] == ["1", None]
