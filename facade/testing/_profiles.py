"""The local server playing a provider: ``LocalServer(profile="groq")``.

What the server does is derived from the profile's fields, so a profile found by a
probe or written in a providers file is played as well as a built-in one: which key
header it reads, which max-tokens field it honours, whether it takes
``stream_options``, when a stream tells its usage, the reasoning field, ``tool_choice``
without tools, its rate-limit headers.  How a provider words and shapes what the
fields only name (Groq's 400, Mistral's 422, vLLM's error object, Azure's 404 without
``api-version``, the models it lists) comes from ``_STYLES``, by the profile's name;
a name not there gets an OpenAI-shaped 400.
"""

from __future__ import annotations

import dataclasses
import secrets
from collections.abc import Callable, Mapping
from typing import Any

from .._providers import BUILTIN_PROFILES, ProviderProfile
from ._limits import RateLimits
from ._model import Reply, default_reasoning

__all__ = ["Emulation", "ProviderError", "models_list", "resolve_profile"]

Json = Any

# The spec server's (no profile) model list.
_SPEC_MODELS: tuple[tuple[str, int, str], ...] = (("gpt-4o-mini", 1721172741, "system"),)
# OpenAI's reasoning models refuse max_tokens; its other models take it.
_REASONING_MODELS = ("o1", "o3", "o4", "gpt-5")
# Every API request to Azure names its version; without one, Azure knows no such resource.
_AZURE_NOT_FOUND: Json = {"error": {"code": "404", "message": "Resource not found"}}
_AZURE_MISSING_KEY = (
    "Access denied due to missing subscription key. Make sure to include subscription key "
    "when making requests to an API."
)
_AZURE_WRONG_KEY = (
    "Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide "
    "a valid key for an active subscription and use a correct regional API endpoint for your resource."
)
# A server that always sends rate-limit headers sends them without rate_limits= too:
# limits this generous keep them there without ever refusing a test's request.
_GENEROUS = RateLimits(requests_per_minute=30_000, tokens_per_minute=150_000_000)


class ProviderError(Exception):
    """An answer in a provider's own shape: its status, its JSON body, its headers."""

    def __init__(self, status: int, body: Json, headers: Mapping[str, str] | None = None) -> None:
        super().__init__(status)
        self.status = status
        self.body = body
        self.headers = dict(headers or {})


def _openai_error(
    status: int,
    message: str,
    *,
    param: str | None,
    code: str | None = None,
    type: str = "invalid_request_error",
) -> ProviderError:
    return ProviderError(status, {"error": {"message": message, "type": type, "param": param, "code": code}})


def _unrecognized(field: str, value: Json) -> ProviderError:
    del value
    return _openai_error(400, f"Unrecognized request argument supplied: {field}", param=field)


def _groq_unsupported(field: str, value: Json) -> ProviderError:
    del value
    message = f"'{field}' : property '{field}' is unsupported, did you mean 'stream'?"
    return ProviderError(
        400, {"error": {"message": message, "type": "invalid_request_error", "param": field}}
    )


def _mistral_extra(fields: Mapping[str, Json]) -> ProviderError:
    # Mistral's pydantic refuses every field it does not know at once, and its error is
    # not the API's: ``message`` holds pydantic's detail, not a text.
    detail = [
        {
            "type": "extra_forbidden",
            "loc": ["body", name],
            "msg": "Extra inputs are not permitted",
            "input": value,
        }
        for name, value in fields.items()
    ]
    body = {
        "object": "error",
        "message": {"detail": detail},
        "type": "invalid_request_error",
        "param": None,
        "code": None,
    }
    return ProviderError(422, body)


def _openai_tool_choice() -> ProviderError:
    return _openai_error(
        400,
        "Invalid value for 'tool_choice': 'tool_choice' is only allowed when 'tools' are specified.",
        param="tool_choice",
    )


def _vllm_tool_choice() -> ProviderError:
    body = {
        "object": "error",
        "message": "When using `tool_choice`, `tools` must be set.",
        "type": "BadRequestError",
        "param": None,
        "code": 400,
    }
    return ProviderError(400, body)


# The fields Mistral's chat completions take; any other is a 422.  Those a profile
# says it takes (max_completion_tokens, stream_options) are added to these.
_MISTRAL_FIELDS = frozenset(
    {
        "model",
        "messages",
        "temperature",
        "top_p",
        "max_tokens",
        "stream",
        "stop",
        "random_seed",
        "metadata",
        "response_format",
        "tools",
        "tool_choice",
        "presence_penalty",
        "frequency_penalty",
        "n",
        "prediction",
        "parallel_tool_calls",
        "prompt_mode",
        "safe_prompt",
    }
)


@dataclasses.dataclass(frozen=True, kw_only=True)
class _Style:
    """How one provider words and shapes what its profile's fields only name."""

    api_version: bool = False
    """Every API request must name ``api-version`` in its query (Azure), or it is a 404."""
    known_fields: frozenset[str] | None = None
    """The request fields the server knows, refusing any other with a 422 (Mistral);
    None: it takes (and ignores) what it does not know."""
    stream_options_refusal: Callable[[str, Json], ProviderError] = _unrecognized
    tool_choice_refusal: Callable[[], ProviderError] = _openai_tool_choice
    usage_in_x_groq: bool = False
    """A stream's unasked usage comes in the last chunk's ``x_groq.usage`` (Groq)."""
    default_limits: RateLimits = _GENEROUS
    models: tuple[tuple[str, int, str], ...] = (("local-model", 1730000000, "organization_owner"),)
    """The models ``GET /v1/models`` lists: id, created, owned_by."""


_STYLES: Mapping[str, _Style] = {
    "compatible": _Style(models=_SPEC_MODELS),
    "openai": _Style(
        models=(
            ("gpt-4o-mini", 1721172741, "system"),
            ("gpt-4o", 1715367049, "system"),
            ("o3-mini", 1737146383, "system"),
        ),
    ),
    "azure": _Style(
        api_version=True,
        default_limits=RateLimits(requests_per_minute=10_000, tokens_per_minute=10_000_000),
        models=(("gpt-4o-mini", 1721172741, "system"), ("o3-mini", 1737146383, "system")),
    ),
    "ollama": _Style(
        models=(
            ("llama3.2", 1738000000, "library"),
            ("qwen3", 1746000000, "library"),
            ("deepseek-r1", 1737500000, "library"),
        ),
    ),
    "vllm": _Style(
        tool_choice_refusal=_vllm_tool_choice,
        models=(("Qwen/Qwen3-8B", 1746000000, "vllm"),),
    ),
    "llamacpp": _Style(models=(("gpt-oss-20b", 1754000000, "llamacpp"),)),
    "lmstudio": _Style(
        models=(
            ("qwen/qwen3-8b", 1746000000, "organization_owner"),
            ("google/gemma-3-12b", 1741000000, "organization_owner"),
        ),
    ),
    "openrouter": _Style(
        models=(
            ("openai/gpt-4o-mini", 1721260800, "openai"),
            ("deepseek/deepseek-r1", 1737381095, "deepseek"),
            ("meta-llama/llama-3.3-70b-instruct", 1733506137, "meta-llama"),
        ),
    ),
    "groq": _Style(
        stream_options_refusal=_groq_unsupported,
        usage_in_x_groq=True,
        default_limits=RateLimits(requests_per_minute=14_400, tokens_per_minute=6_000_000),
        models=(
            ("llama-3.3-70b-versatile", 1733447754, "Meta"),
            ("openai/gpt-oss-20b", 1754407957, "OpenAI"),
            ("qwen/qwen3-32b", 1748396646, "Alibaba Cloud"),
        ),
    ),
    "together": _Style(
        # Per second: 100 requests and 1,000,000 tokens a second.
        default_limits=RateLimits(requests_per_minute=6_000, tokens_per_minute=60_000_000),
        models=(
            ("meta-llama/Llama-3.3-70B-Instruct-Turbo", 1733443200, "Meta"),
            ("deepseek-ai/DeepSeek-R1", 1737331200, "DeepSeek"),
        ),
    ),
    "deepseek": _Style(
        models=(("deepseek-chat", 1735689600, "deepseek"), ("deepseek-reasoner", 1737331200, "deepseek"))
    ),
    "mistral": _Style(
        known_fields=_MISTRAL_FIELDS,
        models=(
            ("mistral-small-latest", 1742256000, "mistralai"),
            ("mistral-large-latest", 1731542400, "mistralai"),
            ("magistral-small-latest", 1749168000, "mistralai"),
        ),
    ),
}
_GENERIC = _Style()


def resolve_profile(profile: str | ProviderProfile | None) -> ProviderProfile | None:
    """The profile a server plays: a built-in's by name, the one given, or None (the spec)."""
    if profile is None or isinstance(profile, ProviderProfile):
        return profile
    found = BUILTIN_PROFILES.get(profile)
    if found is None:
        raise ValueError(
            f"no built-in provider profile {profile!r}: the names are {', '.join(sorted(BUILTIN_PROFILES))}"
        )
    return found


def models_list(emulation: Emulation | None) -> Json:
    """The answer to ``GET /v1/models``."""
    models = _SPEC_MODELS if emulation is None else emulation.style.models
    return {
        "object": "list",
        "data": [
            {"id": model, "object": "model", "created": created, "owned_by": owner}
            for model, created, owner in models
        ],
    }


class Emulation:
    """One provider as the local server plays it: its profile's fields, in its style."""

    def __init__(self, profile: ProviderProfile) -> None:
        self.profile = profile
        self.style = _STYLES.get(profile.name, _GENERIC)
        known = self.style.known_fields
        if known is not None:
            # What the profile says the server takes, it knows.
            if profile.max_tokens_field != "max_tokens":
                known |= {"max_completion_tokens"}
            if profile.stream_options:
                known |= {"stream_options"}
        self._known = known
        # The fields the server does not know but takes: it answers as if they were not sent.
        self._ignored = ("max_completion_tokens",) if profile.max_tokens_field == "max_tokens" else ()

    @property
    def default_limits(self) -> RateLimits | None:
        """The limits kept when the server is given none: generous ones for a provider that
        always sends rate-limit headers, so that they are there; none otherwise."""
        return None if self.profile.rate_limit_headers == "none" else self.style.default_limits

    # --- before the request is read ------------------------------------------------

    def check_query(self, query: Mapping[str, str]) -> None:
        if self.style.api_version and "api-version" not in query:
            raise ProviderError(404, _AZURE_NOT_FOUND)

    def authorize(self, headers: Mapping[str, str], api_key: str) -> bool:
        """Check the key in the ``api-key`` header when the profile says so: True once
        checked, False to leave it to the spec's ``Authorization: Bearer``."""
        if self.profile.auth != "api-key":
            return False
        given = headers.get("api-key")
        if given is None:
            raise ProviderError(401, {"error": {"code": "401", "message": _AZURE_MISSING_KEY}})
        if not secrets.compare_digest(given.encode(), api_key.encode()):
            raise ProviderError(401, {"error": {"code": "401", "message": _AZURE_WRONG_KEY}})
        return True

    # --- a create request ---------------------------------------------------------

    def refuse(self, request: Json) -> None:
        """Raise the provider's refusal of what it does not take in ``request``."""
        if self._known is not None:
            extra = {name: value for name, value in request.items() if name not in self._known}
            if extra:
                raise _mistral_extra(extra)
        profile = self.profile
        if not profile.stream_options and "stream_options" in request:
            raise self.style.stream_options_refusal("stream_options", request["stream_options"])
        if (
            profile.max_tokens_field == "max_completion_tokens"
            and request.get("max_tokens") is not None
            and str(request.get("model", "")).startswith(_REASONING_MODELS)
        ):
            raise _openai_error(
                400,
                "Unsupported parameter: 'max_tokens' is not supported with this model. "
                "Use 'max_completion_tokens' instead.",
                param="max_tokens",
                code="unsupported_parameter",
            )
        if (
            profile.tool_choice_without_tools == "refused"
            and request.get("tool_choice") is not None
            and not request.get("tools")
        ):
            raise self.style.tool_choice_refusal()

    def understood(self, request: Json) -> Json:
        """``request`` as the provider reads it: without the fields it ignores."""
        if not any(name in request for name in self._ignored):
            return request
        return {name: value for name, value in request.items() if name not in self._ignored}

    def reply(self, request: Json, reply: Reply) -> Reply:
        """``reply`` as this provider's model gives it: with reasoning when it reasons
        (its own unless the reply has some), without when it does not."""
        if reply.raw is not None:
            return reply
        if self.profile.reasoning_field is None:
            return reply if reply.reasoning is None else dataclasses.replace(reply, reasoning=None)
        if reply.reasoning is None:
            return dataclasses.replace(reply, reasoning=default_reasoning(request))
        return reply

    @property
    def reasoning_field(self) -> str:
        return self.profile.reasoning_field or "reasoning"
