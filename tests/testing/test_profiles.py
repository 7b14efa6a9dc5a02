"""The local server playing each provider (``LocalServer(profile=...)``): its refusals with
their statuses and bodies, the fields it ignores, where a stream's usage comes, the
reasoning field, its rate-limit headers or their absence, Azure's key and api-version,
and ``GET /v1/models`` on every server.

Each behaviour is asked of every built-in profile and expected from the profile's
fields; the wording and shape of a refusal from the provider's name.  Raw httpx2 first
(what is on the wire), then the completionkit client (which typed error it raises).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx2
import pytest

from completionkit import (
    AuthenticationError,
    BadRequestError,
    NotFoundError,
    OpenAI,
    RateLimitError,
    UnprocessableEntityError,
)
from completionkit._providers import BUILTIN_PROFILES, ProviderProfile
from completionkit.testing import LocalServer, RateLimits, Reply
from completionkit.testing.__main__ import main

from ..command_line_server import command_line_server
from .conftest import sse_data

Json = Any

NAMES = sorted(BUILTIN_PROFILES)
API_VERSION = "2024-10-21"
# What the test knows of the providers beyond their profiles: who refuses unknown fields
# (with a 422), whose wording is whose, who wants api-version.
REFUSES_UNKNOWN_FIELDS = {"mistral"}
NEEDS_API_VERSION = {"azure"}
OPENAI_RATE_LIMIT_HEADERS = tuple(
    f"x-ratelimit-{kind}-{unit}"
    for unit in ("requests", "tokens")
    for kind in ("limit", "remaining", "reset")
)
PER_SECOND_HEADERS = (
    "x-ratelimit-limit",
    "x-ratelimit-remaining",
    "x-ratelimit-reset",
    "x-ratelimit-limit-tokens",
    "x-ratelimit-remaining-tokens",
)


def _query(name: str | None) -> dict[str, str]:
    return {"api-version": API_VERSION} if name in NEEDS_API_VERSION else {}


@pytest.fixture(scope="module", params=NAMES)
def played(request: pytest.FixtureRequest) -> Iterator[LocalServer]:
    """One server per built-in profile, for the whole module (nothing here changes it
    for the next test: the queued replies are all used)."""
    with LocalServer(profile=request.param) as server:
        yield server


@pytest.fixture
def profile(played: LocalServer) -> ProviderProfile:
    assert played.profile is not None
    return played.profile


@pytest.fixture
def http(played: LocalServer) -> Iterator[httpx2.Client]:
    assert played.profile is not None
    with httpx2.Client(base_url=played.url, params=_query(played.profile.name), timeout=30) as client:
        yield client


def create(http: httpx2.Client, content: str = "one two three four", **fields: Any) -> httpx2.Response:
    body = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": content}], **fields}
    return http.post("/chat/completions", json=body)


def chunks(response: httpx2.Response) -> list[Json]:
    assert response.status_code == 200, response.text
    data = sse_data(response.content)
    assert data[-1] == b"[DONE]"
    return [json.loads(d) for d in data[:-1]]


def deltas(events: list[Json], field: str) -> list[str]:
    found = [c["choices"][0]["delta"] for c in events if c["choices"]]
    return [delta[field] for delta in found if field in delta]


def openai_error(response: httpx2.Response) -> Json:
    """The API's error object of an answer, checked for its shape."""
    body = response.json()
    assert set(body) == {"error"}
    assert isinstance(body["error"]["message"], str)
    return body["error"]


# --- choosing a profile ---------------------------------------------------------------


def test_a_name_is_a_built_in_profile_and_none_the_spec() -> None:
    assert LocalServer(profile="groq").profile is BUILTIN_PROFILES["groq"]
    assert LocalServer("mistral").profile is BUILTIN_PROFILES["mistral"]
    assert LocalServer().profile is None
    custom = ProviderProfile("mine", stream_options=False)
    assert LocalServer(profile=custom).profile is custom


def test_an_unknown_name_is_a_value_error_listing_the_names() -> None:
    with pytest.raises(ValueError, match="'grok'") as raised:
        LocalServer(profile="grok")
    assert all(name in str(raised.value) for name in NAMES)


def test_the_repr_names_the_profile() -> None:
    assert "profile='ollama'" in repr(LocalServer(profile="ollama"))
    assert "profile" not in repr(LocalServer())


# --- GET /v1/models -------------------------------------------------------------------


def _check_models(response: httpx2.Response) -> list[str]:
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["object"] == "list"
    assert body["data"]
    for model in body["data"]:
        assert set(model) == {"id", "object", "created", "owned_by"}
        assert model["object"] == "model"
        assert isinstance(model["id"], str)
        assert isinstance(model["owned_by"], str)
        assert isinstance(model["created"], int)
    return [model["id"] for model in body["data"]]


def test_models_are_listed_by_every_profile(played: LocalServer, http: httpx2.Client) -> None:
    played.clear_requests()
    ids = _check_models(http.get("/models"))
    assert len(set(ids)) == len(ids)
    assert played.last_request.operation_id == "listModels"
    assert played.last_request.path == "/v1/models"


def test_models_name_the_provider_s_models() -> None:
    for name, model in (("openai", "o3-mini"), ("ollama", "llama3.2"), ("deepseek", "deepseek-reasoner")):
        with LocalServer(profile=name) as server:
            assert model in _check_models(httpx2.get(f"{server.url}/models"))


def test_the_spec_server_lists_models_too() -> None:
    with LocalServer(api_key="sk-local") as server, httpx2.Client(base_url=server.url) as http:
        assert http.get("/models").status_code == 401  # the key, as everywhere else
        listed = http.get("/models", headers={"Authorization": "Bearer sk-local"})
        assert _check_models(listed) == ["gpt-4o-mini"]
        assert http.post("/models", headers={"Authorization": "Bearer sk-local"}).status_code == 405
        assert [r.operation_id for r in server.requests] == ["listModels", "listModels", None]


# --- the max-tokens field -------------------------------------------------------------


def test_max_tokens_of_a_reasoning_model(profile: ProviderProfile, http: httpx2.Client) -> None:
    response = create(http, model="o3-mini", max_tokens=2)
    if profile.max_tokens_field == "max_completion_tokens":
        assert response.status_code == 400
        error = openai_error(response)
        assert (error["type"], error["param"], error["code"]) == (
            "invalid_request_error",
            "max_tokens",
            "unsupported_parameter",
        )
        assert "max_completion_tokens" in error["message"]
    else:
        assert response.status_code == 200, response.text
        assert response.json()["choices"][0]["finish_reason"] == "length"


def test_max_tokens_of_another_model_is_honoured(http: httpx2.Client) -> None:
    # Every provider knows max_tokens; OpenAI's models other than its reasoning ones too.
    answer = create(http, max_tokens=2).json()
    assert answer["choices"][0]["message"]["content"] == "one two"
    assert answer["choices"][0]["finish_reason"] == "length"


def test_max_completion_tokens(profile: ProviderProfile, http: httpx2.Client) -> None:
    response = create(http, max_completion_tokens=2)
    if profile.max_tokens_field != "max_tokens":
        answer = response.json()
        assert (answer["choices"][0]["message"]["content"], answer["choices"][0]["finish_reason"]) == (
            "one two",
            "length",
        )
    elif profile.name in REFUSES_UNKNOWN_FIELDS:
        assert response.status_code == 422
        (detail,) = response.json()["message"]["detail"]
        assert (detail["type"], detail["loc"], detail["input"]) == (
            "extra_forbidden",
            ["body", "max_completion_tokens"],
            2,
        )
    else:  # ignored: the answer is not cut
        answer = response.json()
        assert answer["choices"][0]["message"]["content"] == "one two three four"
        assert answer["choices"][0]["finish_reason"] == "stop"
        assert answer["usage"]["completion_tokens"] >= 4


def test_an_ignored_max_completion_tokens_is_not_charged() -> None:
    # A rate limit counts what the provider reads: the ignored limit is not the answer's cost.
    with (
        LocalServer(profile="ollama", rate_limits=RateLimits(tokens_per_minute=1000)) as server,
        httpx2.Client(base_url=server.url) as http,
    ):
        assert create(http, max_completion_tokens=100_000).status_code == 200  # not "too large"
        assert create(http, max_tokens=100_000).status_code == 429  # what it reads, it charges


# --- stream_options and the usage of a stream -----------------------------------------


def test_stream_options(profile: ProviderProfile, http: httpx2.Client) -> None:
    response = create(http, stream=True, stream_options={"include_usage": True})
    if profile.stream_options:
        events = chunks(response)
        if profile.stream_usage == "never":
            assert all(e.get("usage") is None for e in events)
        else:
            assert events[-1]["choices"] == []
            assert events[-1]["usage"]["completion_tokens"] >= 4
    elif profile.name in REFUSES_UNKNOWN_FIELDS:
        assert response.status_code == 422
        body = response.json()
        assert (body["object"], body["type"], body["param"], body["code"]) == (
            "error",
            "invalid_request_error",
            None,
            None,
        )
        (detail,) = body["message"]["detail"]
        assert (detail["type"], detail["loc"], detail["input"]) == (
            "extra_forbidden",
            ["body", "stream_options"],
            {"include_usage": True},
        )
        assert isinstance(detail["msg"], str)
    else:
        assert response.status_code == 400
        error = openai_error(response)
        assert (error["type"], error["param"]) == ("invalid_request_error", "stream_options")
        assert "stream_options" in error["message"]


def test_stream_options_unstreamed(profile: ProviderProfile, http: httpx2.Client) -> None:
    # The provider's refusal of the field, or the spec's 400 (stream_options without stream).
    response = create(http, stream_options={"include_usage": True})
    if profile.name in REFUSES_UNKNOWN_FIELDS:
        assert response.status_code == 422
    else:
        assert response.status_code == 400
        assert openai_error(response)["param"] == "stream_options"


def test_usage_of_an_unasked_stream(profile: ProviderProfile, http: httpx2.Client) -> None:
    events = chunks(create(http, stream=True))
    last = events[-1]
    assert last["choices"][0]["finish_reason"] == "stop"
    if profile.stream_usage != "always":
        assert all("usage" not in e and "x_groq" not in e for e in events)
        return
    if profile.name == "groq":
        assert "usage" not in last
        assert last["x_groq"]["id"] == events[0]["x_groq"]["id"]
        usage = last["x_groq"]["usage"]
    else:
        usage = last["usage"]
        assert all("usage" not in e for e in events[:-1])
    assert usage["prompt_tokens"] == 4
    assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"]


def test_a_stream_that_never_tells_its_usage() -> None:
    never = ProviderProfile("quiet", stream_usage="never")
    with LocalServer(profile=never) as server, httpx2.Client(base_url=server.url) as http:
        for fields in ({}, {"stream_options": {"include_usage": True}}):
            events = chunks(create(http, stream=True, **fields))
            assert all("usage" not in e for e in events)


# --- reasoning ------------------------------------------------------------------------


def test_reasoning_field(profile: ProviderProfile, http: httpx2.Client) -> None:
    message = create(http).json()["choices"][0]["message"]
    field = profile.reasoning_field
    others = {"reasoning", "reasoning_content"} - {field}
    assert not others & set(message)
    if field is None:
        return
    assert message[field] == "The user said: one two three four"
    assert message["content"] == "one two three four"


def test_reasoning_deltas_come_before_the_content(profile: ProviderProfile, http: httpx2.Client) -> None:
    events = chunks(create(http, stream=True))
    field = profile.reasoning_field
    for other in {"reasoning", "reasoning_content"} - {field}:
        assert deltas(events, other) == []
    assert "".join(deltas(events, "content")) == "one two three four"
    if field is None:
        return
    assert "".join(deltas(events, field)) == "The user said: one two three four"
    kinds = [next(k for k in (field, "content") if k in e["choices"][0]["delta"]) for e in events[1:-1]]
    assert kinds == sorted(kinds, key=lambda kind: kind != field)  # all the reasoning first


def test_a_queued_reasoning(played: LocalServer, profile: ProviderProfile, http: httpx2.Client) -> None:
    played.queue(Reply.text("Paris.", reasoning="France's capital."), Reply(content="Rome.", reasoning=""))
    first = create(http).json()
    second = create(http).json()
    field = profile.reasoning_field
    if field is None:  # a server whose models do not reason sends none
        assert "reasoning" not in first["choices"][0]["message"]
        return
    assert first["choices"][0]["message"][field] == "France's capital."
    assert first["usage"]["completion_tokens_details"]["reasoning_tokens"] == 2
    assert first["usage"]["completion_tokens"] == 3  # the answer's word and the reasoning's two
    assert field not in second["choices"][0]["message"]  # "": no reasoning


def test_the_spec_server_reasons_only_when_told() -> None:
    with LocalServer() as server, httpx2.Client(base_url=server.url) as http:
        plain = create(http).json()["choices"][0]["message"]
        assert not {"reasoning", "reasoning_content"} & set(plain)
        server.queue(
            Reply.text("Paris.", reasoning="France's capital."), Reply.text("Paris.", reasoning="Hm.")
        )
        assert create(http).json()["choices"][0]["message"]["reasoning"] == "France's capital."
        events = chunks(create(http, stream=True))
        assert deltas(events, "reasoning") == ["Hm."]


# --- tool_choice without tools --------------------------------------------------------


def test_tool_choice_without_tools(profile: ProviderProfile, http: httpx2.Client) -> None:
    response = create(http, tool_choice="auto")
    if profile.tool_choice_without_tools == "ignored":
        answer = response.json()
        assert "tool_calls" not in answer["choices"][0]["message"]
        assert answer["choices"][0]["message"]["content"] == "one two three four"
        return
    assert response.status_code == 400
    if profile.name == "vllm":
        body = response.json()
        assert (body["object"], body["type"], body["param"], body["code"]) == (
            "error",
            "BadRequestError",
            None,
            400,
        )
        assert "tools" in body["message"]
    else:
        error = openai_error(response)
        assert (error["type"], error["param"]) == ("invalid_request_error", "tool_choice")


def test_tool_choice_with_tools_is_taken(http: httpx2.Client) -> None:
    tools = [{"type": "function", "function": {"name": "lookup", "parameters": {"type": "object"}}}]
    answer = create(http, tools=tools, tool_choice="required").json()
    assert answer["choices"][0]["message"]["tool_calls"][0]["function"]["name"] == "lookup"


# --- what every answer keeps ----------------------------------------------------------


def test_the_model_sent_is_the_model_echoed(http: httpx2.Client) -> None:
    assert create(http, model="some/model:tag").json()["model"] == "some/model:tag"
    assert {e["model"] for e in chunks(create(http, model="some/model:tag", stream=True))} == {
        "some/model:tag"
    }


# --- rate-limit headers ---------------------------------------------------------------


def test_rate_limit_headers(profile: ProviderProfile, http: httpx2.Client) -> None:
    for response in (create(http), create(http, stream=True)):
        assert response.status_code == 200
        present = {name for name in response.headers if name.startswith("x-ratelimit")}
        if profile.rate_limit_headers == "openai":
            assert present == set(OPENAI_RATE_LIMIT_HEADERS)
        elif profile.rate_limit_headers == "per_second":
            assert present == set(PER_SECOND_HEADERS)
            assert all(response.headers[name].isdigit() for name in PER_SECOND_HEADERS)
        else:
            assert present == set()
    assert not any(name.startswith("x-ratelimit") for name in http.get("/models").headers)


def test_the_default_limits_are_generous_and_told() -> None:
    with LocalServer(profile="openai") as server, httpx2.Client(base_url=server.url) as http:
        assert server.rate_limits is not None
        assert int(create(http).headers["x-ratelimit-limit-requests"]) >= 10_000
        server.set_rate_limits(None)  # the defaults again, not none
        assert server.rate_limits is not None
    with LocalServer(profile="together") as server, httpx2.Client(base_url=server.url) as http:
        assert create(http).headers["x-ratelimit-limit"] == "100"  # a second
    with LocalServer(profile="vllm") as server:
        assert server.rate_limits is None


@pytest.mark.parametrize("name", NAMES)
def test_kept_limits_refuse_with_the_provider_s_headers(name: str) -> None:
    # Three requests a minute: the second comes long before the bucket refills.
    style = BUILTIN_PROFILES[name].rate_limit_headers
    with (
        LocalServer(profile=name, rate_limits=RateLimits(requests_per_minute=3)) as server,
        httpx2.Client(base_url=server.url, params=_query(name)) as http,
    ):
        if style != "per_second":  # the per-minute bucket holds three
            assert [create(http).status_code for _ in range(3)] == [200, 200, 200]
        else:  # the per-second one a second's share, at least one
            assert create(http).headers["x-ratelimit-limit"] == "1"
        refused = create(http)
    assert refused.status_code == 429
    assert openai_error(refused)["code"] == "rate_limit_exceeded"
    present = {h for h in refused.headers if h.startswith(("x-ratelimit", "retry-after"))}
    if style == "openai":  # the requests' (no token limit is kept), and the wait
        assert present == {*OPENAI_RATE_LIMIT_HEADERS[:3], "retry-after", "retry-after-ms"}
    elif style == "per_second":
        assert refused.headers["x-ratelimit-remaining"] == "0"
        assert int(refused.headers["retry-after"]) >= 1
    else:
        assert present == set()


# --- the key, and Azure's api-version -------------------------------------------------


@pytest.fixture(scope="module")
def azure() -> Iterator[LocalServer]:
    with LocalServer(profile="azure", api_key="az-key") as server:
        yield server


class TestAzure:
    def test_the_key_is_read_from_api_key(self, azure: LocalServer) -> None:
        with httpx2.Client(base_url=azure.url, params={"api-version": API_VERSION}) as http:
            assert create(http).status_code == 401
            right = http.post(
                "/chat/completions",
                json={"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "Hi"}]},
                headers={"api-key": "az-key"},
            )
            assert right.status_code == 200
            assert azure.last_request.headers["api-key"] == "[redacted]"
            for headers in ({"Authorization": "Bearer az-key"}, {"api-key": "wrong"}):
                refused = http.get("/models", headers=headers)
                assert refused.status_code == 401
                body = refused.json()
                assert body["error"]["code"] == "401"
            assert http.get("/models", headers={"api-key": "az-key"}).status_code == 200

    def test_every_request_names_the_api_version(self, azure: LocalServer) -> None:
        with httpx2.Client(base_url=azure.url, headers={"api-key": "az-key"}) as http:
            for response in (create(http), http.get("/models"), http.get("/chat/completions")):
                assert response.status_code == 404
                assert response.json() == {"error": {"code": "404", "message": "Resource not found"}}
            assert http.get("/chat/completions", params={"api-version": API_VERSION}).status_code == 200

    def test_without_a_key_the_version_is_still_needed(self) -> None:
        with LocalServer(profile="azure") as server, httpx2.Client(base_url=server.url) as http:
            assert create(http).status_code == 404
            assert http.get("/models", params={"api-version": "any"}).status_code == 200


def test_bearer_profiles_ignore_api_key() -> None:
    with LocalServer(profile="groq", api_key="gsk") as server, httpx2.Client(base_url=server.url) as http:
        assert http.get("/models", headers={"api-key": "gsk"}).status_code == 401
        assert http.get("/models", headers={"Authorization": "Bearer gsk"}).status_code == 200


# --- a custom profile is played from its fields ---------------------------------------


def test_a_custom_profile_is_played_from_its_fields() -> None:
    custom = ProviderProfile(
        "in-house",
        max_tokens_field="max_tokens",
        stream_options=False,
        stream_usage="always",
        reasoning_field="reasoning_content",
        tool_choice_without_tools="refused",
        rate_limit_headers="openai",
    )
    with LocalServer(profile=custom) as server, httpx2.Client(base_url=server.url) as http:
        refused = create(http, stream=True, stream_options={"include_usage": True})
        assert refused.status_code == 400
        assert openai_error(refused)["param"] == "stream_options"
        assert openai_error(create(http, tool_choice="none"))["param"] == "tool_choice"
        answer = create(http, max_completion_tokens=1)
        assert answer.json()["choices"][0]["message"]["content"] == "one two three four"
        assert answer.json()["choices"][0]["message"]["reasoning_content"].startswith("The user said")
        assert "x-ratelimit-limit-requests" in answer.headers
        assert "usage" in chunks(create(http, stream=True))[-1]


# --- the command line -----------------------------------------------------------------


def test_the_command_line_plays_a_profile() -> None:
    with command_line_server("--profile", "vllm") as url, httpx2.Client(base_url=url) as http:
        refused = create(http, tool_choice="auto")
        assert refused.status_code == 400
        assert refused.json()["type"] == "BadRequestError"
        assert "Qwen/Qwen3-8B" in _check_models(http.get("/models"))


def test_the_command_line_refuses_an_unknown_profile(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["--profile", "grok"])
    assert "groq" in capsys.readouterr().err


# --- the completionkit client meets each refusal --------------------------------------


MESSAGES: list[Any] = [{"role": "user", "content": "one two three"}]


def _client(server: LocalServer, **options: Any) -> OpenAI:
    return OpenAI(base_url=server.url, api_key="sk-local", max_retries=0, **options)


class TestTheClient:
    def test_a_reasoning_model_refuses_max_tokens(self) -> None:
        for name in ("openai", "azure"):
            with LocalServer(profile=name) as server, _client(server) as client:
                with pytest.raises(BadRequestError) as raised:
                    client.chat.completions.create(
                        MESSAGES, model="o3-mini", max_tokens=5, extra_query=_query(name)
                    )
                assert (raised.value.param, raised.value.code) == ("max_tokens", "unsupported_parameter")

    def test_tool_choice_without_tools(self) -> None:
        for name in ("openai", "vllm"):
            with LocalServer(profile=name) as server, _client(server) as client:
                with pytest.raises(BadRequestError) as raised:
                    client.chat.completions.create(MESSAGES, model="m", tool_choice="auto")
                assert raised.value.status == 400
                assert "tool" in str(raised.value)

    def test_groq_refuses_stream_options(self) -> None:
        with LocalServer(profile="groq") as server, _client(server) as client:
            with pytest.raises(BadRequestError) as raised:
                client.chat.completions.stream(
                    MESSAGES, model="m", stream_options={"include_usage": True}
                ).final()
            assert raised.value.param == "stream_options"

    def test_mistral_refuses_what_it_does_not_know(self) -> None:
        with LocalServer(profile="mistral") as server, _client(server) as client:
            with pytest.raises(UnprocessableEntityError) as raised:
                client.chat.completions.stream(
                    MESSAGES, model="m", stream_options={"include_usage": True}
                ).final()
            assert raised.value.status == 422
            assert "stream_options" in str(raised.value)
            body: Any = raised.value.body
            assert body["message"]["detail"][0]["loc"] == ["body", "stream_options"]
            with pytest.raises(UnprocessableEntityError) as again:
                client.chat.completions.create(MESSAGES, model="m", max_completion_tokens=5)
            assert "max_completion_tokens" in str(again.value)

    def test_azure_without_its_key_or_version(self) -> None:
        with LocalServer(profile="azure", api_key="az-key") as server:
            with _client(server) as client, pytest.raises(NotFoundError) as missing:
                client.chat.completions.create(MESSAGES, model="m")
            assert "Resource not found" in str(missing.value)
            with _client(server) as client, pytest.raises(AuthenticationError) as bearer:
                client.chat.completions.create(MESSAGES, model="m", extra_query=_query("azure"))
            assert bearer.value.code == "401"
            with _client(server, default_headers={"api-key": "az-key"}) as client:
                answer = client.chat.completions.create(MESSAGES, model="m", extra_query=_query("azure"))
                assert answer.choice.text == "one two three"

    def test_a_server_without_rate_limit_headers_refuses_without_them(self) -> None:
        with (
            LocalServer(profile="deepseek", rate_limits=RateLimits(requests_per_minute=1)) as server,
            _client(server) as client,
        ):
            client.chat.completions.create(MESSAGES, model="m")
            with pytest.raises(RateLimitError) as raised:
                client.chat.completions.create(MESSAGES, model="m")
            assert not [h for h in raised.value.headers if h.startswith(("x-ratelimit", "retry-after"))]

    def test_an_ignored_field_is_ignored(self) -> None:
        with LocalServer(profile="ollama") as server, _client(server) as client:
            answer = client.chat.completions.create(MESSAGES, model="llama3.2", max_completion_tokens=1)
            assert (answer.choice.text, answer.choice.finish_reason) == ("one two three", "stop")
