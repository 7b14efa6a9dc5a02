"""The providers file, and the registry of every provider a client can talk to.

A providers file adds providers to the built-ins of ``_providers`` (or overrides them)
and names model aliases.  It is TOML (``providers.toml``), or 4D AI Kit's
``AIProviders.json`` read as it is; only the first file found is read, never several
merged (as 4D does):

1. the ``providers_file=`` given to the client (it must exist);
2. the file named by the ``COMPLETIONKIT_PROVIDERS`` environment variable (likewise);
3. in the user's config folder (``%APPDATA%\\completionkit`` on Windows, else
   ``$XDG_CONFIG_HOME/completionkit`` or ``~/.config/completionkit``): ``providers.toml``,
   else ``AIProviders.json``.

Every mistake in a file is a ``ProvidersFileError`` naming the file and the key at fault,
and a key the file's format does not know is one too: a misspelt key that went unnoticed
would quietly send requests elsewhere, or without the header meant.
"""

from __future__ import annotations

import dataclasses
import os
import re
import sys
import threading
import typing
from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import IO, Any, Literal, NamedTuple, overload

from ._config import (
    Secret,
    check_header_name,
    check_header_value,
    check_text,
    check_url,
    is_secret_header,
    shown,
)
from ._exceptions import InvalidRequestError, ProvidersFileError
from ._providers import (
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

__all__ = [
    "FILE_NAMES",
    "PROVIDERS_VARIABLE",
    "ModelAlias",
    "Providers",
    "config_folder",
    "provider_toml",
]

PROVIDERS_VARIABLE = "COMPLETIONKIT_PROVIDERS"
"""The environment variable naming a providers file."""
FILE_NAMES = ("providers.toml", "AIProviders.json")
"""The providers files looked for in the config folder, the first found read."""


class ModelAlias(NamedTuple):
    """A model's other name in a providers file: the provider a call for it goes to, and
    the model it is sent as."""

    provider: str
    model: str


class Providers:
    """Every provider a client can talk to: the built-ins, and those of the providers file
    read (``source``), with the file's model aliases.  Immutable: a client made with it, and
    every copy of that client, sees the same providers whatever happens to the file later.
    """

    __slots__ = ("_aliases", "_providers", "_source")

    def __init__(
        self,
        providers: Mapping[str, Provider] = BUILTIN_PROVIDERS,
        aliases: Mapping[str, ModelAlias] | None = None,
        *,
        source: str | None = None,
    ) -> None:
        aliases = aliases or {}
        for name, alias in aliases.items():
            if alias.provider not in providers:
                raise InvalidRequestError(
                    "aliases",
                    f"the alias {shown(name)} names the provider {shown(alias.provider)}, which is not known",
                )
        # Copies behind read-only views: the caller's mappings may change after.
        self._providers: Mapping[str, Provider] = MappingProxyType(dict(providers))
        self._aliases: Mapping[str, ModelAlias] = MappingProxyType(dict(aliases))
        self._source = source

    @classmethod
    def builtin(cls) -> Providers:
        """The built-in providers only, without aliases: what a client sees without a providers file."""
        return _BUILTIN

    @classmethod
    def load(
        cls,
        providers_file: str | os.PathLike[str] | None = None,
        *,
        environ: Mapping[str, str] = os.environ,
    ) -> Providers:
        """The built-ins and the providers file found first: ``providers_file`` if given,
        else the one ``COMPLETIONKIT_PROVIDERS`` names, else ``providers.toml`` or
        ``AIProviders.json`` in the user's config folder; the built-ins alone when there
        is none.  A file named (by ``providers_file`` or the variable) must exist.

        Raises ``ProvidersFileError`` for a file that cannot be read as a providers file."""
        if providers_file is not None:
            path = _given_path(providers_file)
            return _read(path, "providers_file", _opened(path, "providers_file", required=True))
        named = environ.get(PROVIDERS_VARIABLE, "")
        if named:
            path = os.path.abspath(named)
            return _read(path, PROVIDERS_VARIABLE, _opened(path, PROVIDERS_VARIABLE, required=True))
        folder = config_folder(environ)
        if folder is not None:
            for file_name in FILE_NAMES:
                path = os.path.join(folder, file_name)
                file = _opened(path, "providers_file", required=False)
                if file is not None:
                    return _read(path, "providers_file", file)
        return _BUILTIN

    @property
    def providers(self) -> Mapping[str, Provider]:
        """Every provider by its name: the built-ins, as the file overrides them, and the file's own."""
        return self._providers

    @property
    def aliases(self) -> Mapping[str, ModelAlias]:
        """The providers file's model aliases by name (``fast`` -> groq's ``llama-3.1-8b-instant``)."""
        return self._aliases

    @property
    def source(self) -> str | None:
        """The providers file read (an absolute path); None for the built-ins alone."""
        return self._source

    def get(self, name: str) -> Provider:
        """The provider called ``name``; an unknown name is an ``InvalidRequestError`` that
        lists the known ones."""
        provider = self._providers.get(name)
        if provider is None:
            known = ", ".join(sorted(self._providers))
            where = f"; the providers file read is {self._source}" if self._source else ""
            hint = _did_you_mean(name, self._providers)
            raise InvalidRequestError(
                "provider", f"unknown provider {shown(name)}{hint}; known: {known}{where}"
            )
        return provider

    def resolve(self, model: str) -> tuple[Provider, str] | None:
        """The provider a call for ``model`` goes to, and the model it is sent as: an alias's,
        or ``provider:model``'s for a known provider (split at the first colon, so
        ``ollama:llama3.2:1b`` is Ollama's ``llama3.2:1b``).  None for any other name, sent
        as it is to the client's own server: colons are common in model names
        (``ft:gpt-4o-mini:org::id``, Ollama's ``llama3.2:1b``)."""
        alias = self._aliases.get(model)
        if alias is not None:
            return self._providers[alias.provider], alias.model
        name, colon, rest = model.partition(":")
        if colon and rest:
            provider = self._providers.get(name)
            if provider is not None:
                return provider, rest
        return None

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Providers):
            return NotImplemented
        return (self._source, self._providers, self._aliases) == (
            other._source,
            other._providers,
            other._aliases,
        )

    def __repr__(self) -> str:
        # Names only: a provider's repr leaves its key out, but there is no need to show so much.
        return (
            f"Providers(source={self._source!r}, providers={sorted(self._providers)!r}, "
            f"aliases={sorted(self._aliases)!r})"
        )


_BUILTIN = Providers()


def config_folder(environ: Mapping[str, str], platform: str = sys.platform) -> str | None:
    """The user's completionkit config folder, from ``environ`` (not the process's own
    lookups, so that it can be pointed elsewhere); None when the variables it is found
    from are unset."""
    if platform == "win32":
        appdata = environ.get("APPDATA", "")
        return os.path.join(appdata, "completionkit") if appdata else None
    # The XDG Base Directory specification: a relative XDG_CONFIG_HOME is ignored.
    xdg = environ.get("XDG_CONFIG_HOME", "")
    if xdg and os.path.isabs(xdg):
        return os.path.join(xdg, "completionkit")
    home = environ.get("HOME", "")
    return os.path.join(home, ".config", "completionkit") if home else None


def _given_path(value: object) -> str:
    path = value
    if isinstance(value, os.PathLike):
        path = os.fspath(typing.cast("os.PathLike[str]", value))  # or of bytes: refused below
    if not isinstance(path, str):  # typed so, but a caller may pass anything (bytes included)
        raise InvalidRequestError(
            "providers_file", f"expected a path (a str or an os.PathLike of str), got {type(path).__name__}"
        )
    if not path:
        raise ProvidersFileError(path, "providers_file", "an empty path names no file")
    # Absolute: a pickled client reads its file again, maybe from another working directory.
    return os.path.abspath(path)


@overload
def _opened(path: str, origin: str, *, required: Literal[True]) -> IO[bytes]: ...
@overload
def _opened(path: str, origin: str, *, required: Literal[False]) -> IO[bytes] | None: ...
def _opened(path: str, origin: str, *, required: bool) -> IO[bytes] | None:
    """The file at ``path``, open; None when it does not exist and need not.  ``origin``
    (``providers_file`` or the variable) is what named it: the key of an error about the
    whole file."""
    if _format(path) is None:
        raise ProvidersFileError(
            path, origin, "expected a .toml or .json file: the name's suffix says which format it is in"
        )
    try:
        return open(path, "rb")
    except (FileNotFoundError, NotADirectoryError):
        if not required:
            return None
        if origin == PROVIDERS_VARIABLE:
            raise ProvidersFileError(
                path, origin, f"{PROVIDERS_VARIABLE} names a file that does not exist"
            ) from None
        raise ProvidersFileError(path, origin, "no such file") from None
    except IsADirectoryError:
        raise ProvidersFileError(path, origin, "a folder, not a file") from None
    except OSError as error:
        raise ProvidersFileError(
            path, origin, f"cannot be read: {error.strerror or type(error).__name__}"
        ) from None


def _format(path: str) -> str | None:
    suffix = os.path.splitext(path)[1].lower()
    return {".toml": "toml", ".json": "json"}.get(suffix)


_Parsed = tuple[Mapping[str, Provider], Mapping[str, ModelAlias]]

# Every client made reads its providers file: each file is parsed once, and again only
# when it changes (an edit changes its size or its modification time, which key it);
# bounded, since a long-lived process may be pointed at many files (a test suite's).
_CACHE: dict[tuple[str, int, int, str | None], _Parsed] = {}
_CACHE_SIZE = 16
_CACHE_LOCK = threading.Lock()


def _read(path: str, origin: str, file: IO[bytes]) -> Providers:
    with file:
        try:
            status = os.fstat(file.fileno())
            key = (os.path.realpath(path), status.st_mtime_ns, status.st_size, _format(path))
            parsed = _CACHE.get(key)
            data = file.read() if parsed is None else b""
        except OSError as error:
            raise ProvidersFileError(
                path, origin, f"cannot be read: {error.strerror or type(error).__name__}"
            ) from None
    if parsed is None:
        parsed = _Reader(path, origin, _format(path) == "json").read(data)
        with _CACHE_LOCK:
            _CACHE[key] = parsed
            while len(_CACHE) > _CACHE_SIZE:
                del _CACHE[next(iter(_CACHE))]
    return Providers(parsed[0], parsed[1], source=path)


# --- reading a file ----------------------------------------------------------------------

# A provider's or an alias's name: "provider:model" splits at the first colon, and a
# name is written in a model's name, so neither may hold a colon or whitespace.
_NAME = re.compile(r"[^\s:]+")
# A name TOML (and the key paths of errors) can write without quotes.
_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")
_VARIABLE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")

_TOP_FIELDS = ("providers", "models")
_PROVIDER_FIELDS = (
    "base_url",
    "api_key_env",
    "api_key",
    "profile",
    "headers",
    "query",
    "organization",
    "project",
    "key_required",
)
_ALIAS_FIELDS = ("provider", "model")
# The values each profile field takes, from the Literal types themselves: a value added
# to a type is taken here without a word.  reasoning_field's None is written "none".
_PROFILE_CHOICES: Mapping[str, tuple[str, ...]] = {
    "auth": typing.get_args(AuthScheme),
    "max_tokens_field": typing.get_args(MaxTokensField),
    "stream_usage": typing.get_args(StreamUsage),
    "reasoning_field": (*typing.get_args(ReasoningField), "none"),
    "tool_choice_without_tools": typing.get_args(ToolChoiceWithoutTools),
    "rate_limit_headers": typing.get_args(RateLimitHeaders),
}
_PROFILE_FLAGS = ("stream_options",)
# The profile's own fields, in its order: as a file writes them.
_PROFILE_SETTINGS = tuple(field.name for field in dataclasses.fields(ProviderProfile) if field.name != "name")
_PROFILE_FIELDS = ("like", "name", *_PROFILE_SETTINGS)
# JSON's spelling of the names whose camelCase is not mechanical.
_JSON_SPELLING = {"base_url": "baseURL"}


def _camel(field: str) -> str:
    special = _JSON_SPELLING.get(field)
    if special is not None:
        return special
    first, *rest = field.split("_")
    return first + "".join(part.title() for part in rest)


def _path(parent: str, name: str) -> str:
    """The dotted path of ``name`` under ``parent``, quoted as TOML quotes a key when it
    is not bare (``models."llama3.2"``)."""
    key = name if _BARE_KEY.fullmatch(name) else _toml_string(name)
    return f"{parent}.{key}" if parent else key


def _did_you_mean(name: object, known: Iterable[str]) -> str:
    if not isinstance(name, str):
        return ""
    import difflib  # for a mistake only: a cold start would pay for it

    close = difflib.get_close_matches(name, list(known), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


class _JSONObject(dict[str, object]):
    """A JSON object that remembers the keys given twice in it: the json module keeps
    the last silently, and a key repeated by mistake would go unnoticed."""

    __slots__ = ("twice",)

    def __init__(self, pairs: list[tuple[str, object]]) -> None:
        super().__init__(pairs)
        self.twice: list[str] = []
        if len(self) < len(pairs):  # rare: the work only then
            seen: set[str] = set()
            for name, _ in pairs:
                if name in seen:
                    self.twice.append(name)
                seen.add(name)


class _Reader:
    """One providers file read: its text parsed, and each key checked and turned into
    the registry's providers and aliases."""

    def __init__(self, path: str, origin: str, is_json: bool) -> None:
        self.path = path
        self.origin = origin
        self.is_json = is_json

    def error(self, key: str, message: str) -> ProvidersFileError:
        return ProvidersFileError(self.path, key, message)

    def kind(self, value: object) -> str:
        """What a value is, in the words of the file's format (never the value: it may be a key)."""
        if value is None:
            return "null"
        if isinstance(value, dict):
            return "an object" if self.is_json else "a table"
        kinds: dict[type, str] = {
            bool: "a boolean",
            int: "an integer",
            float: "a number",
            str: "a string",
            list: "an array",
        }
        return kinds.get(type(value), f"a {type(value).__name__}")  # TOML's dates and times

    def spelt(self, field: str) -> str:
        """``field`` as this file's format spells it: 4D's JSON in camelCase."""
        return _camel(field) if self.is_json else field

    def read(self, data: bytes) -> _Parsed:
        return self.document(self.parsed(data))

    def parsed(self, data: bytes) -> object:
        try:
            # utf-8-sig: Windows editors (Notepad) start a UTF-8 file with a byte order mark.
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as error:
            line = data[: error.start].count(b"\n") + 1
            raise self.error(
                self.origin,
                f"not UTF-8 text: the byte at line {line} (offset {error.start}) cannot be decoded",
            ) from None
        if self.is_json:
            import json  # only for a JSON file: a cold start that finds no file imports nothing

            try:
                return json.loads(text, object_pairs_hook=_JSONObject)
            except json.JSONDecodeError as error:
                raise self.error(
                    self.origin, f"not valid JSON: {error.msg} at line {error.lineno}, column {error.colno}"
                ) from None
            except RecursionError:
                raise self.error(self.origin, "not a providers file: nested too deeply") from None
            except ValueError as error:  # an integer too long to convert
                raise self.error(self.origin, f"not valid JSON: {error}") from None
        import tomllib  # only for a TOML file, likewise

        try:
            return tomllib.loads(text)
        except RecursionError:
            raise self.error(self.origin, "not a providers file: nested too deeply") from None
        except ValueError as error:  # TOMLDecodeError names the line; an integer too long does not
            raise self.error(self.origin, f"not valid TOML: {error}") from None

    def table(self, key: str, value: object, expected: str) -> Mapping[str, object]:
        if not isinstance(value, dict):
            if self.is_json:
                expected = expected.replace("a table", "an object")
            raise self.error(key or self.origin, f"expected {expected}, got {self.kind(value)}")
        if isinstance(value, _JSONObject) and value.twice:
            raise self.error(_path(key, value.twice[0]), "given twice in the same object")
        return typing.cast("dict[str, object]", value)

    def fields(self, key: str, value: object, names: Iterable[str], expected: str) -> dict[str, object]:
        """The fields of a table by their names (whatever the format's spelling), each
        key checked to be one of ``names``."""
        table = self.table(key, value, expected)
        spellings = {self.spelt(name): name for name in names}
        found: dict[str, object] = {}
        for given, item in table.items():
            field = spellings.get(given)
            if field is None:
                raise self.unknown(key, given, spellings)
            found[field] = item
        return found

    def unknown(self, key: str, given: str, spellings: Mapping[str, str]) -> ProvidersFileError:
        other = {(field if self.is_json else _camel(field)): spelt for spelt, field in spellings.items()}
        if given in other:
            # A key of the other format: a TOML file written from a JSON one, or the reverse.
            hint = f" (a {'JSON' if self.is_json else 'TOML'} file spells it {other[given]!r})"
        else:
            hint = _did_you_mean(given, spellings)
        known = ", ".join(spellings)
        return self.error(_path(key, given), f"unknown key{hint}; expected one of: {known}")

    def string(self, key: str, value: object) -> str:
        """A string, never shown in a message: a value may be a key put in the wrong place."""
        if not isinstance(value, str):
            raise self.error(key, f"expected a string, got {self.kind(value)}")
        try:
            check_text(key, value)  # JSON's \\ud800 escapes make lone surrogates
        except InvalidRequestError:
            raise self.error(key, "holds a lone surrogate, which UTF-8 cannot encode") from None
        return value

    def name(self, key: str, value: str, what: str) -> str:
        self.string(key, value)
        if not _NAME.fullmatch(value):
            raise self.error(
                key,
                f"{what} name may not be empty, nor hold a colon or whitespace (a model is named "
                "provider:model)",
            )
        return value

    def document(self, value: object) -> _Parsed:
        top = self.fields("", value, _TOP_FIELDS, "a table of providers and models")
        providers = dict(BUILTIN_PROVIDERS)
        for name, entry in self.table("providers", top.get("providers", {}), "a table of providers").items():
            key = _path("providers", name)
            providers[name] = self.provider(self.name(key, name, "a provider's"), key, entry)
        aliases: dict[str, ModelAlias] = {}
        for name, target in self.table("models", top.get("models", {}), "a table of model aliases").items():
            key = _path("models", name)
            aliases[self.name(key, name, "an alias's")] = self.alias(key, target, providers)
        return MappingProxyType(providers), MappingProxyType(aliases)

    def provider(self, name: str, key: str, entry: object) -> Provider:
        given = self.fields(key, entry, _PROVIDER_FIELDS, "a table of the provider's settings")
        builtin = BUILTIN_PROVIDERS.get(name)
        # A built-in's entry changes only the keys it gives.
        base = builtin or Provider(name, None, COMPATIBLE, key_required=False)
        at = {field: _path(key, self.spelt(field)) for field in _PROVIDER_FIELDS}

        base_url = base.base_url
        if "base_url" in given:
            base_url = self.url(at["base_url"], given["base_url"])
        elif builtin is None:
            raise self.error(
                at["base_url"], "a provider that is not built in needs a base URL (https://host/v1)"
            )

        api_key = self.optional(at["api_key"], given.get("api_key"))
        secret: Secret | None = None
        if api_key is not None:
            secret = self.key(at["api_key"], api_key)
        api_key_env = base.api_key_env
        variable = self.optional(at["api_key_env"], given.get("api_key_env"))
        if variable is not None:
            if secret is not None:
                raise self.error(
                    at["api_key"],
                    f"give {self.spelt('api_key')} (the key) or {self.spelt('api_key_env')} (the variable "
                    "holding it), not both",
                )
            api_key_env = self.variable(at["api_key_env"], variable)
        elif secret is not None:
            api_key_env = None  # the file's key is the key: no variable is read for it

        if "key_required" in given:
            key_required = self.flag(at["key_required"], given["key_required"])
        elif builtin is not None:
            key_required = builtin.key_required
        else:
            # A server given a key (or its variable) wants one; one given neither, none.
            key_required = secret is not None or variable is not None

        profile = base.profile
        if "profile" in given:
            profile = self.profile(name, at["profile"], given["profile"], base.profile)

        headers = dict(base.headers)
        if "headers" in given:
            headers.update(self.headers(at["headers"], given["headers"]))
        # Merged, not replaced: Azure's api-version stays when a file adds a parameter.
        query = dict(base.query)
        if "query" in given:
            query.update(self.query(at["query"], given["query"]))

        organization = self.header_value(at["organization"], given.get("organization")) or base.organization
        project = self.header_value(at["project"], given.get("project")) or base.project
        return Provider(
            name,
            base_url,
            profile,
            api_key_env=api_key_env,
            api_key=secret,
            key_required=key_required,
            headers=headers,
            query=query,
            organization=organization,
            project=project,
        )

    def optional(self, key: str, value: object) -> str | None:
        """A string that may be left out; an empty one is taken as left out, as a settings
        page (4D's) may write the fields it leaves empty."""
        if value is None:
            return None
        text = self.string(key, value).strip()
        return text or None

    def url(self, key: str, value: object) -> str:
        url = self.string(key, value)
        try:
            check_url(key, url)  # the check of a client's base_url=
        except InvalidRequestError:
            # Without the URL itself: it may hold a password (https://user:password@host).
            raise self.error(
                key, "expected an http(s) URL with a host, such as https://api.example.com/v1"
            ) from None
        return url

    def key(self, key: str, value: str) -> Secret:
        try:
            check_header_value(key, value)
        except InvalidRequestError:
            raise self.error(
                key,
                "the key holds a character that cannot be sent in a header (a non-ASCII or control "
                "character); the key is not shown",
            ) from None
        return Secret(value)

    def variable(self, key: str, value: str) -> str:
        if not _VARIABLE.fullmatch(value):
            raise self.error(
                key,
                "expected the name of an environment variable (letters, digits and underscores, not "
                f"starting with a digit); if this is the key itself, give it as {self.spelt('api_key')} "
                "(the value is not shown, in case it is)",
            )
        return value

    def flag(self, key: str, value: object) -> bool:
        if not isinstance(value, bool):
            raise self.error(key, f"expected true or false, got {self.kind(value)}")
        return value

    def header_value(self, key: str, value: object) -> str | None:
        text = self.optional(key, value)
        if text is not None:
            try:
                check_header_value(key, text)  # sent as a header; never shown
            except InvalidRequestError as error:
                raise self.error(key, error.message.removeprefix(f"{key}: ")) from None
        return text

    def headers(self, key: str, value: object) -> dict[str, str]:
        headers: dict[str, str] = {}
        for header, item in self.table(key, value, "a table of header names and values").items():
            at = _path(key, header)
            text = self.string(at, item)
            try:
                check_header_name(at, header)
                check_header_value(at, text)  # never shown: a header may carry a secret
            except InvalidRequestError as error:
                raise self.error(at, error.message.removeprefix(f"{at}: ")) from None
            headers[header] = text
        return headers

    def query(self, key: str, value: object) -> dict[str, str]:
        query: dict[str, str] = {}
        for name, item in self.table(key, value, "a table of query parameters and values").items():
            at = _path(key, name)
            if not name:
                raise self.error(at, "a query parameter's name may not be empty")
            self.string(at, name)
            query[name] = self.string(at, item)
        return query

    def profile(self, provider: str, key: str, value: object, default: ProviderProfile) -> ProviderProfile:
        """A built-in profile by its name, or a table of the fields that differ from the
        profile it is ``like`` (the provider's own built-in, else ``compatible``)."""
        if isinstance(value, str):
            return self.builtin_profile(key, value)
        given = self.fields(key, value, _PROFILE_FIELDS, "a built-in profile's name or a table of its fields")
        at = {field: _path(key, self.spelt(field)) for field in _PROFILE_FIELDS}
        like = default
        if "like" in given:
            like = self.builtin_profile(at["like"], given["like"])
        changes: dict[str, Any] = {"name": provider}
        if "name" in given:
            name = self.string(at["name"], given["name"])
            if not name.strip():
                raise self.error(at["name"], "a profile's name may not be empty")
            changes["name"] = name
        for field, choices in _PROFILE_CHOICES.items():
            if field in given:
                chosen = given[field]
                if self.is_json and field == "reasoning_field" and chosen is None:
                    chosen = "none"  # JSON can say it as null
                if not isinstance(chosen, str) or chosen not in choices:
                    got = shown(chosen, 40) if isinstance(chosen, str) else self.kind(chosen)
                    raise self.error(at[field], f"expected one of {', '.join(map(repr, choices))}, got {got}")
                changes[field] = None if chosen == "none" and field == "reasoning_field" else chosen
        for field in _PROFILE_FLAGS:
            if field in given:
                changes[field] = self.flag(at[field], given[field])
        return dataclasses.replace(like, **changes)

    def builtin_profile(self, key: str, value: object) -> ProviderProfile:
        name = self.string(key, value)
        profile = BUILTIN_PROFILES.get(name)
        if profile is None:
            raise self.error(
                key,
                f"unknown profile {shown(name, 40)}; the built-in profiles are "
                f"{', '.join(BUILTIN_PROFILES)}{_did_you_mean(name, BUILTIN_PROFILES)}",
            )
        return profile

    def alias(self, key: str, value: object, providers: Mapping[str, Provider]) -> ModelAlias:
        if isinstance(value, str):
            provider, colon, model = self.string(key, value).partition(":")
            at = provider_key = key
            if not colon:
                raise self.error(
                    key,
                    "expected provider:model (groq:llama-3.1-8b-instant), or a table of provider and model",
                )
        else:
            given = self.fields(key, value, _ALIAS_FIELDS, "provider:model, or a table of provider and model")
            provider_key, at = _path(key, "provider"), _path(key, "model")
            for field, field_key in (("provider", provider_key), ("model", at)):
                if field not in given:
                    raise self.error(field_key, f"an alias needs a {field}")
            provider, model = self.string(provider_key, given["provider"]), self.string(at, given["model"])
        if provider not in providers:
            raise self.error(
                provider_key,
                f"unknown provider {shown(provider, 40)}; known: {', '.join(sorted(providers))}"
                f"{_did_you_mean(provider, providers)}",
            )
        if not model:
            raise self.error(at, "the model's name is empty")
        return ModelAlias(provider, model)


# --- writing an entry --------------------------------------------------------------------

_TOML_ESCAPES = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f", "\r": "\\r"}
_TOML_PLAIN = re.compile(r'[^"\\\x00-\x1f\x7f]*')


def _toml_string(text: str) -> str:
    """``text`` as a TOML basic string: quotes, backslashes and control characters
    escaped, and anything unprintable (a lone surrogate, in a message) as ``\\uXXXX``."""
    if _TOML_PLAIN.fullmatch(text) and text.isprintable():
        return f'"{text}"'
    escaped: list[str] = []
    for char in text:
        if char in _TOML_ESCAPES:
            escaped.append(_TOML_ESCAPES[char])
        elif char.isprintable():
            escaped.append(char)
        else:
            code = ord(char)
            escaped.append(f"\\u{code:04X}" if code <= 0xFFFF else f"\\U{code:08X}")
    return '"' + "".join(escaped) + '"'


def _toml_table(items: Mapping[str, str]) -> str:
    return "{ " + ", ".join(f"{_toml_string(k)} = {_toml_string(v)}" for k, v in items.items()) + " }"


def provider_toml(name: str, provider: Provider) -> str:
    """The TOML of ``provider`` as the entry ``[providers.NAME]`` of a providers file,
    its profile in full: loading it gives back ``provider`` (named ``name``).

    Never the key: its variable is written (``api_key_env``), a key given as such is
    not, nor are the headers whose names say they carry one (``Authorization``,
    ``X-Api-Key``); a comment says what was left out."""
    if not _NAME.fullmatch(name):
        raise InvalidRequestError(
            "name", "a provider's name may not be empty, nor hold a colon or whitespace"
        )
    settings = (provider.base_url, provider.api_key_env, provider.organization, provider.project)
    for text in (name, provider.profile.name, *provider.headers.items(), *provider.query.items(), *settings):
        for part in text if isinstance(text, tuple) else (text,):
            if part is not None:
                check_text("provider", part)  # TOML cannot write a lone surrogate
    lines = [f"[providers.{_path('', name)}]"]
    if provider.base_url is not None:
        lines.append(f"base_url = {_toml_string(provider.base_url)}")
    elif name not in BUILTIN_PROVIDERS:
        raise InvalidRequestError(
            "base_url", f"the provider {shown(name)} has no base URL, which a providers file needs"
        )
    if provider.api_key_env is not None:
        lines.append(f"api_key_env = {_toml_string(provider.api_key_env)}")
    elif provider.api_key is not None:
        lines.append('# The key is not written: add api_key_env = "ITS_VARIABLE" (or api_key = "...").')
    lines.append(f"key_required = {'true' if provider.key_required else 'false'}")
    for field, value in (("organization", provider.organization), ("project", provider.project)):
        if value is not None:
            lines.append(f"{field} = {_toml_string(value)}")
    # Never the credentials a header carries (whose name says so) in the file's text.
    headers = {header: value for header, value in provider.headers.items() if not is_secret_header(header)}
    if headers:
        lines.append(f"headers = {_toml_table(headers)}")
    left_out = [header for header in provider.headers if header not in headers]
    if left_out:
        lines.append(f"# Not written, since they may carry a secret: the headers {', '.join(left_out)}.")
    if provider.query:
        lines.append(f"query = {_toml_table(provider.query)}")
    profile = provider.profile
    if BUILTIN_PROFILES.get(profile.name) == profile:
        lines.append(f"profile = {_toml_string(profile.name)}")
    else:
        # Every field, not only those that differ from a built-in: the file then says
        # what the provider does whatever the built-ins become.
        lines += ["", f"[providers.{_path('', name)}.profile]"]
        if profile.name != name:
            lines.append(f"name = {_toml_string(profile.name)}")
        for field in _PROFILE_SETTINGS:
            setting: object = getattr(profile, field)
            if isinstance(setting, bool):
                lines.append(f"{field} = {'true' if setting else 'false'}")
            else:
                lines.append(f"{field} = {_toml_string('none' if setting is None else str(setting))}")
    return "\n".join(lines) + "\n"
