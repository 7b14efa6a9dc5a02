"""The providers file: where it is looked for, what TOML and 4D's AIProviders.json say in
it, how a bad one is reported (the file and the key named, the key never shown), and the
TOML entry written for a provider, which reads back as that provider."""

from __future__ import annotations

import dataclasses
import itertools
import json
import os
import pickle
import typing
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from completionkit import InvalidRequestError, ProvidersFileError
from completionkit._provider_file import (
    _PROFILE_CHOICES,
    _PROFILE_FLAGS,
    _PROFILE_SETTINGS,
    FILE_NAMES,
    PROVIDERS_VARIABLE,
    ModelAlias,
    Providers,
    config_folder,
    provider_toml,
)
from completionkit._providers import (
    BUILTIN_PROFILES,
    BUILTIN_PROVIDERS,
    COMPATIBLE,
    AuthScheme,
    MaxTokensField,
    Provider,
    ProviderProfile,
    RateLimitHeaders,
    ReasoningField,
    StreamUsage,
    ToolChoiceWithoutTools,
)

SECRET = "sk-file-secret-0123456789"


@pytest.fixture
def environ(tmp_path: Path) -> dict[str, str]:
    """An environment whose config folders are all under tmp_path, none of them made yet."""
    return {
        "HOME": str(tmp_path / "home"),
        "XDG_CONFIG_HOME": str(tmp_path / "xdg"),
        "APPDATA": str(tmp_path / "appdata"),
    }


def _write(path: Path, text: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, "utf-8")
    return path


def _entry(name: str, url: str = "https://example.com/v1") -> str:
    return f'[providers.{name}]\nbase_url = "{url}"\n'


def _loaded(tmp_path: Path, text: str, suffix: str = ".toml") -> Providers:
    return Providers.load(_write(tmp_path / f"providers{suffix}", text))


def _refused(tmp_path: Path, text: str | bytes, suffix: str = ".toml") -> ProvidersFileError:
    path = _write(tmp_path / f"providers{suffix}", text)
    with pytest.raises(ProvidersFileError) as caught:
        Providers.load(path)
    assert caught.value.path == str(path)
    assert str(path) in str(caught.value)
    return caught.value


# --- where the file is looked for --------------------------------------------------------


def test_without_any_file_only_the_builtins(environ: dict[str, str]) -> None:
    providers = Providers.load(environ=environ)
    assert providers == Providers.builtin()
    assert providers.source is None
    assert dict(providers.providers) == dict(BUILTIN_PROVIDERS)
    assert providers.aliases == {}


def test_the_given_file_comes_first(tmp_path: Path, environ: dict[str, str]) -> None:
    given = _write(tmp_path / "given.toml", _entry("given"))
    named = _write(tmp_path / "named.toml", _entry("named"))
    _write(tmp_path / "xdg" / "completionkit" / "providers.toml", _entry("folder"))
    environ[PROVIDERS_VARIABLE] = str(named)
    providers = Providers.load(given, environ=environ)
    assert providers.source == str(given)
    # The first file found only: nothing of the others.
    assert "given" in providers.providers
    assert "named" not in providers.providers
    assert "folder" not in providers.providers


def test_the_variable_comes_before_the_config_folder(tmp_path: Path, environ: dict[str, str]) -> None:
    named = _write(tmp_path / "named.json", json.dumps({"providers": {"named": {"baseURL": "http://h/v1"}}}))
    _write(tmp_path / "xdg" / "completionkit" / "providers.toml", _entry("folder"))
    environ[PROVIDERS_VARIABLE] = str(named)
    providers = Providers.load(environ=environ)
    assert providers.source == str(named)
    assert set(providers.providers) - set(BUILTIN_PROVIDERS) == {"named"}


def test_an_empty_variable_is_no_file(tmp_path: Path, environ: dict[str, str]) -> None:
    folder_file = _write(tmp_path / "xdg" / "completionkit" / "providers.toml", _entry("folder"))
    environ[PROVIDERS_VARIABLE] = ""
    assert Providers.load(environ=environ).source == str(folder_file)


def test_the_config_folder_prefers_toml_and_reads_only_one(tmp_path: Path, environ: dict[str, str]) -> None:
    folder = tmp_path / "xdg" / "completionkit"
    json_file = _write(
        folder / "AIProviders.json", json.dumps({"providers": {"fromjson": {"baseURL": "http://h"}}})
    )
    assert Providers.load(environ=environ).source == str(json_file)
    toml_file = _write(folder / "providers.toml", _entry("fromtoml"))
    providers = Providers.load(environ=environ)
    assert providers.source == str(toml_file)
    assert "fromtoml" in providers.providers
    assert "fromjson" not in providers.providers
    assert FILE_NAMES == ("providers.toml", "AIProviders.json")


def test_the_config_folder_is_under_home_without_xdg(tmp_path: Path, environ: dict[str, str]) -> None:
    path = _write(tmp_path / "home" / ".config" / "completionkit" / "providers.toml", _entry("home"))
    del environ["XDG_CONFIG_HOME"]
    assert Providers.load(environ=environ).source == str(path)
    # The XDG specification: a relative XDG_CONFIG_HOME is ignored.
    environ["XDG_CONFIG_HOME"] = "relative/config"
    assert Providers.load(environ=environ).source == str(path)
    # An XDG_CONFIG_HOME that is set is the folder, whatever HOME holds.
    environ["XDG_CONFIG_HOME"] = str(tmp_path / "xdg")
    assert Providers.load(environ=environ).source is None


def test_the_config_folder_of_each_platform(tmp_path: Path) -> None:
    appdata = str(tmp_path / "appdata")
    assert config_folder({"APPDATA": appdata, "HOME": "/h"}, "win32") == os.path.join(
        appdata, "completionkit"
    )
    assert config_folder({"HOME": "/h"}, "win32") is None
    assert config_folder({"HOME": "/h"}, "linux") == os.path.join("/h", ".config", "completionkit")
    assert config_folder({"HOME": "/h", "XDG_CONFIG_HOME": "/x"}, "darwin") == os.path.join(
        "/x", "completionkit"
    )
    assert config_folder({}, "linux") is None


def test_the_process_environment_by_default(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = _write(tmp_path / "named.toml", _entry("named"))
    monkeypatch.setenv(PROVIDERS_VARIABLE, str(path))
    assert Providers.load().source == str(path)


def test_a_given_file_must_exist_and_none_other_is_read(tmp_path: Path, environ: dict[str, str]) -> None:
    _write(tmp_path / "xdg" / "completionkit" / "providers.toml", _entry("folder"))
    missing = tmp_path / "missing.toml"
    with pytest.raises(ProvidersFileError) as caught:
        Providers.load(missing, environ=environ)
    assert caught.value.path == str(missing)
    assert caught.value.param == "providers_file"
    assert str(missing) in str(caught.value)


def test_a_named_file_must_exist(tmp_path: Path, environ: dict[str, str]) -> None:
    _write(tmp_path / "xdg" / "completionkit" / "providers.toml", _entry("folder"))
    environ[PROVIDERS_VARIABLE] = str(tmp_path / "missing.json")
    with pytest.raises(ProvidersFileError) as caught:
        Providers.load(environ=environ)
    assert caught.value.param == PROVIDERS_VARIABLE
    assert caught.value.path == str(tmp_path / "missing.json")
    assert PROVIDERS_VARIABLE in str(caught.value)


def test_a_relative_path_is_kept_absolute(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _write(tmp_path / "providers.toml", _entry("work"))
    monkeypatch.chdir(tmp_path)
    assert Providers.load("providers.toml").source == str(tmp_path / "providers.toml")


@pytest.mark.parametrize("bad", [b"/tmp/providers.toml", 42, ["providers.toml"]])
def test_a_path_of_another_type_is_refused(bad: object) -> None:
    with pytest.raises(InvalidRequestError) as caught:
        Providers.load(typing.cast(str, bad))
    assert caught.value.param == "providers_file"


def test_an_empty_path_is_refused() -> None:
    with pytest.raises(ProvidersFileError) as caught:
        Providers.load("")
    assert caught.value.param == "providers_file"


@pytest.mark.parametrize("name", ["providers.yaml", "providers", "AIProviders.json5"])
def test_a_file_of_another_format_is_refused(tmp_path: Path, name: str) -> None:
    path = _write(tmp_path / name, "")
    with pytest.raises(ProvidersFileError) as caught:
        Providers.load(path)
    assert caught.value.path == str(path)
    assert caught.value.param == "providers_file"
    assert ".toml" in caught.value.message
    assert ".json" in caught.value.message


def test_a_folder_is_no_file(tmp_path: Path) -> None:
    (tmp_path / "providers.toml").mkdir()
    with pytest.raises(ProvidersFileError) as caught:
        Providers.load(tmp_path / "providers.toml")
    assert "folder" in caught.value.message


# --- what a file says --------------------------------------------------------------------


def test_a_toml_file_with_every_key(tmp_path: Path) -> None:
    providers = _loaded(
        tmp_path,
        """
[providers.work]
base_url = "https://gateway.example.com/v1"
api_key_env = "WORK_API_KEY"
profile = "groq"
headers = { "X-Team" = "ml" }
query = { "api-version" = "2024-10-21" }
organization = "org-1"
project = "proj-1"
key_required = false

[providers.local]
base_url = "http://127.0.0.1:9000/v1"

[providers.tuned]
base_url = "http://tuned:8000/v1"
api_key = "SECRET"

[providers.tuned.profile]
like = "deepseek"
stream_options = false
reasoning_field = "none"

[models]
fast = "groq:llama-3.1-8b-instant"
small = { provider = "local", model = "qwen3:0.6b" }
""".replace("SECRET", SECRET),
    )
    work = providers.get("work")
    assert work == Provider(
        "work",
        "https://gateway.example.com/v1",
        BUILTIN_PROFILES["groq"],
        api_key_env="WORK_API_KEY",
        key_required=False,
        headers={"X-Team": "ml"},
        query={"api-version": "2024-10-21"},
        organization="org-1",
        project="proj-1",
    )
    # A new provider without a key or its variable needs none; without a profile, nothing is adapted.
    local = providers.get("local")
    assert (local.key_required, local.api_key_env, local.profile) == (False, None, COMPATIBLE)
    tuned = providers.get("tuned")
    assert tuned.api_key is not None
    assert tuned.api_key.reveal() == SECRET
    assert tuned.key_required is True
    assert tuned.profile == dataclasses.replace(
        BUILTIN_PROFILES["deepseek"], name="tuned", stream_options=False, reasoning_field=None
    )
    assert providers.aliases == {
        "fast": ModelAlias("groq", "llama-3.1-8b-instant"),
        "small": ModelAlias("local", "qwen3:0.6b"),
    }


def test_4d_ai_kit_s_file_is_read_as_it_is(tmp_path: Path) -> None:
    document = {
        "providers": {
            "openai": {"baseURL": "https://api.openai.com/v1", "apiKey": SECRET, "organization": "org-4d"},
            "anthropic": {"baseURL": "https://api.anthropic.com/v1", "apiKey": "sk-ant"},
            "local": {
                "baseURL": "http://localhost:11434/v1",
                "apiKey": "",
                "organization": "",
                "project": "",
            },
        },
        "models": {
            "my-gpt": {"provider": "openai", "model": "gpt-4o"},
            "my-claude": {"provider": "anthropic", "model": "claude-3-opus-20240229"},
            "my-llama": {"provider": "local", "model": "llama3.2:1b"},
        },
    }
    providers = _loaded(tmp_path, json.dumps(document, indent=2), ".json")
    openai = providers.get("openai")
    assert openai.api_key is not None
    assert openai.api_key.reveal() == SECRET
    assert openai.api_key_env is None  # the file's key is the key
    assert openai.organization == "org-4d"
    assert openai.profile == BUILTIN_PROFILES["openai"]
    # 4D writes the fields left empty: no key, no organization.
    local = providers.get("local")
    assert (local.api_key, local.key_required, local.organization, local.project) == (None, False, None, None)
    assert providers.get("anthropic").key_required is True
    assert providers.resolve("my-llama") == (local, "llama3.2:1b")


def test_our_extras_in_json_are_camel_case(tmp_path: Path) -> None:
    document = {
        "providers": {
            "work": {
                "baseURL": "https://gw.example.com/v1",
                "apiKeyEnv": "WORK_KEY",
                "keyRequired": False,
                "headers": {"X-Team": "ml"},
                "query": {"v": "1"},
                "profile": {"like": "groq", "maxTokensField": "max_tokens", "reasoningField": None},
            },
            "plain": {"baseURL": "http://h/v1", "profile": "vllm"},
        }
    }
    providers = _loaded(tmp_path, json.dumps(document), ".json")
    work = providers.get("work")
    assert (work.api_key_env, work.key_required, dict(work.headers), dict(work.query)) == (
        "WORK_KEY",
        False,
        {"X-Team": "ml"},
        {"v": "1"},
    )
    assert work.profile == dataclasses.replace(
        BUILTIN_PROFILES["groq"], name="work", max_tokens_field="max_tokens", reasoning_field=None
    )
    assert providers.get("plain").profile == BUILTIN_PROFILES["vllm"]


def test_a_byte_order_mark_and_an_empty_file(tmp_path: Path) -> None:
    assert "work" in _loaded(tmp_path, "\ufeff" + _entry("work")).providers
    assert _loaded(tmp_path, "").providers == Providers.builtin().providers


# --- overriding the built-ins ------------------------------------------------------------


def test_a_builtin_s_entry_changes_only_what_it_gives(tmp_path: Path) -> None:
    providers = _loaded(tmp_path, '[providers.ollama]\nbase_url = "http://gpu:11434/v1"\n')
    assert providers.get("ollama") == dataclasses.replace(
        BUILTIN_PROVIDERS["ollama"], base_url="http://gpu:11434/v1"
    )
    # The others as they were.
    assert providers.get("groq") == BUILTIN_PROVIDERS["groq"]


def test_a_builtin_s_profile_table_starts_from_its_own_profile(tmp_path: Path) -> None:
    providers = _loaded(tmp_path, '[providers.groq.profile]\nreasoning_field = "reasoning_content"\n')
    groq = providers.get("groq")
    assert groq.profile == dataclasses.replace(BUILTIN_PROFILES["groq"], reasoning_field="reasoning_content")
    assert (groq.base_url, groq.api_key_env) == (BUILTIN_PROVIDERS["groq"].base_url, "GROQ_API_KEY")
    assert _loaded(tmp_path, '[providers.groq]\nprofile = "compatible"\n').get("groq").profile == COMPATIBLE


def test_a_builtin_s_query_and_headers_are_added_to(tmp_path: Path) -> None:
    providers = _loaded(
        tmp_path,
        '[providers.azure]\nbase_url = "https://res.openai.azure.com/openai/deployments/d"\n'
        'query = { "extra" = "1" }\nheaders = { "X-Team" = "ml" }\n',
    )
    azure = providers.get("azure")
    assert dict(azure.query) == {**BUILTIN_PROVIDERS["azure"].query, "extra": "1"}
    assert dict(azure.headers) == {"X-Team": "ml"}
    replaced = _loaded(tmp_path, '[providers.azure]\nquery = { "api-version" = "2025-01-01" }\n').get("azure")
    assert dict(replaced.query) == {"api-version": "2025-01-01"}


def test_a_builtin_given_a_key_reads_no_variable(tmp_path: Path) -> None:
    groq = _loaded(tmp_path, f'[providers.groq]\napi_key = "{SECRET}"\n').get("groq")
    assert groq.api_key is not None
    assert groq.api_key.reveal() == SECRET
    assert groq.api_key_env is None
    other = _loaded(tmp_path, '[providers.groq]\napi_key_env = "MY_GROQ"\nkey_required = false\n').get("groq")
    assert (other.api_key_env, other.key_required) == ("MY_GROQ", False)
    # A local server given a variable still needs no key: the built-in's own rule.
    vllm = _loaded(tmp_path, '[providers.vllm]\napi_key_env = "MY_VLLM"\n').get("vllm")
    assert vllm.key_required is False


# --- aliases and provider:model ----------------------------------------------------------


@pytest.fixture
def registry(tmp_path: Path) -> Providers:
    return _loaded(
        tmp_path,
        _entry("work")
        + '\n[models]\nfast = "groq:llama-3.1-8b-instant"\nsmall = "ollama:llama3.2:1b"\n'
        + '"gpt-4o" = "work:gpt-4o-2024-08-06"\n',
    )


@pytest.mark.parametrize(
    ("model", "provider", "sent"),
    [
        ("fast", "groq", "llama-3.1-8b-instant"),
        ("small", "ollama", "llama3.2:1b"),
        # An alias is looked for first, even under the name of a model.
        ("gpt-4o", "work", "gpt-4o-2024-08-06"),
        ("ollama:llama3.2:1b", "ollama", "llama3.2:1b"),
        ("work:any/model:tag", "work", "any/model:tag"),
        ("openai:gpt-4o", "openai", "gpt-4o"),
    ],
)
def test_a_model_for_another_provider(registry: Providers, model: str, provider: str, sent: str) -> None:
    assert registry.resolve(model) == (registry.get(provider), sent)


@pytest.mark.parametrize(
    "model",
    ["gpt-4o-mini", "ft:gpt-4o-mini:org::id", "llama3.2:1b", "groq:", ":model", "", "Groq:llama", "fast:x"],
)
def test_a_model_of_no_provider_is_sent_as_it_is(registry: Providers, model: str) -> None:
    assert registry.resolve(model) is None


def test_an_unknown_provider_is_refused_with_the_known_ones(registry: Providers) -> None:
    with pytest.raises(InvalidRequestError) as caught:
        registry.get("grok")
    assert caught.value.param == "provider"
    assert not isinstance(caught.value, ProvidersFileError)
    message = caught.value.message
    assert "'grok'" in message
    assert "did you mean 'groq'" in message
    assert all(name in message for name in registry.providers)
    assert str(registry.source) in message


def test_the_registry_is_read_only_and_compared_by_value(registry: Providers) -> None:
    with pytest.raises(TypeError):
        registry.providers["x"] = BUILTIN_PROVIDERS["groq"]  # type: ignore[index]
    with pytest.raises(TypeError):
        registry.aliases["x"] = ModelAlias("groq", "m")  # type: ignore[index]
    assert registry == Providers(registry.providers, registry.aliases, source=registry.source)
    assert registry != Providers.builtin()
    assert "fast" in repr(registry)
    assert "work" in repr(registry)


def test_a_registry_made_in_code_checks_its_aliases() -> None:
    mine = {"mine": Provider("mine", "http://h/v1", COMPATIBLE)}
    providers = Providers({**BUILTIN_PROVIDERS, **mine}, {"m": ModelAlias("mine", "x")})
    assert providers.resolve("m") == (mine["mine"], "x")
    with pytest.raises(InvalidRequestError) as caught:
        Providers(BUILTIN_PROVIDERS, {"m": ModelAlias("nowhere", "x")})
    assert caught.value.param == "aliases"


# --- bad files ---------------------------------------------------------------------------

BAD_TOML = [
    # (the file, the key at fault, words the message must hold)
    ('[providers.work]\nbase_url = "ftp://nowhere"\n', "providers.work.base_url", ["http"]),
    ('[providers.work]\nbase_url = "https://"\n', "providers.work.base_url", ["host"]),
    ("[providers.work]\nbase_url = 5\n", "providers.work.base_url", ["string", "integer"]),
    ('[providers.work]\napi_key_env = "X"\n', "providers.work.base_url", ["base URL"]),
    ('[providers.work]\nbase_uri = "http://h"\n', "providers.work.base_uri", ["unknown key", "'base_url'"]),
    ('[providers.work]\nbaseURL = "http://h"\n', "providers.work.baseURL", ["TOML", "'base_url'"]),
    ('[provider.work]\nbase_url = "http://h"\n', "provider", ["unknown key", "'providers'"]),
    (
        '[providers.work]\nbase_url = "http://h"\nprofile = "grok"\n',
        "providers.work.profile",
        ["'groq'", "compatible"],
    ),
    (
        "[providers.work]\nbase_url = 'http://h'\nprofile = 3\n",
        "providers.work.profile",
        ["profile", "integer"],
    ),
    (
        "[providers.work]\nbase_url = 'http://h'\n[providers.work.profile]\nstream_options = 'yes'\n",
        "providers.work.profile.stream_options",
        ["true or false"],
    ),
    (
        "[providers.work]\nbase_url = 'http://h'\n[providers.work.profile]\nauth = 'Bearer'\n",
        "providers.work.profile.auth",
        ["'bearer'", "'api-key'"],
    ),
    (
        "[providers.work]\nbase_url = 'http://h'\n[providers.work.profile]\nreasoning_field = 'thinking'\n",
        "providers.work.profile.reasoning_field",
        ["'reasoning'", "'reasoning_content'", "'none'"],
    ),
    (
        "[providers.work]\nbase_url = 'http://h'\n[providers.work.profile]\nlike = 'groqq'\n",
        "providers.work.profile.like",
        ["'groq'"],
    ),
    (
        "[providers.work]\nbase_url = 'http://h'\n[providers.work.profile]\nstream_option = true\n",
        "providers.work.profile.stream_option",
        ["'stream_options'"],
    ),
    (
        "[providers.work]\nbase_url = 'http://h'\n[providers.work.profile]\nname = ''\n",
        "providers.work.profile.name",
        ["empty"],
    ),
    (
        "[providers.work]\nbase_url = 'http://h'\nheaders = { 'X Team' = 'ml' }\n",
        'providers.work.headers."X Team"',
        ["header name"],
    ),
    (
        "[providers.work]\nbase_url = 'http://h'\nheaders = { 'X-Team' = 1 }\n",
        "providers.work.headers.X-Team",
        ["string"],
    ),
    (
        "[providers.work]\nbase_url = 'http://h'\nheaders = ['X-Team']\n",
        "providers.work.headers",
        ["table", "array"],
    ),
    ("[providers.work]\nbase_url = 'http://h'\nquery = { '' = 'x' }\n", 'providers.work.query.""', ["empty"]),
    ("[providers.work]\nbase_url = 'http://h'\nquery = { v = 1 }\n", "providers.work.query.v", ["string"]),
    (
        "[providers.work]\nbase_url = 'http://h'\nkey_required = 'no'\n",
        "providers.work.key_required",
        ["true or false"],
    ),
    (
        "[providers.work]\nbase_url = 'http://h'\napi_key_env = '1KEY'\n",
        "providers.work.api_key_env",
        ["variable"],
    ),
    (
        "[providers.work]\nbase_url = 'http://h'\napi_key_env = 'KEY'\napi_key = 'k'\n",
        "providers.work.api_key",
        ["not both"],
    ),
    (
        "[providers.work]\nbase_url = 'http://h'\norganization = 'é'\n",
        "providers.work.organization",
        ["ASCII"],
    ),
    ("[providers.'my work']\nbase_url = 'http://h'\n", 'providers."my work"', ["whitespace"]),
    ("[providers.'a:b']\nbase_url = 'http://h'\n", 'providers."a:b"', ["colon"]),
    ("[providers.'']\nbase_url = 'http://h'\n", 'providers.""', ["empty"]),
    ("providers = 3\n", "providers", ["table"]),
    ("[providers]\nwork = 'http://h'\n", "providers.work", ["table", "string"]),
    ("[models]\nfast = 'grok:llama'\n", "models.fast", ["'grok'", "'groq'"]),
    ("[models]\nfast = 'llama'\n", "models.fast", ["provider:model"]),
    ("[models]\nfast = 'groq:'\n", "models.fast", ["empty"]),
    ("[models]\nfast = 3\n", "models.fast", ["provider:model"]),
    ("[models]\nfast = { provider = 'groq' }\n", "models.fast.model", ["model"]),
    (
        "[models]\nfast = { provider = 'groq', model = 'm', extra = 1 }\n",
        "models.fast.extra",
        ["unknown key"],
    ),
    ("[models]\nfast = { provider = 'nowhere', model = 'm' }\n", "models.fast.provider", ["'nowhere'"]),
    ("[models]\n'a b' = 'groq:m'\n", 'models."a b"', ["whitespace"]),
    ("[providers.work\n", "providers_file", ["TOML", "line 1"]),
    ("a = 1\nb = \n", "providers_file", ["TOML", "line 2"]),
]


@pytest.mark.parametrize(("text", "key", "words"), BAD_TOML)
def test_a_bad_toml_file_names_the_file_and_the_key(
    tmp_path: Path, text: str, key: str, words: list[str]
) -> None:
    error = _refused(tmp_path, text)
    assert error.param == key
    assert key in str(error)
    for word in words:
        assert word in error.message


BAD_JSON = [
    ('{"providers": {"work": {"base_url": "http://h"}}}', "providers.work.base_url", ["JSON", "'baseURL'"]),
    ('{"providers": {"work": {"baseUrl": "http://h"}}}', "providers.work.baseUrl", ["'baseURL'"]),
    ('{"providers": {"work": {"baseURL": null}}}', "providers.work.baseURL", ["string", "null"]),
    (
        '{"providers": {"work": {"baseURL": "http://h", "profile": {"streamOptions": 1}}}}',
        "providers.work.profile.streamOptions",
        ["true or false"],
    ),
    (
        '{"providers": {"work": {"baseURL": "http://h"}, "work": {"baseURL": "http://i"}}}',
        "providers.work",
        ["twice"],
    ),
    ('{"providers": {"w\\ud800": {"baseURL": "http://h"}}}', 'providers."w\\uD800"', ["surrogate"]),
    ('{"models": {"fast": {"provider": "groq", "model": 3}}}', "models.fast.model", ["string"]),
    ('{"models": {"fast": {"model": "m"}}}', "models.fast.provider", ["provider"]),
    ('["providers"]', "providers_file", ["object", "array"]),
    ('{"providers": {}', "providers_file", ["JSON", "line 1"]),
    ('{\n  "providers": {},\n}\n', "providers_file", ["JSON", "line 3"]),
    ("", "providers_file", ["JSON", "line 1"]),
]


@pytest.mark.parametrize(("text", "key", "words"), BAD_JSON)
def test_a_bad_json_file_names_the_file_and_the_key(
    tmp_path: Path, text: str, key: str, words: list[str]
) -> None:
    error = _refused(tmp_path, text, ".json")
    assert error.param == key
    for word in words:
        assert word in error.message


def test_a_file_that_is_not_utf8_names_its_line(tmp_path: Path) -> None:
    error = _refused(tmp_path, b'[providers.work]\nbase_url = "http://h\xff"\n')
    assert error.param == "providers_file"
    assert "UTF-8" in error.message
    assert "line 2" in error.message


def test_a_file_named_by_the_variable_is_reported_under_it(tmp_path: Path, environ: dict[str, str]) -> None:
    path = _write(tmp_path / "named.toml", "[providers\n")
    environ[PROVIDERS_VARIABLE] = str(path)
    with pytest.raises(ProvidersFileError) as caught:
        Providers.load(environ=environ)
    assert (caught.value.param, caught.value.path) == (PROVIDERS_VARIABLE, str(path))


def test_a_bad_file_in_the_config_folder_is_reported_too(tmp_path: Path, environ: dict[str, str]) -> None:
    path = _write(tmp_path / "xdg" / "completionkit" / "providers.toml", "[providers.work]\n")
    # Not passed over for the next file: a typo would otherwise change which providers are known.
    _write(tmp_path / "xdg" / "completionkit" / "AIProviders.json", "{}")
    with pytest.raises(ProvidersFileError) as caught:
        Providers.load(environ=environ)
    assert (caught.value.param, caught.value.path) == ("providers.work.base_url", str(path))


def test_deep_nesting_is_a_providers_file_error(tmp_path: Path) -> None:
    _refused(tmp_path, "a = " + "[" * 100_000)
    _refused(tmp_path, "[" * 100_000, ".json")
    _refused(tmp_path, "a = 1" + "0" * 5000)


def test_an_error_pickles(tmp_path: Path) -> None:
    error = _refused(tmp_path, '[providers.work]\nbase_url = "ftp://x"\n')
    copy = pickle.loads(pickle.dumps(error))
    assert (type(copy), copy.path, copy.param, str(copy)) == (
        ProvidersFileError,
        error.path,
        error.param,
        str(error),
    )


# --- the key is never shown --------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "key"),
    [
        # A key with a newline inside: it cannot be sent, and is not shown.
        (f'[providers.work]\nbase_url = "http://h"\napi_key = "{SECRET}\\nmore"\n', "providers.work.api_key"),
        (f'[providers.work]\nbase_url = "http://h"\napi_key = "{SECRET}é"\n', "providers.work.api_key"),
        # The key put where its variable's name goes.
        (
            f'[providers.work]\nbase_url = "http://h"\napi_key_env = "{SECRET}"\n',
            "providers.work.api_key_env",
        ),
        # ... or where the URL goes, or in a header.
        (f'[providers.work]\nbase_url = "{SECRET}"\n', "providers.work.base_url"),
        (
            f'[providers.work]\nbase_url = "http://h"\nheaders = {{ "X-Key" = "{SECRET}\\n" }}\n',
            "providers.work.headers.X-Key",
        ),
        (
            f'[providers.work]\nbase_url = "http://h"\napi_key = "{SECRET}"\napi_key_env = "K"\n',
            "providers.work.api_key",
        ),
        (
            f'[providers.work]\nbase_url = "http://h"\norganization = "{SECRET}\\nx"\n',
            "providers.work.organization",
        ),
    ],
)
def test_a_key_is_never_in_a_message(tmp_path: Path, text: str, key: str) -> None:
    error = _refused(tmp_path, text)
    assert error.param == key
    for shown in (str(error), repr(error), error.message, str(error.args)):
        assert SECRET not in shown


def test_a_key_read_is_never_in_a_repr(tmp_path: Path) -> None:
    providers = _loaded(tmp_path, f'[providers.work]\nbase_url = "http://h"\napi_key = "{SECRET}"\n')
    work = providers.get("work")
    for shown in (
        repr(providers),
        str(providers),
        repr(work),
        str(work),
        repr(work.api_key),
        provider_toml("work", work),
    ):
        assert SECRET not in shown


# --- the cache ---------------------------------------------------------------------------


def test_an_edited_file_is_read_again(tmp_path: Path) -> None:
    path = _write(tmp_path / "providers.toml", _entry("first"))
    assert "first" in Providers.load(path).providers
    assert Providers.load(path) == Providers.load(path)
    stamp = os.stat(path).st_mtime_ns
    # Another size at the same time...
    _write(path, _entry("second-longer"))
    os.utime(path, ns=(stamp, stamp))
    assert set(Providers.load(path).providers) - set(BUILTIN_PROVIDERS) == {"second-longer"}
    # ... and the same size at another time.
    _write(path, _entry("third-longer1"))
    os.utime(path, ns=(stamp + 1_000_000_000, stamp + 1_000_000_000))
    assert set(Providers.load(path).providers) - set(BUILTIN_PROVIDERS) == {"third-longer1"}
    # A file that became bad is reported, not served from the cache.
    _write(path, "[providers.x]\n")
    with pytest.raises(ProvidersFileError):
        Providers.load(path)


def test_the_cache_is_bounded(tmp_path: Path) -> None:
    from completionkit import _provider_file

    for index in range(_provider_file._CACHE_SIZE * 2):
        Providers.load(_write(tmp_path / f"p{index}.toml", _entry(f"p{index}")))
    assert len(_provider_file._CACHE) <= _provider_file._CACHE_SIZE


# --- anything at all as a file -----------------------------------------------------------

_names = itertools.count()

_WORDS = [
    "providers", "models", "base_url", "baseURL", "apiKey", "api_key", "apiKeyEnv", "api_key_env", "profile",
    "headers", "query", "organization", "project", "keyRequired", "key_required", "like", "name", "auth",
    "maxTokensField", "streamOptions", "streamUsage", "reasoningField", "toolChoiceWithoutTools",
    "rateLimitHeaders", "provider", "model", "groq", "ollama", "work", "fast", "X-Team", "none", "bearer",
    "max_tokens", "reasoning", "http://h/v1", "ollama:llama3.2:1b", "", " ", "a:b", "\ud800",
]  # fmt: skip
_json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False)
    | st.sampled_from(_WORDS)
    | st.text(),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(_WORDS) | st.text(), inner, max_size=4)
    ),
    max_leaves=20,
)


def _loads_or_refuses(path: Path) -> None:
    try:
        Providers.load(path)
    except ProvidersFileError as error:
        refused = error
    else:
        return
    assert refused.path == str(path)
    assert refused.param


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    data=st.binary(max_size=300)
    | st.text(max_size=300).map(lambda text: text.encode("utf-8", "surrogatepass"))
)
def test_any_bytes_load_or_raise_a_providers_file_error(tmp_path: Path, data: bytes) -> None:
    for suffix in (".toml", ".json"):
        _loads_or_refuses(_write(tmp_path / f"fuzz{next(_names)}{suffix}", data))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    document=st.dictionaries(st.sampled_from(["providers", "models"]), _json_values, max_size=2)
    | _json_values
)
def test_any_json_document_loads_or_raises_a_providers_file_error(tmp_path: Path, document: object) -> None:
    text = json.dumps(document, ensure_ascii=True)  # \ud800 escaped, as a file may hold it
    _loads_or_refuses(_write(tmp_path / f"fuzz{next(_names)}.json", text))


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    entry=st.dictionaries(
        st.sampled_from(
            ["base_url", "api_key", "api_key_env", "profile", "headers", "query", "key_required"]
        ),
        _json_values,
        max_size=4,
    )
)
def test_any_provider_entry_loads_or_raises_a_providers_file_error(
    tmp_path: Path, entry: dict[str, object]
) -> None:
    # Through JSON for its writer, spelt as TOML would be read: the entry's values, not its keys, are fuzzed.
    document = {"providers": {"work": {_JSON_KEYS.get(key, key): value for key, value in entry.items()}}}
    _loads_or_refuses(_write(tmp_path / f"fuzz{next(_names)}.json", json.dumps(document)))


_JSON_KEYS = {
    "base_url": "baseURL",
    "api_key": "apiKey",
    "api_key_env": "apiKeyEnv",
    "key_required": "keyRequired",
}


# --- writing an entry --------------------------------------------------------------------


def test_every_profile_field_is_read_and_written() -> None:
    fields = {field.name for field in dataclasses.fields(ProviderProfile)} - {"name"}
    assert set(_PROFILE_SETTINGS) == fields
    assert set(_PROFILE_CHOICES) | set(_PROFILE_FLAGS) == fields


_NAME_CHARACTERS = st.characters(
    exclude_categories=("Cs", "Cc", "Zs", "Zl", "Zp"), exclude_characters=":"
)  # no colon nor whitespace: a name's rule
_new_names = st.text(_NAME_CHARACTERS, min_size=1, max_size=12).filter(
    lambda name: name not in BUILTIN_PROVIDERS and not any(c.isspace() for c in name)
)
_profiles = st.builds(
    ProviderProfile,
    name=st.sampled_from(list(BUILTIN_PROFILES)) | st.text(_NAME_CHARACTERS, min_size=1, max_size=12),
    auth=st.sampled_from(typing.get_args(AuthScheme)),
    max_tokens_field=st.sampled_from(typing.get_args(MaxTokensField)),
    stream_options=st.booleans(),
    stream_usage=st.sampled_from(typing.get_args(StreamUsage)),
    reasoning_field=st.none() | st.sampled_from(typing.get_args(ReasoningField)),
    tool_choice_without_tools=st.sampled_from(typing.get_args(ToolChoiceWithoutTools)),
    rate_limit_headers=st.sampled_from(typing.get_args(RateLimitHeaders)),
) | st.sampled_from(list(BUILTIN_PROFILES.values()))
_urls = st.sampled_from(["https://api.example.com/v1", "http://127.0.0.1:8000/v1", "http://[::1]:9/x?y=1"])
_visible = st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=10)
_header_names = st.from_regex(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]{1,10}", fullmatch=True).filter(
    lambda header: (
        not any(
            word in header.lower()
            for word in ("auth", "key", "token", "secret", "cookie", "password", "credential")
        )
    )
)
_printable = st.text(st.characters(exclude_categories=("Cs",)), min_size=1, max_size=10)


def _new_providers(name: str) -> st.SearchStrategy[Provider]:
    return st.builds(
        Provider,
        name=st.just(name),
        base_url=_urls,
        profile=_profiles,
        api_key_env=st.none() | st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,10}", fullmatch=True),
        key_required=st.booleans(),
        headers=st.dictionaries(_header_names, _visible.map(str.strip).filter(bool), max_size=3),
        query=st.dictionaries(
            _printable, st.text(st.characters(exclude_categories=("Cs",)), max_size=8), max_size=3
        ),
        organization=st.none() | _visible.map(str.strip).filter(bool),
        project=st.none() | _visible.map(str.strip).filter(bool),
    )


def _read_back(tmp_path: Path, text: str, name: str) -> Provider:
    return Providers.load(_write(tmp_path / f"written{next(_names)}.toml", text)).get(name)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(provider=_new_names.flatmap(_new_providers))
def test_a_written_provider_reads_back_as_it_was(tmp_path: Path, provider: Provider) -> None:
    assert _read_back(tmp_path, provider_toml(provider.name, provider), provider.name) == provider


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    builtin=st.sampled_from(list(BUILTIN_PROVIDERS.values())),
    profile=_profiles,
    url=st.none() | _urls,
    key_required=st.booleans(),
)
def test_a_written_builtin_reads_back_as_it_was(
    tmp_path: Path, builtin: Provider, profile: ProviderProfile, url: str | None, key_required: bool
) -> None:
    provider = dataclasses.replace(
        builtin, profile=profile, base_url=url or builtin.base_url, key_required=key_required
    )
    assert _read_back(tmp_path, provider_toml(provider.name, provider), provider.name) == provider


@pytest.mark.parametrize("name", list(BUILTIN_PROVIDERS))
def test_each_builtin_written_reads_back_as_it_is(tmp_path: Path, name: str) -> None:
    text = provider_toml(name, BUILTIN_PROVIDERS[name])
    assert f'profile = "{name}"' in text  # a built-in profile by its name
    assert _read_back(tmp_path, text, name) == BUILTIN_PROVIDERS[name]


def test_a_written_entry_is_named_as_asked(tmp_path: Path) -> None:
    text = provider_toml("gpu.box", BUILTIN_PROVIDERS["ollama"])
    assert text.startswith('[providers."gpu.box"]\n')
    assert _read_back(tmp_path, text, "gpu.box") == dataclasses.replace(
        BUILTIN_PROVIDERS["ollama"], name="gpu.box"
    )


def test_a_written_profile_in_full(tmp_path: Path) -> None:
    profile = dataclasses.replace(BUILTIN_PROFILES["groq"], name="probed", reasoning_field=None)
    provider = Provider("probed", "http://h/v1", profile)
    text = provider_toml("probed", provider)
    assert "[providers.probed.profile]" in text
    assert all(f"\n{field} = " in text for field in _PROFILE_SETTINGS)
    assert 'reasoning_field = "none"' in text
    assert _read_back(tmp_path, text, "probed") == provider
    # A profile named otherwise than its provider keeps its name.
    other = Provider("work", "http://h/v1", profile)
    assert 'name = "probed"' in provider_toml("work", other)
    assert _read_back(tmp_path, provider_toml("work", other), "work") == other


def test_a_key_and_secret_headers_are_never_written(tmp_path: Path) -> None:
    from completionkit._config import Secret

    provider = Provider(
        "work",
        "http://h/v1",
        COMPATIBLE,
        api_key=Secret(SECRET),
        headers={"Authorization": f"Bearer {SECRET}", "X-Api-Key": SECRET, "X-Team": "ml"},
    )
    text = provider_toml("work", provider)
    assert SECRET not in text
    assert "Authorization" in text
    assert "X-Api-Key" in text
    read = _read_back(tmp_path, text, "work")
    assert (read.api_key, dict(read.headers)) == (None, {"X-Team": "ml"})


@pytest.mark.parametrize(
    ("name", "provider", "param"),
    [
        ("", BUILTIN_PROVIDERS["groq"], "name"),
        ("a:b", BUILTIN_PROVIDERS["groq"], "name"),
        ("new", Provider("new", None, COMPATIBLE), "base_url"),
        ("new", Provider("new", "http://h/\ud800", COMPATIBLE), "provider"),
    ],
)
def test_what_cannot_be_written_is_refused(name: str, provider: Provider, param: str) -> None:
    with pytest.raises(InvalidRequestError) as caught:
        provider_toml(name, provider)
    assert caught.value.param == param


def test_the_written_text_is_a_providers_file_of_its_own(tmp_path: Path) -> None:
    tricky = Provider(
        "work",
        "http://h/v1?q=%22x%22",
        COMPATIBLE,
        headers={"X-Quote": 'a "b" \\ c'},
        query={"é \n": "\t\u2028"},
    )
    assert _read_back(tmp_path, provider_toml("work", tricky), "work") == tricky
