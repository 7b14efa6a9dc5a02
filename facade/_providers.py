"""Providers: the OpenAI-compatible servers a client can talk to, and how each differs.

A ``Provider`` says where a server is and how it takes its key (``base_url``, the key's
environment variable, extra headers and query parameters); its ``ProviderProfile`` says
how it departs from the API of spec/ (which max-tokens field it honours, whether it takes
``stream_options``, where its reasoning text comes...).  The client adapts a request to
the profile (``_adapt``), the local server plays it (``testing``), and ``probe`` finds it
out from a live server.  The built-ins are this module's table; a providers file adds to
it and overrides it (``_provider_file``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Literal

from ._config import DEFAULT_BASE_URL, Secret

__all__ = [
    "BUILTIN_PROFILES",
    "BUILTIN_PROVIDERS",
    "COMPATIBLE",
    "AuthScheme",
    "MaxTokensField",
    "Provider",
    "ProviderProfile",
    "RateLimitHeaders",
    "ReasoningField",
    "StreamUsage",
    "ToolChoiceWithoutTools",
]

AuthScheme = Literal["bearer", "api-key"]
"""How the key is sent: ``Authorization: Bearer KEY``, or Azure's ``api-key: KEY``."""
MaxTokensField = Literal["max_completion_tokens", "max_tokens", "both"]
"""Which field bounds an answer's length: the spec's ``max_completion_tokens`` (OpenAI's
reasoning models refuse ``max_tokens``), the older ``max_tokens`` (a server that does not
know the newer one refuses or ignores it), or either."""
StreamUsage = Literal["when_asked", "always", "never"]
"""When a stream's last chunk carries the usage: when ``stream_options`` asks for it
(the spec), always, or never."""
ReasoningField = Literal["reasoning", "reasoning_content"]
"""The field a server's reasoning text comes in: ``reasoning`` (OpenRouter, Ollama,
Groq, vLLM since its rename) or ``reasoning_content`` (DeepSeek, older vLLM, llama.cpp)."""
ToolChoiceWithoutTools = Literal["refused", "ignored"]
"""What a server does with ``tool_choice`` in a request without ``tools``: refuses it
(OpenAI, vLLM: vllm#9426), or ignores it (Ollama: ollama-python#671); with no tool to
choose, taking it is ignoring it."""
RateLimitHeaders = Literal["openai", "per_second", "none"]
"""The rate-limit headers a server sends: OpenAI's ``x-ratelimit-{limit,remaining,reset}-
{requests,tokens}`` (per minute), Together's ``x-ratelimit-{limit,remaining,reset}`` (per
second), or none."""


@dataclasses.dataclass(frozen=True)
class ProviderProfile:
    """How one provider's server departs from the API of spec/: what a request is
    adapted to before it is sent, and what the local server plays with ``profile=``."""

    name: str
    """The built-in profile's name (``groq``), or the name a probe or a file gave it."""
    auth: AuthScheme = "bearer"
    max_tokens_field: MaxTokensField = "both"
    stream_options: bool = True
    """Whether the server takes ``stream_options``; one that does not refuses it (Groq 400,
    Mistral 422), so it is left out."""
    stream_usage: StreamUsage = "when_asked"
    reasoning_field: ReasoningField | None = None
    """Where the reasoning text comes; None for a server that sends none."""
    tool_choice_without_tools: ToolChoiceWithoutTools = "ignored"
    rate_limit_headers: RateLimitHeaders = "none"


COMPATIBLE = ProviderProfile("compatible")
"""A server known only by its URL: nothing is assumed of it, so nothing is adapted."""

BUILTIN_PROFILES: Mapping[str, ProviderProfile] = {
    profile.name: profile
    for profile in (
        COMPATIBLE,
        # Reasoning models (o1, o3, gpt-5) refuse max_tokens; every model takes the newer field.
        ProviderProfile(
            "openai",
            max_tokens_field="max_completion_tokens",
            tool_choice_without_tools="refused",
            rate_limit_headers="openai",
        ),
        ProviderProfile(
            "azure",
            auth="api-key",
            max_tokens_field="max_completion_tokens",
            tool_choice_without_tools="refused",
            rate_limit_headers="openai",
        ),
        # Ollama ignores max_completion_tokens (ollama#7125) and tool_choice (ollama-python#671).
        ProviderProfile(
            "ollama",
            max_tokens_field="max_tokens",
            reasoning_field="reasoning",
        ),
        # vLLM renamed reasoning_content to reasoning (vllm#27752); refuses tool_choice
        # without tools (vllm#9426).
        ProviderProfile("vllm", reasoning_field="reasoning", tool_choice_without_tools="refused"),
        ProviderProfile(
            "llamacpp",
            max_tokens_field="max_tokens",
            stream_usage="always",
            reasoning_field="reasoning_content",
        ),
        ProviderProfile("lmstudio", max_tokens_field="max_tokens", reasoning_field="reasoning_content"),
        ProviderProfile(
            "openrouter", max_tokens_field="max_tokens", stream_usage="always", reasoning_field="reasoning"
        ),
        # Groq refuses stream_options with a 400 (vercel/ai#1578) and sends a stream's
        # usage anyway, in its last chunk.
        ProviderProfile(
            "groq",
            stream_options=False,
            stream_usage="always",
            reasoning_field="reasoning",
            rate_limit_headers="openai",
        ),
        ProviderProfile(
            "together", max_tokens_field="max_tokens", stream_usage="always", rate_limit_headers="per_second"
        ),
        ProviderProfile("deepseek", max_tokens_field="max_tokens", reasoning_field="reasoning_content"),
        # Mistral refuses what it does not know with a 422 (openai-agents-python#442).
        ProviderProfile(
            "mistral", max_tokens_field="max_tokens", stream_options=False, stream_usage="always"
        ),
    )
}


@dataclasses.dataclass(frozen=True)
class Provider:
    """Where a provider's server is, how it takes its key, and how it behaves (``profile``).

    The key is either given (``api_key``, from a providers file) or read from the
    environment variable ``api_key_env`` when a client is made; a provider whose server
    needs none (``key_required=False``: Ollama, vLLM, llama.cpp, LM Studio) sends none
    unless one is set.
    """

    name: str
    base_url: str | None
    """None for a provider whose URL is the user's own (Azure: the resource's)."""
    profile: ProviderProfile
    api_key_env: str | None = None
    api_key: Secret | None = dataclasses.field(default=None, repr=False)
    key_required: bool = True
    headers: Mapping[str, str] = dataclasses.field(default_factory=dict[str, str], repr=False)
    """Headers sent with every request (not shown: one may carry a secret)."""
    query: Mapping[str, str] = dataclasses.field(default_factory=dict[str, str])
    organization: str | None = None
    project: str | None = None


AZURE_API_VERSION = "2024-10-21"
"""The Azure OpenAI API version sent unless the providers file (or ``OPENAI_API_VERSION``) says another."""


def _builtin(
    name: str,
    base_url: str | None,
    api_key_env: str | None,
    *,
    key_required: bool = True,
    query: Mapping[str, str] | None = None,
) -> Provider:
    return Provider(
        name,
        base_url,
        BUILTIN_PROFILES[name],
        api_key_env=api_key_env,
        key_required=key_required,
        query=dict(query or {}),
    )


BUILTIN_PROVIDERS: Mapping[str, Provider] = {
    provider.name: provider
    for provider in (
        _builtin("openai", DEFAULT_BASE_URL, "OPENAI_API_KEY"),
        # The URL names the resource and the deployment: https://NAME.openai.azure.com/openai/deployments/DEPLOYMENT
        _builtin("azure", None, "AZURE_OPENAI_API_KEY", query={"api-version": AZURE_API_VERSION}),
        _builtin("ollama", "http://localhost:11434/v1", None, key_required=False),
        _builtin("vllm", "http://localhost:8000/v1", "VLLM_API_KEY", key_required=False),
        _builtin("llamacpp", "http://localhost:8080/v1", "LLAMA_API_KEY", key_required=False),
        _builtin("lmstudio", "http://localhost:1234/v1", None, key_required=False),
        _builtin("openrouter", "https://openrouter.ai/api/v1", "OPENROUTER_API_KEY"),
        _builtin("groq", "https://api.groq.com/openai/v1", "GROQ_API_KEY"),
        _builtin("together", "https://api.together.xyz/v1", "TOGETHER_API_KEY"),
        _builtin("deepseek", "https://api.deepseek.com/v1", "DEEPSEEK_API_KEY"),
        _builtin("mistral", "https://api.mistral.ai/v1", "MISTRAL_API_KEY"),
    )
}
