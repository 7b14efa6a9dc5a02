"""Each built-in provider's adaptations, end to end against the local server playing that
provider: what the client adapts goes through, and the same request sent unadapted (by a
client that knows only the URL) meets the provider's refusal, or is not honoured."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from completionkit import APIStatusError, InvalidRequestError, Message, OpenAI, ProviderProfile
from completionkit._providers import BUILTIN_PROVIDERS
from completionkit.testing import LocalServer

KEY = "sk-emulated"
HELLO = [Message.user("Tell me a long story about a cat")]
NAMES = sorted(BUILTIN_PROVIDERS)
# OpenAI's and Azure's reasoning models are the ones that refuse max_tokens.
MODEL = {"openai": "o3-mini", "azure": "o3-mini"}
PER = {"openai": "minute", "per_second": "second", "none": None}


@pytest.fixture(params=NAMES, scope="module")
def played(request: pytest.FixtureRequest) -> Iterator[tuple[str, LocalServer]]:
    name: str = request.param
    with LocalServer(profile=name, api_key=KEY) as server:
        yield name, server


def _client(name: str, server: LocalServer, **settings: Any) -> OpenAI:
    return OpenAI(provider=name, base_url=server.url, api_key=KEY, max_retries=0, **settings)


def _unadapted(name: str, server: LocalServer) -> OpenAI:
    """A client that knows only the URL: it sends every request as written (with the key
    and the query Azure wants, so that only the request's fields differ)."""
    if name == "azure":
        return OpenAI(
            base_url=server.url,
            api_key=KEY,
            max_retries=0,
            default_headers={"api-key": KEY},
        )
    return OpenAI(base_url=server.url, api_key=KEY, max_retries=0)


def _query(name: str) -> dict[str, Any]:
    return {"extra_query": {"api-version": "2024-10-21"}} if name == "azure" else {}


def test_every_bound_on_the_answer_is_honoured(played: tuple[str, LocalServer]) -> None:
    name, server = played
    model = MODEL.get(name, "m")
    with _client(name, server) as client:
        for field in ("max_tokens", "max_completion_tokens"):
            bounded: dict[str, Any] = {field: 1}
            result = client.chat.completions.create(HELLO, model=model, **bounded)
            assert result.choice.finish_reason == "length", (name, field)


def test_tool_choice_without_tools_goes_through(played: tuple[str, LocalServer]) -> None:
    name, server = played
    with _client(name, server) as client:
        result = client.chat.completions.create(HELLO, model=MODEL.get(name, "m"), tool_choice="none")
        assert result.choice.text


def test_a_stream_asking_for_its_usage_goes_through(played: tuple[str, LocalServer]) -> None:
    name, server = played
    profile: ProviderProfile = BUILTIN_PROVIDERS[name].profile
    with _client(name, server) as client:
        with client.chat.completions.stream(
            HELLO, model=MODEL.get(name, "m"), stream_options={"include_usage": True}
        ) as stream:
            reasoning = "".join(stream.reasoning_deltas())
            result = stream.final()
        assert (result.usage is None) == (profile.stream_usage == "never"), name
        assert result.choice.text
        assert (result.choice.reasoning or "") == reasoning


def test_reasoning_and_rate_limits_are_read_whichever_way_the_provider_sends_them(
    played: tuple[str, LocalServer],
) -> None:
    name, server = played
    profile = BUILTIN_PROVIDERS[name].profile
    with _client(name, server) as client:
        result = client.chat.completions.create(HELLO, model=MODEL.get(name, "m"))
    assert (result.choice.reasoning is not None) == (profile.reasoning_field is not None), name
    assert result.rate_limit.per == PER[profile.rate_limit_headers], name


def test_what_was_adapted_is_refused_or_ignored_unadapted(played: tuple[str, LocalServer]) -> None:
    """The other half: each adaptation the profile makes is needed.  Sent as written, the
    request is refused (an error status) or its bound is not honoured; a strict client
    refuses to send it at all."""
    name, server = played
    profile = BUILTIN_PROVIDERS[name].profile
    model = MODEL.get(name, "m")
    needed: list[tuple[str, dict[str, Any]]] = []
    if profile.max_tokens_field == "max_tokens":
        needed.append(("max_completion_tokens", {"max_completion_tokens": 1}))
    if profile.max_tokens_field == "max_completion_tokens":
        needed.append(("max_tokens", {"max_tokens": 1}))
    if profile.tool_choice_without_tools == "refused":
        needed.append(("tool_choice", {"tool_choice": "none"}))
    with _unadapted(name, server) as unadapted, _client(name, server, strict_params=True) as strict:
        for field, fields in needed:
            outcome = unadapted.chat.completions.try_create(HELLO, model=model, **fields, **_query(name))
            if outcome.result is None:
                error = outcome.errors[0]
                assert isinstance(error, APIStatusError), (name, field)
                assert 400 <= error.status_code < 500, (name, field)
            else:  # taken, and ignored
                assert field.startswith("max_"), (name, field)
                assert outcome.result.choice.finish_reason != "length", (name, field)
            with pytest.raises(InvalidRequestError) as refused:
                strict.chat.completions.create(HELLO, model=model, **fields)
            assert refused.value.param == field
        if not profile.stream_options:
            with pytest.raises(APIStatusError) as error:
                unadapted.chat.completions.create(
                    HELLO, model=model, stream=True, stream_options={"include_usage": True}, **_query(name)
                )
            assert error.value.status_code in (400, 422), name
