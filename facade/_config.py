"""What a client is configured with: the defaults, the API key kept secret, the
per-call options, and the checks that refuse a bad setting before anything is sent."""

from __future__ import annotations

import hmac
import math
import os
import re
import sys
import typing
import urllib.parse
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypedDict

import httpx2

from ._exceptions import InvalidRequestError, MissingAPIKeyError
from ._version import __version__

if TYPE_CHECKING:
    from ._hooks import OnRequest, OnResponse, OnRetry
    from ._operations import Call
    from ._provider_file import Providers
    from ._providers import Provider
    from ._telemetry import Watch

__all__ = [
    "API_KEY_VARIABLE",
    "CONNECTION_LIMITS",
    "DEFAULT_BASE_URL",
    "DEFAULT_MAX_RETRIES",
    "DEFAULT_TIMEOUT",
    "USER_AGENT",
    "ClientConfig",
    "ClientOptions",
    "Hooks",
    "RequestOptions",
    "Secret",
    "check_flag",
    "check_header_name",
    "check_header_value",
    "check_headers",
    "check_items",
    "check_options",
    "check_text",
    "check_timeout",
    "check_url",
    "is_secret_header",
    "sendable_key",
    "shown",
    "unexpected_keyword",
    "watching",
]

DEFAULT_BASE_URL = "https://api.openai.com/v1"
API_KEY_VARIABLE = "OPENAI_API_KEY"
DEFAULT_TIMEOUT = 600.0
DEFAULT_MAX_RETRIES = 2

# sys, not platform: a client's import time is part of every cold start.
USER_AGENT = (
    f"completionkit/{__version__} (Python {'.'.join(map(str, sys.version_info[:3]))}; {sys.platform})"
)

# The pool of a client we create: the default keeps only 20 idle connections, so more
# requests than that in flight keep opening and closing connections.
CONNECTION_LIMITS = httpx2.Limits(max_connections=1000, max_keepalive_connections=100)

# The longest timeout: a poll() waits at most 2**31 - 1 ms (under 25 days), and longer
# timeouts overflow somewhere below; a million seconds (11.5 days) is plenty for one call.
MAX_TIMEOUT = 1_000_000.0

# RFC 9110: a header name is a token; a value is visible ASCII, spaces and tabs (no
# CR, LF or NUL, nothing httpx2 would have to encode).
_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_FIELD_VALUE = re.compile(r"[\x20-\x7e\t]*")
# The names of headers that carry credentials (Authorization, api-key, x-api-key,
# x-auth-token, Cookie, ...): a pickled client may not carry them, a providers file does
# not write them, hooks and cassettes do not show them.
_SECRET_HEADER = re.compile(r"auth|key|token|secret|cookie|password|credential", re.IGNORECASE)


def is_secret_header(name: str) -> bool:
    """Whether a header's name says it carries a credential."""
    return _SECRET_HEADER.search(name) is not None


class Secret:
    """A value that never shows itself: not in ``repr``, ``str``, logs or errors."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('**********')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Secret):
            return NotImplemented
        return hmac.compare_digest(self._value.encode(), other._value.encode())

    def __hash__(self) -> int:
        return hash((Secret, self._value))

    def __reduce__(self) -> Any:  # pickling would be another way out
        raise TypeError("a Secret cannot be pickled")


class RequestOptions(TypedDict, total=False):
    """Per-call options, beside the API's own parameters."""

    timeout: float | httpx2.Timeout | None
    """Seconds (or an ``httpx2.Timeout``) for this call; None waits forever."""
    max_retries: int
    """How many times to try again after a retryable failure; 0 never retries."""
    extra_headers: Mapping[str, str]
    """Headers added to this request, over the client's own and its ``default_headers``."""
    extra_query: Mapping[str, str]
    """Query parameters added to this request's URL, after those of the API."""
    extra_body: Mapping[str, object]
    """Keys merged into the JSON body, for parameters this version does not know yet."""


class ClientOptions(TypedDict, total=False):
    """What ``with_options`` changes in the copy of a client; what it leaves out stays as
    the client has it."""

    api_key: str
    """Another API key."""
    base_url: str
    """Another server, or another version of the API."""
    organization: str
    """Another ``OpenAI-Organization``."""
    project: str
    """Another ``OpenAI-Project``."""
    timeout: float | httpx2.Timeout | None
    """Each call's timeout, in seconds (or an ``httpx2.Timeout``); None waits forever."""
    max_retries: int
    """How many times a call is tried again after a retryable failure; 0 never retries."""
    default_headers: Mapping[str, str]
    """Headers added to the client's ``default_headers`` (replacing those of the same name)."""
    set_default_headers: Mapping[str, str]
    """Headers sent instead of the client's ``default_headers``."""
    strict_params: bool
    """True: a request its provider would need adapted raises instead (see "Providers")."""
    on_request: OnRequest | None
    """Another ``on_request`` hook, instead of the client's (None: none)."""
    on_response: OnResponse | None
    """Another ``on_response`` hook, instead of the client's (None: none)."""
    on_retry: OnRetry | None
    """Another ``on_retry`` hook, instead of the client's (None: none)."""


_CLIENT_OPTION_NAMES = frozenset(ClientOptions.__annotations__)
_HOOK_NAMES = ("on_request", "on_response", "on_retry")


class Hooks(typing.NamedTuple):
    """The hooks a client was given, each None where it has none; a client given none
    holds no ``Hooks`` at all, so that a request checks one thing to know it calls none."""

    on_request: OnRequest | None
    on_response: OnResponse | None
    on_retry: OnRetry | None

    @classmethod
    def checked(cls, hooks: Mapping[str, object]) -> Hooks | None:
        """The hooks given by name (``on_request=...``), each checked; None when none is set."""
        for name in _HOOK_NAMES:
            _check_hook(name, hooks.get(name))
        if all(hooks.get(name) is None for name in _HOOK_NAMES):
            return None
        return cls(*(typing.cast("Any", hooks.get(name)) for name in _HOOK_NAMES))

    def arguments(self) -> dict[str, Any]:
        """The hooks as a client's keyword arguments."""
        return self._asdict()


_opentelemetry: bool | None = None
"""Whether the OpenTelemetry API is installed; None until the first call looks."""


def opentelemetry_installed() -> bool:
    """Whether the OpenTelemetry API can be imported: looked up once, without importing it."""
    global _opentelemetry
    if _opentelemetry is None:
        import importlib.util

        try:
            _opentelemetry = importlib.util.find_spec("opentelemetry") is not None
        except (ImportError, ValueError):  # an import hook that refuses it, a broken install
            _opentelemetry = False
    return _opentelemetry


_watch: Callable[[ClientConfig, Call[Any, Any], bool], Watch | None] | None = None
"""``_telemetry.watch``, once imported."""


def watching(config: ClientConfig, call: Call[Any, Any], stream: bool) -> Watch | None:
    """The ``_telemetry.Watch`` of a call about to be made with ``config``, or None when
    there is nothing to tell: the client has no hook, and OpenTelemetry is not installed
    (or not set up).  Every call asks, so it is here, with the hooks: a client without
    hooks, where OpenTelemetry is not installed, pays a None check and never imports
    ``_telemetry``."""
    global _watch
    if config.hooks is None and (_opentelemetry is False or not opentelemetry_installed()):
        return None
    if _watch is None:
        from ._telemetry import watch

        _watch = watch
    return _watch(config, call, stream)


def _check_hook(name: str, hook: object) -> None:
    """A hook is a plain function of one event.  A coroutine function is refused: a hook is
    called in the request's path, without awaiting, and its coroutine would never run."""
    if hook is None:
        return
    if not callable(hook):
        raise InvalidRequestError(name, f"expected a function, got {type(hook).__name__}")
    import inspect  # only a client given a hook pays for it

    # An object with an ``async def __call__`` is an async function too.
    if inspect.iscoroutinefunction(hook) or inspect.iscoroutinefunction(type(hook).__call__):
        raise InvalidRequestError(
            name,
            "a hook is called in the request's path without being awaited, so it must be a plain "
            "function, not an async one; one that has to await can hand the event to a task or a queue",
        )


class ClientConfig(typing.NamedTuple):
    """What a client was built with; immutable, shared by every request.  A NamedTuple,
    not a frozen dataclass: defining one costs a cold start a millisecond."""

    api_key: Secret | None
    """None for a provider whose server needs no key, when none was given."""
    base_url: str
    organization: str | None
    project: str | None
    timeout: float | httpx2.Timeout | None
    max_retries: int
    default_headers: Mapping[str, str]
    routes: dict[str, httpx2.URL]
    """The URL of each route without parameters, parsed the first time it is sent: a
    create parses none after its first."""
    provider: Provider
    """The provider the client talks to: where, how it takes its key, how it differs."""
    registry: Providers
    """Every provider known (built-in, and the providers file's), for ``provider:model``."""
    others: dict[str, ClientConfig]
    """The configuration of each other provider a ``provider:model`` call named, made once."""
    strict_params: bool = False
    api_key_env: str | None = None
    """The environment variable the key was read from; None for a key given in code or
    read from a providers file.  A pickled client carries this instead of the key, and
    reads the variable again."""
    key_in_code: bool = False
    """The key was given in code (``api_key=``): a pickled client could only carry it in its bytes."""
    hooks: Hooks | None = None
    """The client's ``on_request``, ``on_response`` and ``on_retry``; None when it has none."""

    def shown(self) -> str:
        """The settings worth showing in a client's repr: never the key."""
        return (
            f"provider={self.provider.name!r}, base_url={self.base_url!r}, "
            f"organization={self.organization!r}, project={self.project!r}"
        )

    @property
    def key_header(self) -> str | None:
        """The header the key goes in (None: no key is sent)."""
        if self.api_key is None:
            return None
        return "api-key" if self.provider.profile.auth == "api-key" else "Authorization"

    @classmethod
    def from_arguments(
        cls,
        *,
        api_key: str | None,
        base_url: str | None,
        organization: str | None,
        project: str | None,
        timeout: float | httpx2.Timeout | None,
        max_retries: int,
        default_headers: Mapping[str, str] | None,
        provider: str | None = None,
        providers_file: str | os.PathLike[str] | None = None,
        strict_params: bool = False,
        on_request: OnRequest | None = None,
        on_response: OnResponse | None = None,
        on_retry: OnRetry | None = None,
        registry: Providers | None = None,
        environ: Mapping[str, str] = os.environ,
    ) -> ClientConfig:
        if registry is None:
            from ._provider_file import Providers

            registry = Providers.load(providers_file, environ=environ)
        chosen = _chosen(provider, base_url, registry, environ)
        given = base_url or (environ.get("OPENAI_BASE_URL") if provider is None else None) or chosen.base_url
        if given is None:
            raise InvalidRequestError(
                "base_url",
                f"the provider {chosen.name!r} has no base URL of its own: give base_url= (or base_url in "
                "the providers file)"
                + (
                    ", https://NAME.openai.azure.com/openai/deployments/DEPLOYMENT"
                    if chosen.name == "azure"
                    else ""
                ),
            )
        url = check_url("base_url", given)
        _check_retries("max_retries", max_retries)
        check_timeout("timeout", timeout)
        check_flag("strict_params", strict_params)
        hooks = Hooks.checked({"on_request": on_request, "on_response": on_response, "on_retry": on_retry})
        # The environment's organization and project are OpenAI's: not another provider's.
        openai_like = chosen.name == "openai" or provider is None
        if organization is None:
            organization = chosen.organization or (environ.get("OPENAI_ORG_ID") if openai_like else None)
        if project is None:
            project = chosen.project or (environ.get("OPENAI_PROJECT_ID") if openai_like else None)
        for name, value in (("organization", organization), ("project", project)):
            if value is not None:
                check_header_value(name, value)
        headers = {**chosen.headers, **check_headers("default_headers", default_headers or {})}
        key, variable = _provider_key(chosen, api_key, environ)
        return cls(
            api_key=None if key is None else Secret(key),
            base_url=url.rstrip("/"),
            organization=organization,
            project=project,
            timeout=timeout,
            max_retries=max_retries,
            default_headers=headers,
            routes={},
            provider=chosen,
            registry=registry,
            others={},
            strict_params=strict_params,
            api_key_env=variable,
            key_in_code=api_key is not None,
            hooks=hooks,
        )

    def for_model(self, model: str) -> tuple[ClientConfig, str]:
        """The configuration a call for ``model`` is sent with, and the model it names:
        ``groq:llama-3.1-8b-instant`` or an alias of the providers file names another
        provider (its own configuration, made once); any other name is this client's."""
        resolved = self.registry.resolve(model)
        if resolved is None:
            return self, model
        provider, name = resolved
        if provider.name == self.provider.name:
            return self, name
        other = self.others.get(provider.name)
        if other is None:
            # The client's own settings that are not the provider's: its timeout, its
            # retries, its strictness, its hooks.  Not its headers, organization or
            # project, which were meant for its own server.
            other = self.others[provider.name] = ClientConfig.from_arguments(
                api_key=None,
                base_url=None,
                organization=None,
                project=None,
                timeout=self.timeout,
                max_retries=self.max_retries,
                default_headers=None,
                provider=provider.name,
                strict_params=self.strict_params,
                registry=self.registry,
                **(self.hooks.arguments() if self.hooks is not None else {}),
            )
        return other, name

    def replaced(self, options: Mapping[str, object], *, also_known: frozenset[str]) -> ClientConfig:
        """This configuration with ``options`` (``with_options``'s keywords) changed, each
        checked as the client's own arguments are; ``also_known`` are the other keywords
        of ``with_options``, which a misspelt name may have meant."""
        for name in options:
            if name not in _CLIENT_OPTION_NAMES:
                raise unexpected_keyword(name, _CLIENT_OPTION_NAMES | also_known, "with_options")
        headers: Mapping[str, str] = self.default_headers
        if "default_headers" in options and "set_default_headers" in options:
            raise InvalidRequestError(
                "set_default_headers",
                "with_options() takes default_headers (added to the client's) or set_default_headers "
                "(instead of them), not both",
            )
        if "default_headers" in options:
            headers = {**headers, **check_headers("default_headers", options["default_headers"])}
        elif "set_default_headers" in options:
            headers = check_headers("set_default_headers", options["set_default_headers"])
        # Every setting the client was made with, these changed: a setting added to the
        # configuration is carried over without a word here.
        arguments: dict[str, Any] = {
            **self._settings(),
            "api_key": self.api_key.reveal() if self.api_key is not None else None,
            **options,
            "default_headers": headers,
        }
        arguments.pop("set_default_headers", None)
        # No environment: the client read it when it was made, and the copy is that client
        # with these changes, whatever the environment says now.
        copy = ClientConfig.from_arguments(**arguments, registry=self.registry, environ={})
        if "api_key" in options:
            return copy
        return copy._replace(api_key_env=self.api_key_env, key_in_code=self.key_in_code)

    def pickled(self, client: str) -> dict[str, Any]:
        """What a pickled ``client`` carries: every setting but the key, which is read
        again from its environment variable (or its providers file) where the client is
        unpickled.  A key given in code, or a default header that may hold a secret,
        cannot be carried: pickling would write it into the pickle's bytes.  Hooks go as
        pickle carries functions, by name: one that cannot go so (a lambda) is refused."""
        if self.key_in_code:
            variable = self.provider.api_key_env or API_KEY_VARIABLE
            raise InvalidRequestError(
                "api_key",
                f"{client} was given its key in code (api_key= or with_options), and pickling would "
                f"write the key into the pickle's bytes. Set {variable} in the environment of "
                f"every process and make the client without api_key= (an unpickled client reads the "
                "variable again), or make the client in the process that uses it (in a process "
                "pool's initializer, say)",
            )
        for name, hook in (self.hooks.arguments() if self.hooks is not None else {}).items():
            if hook is not None and not _pickles(hook):
                raise InvalidRequestError(
                    name,
                    f"{client} has an {name} hook that pickle cannot carry to another process (a lambda, "
                    "a function defined inside another, a closure, or an object that does not pickle). "
                    "Make the hook a function of a module, which pickles by its name, or make the client "
                    "in the process that uses it (in a process pool's initializer, say)",
                )
        for header in self.default_headers:
            if is_secret_header(header):
                raise InvalidRequestError(
                    "default_headers",
                    f"{client} sends a {header!r} header, which may hold a secret that pickling would "
                    "write into the pickle's bytes; make the client in the process that uses it (in a "
                    "process pool's initializer, say)",
                )
        return {**self._settings(), "providers_file": self.registry.source}

    def _settings(self) -> dict[str, Any]:
        """What ``from_arguments`` makes this configuration from, less the key and the
        registry: not the caches (filled again as a copy sends), nor where the key came from."""
        settings = self._asdict()
        for derived in ("api_key", "routes", "api_key_env", "key_in_code", "registry", "others"):
            del settings[derived]
        hooks: Hooks | None = settings.pop("hooks")
        settings.update(hooks.arguments() if hooks is not None else dict.fromkeys(_HOOK_NAMES))
        # A registered provider by its name; a server known only by its URL by that URL.
        known = self.registry.providers.get(self.provider.name) == self.provider
        settings["provider"] = self.provider.name if known else None
        # The provider's own headers come with it again.
        settings["default_headers"] = {
            name: value
            for name, value in self.default_headers.items()
            if self.provider.headers.get(name) != value
        }
        return settings

    @classmethod
    def unpickled(cls, state: Mapping[str, Any]) -> ClientConfig:
        """The configuration ``pickled`` carried, its key read from this process's
        environment (or its providers file)."""
        from ._provider_file import Providers

        settings = dict(state)
        source = settings.pop("providers_file")
        registry = Providers.builtin() if source is None else Providers.load(source)
        name = settings["provider"]
        provider = registry.get(name) if name is not None else _custom(settings["base_url"])
        key, variable = _provider_key(provider, None, os.environ, pickled=True)
        # Nothing else from this environment: the client is the one that was pickled.
        config = cls.from_arguments(api_key=key, registry=registry, environ={}, **settings)
        return config._replace(api_key_env=variable, key_in_code=False)


def _pickles(hook: object) -> bool:
    """Whether pickle can carry ``hook``: a function of a module can (by its name), a lambda
    or a local function cannot."""
    import pickle

    try:
        pickle.dumps(hook)
    except Exception:  # pickle raises several kinds (PicklingError, AttributeError, TypeError)
        return False
    return True


def _custom(base_url: str) -> Provider:
    """The provider of a client given only a URL: nothing is known of its server, so no
    request is adapted, and its key is OpenAI's variable, as the openai package reads it."""
    from ._providers import COMPATIBLE, Provider

    return Provider("custom", base_url, COMPATIBLE, api_key_env=API_KEY_VARIABLE)


def _chosen(
    provider: object, base_url: str | None, registry: Providers, environ: Mapping[str, str]
) -> Provider:
    """The provider a client talks to: the one named, else a server known only by the
    URL given, else OpenAI (as the providers file may have set it)."""
    if provider is not None:
        if not isinstance(provider, str):
            raise InvalidRequestError(
                "provider", f"expected a provider's name, got {type(provider).__name__}"
            )
        return registry.get(provider)
    url = base_url or environ.get("OPENAI_BASE_URL")
    openai = registry.get("openai")
    # A URL that is no string is refused as base_url's, once it is checked.
    if not isinstance(url, str) or url.rstrip("/") == (openai.base_url or "").rstrip("/"):
        return openai
    return _custom(url)


def _provider_key(
    provider: Provider, api_key: object, environ: Mapping[str, str], *, pickled: bool = False
) -> tuple[str | None, str | None]:
    """The key to send (None: none) and the variable it was read from: the one given,
    else the providers file's, else the provider's variable's; a provider whose server
    needs none sends none without one."""
    if api_key is not None:
        return _api_key(api_key, API_KEY_VARIABLE), None
    if provider.api_key is not None:
        return _api_key(provider.api_key.reveal(), f"the providers file's key of {provider.name!r}"), None
    variable = provider.api_key_env
    value = environ.get(variable, "").strip() if variable is not None else ""
    if value:
        return _api_key(value, variable or API_KEY_VARIABLE), variable
    if not provider.key_required:
        return None, None
    if pickled:
        raise MissingAPIKeyError(
            f"This client was pickled without its API key, which it read from {variable}: "
            f"set {variable} in the environment of this process too."
        )
    if variable is None:
        raise MissingAPIKeyError(f"No API key for the provider {provider.name!r}: pass api_key=.")
    raise MissingAPIKeyError(
        f"No API key: pass api_key= or set the {variable} environment variable "
        "(a local server that needs none still wants a placeholder, such as 'sk-local')."
    )


def check_url(name: str, url: object) -> str:
    """An http(s) URL with a host, as a base URL must be."""
    if not isinstance(url, str):  # typed str, but a caller may pass anything
        raise InvalidRequestError(name, f"expected an http(s) URL, got {type(url).__name__}")
    check_text(name, url)
    try:
        parsed = urllib.parse.urlsplit(url)
        httpx2.URL(url)
    except (ValueError, httpx2.InvalidURL):
        parsed = None
    if parsed is None or parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise InvalidRequestError(name, f"expected an http(s) URL, got {url!r}")
    return url


def sendable_key(key: object) -> str | None:
    """The key as it is sent, or None for none (None, or only white space): surrounding
    white space (a key read from a file ends with a newline) is dropped; a key that
    cannot be a header value is refused without being shown, so that neither the message
    nor a traceback holds it."""
    if key is not None and not isinstance(key, str):
        raise InvalidRequestError("api_key", f"expected a string, got {type(key).__name__}")
    key = (key or "").strip()
    if key and not _FIELD_VALUE.fullmatch(key):
        raise InvalidRequestError(
            "api_key",
            "the API key holds a character that cannot be sent in a header (a non-ASCII or "
            "control character, such as a newline inside it); the key is not shown",
        )
    return key or None


def _api_key(key: object, source: str) -> str:
    """The key a client sends (``sendable_key``), which it must have."""
    sent = sendable_key(key)
    if sent is None:
        raise MissingAPIKeyError(
            f"No API key: pass api_key= or set the {source} environment variable "
            "(a local server that needs none still wants a placeholder, such as 'sk-local')."
        )
    return sent


def check_text(name: str, value: str) -> None:
    """Refuse a string that cannot be encoded as UTF-8 (a lone surrogate)."""
    try:
        value.encode()
    except UnicodeEncodeError as error:
        raise InvalidRequestError(
            name, f"holds a lone surrogate at position {error.start}, which UTF-8 cannot encode"
        ) from None


def check_header_name(name: str, header: object) -> str:
    if not isinstance(header, str):
        raise InvalidRequestError(name, f"header names must be strings, got {type(header).__name__}")
    if not _TOKEN.fullmatch(header):
        raise InvalidRequestError(name, f"{shown(header)} is not a valid header name")
    return header


def check_header_value(name: str, value: object) -> str:
    """A header value: a string of visible ASCII, spaces and tabs.  The value itself is
    never shown: headers carry secrets."""
    if not isinstance(value, str):
        raise InvalidRequestError(name, f"expected a string, got {type(value).__name__}")
    if not _FIELD_VALUE.fullmatch(value):
        raise InvalidRequestError(
            name, "a header value may hold only visible ASCII characters, spaces and tabs (no CR or LF)"
        )
    return value


def check_headers(name: str, headers: object) -> Mapping[str, str]:
    """Headers given by the caller, each name and value checked (never echoing a value)."""
    if not isinstance(headers, Mapping):
        raise InvalidRequestError(name, f"expected a mapping, got {type(headers).__name__}")
    for header, value in typing.cast("Mapping[object, object]", headers).items():
        header = check_header_name(name, header)
        check_header_value(f"{name}[{shown(header)}]", value)
    return typing.cast("Mapping[str, str]", headers)


def _check_seconds(name: str, value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidRequestError(name, f"expected seconds or an httpx2.Timeout, got {type(value).__name__}")
    if not (isinstance(value, int) or math.isfinite(value)) or not 0 <= value <= MAX_TIMEOUT:
        raise InvalidRequestError(
            name, f"expected seconds from 0 to {MAX_TIMEOUT:.0f}, got {shown(value, 20)}"
        )


def check_timeout(name: str, value: object) -> None:
    """A timeout: None, finite seconds >= 0, or an ``httpx2.Timeout`` made of those."""
    if value is None:
        return
    if isinstance(value, httpx2.Timeout):
        for part in (value.connect, value.read, value.write, value.pool):
            if part is not None:
                _check_seconds(name, part)
        return
    _check_seconds(name, value)


def shown(value: object, limit: int = 60) -> str:
    """A value as an error message shows it: a short repr of a plain scalar, the type's
    name of anything else (whose repr may be huge, recurse forever, or raise)."""
    plain = isinstance(value, bool | float | str | bytes) or (
        isinstance(value, int) and abs(value) < 10**limit
    )
    if value is None or plain:
        text = repr(value[:limit] if isinstance(value, str | bytes) else value)
    else:
        return f"a {type(value).__name__}"
    return text if len(text) <= limit else text[: limit - 3] + "..."


def unexpected_keyword(name: object, known: frozenset[str], method: str) -> InvalidRequestError:
    """The error for a keyword ``method`` does not take, with the known name it most
    likely meant."""
    if not isinstance(name, str):
        return InvalidRequestError(
            "parameters", f"parameter names must be strings, got {type(name).__name__}"
        )
    check_text("parameters", name)
    if not name.strip():
        return InvalidRequestError("parameters", f"{method}() got a blank parameter name {name[:20]!r}")
    import difflib  # for a mistake only: it takes a cold start 10 ms to import

    close = difflib.get_close_matches(name, known, n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    return InvalidRequestError(name, f"{method}() got an unexpected keyword argument{hint}")


def _check_retries(name: str, value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise InvalidRequestError(name, f"expected an integer >= 0, got {shown(value)}")


def check_flag(name: str, value: object) -> bool:
    if not isinstance(value, bool):
        raise InvalidRequestError(name, f"expected True or False, got {shown(value)}")
    return value


def check_items(name: str, value: object, *, expected: str, empty: str) -> Sequence[object]:
    """A list of at least one item: any sequence but a string, bytes or a mapping (each of
    which is a sequence, or iterable, of something else).  ``expected`` names what the
    list is of, ``empty`` says why it cannot be empty."""
    kind = type(value).__name__  # before the narrowing below, which leaves its type partly unknown
    if isinstance(value, str | bytes | Mapping) or not isinstance(value, Sequence):
        raise InvalidRequestError(name, f"expected {expected}, got {kind}")
    items = typing.cast("Sequence[object]", value)
    if not items:
        raise InvalidRequestError(name, empty)
    return items


def check_options(options: Mapping[str, Any]) -> None:
    """Refuse per-call options of the wrong type before anything is sent."""
    if not options:
        return  # the common case, on every call
    if "max_retries" in options:
        _check_retries("max_retries", options["max_retries"])
    check_timeout("timeout", options.get("timeout"))
    for name in ("extra_headers", "extra_query", "extra_body"):
        if name in options and not isinstance(options[name], Mapping):
            raise InvalidRequestError(name, f"expected a mapping, got {type(options[name]).__name__}")
    if "extra_headers" in options:
        check_headers("extra_headers", options["extra_headers"])
    for name in ("extra_query", "extra_body"):
        for key in typing.cast("Mapping[object, object]", options.get(name, {})):
            if not isinstance(key, str):
                raise InvalidRequestError(name, f"keys must be strings, got {type(key).__name__}")
            check_text(name, key)
    for key, value in typing.cast("Mapping[str, object]", options.get("extra_query", {})).items():
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise InvalidRequestError(
                f"extra_query[{shown(key)}]", f"expected a string or a number, got {type(value).__name__}"
            )
        if isinstance(value, str):
            check_text(f"extra_query[{shown(key)}]", value)
        elif isinstance(value, int) and abs(value) >= 10**100:
            raise InvalidRequestError(f"extra_query[{shown(key)}]", "a number too large to send")
