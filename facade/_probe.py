"""``probe``: find out from a live server how it departs from the API of spec/, as a
``ProviderProfile`` (and a ``Provider`` to write to the providers file).

Each conclusion comes from a small request the probe sends and the answer it gets
(one-token creates and streams saying "Say OK"), and each is kept as a ``ProbeCheck``:
what was tried, the status, what it showed.  The probe talks HTTP itself (one
``httpx2.Client``), not through ``OpenAI``: it must see what a client would have
adapted away, and answers no client would accept.
"""

from __future__ import annotations

import dataclasses
import datetime
import time
import typing
from collections.abc import Mapping
from typing import Literal

import httpx2
import msgspec

from ._answers import error_from_response, error_from_transport
from ._config import (
    USER_AGENT,
    Secret,
    check_headers,
    check_text,
    check_timeout,
    check_url,
    sendable_key,
    shown,
)
from ._decoding import decode_plain_json, encode_json
from ._exceptions import (
    APIResponseValidationError,
    APIStatusError,
    APIStreamError,
    InvalidRequestError,
)
from ._generated.models import ErrorResponse
from ._providers import (
    AZURE_API_VERSION,
    AuthScheme,
    MaxTokensField,
    Provider,
    ProviderProfile,
    RateLimitHeaders,
    ReasoningField,
    StreamUsage,
)
from ._request import conceal, detach
from ._retry import retry_delay
from ._streaming import SSEDecoder

__all__ = ["ProbeCheck", "ProbeReport", "probe"]

Json = object

PROMPT: list[dict[str, str]] = [{"role": "user", "content": "Say OK"}]
"""What every create of the probe says: two words, so an answer cut at one token shows."""
ATTEMPTS = 3
"""How many times a request that met a 429 or a 5xx is sent: such an answer is the
server's state at that moment, not a conclusion about how it behaves."""
_RETRY_STATUSES = frozenset({408, 429})
_CONCEALED = "**********"
_REASONING_FIELDS: tuple[ReasoningField, ...] = ("reasoning", "reasoning_content")


@dataclasses.dataclass(frozen=True)
class ProbeCheck:
    """One request of a probe and what its answer showed: the evidence for the profile."""

    tried: str
    """What was sent: ``stream with stream_options``, ``GET /models with api-key``."""
    status: int
    """The answer's HTTP status (for a conclusion drawn from earlier answers, theirs)."""
    concluded: str
    """What the answer showed, in words, and the profile's field it set."""

    def __str__(self) -> str:
        return f"{self.tried}: {self.status} -> {self.concluded}"


@dataclasses.dataclass(frozen=True)
class ProbeReport:
    """What ``probe`` found: the server's profile, its models, and the evidence (``checks``).

    It never holds the key: ``provider()`` names the environment variable to read it
    from instead.
    """

    base_url: str
    profile: ProviderProfile
    """How the server departs from the API; named by ``probe``'s ``name``."""
    models: tuple[str, ...]
    """The models ``GET /models`` listed (empty when it lists none)."""
    model: str
    """The model the creates were sent for."""
    checks: tuple[ProbeCheck, ...]
    key_required: bool
    """Whether the server refused a request without a key (True too when a key was given
    and the probe could not tell)."""
    query: Mapping[str, str] = dataclasses.field(default_factory=dict[str, str])
    """The query parameters every request needs: those given, and those the probe found
    it needed (Azure's ``api-version``)."""
    headers: Mapping[str, str] = dataclasses.field(default_factory=dict[str, str], repr=False)
    """The headers given to ``probe`` (not shown: a header may hold a secret)."""

    def provider(self, name: str, *, api_key_env: str | None = None) -> Provider:
        """This server as a provider named ``name``, its key read from ``api_key_env``."""
        name = _checked_name("name", name, "a provider's name")
        if api_key_env is not None:
            api_key_env = _checked_name("api_key_env", api_key_env, "an environment variable's name")
        return Provider(
            name,
            self.base_url,
            self.profile,
            api_key_env=api_key_env,
            key_required=self.key_required,
            headers=dict(self.headers),
            query=dict(self.query),
        )

    def to_toml(self, name: str, *, api_key_env: str | None = None) -> str:
        """``provider(name, api_key_env=...)`` as the entry ``[providers.NAME]`` of a
        providers file (never a key; nor a header whose name says it may carry one)."""
        from ._provider_file import provider_toml

        return provider_toml(name, self.provider(name, api_key_env=api_key_env))

    def __str__(self) -> str:
        lines = [f"{self.base_url} (model {self.model!r}): {self.profile}"]
        lines.extend(f"  {check}" for check in self.checks)
        return "\n".join(lines)


def probe(
    base_url: str,
    *,
    api_key: str | None = None,
    model: str | None = None,
    name: str = "probed",
    headers: Mapping[str, str] | None = None,
    query: Mapping[str, str] | None = None,
    timeout: float = 30.0,
    http_client: httpx2.Client | None = None,
) -> ProbeReport:
    """Find out how the OpenAI-compatible server at ``base_url`` departs from the API.

    It lists the models (``GET /models``: how the key is taken, ``Authorization: Bearer``
    or Azure's ``api-key``, and whether Azure's ``api-version`` is needed), then sends
    ``model`` (else the first listed) one-token creates and streams: which max-tokens
    field it honours, whether it takes ``stream_options`` and when a stream tells its
    usage, what it does with ``tool_choice`` without tools, where its reasoning text
    comes, and its rate-limit headers.  A 429 or a 5xx is sent again (after the wait the
    server asks for) up to 3 times, then raises an ``APIStatusError`` naming the check;
    a key the server refuses raises ``AuthenticationError``, a server that cannot be
    reached ``APIConnectionError``, a bad argument ``InvalidRequestError``.

    ``headers`` and ``query`` go with every request.  ``http_client`` is yours to close;
    without it the probe opens one of its own and closes it.
    """
    url = check_url("base_url", base_url).rstrip("/")
    key = _checked_key(api_key)
    if model is not None:
        model = _checked_name("model", model, "a model's name")
    name = _checked_name("name", name, "the profile's name")
    given_headers = dict(check_headers("headers", headers or {}))
    given_query = _checked_query(query)
    check_timeout("timeout", timeout)
    _check_http_client(http_client)
    http = http_client if http_client is not None else httpx2.Client(timeout=timeout)
    try:
        prober = _Prober(url, key, given_headers, given_query, timeout, http)
        return prober.run(name, model)
    finally:
        if http_client is None:
            http.close()


def _checked_key(api_key: object) -> Secret | None:
    """The key as it is sent (without surrounding white space); one that cannot be a
    header's value is refused without being shown."""
    if api_key is None:
        return None
    sent = sendable_key(api_key)
    if sent is None:
        raise InvalidRequestError("api_key", "an empty key: pass None to probe without one")
    return Secret(sent)


def _checked_name(param: str, value: object, what: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidRequestError(param, f"expected {what}, a non-blank string, got {shown(value)}")
    check_text(param, value)
    return value


def _check_http_client(http_client: object) -> None:
    if http_client is not None and not isinstance(http_client, httpx2.Client):
        kind = type(http_client)
        raise InvalidRequestError(
            "http_client", f"expected an httpx2.Client, got {kind.__module__}.{kind.__qualname__}"
        )


def _checked_query(query: object) -> dict[str, str]:
    if query is None:
        return {}
    if not isinstance(query, Mapping):
        raise InvalidRequestError("query", f"expected a mapping, got {type(query).__name__}")
    checked: dict[str, str] = {}
    for name, value in typing.cast("Mapping[object, object]", query).items():
        if not isinstance(name, str) or not isinstance(value, str):
            raise InvalidRequestError("query", "expected names and values that are strings")
        check_text("query", name)
        check_text(f"query[{name[:40]!r}]", value)
        checked[name] = value
    return checked


def _member(value: Json, name: str) -> Json:
    """``value[name]`` when ``value`` is a JSON object that has it, else None."""
    return typing.cast("dict[str, Json]", value).get(name) if isinstance(value, dict) else None


def _first_choice(body: Json) -> Json:
    choices = _member(body, "choices")
    return typing.cast("list[Json]", choices)[0] if isinstance(choices, list) and choices else None


def _text_in(value: Json, field: str) -> bool:
    text = _member(value, field)
    return isinstance(text, str) and bool(text.strip())


class _Answer(typing.NamedTuple):
    """A create's answer: its status, its headers, and its body (a non-stream's JSON, or
    a stream's chunks)."""

    response: httpx2.Response
    body: Json
    chunks: tuple[Json, ...] = ()

    @property
    def status(self) -> int:
        return self.response.status_code


class _Prober:
    """One probe's requests and what they showed, in order."""

    def __init__(
        self,
        base_url: str,
        key: Secret | None,
        headers: dict[str, str],
        query: dict[str, str],
        timeout: float | httpx2.Timeout | None,
        http: httpx2.Client,
    ) -> None:
        self.base_url = base_url
        self.key = key
        self.headers = headers
        self.query = query
        self.timeout = timeout
        self.http = http
        self.auth: AuthScheme = "bearer"
        self.auth_known = key is None
        """Whether a request with the key was answered: until then Azure's header may be the one."""
        self.checks: list[ProbeCheck] = []
        self.answers: list[_Answer] = []
        """The creates' successful answers: where the reasoning and rate-limit headers are looked for."""

    # --- sending ----------------------------------------------------------------------

    def _send_once(
        self, method: str, path: str, *, auth: AuthScheme | None, body: Json = None
    ) -> httpx2.Response:
        headers = {"Accept": "application/json", "User-Agent": USER_AGENT}
        key_header: str | None = None
        if self.key is not None and auth is not None:
            key_header = "Authorization" if auth == "bearer" else "api-key"
            secret = self.key.reveal()
            headers[key_header] = f"Bearer {secret}" if auth == "bearer" else secret
        headers.update(self.headers)
        content: bytes | None = None
        if body is not None:
            content = encode_json(body)
            headers["Content-Type"] = "application/json"
        request = self.http.build_request(
            method,
            self.base_url + path,
            params=self.query or None,
            headers=headers,
            content=content,
            timeout=self.timeout,
        )
        try:
            response = self.http.send(request)
        except httpx2.RequestError as error:
            raise error_from_transport(error) from None
        finally:
            conceal(request, key_header)  # the key must not be read from an answer or an error
        return detach(response)

    def send(
        self,
        tried: str,
        method: str,
        path: str,
        *,
        body: Json = None,
        auth: AuthScheme | Literal["own"] | None = "own",
    ) -> httpx2.Response:
        """The answer to a request, sent again after a 429 or a 5xx (waiting as the server
        asks); one that still fails raises, naming ``tried``.  ``auth`` is how the key
        is sent: the one found so far (``own``), another, or None for no key."""
        scheme = self.auth if auth == "own" else auth
        attempt = 1
        response = self._send_once(method, path, auth=scheme, body=body)
        while self._transient(response):
            if attempt == ATTEMPTS or b"insufficient_quota" in response.content:
                # An account out of credit is no passing state: no wait makes it succeed.
                raise self.failure(tried, response, attempts=attempt)
            time.sleep(retry_delay(attempt - 1, response.headers, _now))
            attempt += 1
            response = self._send_once(method, path, auth=scheme, body=body)
        return response

    @staticmethod
    def _transient(response: httpx2.Response) -> bool:
        """A 408, 429 or 5xx: the server's state at that moment, not how it behaves."""
        status = response.status_code
        return status in _RETRY_STATUSES or status >= 500

    def failure(
        self, tried: str, response: httpx2.Response, *, attempts: int = 1, hint: str = ""
    ) -> APIStatusError:
        """The error of an answer that ends the probe, saying which check it was."""
        error = error_from_response(response, ErrorResponse, attempts=attempts)
        return type(error)(
            f"probe: {tried} answered {response.status_code}: {self.scrub(error.message)}{hint}",
            response=response,
            body=error.body,
            code=error.code,
            type=error.type,
            param=error.param,
            attempts=attempts,
        )

    def scrub(self, text: str) -> str:
        """``text`` without the key, should a server have echoed it."""
        if self.key is None:
            return text
        return text.replace(self.key.reveal(), _CONCEALED)

    def refusal(self, response: httpx2.Response) -> str:
        """What the server said refusing a request, shortly."""
        message = error_from_response(response, ErrorResponse).message
        message = self.scrub(message)
        return message if len(message) <= 160 else message[:157] + "..."

    def check(self, tried: str, status: int, concluded: str) -> None:
        self.checks.append(ProbeCheck(tried, status, self.scrub(concluded)))

    @staticmethod
    def _azure_not_found(response: httpx2.Response) -> bool:
        """Azure's answer to a request without ``api-version``: a 404 "Resource not found"."""
        return response.status_code == 404 and b"Resource not found" in response.content

    def _named(self, tried: str, auth: AuthScheme | None) -> str:
        if self.key is None or auth is None:
            return f"{tried} without a key"
        return f"{tried} with {'Authorization: Bearer' if auth == 'bearer' else 'api-key'}"

    def discover(self, tried: str, method: str, path: str, *, body: Json = None) -> httpx2.Response:
        """The first request answered with the key: sent as ``Authorization: Bearer``,
        then as Azure's ``api-key`` when that is refused, with Azure's ``api-version``
        added when the server says "Resource not found" without one.  A key refused
        both ways raises ``AuthenticationError``."""
        response = self._with_version(tried, method, path, body, self.auth)
        if self.auth_known or not self._refused_key(response):
            # Any other answer got past the key: it is taken this way.
            self.auth_known = True
            return response
        other = self._with_version(tried, method, path, body, "api-key")
        if other.is_success:
            self.auth = "api-key"
            self.auth_known = True
            self.check(
                self._named(tried, "bearer"),
                response.status_code,
                f"refused ({self.refusal(response)})",
            )
            return other
        if response.status_code in (401, 403) and other.status_code in (401, 403):
            raise self.failure(
                f"{tried} (with the key as Authorization: Bearer and as api-key)",
                response,
                hint="; the server refused the key both ways",
            )
        return response

    @staticmethod
    def _refused_key(response: httpx2.Response) -> bool:
        return response.status_code in (401, 403, 404)

    def _with_version(
        self, tried: str, method: str, path: str, body: Json, auth: AuthScheme
    ) -> httpx2.Response:
        named = self._named(tried, auth)
        response = self.send(named, method, path, body=body, auth=auth)
        if self._azure_not_found(response) and "api-version" not in self.query:
            self.query["api-version"] = AZURE_API_VERSION
            self.check(
                f"{named}, without api-version",
                response.status_code,
                f"Azure's 'Resource not found': every request now names api-version={AZURE_API_VERSION}",
            )
            response = self.send(named, method, path, body=body, auth=auth)
        return response

    def create(self, tried: str, fields: Mapping[str, Json], *, model: str) -> _Answer:
        """A create (or a stream, with ``stream: true`` in ``fields``) for ``model``: its
        answer, whatever its status but a 429 or 5xx that stayed one; a 401 or 403 raises."""
        body = {"model": model, "messages": PROMPT, **fields}
        if self.auth_known:
            response = self.send(tried, "POST", "/chat/completions", body=body)
        else:
            response = self.discover(tried, "POST", "/chat/completions", body=body)
        if response.status_code in (401, 403):
            raise self.failure(tried, response)
        if not response.is_success:
            return _Answer(response, None)
        if fields.get("stream"):
            answer = _Answer(response, None, self._chunks(tried, response))
        else:
            answer = _Answer(response, self._json(tried, response))
        self.answers.append(answer)
        return answer

    def _json(self, tried: str, response: httpx2.Response) -> Json:
        try:
            body = decode_plain_json(response.content)
        except msgspec.DecodeError as error:
            raise APIResponseValidationError(
                f"probe: {tried} answered {response.status_code} with a body that is not JSON: {error}",
                response=response,
            ) from None
        if not isinstance(body, dict):
            raise APIResponseValidationError(
                f"probe: {tried} answered {response.status_code} with JSON that is not an object",
                response=response,
            )
        return typing.cast("Json", body)

    def _chunks(self, tried: str, response: httpx2.Response) -> tuple[Json, ...]:
        decoder = SSEDecoder()
        events = decoder.feed_bytes(response.content) + decoder.feed_bytes(b"\n\n")
        chunks: list[Json] = []
        for _, data, _ in events:
            if data.strip() == b"[DONE]":
                break
            try:
                chunk = decode_plain_json(data)
            except msgspec.DecodeError as error:
                raise APIResponseValidationError(
                    f"probe: {tried}: an event of the stream is not JSON: {error}", response=response
                ) from None
            if _member(chunk, "error") is not None:
                message = _member(_member(chunk, "error"), "message")
                raise APIStreamError(
                    f"probe: {tried}: the stream reported an error: {self.scrub(str(message))}",
                    response.request,
                )
            chunks.append(chunk)
        return tuple(chunks)

    # --- the checks -------------------------------------------------------------------

    def run(self, name: str, model: str | None) -> ProbeReport:
        models, key_required = self.models(model)
        chosen = model or (models[0] if models else None)
        if chosen is None:
            raise InvalidRequestError(
                "model", "the server listed no model (GET /models): give model= to probe one"
            )
        max_tokens_field = self.max_tokens(chosen)
        limit = "max_tokens" if max_tokens_field == "max_tokens" else "max_completion_tokens"
        stream_options, stream_usage = self.streams(chosen, limit)
        tool_choice = self.tool_choice(chosen, limit)
        reasoning = self.reasoning()
        rate_limits = self.rate_limits()
        profile = ProviderProfile(
            name,
            auth=self.auth,
            max_tokens_field=max_tokens_field,
            stream_options=stream_options,
            stream_usage=stream_usage,
            reasoning_field=reasoning,
            tool_choice_without_tools=tool_choice,
            rate_limit_headers=rate_limits,
        )
        return ProbeReport(
            base_url=self.base_url,
            profile=profile,
            models=models,
            model=chosen,
            checks=tuple(self.checks),
            key_required=key_required,
            query=dict(self.query),
            headers=dict(self.headers),
        )

    def models(self, model: str | None) -> tuple[tuple[str, ...], bool]:
        """The models listed, and whether a key is required."""
        tried = "GET /models"
        response = self.discover(tried, "GET", "/models")
        named = self._named(tried, self.auth)
        if response.status_code in (401, 403):
            hint = "; the server wants a key: give api_key=" if self.key is None else ""
            raise self.failure(named, response, hint=hint)
        if not response.is_success:
            if model is None:
                raise self.failure(named, response, hint="; with no models listed, give model= to probe one")
            self.check(
                named, response.status_code, f"no models list ({self.refusal(response)}): probing {model!r}"
            )
            return (), self.key is not None
        data = _member(self._json(named, response), "data")
        items = typing.cast("list[Json]", data) if isinstance(data, list) else []
        models = tuple(str(i) for i in (_member(item, "id") for item in items) if isinstance(i, str))
        listed = ", ".join(models[:5]) + (f" and {len(models) - 5} more" if len(models) > 5 else "")
        how = {"bearer": "Authorization: Bearer", "api-key": "api-key"}[self.auth]
        taken = f"; the key is taken as {how} -> auth={self.auth!r}" if self.key is not None else ""
        self.check(named, response.status_code, f"{len(models)} models listed ({listed or 'none'}){taken}")
        if self.key is None:
            return models, False
        # Whether the server needs the key at all (a local server takes any, or none).
        bare = self.send(f"{tried} without a key", "GET", "/models", auth=None)
        required = not bare.is_success
        self.check(
            f"{tried} without a key",
            bare.status_code,
            "refused: the server needs a key" if required else "answered: the server needs no key",
        )
        return models, required

    def _honoured(self, answer: _Answer) -> tuple[bool, str]:
        """Whether a one-token create was cut at one token, and the evidence."""
        choice = _first_choice(answer.body)
        finish = _member(choice, "finish_reason")
        if finish == "length":
            return True, "finish_reason 'length'"
        tokens = _member(_member(answer.body, "usage"), "completion_tokens")
        if isinstance(tokens, int) and not isinstance(tokens, bool):
            return tokens <= 1, f"finish_reason {finish!r} after {tokens} completion tokens"
        return False, f"finish_reason {finish!r}"

    def max_tokens(self, model: str) -> MaxTokensField:
        outcomes: dict[str, str] = {}
        last: _Answer | None = None
        for field in ("max_completion_tokens", "max_tokens"):
            tried = f"create with {field}=1"
            answer = self.create(tried, {field: 1}, model=model)
            last = answer
            if not answer.response.is_success:
                outcomes[field] = "refused"
                self.check(tried, answer.status, f"refused ({self.refusal(answer.response)})")
                continue
            honoured, evidence = self._honoured(answer)
            outcomes[field] = "honoured" if honoured else "ignored"
            self.check(tried, answer.status, f"{outcomes[field]}: {evidence}")
        assert last is not None
        if outcomes["max_completion_tokens"] == outcomes["max_tokens"] == "refused":
            raise self.failure(
                "create with max_completion_tokens=1, and with max_tokens=1,",
                last.response,
                hint=f"; the server refused both: is {model!r} a chat model it serves?",
            )
        chosen: MaxTokensField
        if outcomes["max_completion_tokens"] == "honoured":
            chosen = "both" if outcomes["max_tokens"] == "honoured" else "max_completion_tokens"
        elif outcomes["max_tokens"] == "honoured" or outcomes["max_completion_tokens"] == "refused":
            chosen = "max_tokens"
        elif outcomes["max_tokens"] == "refused":
            chosen = "max_completion_tokens"
        else:
            chosen = "both"  # taken and ignored both: renaming one into the other changes nothing
        if chosen == "both":
            both = "honoured" if outcomes["max_tokens"] == "honoured" else "ignored"
            words = f"{model!r} {both} both fields: nothing to rename"
        else:
            other = "max_tokens" if chosen == "max_completion_tokens" else "max_completion_tokens"
            words = f"{other} is {outcomes[other]}: it is to be sent as {chosen}"
        self.check("the max-tokens field", last.status, f"{words} -> max_tokens_field={chosen!r}")
        return chosen

    @staticmethod
    def _stream_usage(chunks: tuple[Json, ...]) -> str | None:
        """Where a stream's usage came (``usage`` or ``x_groq.usage``), None if nowhere."""
        for chunk in reversed(chunks):
            if isinstance(_member(chunk, "usage"), dict):
                return "usage"
            if isinstance(_member(_member(chunk, "x_groq"), "usage"), dict):
                return "x_groq.usage"
        return None

    def streams(self, model: str, limit: str) -> tuple[bool, StreamUsage]:
        tried = "stream without stream_options"
        plain = self.create(tried, {"stream": True, limit: 1}, model=model)
        if not plain.response.is_success:
            raise self.failure(tried, plain.response)
        unasked = self._stream_usage(plain.chunks)
        self.check(
            tried,
            plain.status,
            f"the usage came unasked, in {unasked} -> stream_usage='always'"
            if unasked
            else "no usage unasked",
        )
        tried = "stream with stream_options"
        asked = self.create(
            tried, {"stream": True, limit: 1, "stream_options": {"include_usage": True}}, model=model
        )
        usage: StreamUsage = "always" if unasked else "never"
        if not asked.response.is_success:
            how = "comes anyway" if unasked else "never comes"
            self.check(
                tried,
                asked.status,
                f"refused ({self.refusal(asked.response)}); the usage {how} -> stream_options=False, "
                f"stream_usage={usage!r}",
            )
            return False, usage
        where = self._stream_usage(asked.chunks)
        if where is not None and not unasked:
            usage = "when_asked"
        said = f"the usage came, in {where}" if where else "no usage even asked"
        self.check(tried, asked.status, f"{said} -> stream_options=True, stream_usage={usage!r}")
        return True, usage

    def tool_choice(self, model: str, limit: str) -> Literal["refused", "ignored"]:
        tried = "create with tool_choice='none' and no tools"
        answer = self.create(tried, {limit: 1, "tool_choice": "none"}, model=model)
        if answer.response.is_success:
            self.check(
                tried,
                answer.status,
                "taken (with no tool to choose, ignored) -> tool_choice_without_tools='ignored'",
            )
            return "ignored"
        self.check(
            tried,
            answer.status,
            f"refused ({self.refusal(answer.response)}) -> tool_choice_without_tools='refused'",
        )
        return "refused"

    def reasoning(self) -> ReasoningField | None:
        carried: dict[ReasoningField, str] = {}
        for answer in self.answers:
            message = _member(_first_choice(answer.body), "message")
            for field in _REASONING_FIELDS:
                if _text_in(message, field):
                    carried.setdefault(field, f"message.{field}")
            for chunk in answer.chunks:
                delta = _member(_first_choice(chunk), "delta")
                for field in _REASONING_FIELDS:
                    if _text_in(delta, field):
                        carried.setdefault(field, f"the stream's delta.{field}")
        status = self.answers[-1].status if self.answers else 200
        tried = "the answers' reasoning fields"
        # Both: a server sending the old name beside the new one (vLLM's rename); the new is read.
        found: ReasoningField | None = next((field for field in _REASONING_FIELDS if field in carried), None)
        if found is None:
            self.check(
                tried,
                status,
                "neither reasoning nor reasoning_content carried text (the model may not reason) -> "
                "reasoning_field=None",
            )
            return None
        self.check(
            tried, status, f"{' and '.join(carried.values())} carried text -> reasoning_field={found!r}"
        )
        return found

    def rate_limits(self) -> RateLimitHeaders:
        found: RateLimitHeaders = "none"
        status = 200
        for answer in self.answers:
            headers = answer.response.headers
            status = answer.status
            if "x-ratelimit-limit-requests" in headers or "x-ratelimit-remaining-requests" in headers:
                found = "openai"
                break
            if "x-ratelimit-limit" in headers or "x-ratelimit-remaining" in headers:
                found = "per_second"
                break
            if "x-ratelimit-limit-tokens" in headers:
                found = "openai"
                break
        words = {
            "openai": "x-ratelimit-*-requests/-tokens headers (per minute)",
            "per_second": "x-ratelimit-limit/-remaining without -requests (per second)",
            "none": "no x-ratelimit-* header",
        }[found]
        self.check("the creates' rate-limit headers", status, f"{words} -> rate_limit_headers={found!r}")
        return found


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)
