"""The client's configuration: arguments, the environment, headers; and the key never shows."""

from __future__ import annotations

import logging
import pickle

import pytest

import completionkit
from completionkit import AuthenticationError, MissingAPIKeyError, OpenAI
from completionkit.testing import Fault, LocalServer

from .conftest import USER, RecordingClock

SECRET = "sk-proj-TOPSECRET-0123456789"


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "OPENAI_ORG_ID", "OPENAI_PROJECT_ID"):
        monkeypatch.delenv(name, raising=False)


def test_no_key_anywhere_is_a_clear_error() -> None:
    with pytest.raises(MissingAPIKeyError, match="OPENAI_API_KEY"):
        OpenAI()


def test_the_environment_fills_what_arguments_leave_out(
    server: LocalServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-from-env")
    monkeypatch.setenv("OPENAI_BASE_URL", server.url)
    monkeypatch.setenv("OPENAI_ORG_ID", "org-env")
    monkeypatch.setenv("OPENAI_PROJECT_ID", "proj-env")
    with OpenAI() as client:
        assert client.base_url == server.url
        client.chat.completions.create(USER, model="m")
    headers = server.last_request.headers
    assert (headers["openai-organization"], headers["openai-project"]) == ("org-env", "proj-env")


def test_arguments_win_over_the_environment(server: LocalServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")
    monkeypatch.setenv("OPENAI_ORG_ID", "org-env")
    with OpenAI(api_key="k", base_url=server.url, organization="org-arg") as client:
        client.chat.completions.create(USER, model="m")
    assert server.last_request.headers["openai-organization"] == "org-arg"
    assert "openai-project" not in server.last_request.headers


def test_defaults() -> None:
    client = OpenAI(api_key="k")
    assert client.base_url == "https://api.openai.com/v1"
    assert client.timeout == 600.0
    assert client.max_retries == 2
    client.close()


def test_headers_sent(server: LocalServer) -> None:
    with OpenAI(api_key="k", base_url=server.url, default_headers={"X-Team": "a"}) as client:
        client.chat.completions.create(USER, model="m", extra_headers={"X-Call": "b"})
    headers = server.last_request.headers
    assert headers["user-agent"].startswith(f"completionkit/{completionkit.__version__} ")
    assert headers["content-type"] == "application/json"
    assert headers["accept"] == "application/json"
    assert (headers["x-team"], headers["x-call"]) == ("a", "b")


def test_the_key_goes_out_as_a_bearer_token() -> None:
    with LocalServer(api_key=SECRET) as server:
        with OpenAI(api_key=SECRET, base_url=server.url) as client:
            assert client.chat.completions.create(USER, model="m").choice.text
        with OpenAI(api_key="sk-wrong", base_url=server.url) as client, pytest.raises(AuthenticationError):
            client.chat.completions.create(USER, model="m")


@pytest.mark.parametrize("base_url", ["api.openai.com/v1", "ftp://x/v1", ""])
def test_a_base_url_that_is_not_http_is_refused(base_url: str) -> None:
    with pytest.raises(completionkit.InvalidRequestError, match="base_url"):
        OpenAI(api_key="k", base_url=base_url or "nohost:")


class TestTheKeyNeverShows:
    def test_not_in_the_client(self) -> None:
        client = OpenAI(api_key=SECRET, organization="org-1")
        for text in (repr(client), str(client), repr(client._caller.config), str(vars(client))):
            assert SECRET not in text
        with pytest.raises(TypeError):
            pickle.dumps(client._caller.config.api_key)
        client.close()

    def test_not_in_errors_or_logs(self, caplog: pytest.LogCaptureFixture, clock: RecordingClock) -> None:
        caplog.set_level(logging.DEBUG)
        with (
            LocalServer(api_key="sk-the-real-one") as server,
            OpenAI(api_key=SECRET, base_url=server.url) as client,
        ):
            client._caller.clock = clock
            with pytest.raises(AuthenticationError) as raised:
                client.chat.completions.create(USER, model="m")
            result = client.chat.completions.try_create(USER, model="m")
            recorded = server.last_request
        with LocalServer() as server, OpenAI(api_key=SECRET, base_url=server.url) as client:
            client._caller.clock = clock
            server.inject(Fault.http_error(500))
            client.chat.completions.create(USER, model="m")
        assert "retry 1 of 2" in caplog.text  # the client's own log was recorded too
        texts = [
            str(raised.value),
            repr(raised.value),
            repr(raised.value.headers),
            repr(result),
            repr(result.errors),
            caplog.text,
            repr(recorded),
            str(raised.value.body),
        ]
        for text in texts:
            assert SECRET not in text


# --- settings that cannot be sent are refused when the client is made -----------------------


@pytest.mark.parametrize(
    ("param", "arguments"),
    [
        ("default_headers['X-A']", {"default_headers": {"X-A": "a\r\nEvil: 1"}}),
        ("default_headers['X-A']", {"default_headers": {"X-A": "é"}}),
        ("default_headers['X-A']", {"default_headers": {"X-A": 1}}),
        ("default_headers", {"default_headers": {1: "a"}}),
        ("default_headers", {"default_headers": {"X A": "a"}}),
        ("default_headers", {"default_headers": ["X-A"]}),
        ("organization", {"organization": "org\n"}),
        ("project", {"project": "prój"}),
        ("timeout", {"timeout": -1}),
        ("timeout", {"timeout": float("nan")}),
        ("timeout", {"timeout": 10**40}),
        ("timeout", {"timeout": "10"}),
        ("base_url", {"base_url": "http://\ud800/v1"}),
        ("base_url", {"base_url": 5}),
        ("api_key", {"api_key": b"sk-bytes"}),
    ],
)
def test_settings_that_cannot_be_sent_are_refused(param: str, arguments: dict[str, object]) -> None:
    arguments = {"api_key": "sk-test", "base_url": "http://127.0.0.1:9/v1", **arguments}
    with pytest.raises(completionkit.InvalidRequestError) as raised:
        OpenAI(**arguments)  # type: ignore[arg-type]
    assert raised.value.param == param


def test_a_header_value_is_never_echoed_in_the_refusal() -> None:
    with pytest.raises(completionkit.InvalidRequestError) as raised:
        OpenAI(
            api_key="sk-test", base_url="http://127.0.0.1:9/v1", default_headers={"Api-Key": f"{SECRET}\n"}
        )
    assert SECRET not in str(raised.value)
