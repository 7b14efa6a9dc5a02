"""A client pickles into a working client with the same settings and a pool of its own;
its key never goes into the pickle: it is read again from the environment."""

from __future__ import annotations

import copy
import pickle

import httpx2
import pytest

from completionkit import (
    AsyncOpenAI,
    AuthenticationError,
    InvalidRequestError,
    MissingAPIKeyError,
    OpenAI,
)

from .workers import ask

KEY = "sk-right"


@pytest.fixture
def key_in_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    for name in ("OPENAI_BASE_URL", "OPENAI_ORG_ID", "OPENAI_PROJECT_ID"):
        monkeypatch.delenv(name, raising=False)


@pytest.mark.usefixtures("key_in_environment")
@pytest.mark.parametrize("kind", [OpenAI, AsyncOpenAI])
def test_a_pickled_client_keeps_every_setting_and_never_the_key(kind: type[OpenAI | AsyncOpenAI]) -> None:
    timeout = httpx2.Timeout(12.0, connect=3.0)
    client = kind(
        base_url="http://127.0.0.1:9/v1",
        organization="org-1",
        project="proj-1",
        timeout=timeout,
        max_retries=5,
        default_headers={"X-Tenant": "blue"},
    ).with_options(max_retries=4)  # a copy pickles as well as its original
    data = pickle.dumps(client)
    assert KEY.encode() not in data
    again = pickle.loads(data)
    assert type(again) is kind
    assert again._config._replace(routes={}) == client._config._replace(routes={})
    assert (again.base_url, again.timeout, again.max_retries) == ("http://127.0.0.1:9/v1", timeout, 4)
    assert again._connections is not client._connections  # not the pickled client's pool


@pytest.mark.usefixtures("key_in_environment")
def test_an_unpickled_client_reads_the_key_where_it_is_unpickled(
    keyed_server_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = pickle.dumps(OpenAI(base_url=keyed_server_url))
    assert ask(pickle.loads(data), "here") == "here"
    monkeypatch.setenv("OPENAI_API_KEY", "sk-wrong")
    with pytest.raises(AuthenticationError):
        ask(pickle.loads(data), "with another key")
    monkeypatch.delenv("OPENAI_API_KEY")
    with pytest.raises(MissingAPIKeyError, match="OPENAI_API_KEY"):
        pickle.loads(data)


@pytest.mark.usefixtures("key_in_environment")
def test_a_client_used_before_it_is_pickled_sends_after(server_url: str) -> None:
    with OpenAI(base_url=server_url) as client:
        assert ask(client, "before") == "before"
        with pickle.loads(pickle.dumps(client)) as again:
            assert ask(again, "after") == "after"
        assert ask(client, "still") == "still"  # closing the copy left the original's pool open


@pytest.mark.parametrize(
    ("make", "param"),
    [
        (lambda: OpenAI(api_key=KEY), "api_key"),
        (lambda: AsyncOpenAI(api_key=KEY), "api_key"),
        (lambda: OpenAI().with_options(api_key=KEY), "api_key"),
        (lambda: OpenAI(default_headers={"X-Api-Key": KEY}), "default_headers"),
        (lambda: OpenAI(default_headers={"Authorization": f"Bearer {KEY}"}), "default_headers"),
        (lambda: OpenAI(http_client=httpx2.Client()), "http_client"),
        (lambda: AsyncOpenAI(http_client=httpx2.AsyncClient()), "http_client"),
    ],
    ids=[
        "key",
        "async-key",
        "with_options-key",
        "x-api-key",
        "authorization",
        "http_client",
        "async-http_client",
    ],
)
@pytest.mark.usefixtures("key_in_environment")
def test_what_cannot_be_pickled_is_refused_with_the_ways_out(make: object, param: str) -> None:
    client = make()  # type: ignore[operator]
    with pytest.raises(InvalidRequestError) as caught:
        pickle.dumps(client)
    assert caught.value.param == param
    assert KEY not in str(caught.value)
    assert "in the process that uses it" in str(caught.value)
    if param == "api_key":
        assert "OPENAI_API_KEY" in str(caught.value)


@pytest.mark.usefixtures("key_in_environment")
def test_copy_and_deepcopy_share_the_settings(server_url: str) -> None:
    with OpenAI(api_key="sk-in-code", base_url=server_url) as client:
        for copied in (copy.copy(client), copy.deepcopy(client)):
            assert copied._config._replace(routes={}) == client._config._replace(routes={})
            assert ask(copied, "copied") == "copied"
