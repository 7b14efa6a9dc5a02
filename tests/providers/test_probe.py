"""``probe``: what it finds out from a live server, against the local server playing each
provider (``LocalServer(profile=...)``) on 127.0.0.1."""

from __future__ import annotations

import dataclasses
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx2
import pytest

from completionkit import (
    APIConnectionError,
    AuthenticationError,
    InternalServerError,
    InvalidRequestError,
    NotFoundError,
    RateLimitError,
)
from completionkit._probe import ProbeCheck, ProbeReport, probe
from completionkit._provider_file import Providers
from completionkit._providers import AZURE_API_VERSION, BUILTIN_PROFILES, ProviderProfile
from completionkit.testing import Fault, LocalServer

KEY = "sk-probe-0123456789abcdef"

# OpenAI's (and Azure's) reasoning models refuse max_tokens, and its other models take
# both fields: only a reasoning model shows the field its profile sends.
MODELS = {"openai": "o3-mini", "azure": "o3-mini"}


def _expected(name: str, probed: str = "probed") -> ProviderProfile:
    return dataclasses.replace(BUILTIN_PROFILES[name], name=probed)


def _shows_no_key(*texts: str) -> None:
    for text in texts:
        assert KEY not in text


@pytest.fixture
def closed_url() -> Iterator[str]:
    """A URL on 127.0.0.1 where nothing listens: a socket bound and never listening
    keeps the port from anyone else and refuses every connection."""
    with socket.socket() as bound:
        bound.bind(("127.0.0.1", 0))
        yield f"http://127.0.0.1:{bound.getsockname()[1]}/v1"


# --- every built-in profile --------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(BUILTIN_PROFILES))
def test_the_probe_finds_the_profile_each_provider_plays(name: str) -> None:
    with LocalServer(profile=name, api_key=KEY) as server:
        report = probe(server.url, api_key=KEY, model=MODELS.get(name))
        assert report.profile == _expected(name)
        assert report.key_required
        assert report.models, "every emulated server lists its models"
        assert report.model == MODELS.get(name, report.models[0])
        assert report.base_url == server.url
        assert all(
            isinstance(check, ProbeCheck) and check.tried and check.concluded for check in report.checks
        )
        _shows_no_key(repr(report), str(report), *map(str, report.checks))
        # Every create went with what the server needs (Azure's first GET went without).
        creates = [r for r in server.requests if r.operation_id == "createChatCompletion"]
        assert creates
        assert all(r.params.get("api-version") == report.query.get("api-version") for r in creates)
    assert report.query == ({"api-version": AZURE_API_VERSION} if name == "azure" else {})


def test_azure_needs_its_api_key_header_and_api_version() -> None:
    with LocalServer(profile="azure", api_key=KEY) as server:
        report = probe(server.url, api_key=KEY, model="o3-mini")
    assert report.profile.auth == "api-key"
    assert report.query == {"api-version": AZURE_API_VERSION}
    tried = [check.tried for check in report.checks]
    assert any("without api-version" in t for t in tried)
    assert "GET /models with api-key" in tried
    provider = report.provider("my-azure", api_key_env="MY_AZURE_KEY")
    assert provider.query == {"api-version": AZURE_API_VERSION}
    assert provider.profile.auth == "api-key"
    assert provider.api_key_env == "MY_AZURE_KEY"
    assert provider.api_key is None


def test_a_model_that_takes_both_fields_says_both() -> None:
    # gpt-4o-mini, the first listed, takes max_tokens as well: the probe says what it saw.
    with LocalServer(profile="openai", api_key=KEY) as server:
        report = probe(server.url, api_key=KEY)
    assert report.model == "gpt-4o-mini"
    assert report.profile.max_tokens_field == "both"
    assert report.profile == dataclasses.replace(_expected("openai"), max_tokens_field="both")


def test_each_check_says_what_was_tried_its_status_and_what_it_showed() -> None:
    with LocalServer(profile="groq", api_key=KEY) as server:
        report = probe(server.url, api_key=KEY)
    checks = {check.tried: check for check in report.checks}
    refused = checks["stream with stream_options"]
    assert refused.status == 400
    assert "stream_options=False" in refused.concluded
    assert "x_groq.usage" in checks["stream without stream_options"].concluded
    assert checks["create with max_completion_tokens=1"].status == 200
    assert str(refused).startswith("stream with stream_options: 400 -> ")


# --- keys --------------------------------------------------------------------------------


def test_a_server_that_needs_no_key_is_probed_without_one() -> None:
    with LocalServer(profile="ollama") as server:
        report = probe(server.url)
        assert all("authorization" not in r.headers and "api-key" not in r.headers for r in server.requests)
    assert report.profile == _expected("ollama")
    assert not report.key_required


def test_a_key_the_server_does_not_need_is_found_not_required() -> None:
    with LocalServer(profile="vllm") as server:
        report = probe(server.url, api_key=KEY)
    assert report.profile == _expected("vllm")
    assert not report.key_required
    assert not report.provider("vllm-box").key_required


@pytest.mark.parametrize("name", ["openai", "azure"])
def test_a_refused_key_is_an_authentication_error(name: str) -> None:
    with LocalServer(profile=name, api_key=KEY) as server, pytest.raises(AuthenticationError) as caught:
        probe(server.url, api_key="sk-wrong-key-000000")
    error = caught.value
    assert "/models" in error.message
    assert error.status_code == 401
    assert error.response is not None
    assert "sk-wrong-key-000000" not in str(error.response.request.headers)


def test_no_key_for_a_server_that_needs_one_says_to_give_one() -> None:
    with LocalServer(profile="groq", api_key=KEY) as server, pytest.raises(AuthenticationError) as caught:
        probe(server.url)
    assert "api_key=" in caught.value.message


def test_the_key_is_never_shown_even_when_the_server_echoes_it() -> None:
    echoed = Fault.http_error(401, message=f"Incorrect API key provided: {KEY}")
    with LocalServer(profile="openai", api_key=KEY) as server:
        server.inject(echoed, times=2, operation="listModels")
        with pytest.raises(AuthenticationError) as caught:
            probe(server.url, api_key=KEY)
    error = caught.value
    _shows_no_key(str(error), repr(error), error.message)
    assert error.response is not None
    _shows_no_key(str(error.response.request.headers))


# --- what the server lacks or fails ----------------------------------------------------


def test_a_server_without_a_models_list_is_probed_with_the_model_given() -> None:
    with LocalServer(profile="mistral", api_key=KEY) as server:
        server.inject(Fault.http_error(404), times=2, operation="listModels")
        report = probe(server.url, api_key=KEY, model="mistral-small-latest")
    assert report.models == ()
    assert report.model == "mistral-small-latest"
    assert report.profile == _expected("mistral")
    assert any("no models list" in check.concluded for check in report.checks)


def test_azure_without_a_models_list_finds_its_key_header_on_the_first_create() -> None:
    with LocalServer(profile="azure", api_key=KEY) as server:
        server.inject(Fault.http_error(404), times=2, operation="listModels")
        report = probe(server.url, api_key=KEY, model="o3-mini")
    assert report.profile == _expected("azure")
    assert report.query == {"api-version": AZURE_API_VERSION}


def test_without_a_models_list_the_model_must_be_given() -> None:
    with LocalServer(profile="mistral", api_key=KEY) as server:
        server.inject(Fault.http_error(404), times=2, operation="listModels")
        with pytest.raises(NotFoundError) as caught:
            probe(server.url, api_key=KEY)
    assert "model=" in caught.value.message


def test_429s_and_5xxs_are_sent_again_and_conclude_nothing() -> None:
    with LocalServer(profile="together", api_key=KEY) as server:
        server.inject(Fault.http_error(503, retry_after=0), times=2, operation="createChatCompletion")
        server.inject(Fault.rate_limit(retry_after=0), times=2, operation="listModels")
        report = probe(server.url, api_key=KEY)
        assert server.pending_faults == 0
    assert report.profile == _expected("together")
    assert all(check.status < 429 for check in report.checks)


def test_a_check_that_keeps_failing_says_which() -> None:
    with LocalServer(profile="groq", api_key=KEY) as server:
        server.inject(Fault.http_error(503, retry_after=0), times=3, operation="createChatCompletion")
        with pytest.raises(InternalServerError) as caught:
            probe(server.url, api_key=KEY)
    assert "create with max_completion_tokens=1" in caught.value.message
    assert caught.value.attempts == 3


def test_an_account_out_of_credit_is_not_tried_again() -> None:
    with LocalServer(profile="openai", api_key=KEY) as server:
        server.inject(Fault.insufficient_quota(), times=3, operation="createChatCompletion")
        with pytest.raises(RateLimitError) as caught:
            probe(server.url, api_key=KEY)
        assert server.pending_faults == 2
    assert caught.value.attempts == 1


def test_nothing_listening_is_a_connection_error(closed_url: str) -> None:
    with pytest.raises(APIConnectionError):
        probe(closed_url, api_key=KEY)


# --- arguments ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("arguments", "param"),
    [
        ({"base_url": "ftp://127.0.0.1/v1"}, "base_url"),
        ({"base_url": "no url at all"}, "base_url"),
        ({"base_url": 42}, "base_url"),
        ({"api_key": ""}, "api_key"),
        ({"api_key": f"{KEY}\nX-Injected: 1"}, "api_key"),
        ({"api_key": 42}, "api_key"),
        ({"model": " "}, "model"),
        ({"model": 3}, "model"),
        ({"name": ""}, "name"),
        ({"headers": {"bad name": "x"}}, "headers"),
        ({"headers": {"X-Trace": "a\r\nb"}}, "headers[X-Trace]"),
        ({"headers": ["X-Trace"]}, "headers"),
        ({"query": {"tenant": 1}}, "query"),
        ({"query": "tenant=a"}, "query"),
        ({"timeout": -1}, "timeout"),
        ({"timeout": "soon"}, "timeout"),
        ({"http_client": object()}, "http_client"),
    ],
)
def test_bad_arguments_are_refused_before_anything_is_sent(
    closed_url: str, arguments: dict[str, Any], param: str
) -> None:
    # Nothing listens at closed_url: an argument let through would meet a connection error.
    call: dict[str, Any] = {"base_url": closed_url, "api_key": KEY, **arguments}
    base_url = call.pop("base_url")
    with pytest.raises(InvalidRequestError) as caught:
        probe(base_url, **call)
    assert caught.value.param == param.replace("X-Trace", "'X-Trace'")
    _shows_no_key(str(caught.value))


@pytest.mark.parametrize(("name", "api_key_env", "param"), [("", None, "name"), ("mine", " ", "api_key_env")])
def test_a_provider_needs_a_name(name: str, api_key_env: str | None, param: str) -> None:
    report = ProbeReport("http://127.0.0.1:1/v1", _expected("compatible"), (), "m", (), key_required=False)
    with pytest.raises(InvalidRequestError) as caught:
        report.provider(name, api_key_env=api_key_env)
    assert caught.value.param == param


# --- what the report gives -------------------------------------------------------------


def test_headers_and_query_go_with_every_request_and_into_the_provider() -> None:
    headers = {"X-Tenant": "blue"}
    with LocalServer(profile="lmstudio", api_key=KEY) as server:
        url = server.url
        report = probe(url, api_key=KEY, name="studio", headers=headers, query={"region": "eu"})
        assert server.requests
        assert all(
            r.headers.get("x-tenant") == "blue" and r.params.get("region") == "eu" for r in server.requests
        )
    assert report.profile == _expected("lmstudio", "studio")
    assert "blue" not in repr(report)  # a header may hold a secret
    provider = report.provider("studio", api_key_env="STUDIO_KEY")
    assert dict(provider.headers) == headers
    assert dict(provider.query) == {"region": "eu"}
    assert provider.base_url == url
    assert provider.profile == report.profile


def test_a_given_http_client_is_used_and_left_open() -> None:
    with LocalServer(profile="deepseek", api_key=KEY) as server, httpx2.Client() as http:
        report = probe(server.url, api_key=KEY, http_client=http)
        assert not http.is_closed
    assert report.profile == _expected("deepseek")


def test_the_report_writes_an_entry_of_the_providers_file_that_loads_back(tmp_path: Path) -> None:
    with LocalServer(profile="azure", api_key=KEY) as server:
        report = probe(server.url, api_key=KEY, model="o3-mini")
    text = report.to_toml("work-azure", api_key_env="WORK_AZURE_KEY")
    _shows_no_key(text)
    path = tmp_path / "providers.toml"
    path.write_text(text, "utf-8")
    loaded = Providers.load(path).get("work-azure")
    assert loaded == report.provider("work-azure", api_key_env="WORK_AZURE_KEY")
