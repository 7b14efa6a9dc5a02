"""The client and its providers: which server a client (or one call) talks to, how its
key is sent, and what of a request is adapted for the provider, against a real local
server on 127.0.0.1."""

from __future__ import annotations

import asyncio
import logging
import pickle
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from completionkit import (
    AsyncOpenAI,
    InvalidRequestError,
    Message,
    MissingAPIKeyError,
    OpenAI,
    ProvidersFileError,
)
from completionkit.testing import LocalServer

HELLO = [Message.user("Hello there")]


@pytest.fixture
def server(completionkit_server: LocalServer) -> LocalServer:
    """The session's server of completionkit's pytest plugin, reset for this test."""
    return completionkit_server


@pytest.fixture
def other() -> Iterator[LocalServer]:
    with LocalServer() as running:
        yield running


@pytest.fixture(autouse=True)
def no_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    for variable in (
        "OPENAI_API_KEY",
        "GROQ_API_KEY",
        "AZURE_OPENAI_API_KEY",
        "VLLM_API_KEY",
        "OPENAI_BASE_URL",
    ):
        monkeypatch.delenv(variable, raising=False)


def _providers_file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "providers.toml"
    path.write_text(text, "utf-8")
    return path


# --- choosing a provider -----------------------------------------------------------------


def test_a_local_provider_needs_no_key_and_sends_none(server: LocalServer) -> None:
    with OpenAI(provider="ollama", base_url=server.url) as client:
        assert client.provider.name == "ollama"
        client.chat.completions.create(HELLO, model="llama3.2")
    assert "authorization" not in server.last_request.headers
    assert "api-key" not in server.last_request.headers


def test_each_built_in_has_its_own_url() -> None:
    with OpenAI(provider="ollama") as client:
        assert client.base_url == "http://localhost:11434/v1"
    with OpenAI(provider="lmstudio") as client:
        assert client.base_url == "http://localhost:1234/v1"


def test_a_provider_that_needs_a_key_names_its_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(MissingAPIKeyError, match="GROQ_API_KEY"):
        OpenAI(provider="groq")
    monkeypatch.setenv("GROQ_API_KEY", "gsk-from-env")
    with OpenAI(provider="groq") as client:
        assert client.base_url == "https://api.groq.com/openai/v1"
        assert "gsk-from-env" not in repr(client)
        assert "provider='groq'" in repr(client)


def test_an_unknown_provider_is_refused_by_name() -> None:
    with pytest.raises(InvalidRequestError, match="groq") as caught:
        OpenAI(provider="grok", api_key="k")
    assert caught.value.param == "provider"


def test_azure_sends_its_key_as_api_key_with_its_api_version(server: LocalServer) -> None:
    with pytest.raises(InvalidRequestError) as caught:
        OpenAI(provider="azure", api_key="azure-key")
    assert caught.value.param == "base_url"
    with OpenAI(provider="azure", base_url=server.url, api_key="azure-key") as client:
        client.chat.completions.create(HELLO, model="gpt-4o-mini")
        sent = server.last_request
        assert sent.headers["api-key"] == "[redacted]"
        assert "authorization" not in sent.headers
        assert sent.params["api-version"] == "2024-10-21"
        # The caller's own api-version wins.
        client.chat.completions.create(HELLO, model="gpt-4o-mini", extra_query={"api-version": "2025-01-01"})
        assert server.last_request.query.count(("api-version", "2025-01-01")) == 1
        assert [k for k, _ in server.last_request.query].count("api-version") == 1


def test_a_sent_azure_request_has_its_key_concealed(server: LocalServer) -> None:
    from completionkit import NotFoundError

    with (
        OpenAI(provider="azure", base_url=server.url, api_key="azure-secret-key") as client,
        pytest.raises(NotFoundError) as caught,
    ):
        client.chat.completions.retrieve("chatcmpl-none")
    request = caught.value.request
    assert request is not None
    assert "azure-secret-key" not in str(request.headers)
    assert request.headers["api-key"] == "**********"


def test_a_base_url_of_no_provider_is_a_custom_server_nothing_is_adapted_for(server: LocalServer) -> None:
    with OpenAI(base_url=server.url, api_key="k") as client:
        assert client.provider.name == "custom"
        assert client.provider.profile.name == "compatible"
        client.chat.completions.create(HELLO, model="m", max_tokens=5, tool_choice="none")
        stream = client.chat.completions.stream(HELLO, model="m", stream_options={"include_usage": True})
        with stream:
            stream.final()
    bodies = [r.body for r in server.requests]
    assert bodies[0]["max_tokens"] == 5
    assert bodies[0]["tool_choice"] == "none"
    assert bodies[1]["stream_options"] == {"include_usage": True}


def test_the_default_is_openai() -> None:
    with OpenAI(api_key="k") as client:
        assert client.provider.name == "openai"
        assert client.base_url == "https://api.openai.com/v1"


# --- provider:model in a call ------------------------------------------------------------


def test_a_provider_model_call_goes_to_that_provider(
    server: LocalServer, other: LocalServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _providers_file(
        tmp_path,
        f'[providers.groq]\nbase_url = "{other.url}"\n\n[models]\nfast = "groq:llama-3.1-8b-instant"\n',
    )
    monkeypatch.setenv("GROQ_API_KEY", "gsk-call")
    with OpenAI(base_url=server.url, api_key="k", providers_file=path) as client:
        result = client.chat.completions.create(HELLO, model="groq:llama-3.1-8b-instant")
        assert result.model == "llama-3.1-8b-instant"
        client.chat.completions.create(HELLO, model="fast")
        # A model of no provider's name goes to the client's own server, colons and all.
        client.chat.completions.create(HELLO, model="llama3.2:1b")
    assert [r.body["model"] for r in other.requests] == ["llama-3.1-8b-instant", "llama-3.1-8b-instant"]
    assert [r.body["model"] for r in server.requests] == ["llama3.2:1b"]


def test_the_async_client_routes_provider_model_calls_too(
    server: LocalServer, other: LocalServer, tmp_path: Path
) -> None:
    path = _providers_file(tmp_path, f'[providers.vllm]\nbase_url = "{other.url}"\n')

    async def run() -> None:
        async with AsyncOpenAI(base_url=server.url, api_key="k", providers_file=path) as client:
            await client.chat.completions.create(HELLO, model="vllm:Qwen/Qwen3-8B")

    asyncio.run(run())
    assert other.last_request.body["model"] == "Qwen/Qwen3-8B"
    assert "authorization" not in other.last_request.headers
    assert server.requests == []


def test_a_provider_model_call_without_the_providers_key_sends_nothing(
    server: LocalServer, tmp_path: Path
) -> None:
    path = _providers_file(tmp_path, f'[providers.groq]\nbase_url = "{server.url}"\n')
    with (
        OpenAI(base_url=server.url, api_key="k", providers_file=path) as client,
        pytest.raises(MissingAPIKeyError, match="GROQ_API_KEY"),
    ):
        client.chat.completions.create(HELLO, model="groq:llama")
    assert server.requests == []


def test_a_bad_providers_file_names_the_file_and_the_key(tmp_path: Path) -> None:
    path = _providers_file(tmp_path, '[providers.work]\nbase_url = "ftp://nowhere"\n')
    with pytest.raises(ProvidersFileError) as caught:
        OpenAI(api_key="k", providers_file=path)
    assert caught.value.path == str(path)
    assert caught.value.param == "providers.work.base_url"


# --- adaptations -------------------------------------------------------------------------


def test_groq_streams_without_stream_options_logged_once(
    server: LocalServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="completionkit")
    with OpenAI(provider="groq", base_url=server.url, api_key="k") as client:
        for _ in range(2):
            with client.chat.completions.stream(
                HELLO, model="m", stream_options={"include_usage": True}
            ) as s:
                s.final()
    assert all("stream_options" not in r.body for r in server.requests)
    logged = [r.getMessage() for r in caplog.records if "stream_options" in r.getMessage()]
    assert len(logged) == 1
    assert "groq" in logged[0]


def test_max_completion_tokens_is_sent_as_max_tokens_where_only_that_is_honoured(server: LocalServer) -> None:
    with OpenAI(provider="mistral", base_url=server.url, api_key="k") as client:
        result = client.chat.completions.create(HELLO, model="m", max_completion_tokens=1)
    assert server.last_request.body["max_tokens"] == 1
    assert "max_completion_tokens" not in server.last_request.body
    assert result.choice.finish_reason == "length"


def test_openai_takes_max_completion_tokens_and_no_tool_choice_without_tools(server: LocalServer) -> None:
    with OpenAI(provider="openai", base_url=server.url, api_key="k") as client:
        client.chat.completions.create(HELLO, model="o3-mini", max_tokens=4, tool_choice="none")
        sent = server.last_request.body
        assert sent["max_completion_tokens"] == 4
        assert "max_tokens" not in sent
        assert "tool_choice" not in sent
        # With tools, tool_choice is the provider's to take: it is sent.
        tools = [{"type": "function", "function": {"name": "f", "parameters": {"type": "object"}}}]
        client.chat.completions.create(HELLO, model="o3-mini", tools=tools, tool_choice="none")
        assert server.last_request.body["tool_choice"] == "none"


def test_what_a_provider_takes_is_sent_as_given(server: LocalServer) -> None:
    with OpenAI(provider="vllm", base_url=server.url) as client:
        client.chat.completions.create(HELLO, model="m", max_tokens=3)
        assert server.last_request.body["max_tokens"] == 3
        client.chat.completions.create(HELLO, model="m", max_completion_tokens=3)
        assert server.last_request.body["max_completion_tokens"] == 3
        with client.chat.completions.stream(HELLO, model="m", stream_options={"include_usage": True}) as s:
            s.final()
        assert server.last_request.body["stream_options"] == {"include_usage": True}


def test_strict_params_refuses_an_adaptation_before_sending(server: LocalServer) -> None:
    with OpenAI(provider="mistral", base_url=server.url, api_key="k", strict_params=True) as client:
        with pytest.raises(InvalidRequestError) as caught:
            client.chat.completions.create(HELLO, model="m", max_completion_tokens=5)
        assert caught.value.param == "max_completion_tokens"
        assert "mistral" in str(caught.value)
        # What needs no adaptation goes.
        client.chat.completions.create(HELLO, model="m", max_tokens=5)
        # A copy keeps its strictness; with_options can lift it.
        with pytest.raises(InvalidRequestError):
            client.with_options(timeout=5).chat.completions.create(HELLO, model="m", max_completion_tokens=5)
        client.with_options(strict_params=False).chat.completions.create(
            HELLO, model="m", max_completion_tokens=5
        )
    assert len(server.requests) == 2


def test_both_max_token_fields_for_a_provider_of_one_is_refused(server: LocalServer) -> None:
    with (
        OpenAI(provider="ollama", base_url=server.url) as client,
        pytest.raises(InvalidRequestError, match="give one"),
    ):
        client.chat.completions.create(HELLO, model="m", max_tokens=3, max_completion_tokens=3)
    assert server.requests == []


def test_a_bulk_run_is_adapted_too(server: LocalServer) -> None:
    lines = [
        {
            "custom_id": "a",
            "body": {
                "model": "m",
                "messages": [{"role": "user", "content": "hi"}],
                "max_completion_tokens": 2,
            },
        }
    ]
    with OpenAI(provider="deepseek", base_url=server.url, api_key="k") as client:
        outcomes = list(client.chat.completions.bulk(lines, progress=False))
    assert outcomes[0].success
    assert server.last_request.body["max_tokens"] == 2


# --- copies and pickles ------------------------------------------------------------------


def test_with_options_keeps_the_provider(server: LocalServer) -> None:
    with OpenAI(provider="groq", base_url=server.url, api_key="k") as client:
        copy = client.with_options(timeout=3)
        assert copy.provider == client.provider
        with copy.chat.completions.stream(HELLO, model="m", stream_options={"include_usage": True}) as s:
            s.final()
    assert "stream_options" not in server.last_request.body


def test_a_pickled_client_keeps_its_provider(monkeypatch: pytest.MonkeyPatch, server: LocalServer) -> None:
    monkeypatch.setenv("GROQ_API_KEY", "gsk-pickled")
    client = OpenAI(provider="groq", base_url=server.url)
    data = pickle.dumps(client)
    assert b"gsk-pickled" not in data
    copy = pickle.loads(data)
    assert copy.provider == client.provider
    assert copy.base_url == server.url
    copy.chat.completions.create(HELLO, model="m")
    client.close()


def test_a_key_from_the_providers_file_is_read_again_not_pickled(tmp_path: Path, server: LocalServer) -> None:
    path = _providers_file(
        tmp_path, f'[providers.work]\nbase_url = "{server.url}"\napi_key = "sk-file-secret"\n'
    )
    client = OpenAI(provider="work", providers_file=path)
    data = pickle.dumps(client)
    assert b"sk-file-secret" not in data
    copy = pickle.loads(data)
    copy.chat.completions.create(HELLO, model="m")
    assert server.last_request.headers["authorization"] == "[redacted]"
    assert "sk-file-secret" not in repr(copy.provider)
    client.close()


# --- errors in a provider's own shape ------------------------------------------------------


def test_mistral_s_and_vllm_s_error_objects_are_read_for_their_message() -> None:
    from completionkit import BadRequestError, UnprocessableEntityError

    with LocalServer(profile="mistral") as mistral, OpenAI(base_url=mistral.url, api_key="k") as client:
        with pytest.raises(UnprocessableEntityError) as refused:
            client.chat.completions.create(HELLO, model="m", seed=3, max_completion_tokens=4)
        assert refused.value.param == "max_completion_tokens"
        assert "seed" in refused.value.message
        assert not refused.value.message.startswith("Error code")
    with LocalServer(profile="vllm") as vllm, OpenAI(base_url=vllm.url, api_key="k") as client:
        with pytest.raises(BadRequestError) as bad:
            client.chat.completions.create(HELLO, model="m", tool_choice="none")
        assert "tools" in bad.value.message
        assert bad.value.code == "400"


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=20,
)
_ERROR_KEYS = st.sampled_from(["message", "detail", "loc", "msg", "type", "param", "code", "object"])


@given(
    body=st.dictionaries(_ERROR_KEYS, _JSON, max_size=6),
    status=st.sampled_from([400, 404, 422, 500]),
)
def test_any_top_level_error_object_is_a_typed_error(body: dict[str, object], status: int) -> None:
    import httpx2

    from completionkit import APIStatusError
    from completionkit._answers import error_from_response
    from completionkit._decoding import encode_json
    from completionkit._generated.models import ErrorResponse

    request = httpx2.Request("POST", "http://127.0.0.1/v1/chat/completions")
    error = error_from_response(
        httpx2.Response(status, content=encode_json(body), request=request), ErrorResponse
    )
    assert isinstance(error, APIStatusError)
    assert isinstance(error.message, str)
    assert error.message
