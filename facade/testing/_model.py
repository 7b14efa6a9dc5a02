"""The local server's model: deterministic answers, and the completions built from them.

By default the model answers with the text of the last user message; under a
``json_schema`` response format, with a deterministic instance of the schema (see
_instances.py), and under ``json_object`` with ``{"echo": text}``.  When the last user
message names offered function tools, it calls them (``tool_choice`` can force a call);
after tool results it sums them up.  A test queues the next replies instead: text, tool
calls, a refusal, JSON, or recorded wire bytes to serve back as they are; any of them
with the model's reasoning before it.
A "token" is a word with its leading white space, so streams go word by word and the
usage counts are easy to predict.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
import secrets
from collections.abc import Iterator, Mapping
from typing import Any

from .._providers import StreamUsage
from ._instances import as_array, as_object, instance

__all__ = [
    "Reply",
    "ToolCall",
    "build_chunks",
    "build_completion",
    "charged_tokens",
    "content_text",
    "count_prompt_tokens",
    "default_reasoning",
    "default_reply",
    "tokens",
]

Json = Any

# How many words of the user's message the default reasoning repeats: enough to tell
# answers apart, short enough not to swamp the usage counts.
_REASONING_WORDS = 12

SYSTEM_FINGERPRINT = "fp_completionkit"


@dataclasses.dataclass(frozen=True)
class ToolCall:
    """One function call the model makes (``Reply.calling`` builds them)."""

    name: str
    """The name of the function called."""
    arguments: str
    """The arguments, as JSON text."""
    id: str = ""
    """The call's id; empty: the server makes one up (``call_...``)."""


@dataclasses.dataclass(frozen=True, kw_only=True)
class Reply:
    """What the model answers to one create request (to each of its ``n`` choices)."""

    content: str | None = None
    """The answer's text (streamed word by word when the request streams)."""
    refusal: str | None = None
    """A refusal instead of an answer."""
    tool_calls: tuple[ToolCall, ...] = ()
    """The function calls the answer makes."""
    raw: bytes | None = None
    """Served byte for byte as the whole response body (the replay mode)."""
    raw_content_type: str = "text/event-stream"
    """The ``content-type`` a ``raw`` body is served with."""
    reasoning: str | None = None
    """The model's reasoning before its answer, sent in the reasoning field (``reasoning``,
    or the field of the server's profile); None: the server's default (none, or under a
    reasoning profile a short text of its own); ``""``: none."""

    @classmethod
    def text(cls, content: str, *, reasoning: str | None = None) -> Reply:
        """An answer with this text (and this reasoning before it)."""
        return cls(content=content, reasoning=reasoning)

    @classmethod
    def json(cls, value: Json) -> Reply:
        """JSON text, as a model answers under ``response_format``."""
        return cls(content=json.dumps(value, separators=(",", ":")))

    @classmethod
    def refusal_of(cls, refusal: str) -> Reply:
        """A refusal, in these words (``choice.refusal``; ``choice.text`` is None)."""
        return cls(refusal=refusal)

    @classmethod
    def calling(cls, name: str, arguments: Mapping[str, Json] | str = "{}", *more: ToolCall) -> Reply:
        """A tool call (``arguments`` as a mapping or as JSON text), then any ``more``."""
        text = arguments if isinstance(arguments, str) else json.dumps(arguments, separators=(",", ":"))
        return cls(tool_calls=(ToolCall(name, text), *more))

    @classmethod
    def replay(cls, body: bytes, content_type: str = "text/event-stream") -> Reply:
        """Serve ``body`` as it is: a recorded stream goes back on the wire byte for byte."""
        return cls(raw=body, raw_content_type=content_type)


# Trailing white space stays with the last word, so the tokens always join back to the text.
_TOKEN = re.compile(r"\s*\S+(?:\s+$)?")


def tokens(text: str) -> list[str]:
    """The words of ``text``, each with the white space before it; they join back to it."""
    return _TOKEN.findall(text)


def content_text(content: Json) -> str | None:
    """The text of a message's content: the string itself, or its text parts joined."""
    if isinstance(content, str) or content is None:
        return content
    parts: list[Json] = content
    return " ".join(str(p["text"]) for p in parts if p.get("type") == "text")


def count_prompt_tokens(messages: list[Json]) -> int:
    return sum(len(tokens(content_text(m.get("content")) or "")) for m in messages)


def default_reasoning(request: Json) -> str:
    """What a reasoning model thinks when no reply says: the user's last words again."""
    users = [m for m in request["messages"] if m.get("role") == "user"]
    words = tokens((content_text(users[-1].get("content")) if users else None) or "")
    if not words:
        return "The user said nothing."
    said = "".join(words[:_REASONING_WORDS]).strip()
    return f"The user said: {said}{' ...' if len(words) > _REASONING_WORDS else ''}"


def default_reply(request: Json) -> Reply:
    """What the model answers when no reply is queued.

    A tool call when the last user message names offered tools (one call each, in the
    order they are named) or ``tool_choice`` forces one; after tool results, a summary of
    them.  Otherwise the last user message again.  Under a ``json_schema`` response
    format the text is a deterministic instance of the schema; under ``json_object`` it
    is ``{"echo": text}``.
    """
    messages: list[Json] = request["messages"]
    calls = _tool_calls(request)
    if calls:
        return Reply(tool_calls=calls)
    last: Json = messages[-1] if messages else {}
    summary = _tool_results(messages) if last.get("role") == "tool" else None
    response_format: Json = request.get("response_format") or {}
    kind = response_format.get("type")
    if kind == "json_schema":
        spec: Json = response_format.get("json_schema") or {}
        if "schema" in spec:
            return Reply.json(instance(spec["schema"], str(spec.get("name") or "value")))
    users = [m for m in messages if m.get("role") == "user"]
    text = (content_text(users[-1].get("content")) if users else None) or ""
    if kind in ("json_object", "json_schema"):
        return Reply.json({"echo": text})
    if summary is not None:
        return Reply.text(summary)
    return Reply.text(text or "Hello! How can I help you today?")


def _function_tools(request: Json) -> dict[str, Json]:
    """The function tools offered, by name, in order: their ``parameters`` schemas."""
    out: dict[str, Json] = {}
    for tool in as_array(request.get("tools")) or []:
        function = as_object(tool.get("function")) if tool.get("type") == "function" else None
        if function is not None and isinstance(function.get("name"), str):
            out.setdefault(function["name"], function.get("parameters", {"type": "object"}))
    return out


def _tool_calls(request: Json) -> tuple[ToolCall, ...]:
    """The calls the model makes: the tools the last user message names, or the one forced."""
    tools = _function_tools(request)
    messages: list[Json] = request["messages"]
    choice: Json = request.get("tool_choice")
    if not tools or choice == "none" or not messages or messages[-1].get("role") != "user":
        return ()
    required = choice == "required"
    forced: str | None = None
    chosen = as_object(choice)
    if chosen is not None:
        if chosen.get("type") == "function":
            forced = str((as_object(chosen.get("function")) or {}).get("name"))
        elif chosen.get("type") == "allowed_tools":
            allowed = as_object(chosen.get("allowed_tools")) or {}
            names = {
                str((as_object(t.get("function")) or {}).get("name"))
                for t in as_array(allowed.get("tools")) or []
                if t.get("type") == "function"
            }
            tools = {name: schema for name, schema in tools.items() if name in names}
            required = allowed.get("mode") == "required"
        else:
            return ()  # a custom tool: not a function this model calls
    if forced is not None:
        named = [forced]
    else:
        text = content_text(messages[-1].get("content")) or ""
        found: list[tuple[int, str]] = []
        for name in tools:
            match = re.search(rf"(?<!\w){re.escape(name)}(?!\w)", text)
            if match is not None:
                found.append((match.start(), name))
        named = [name for _, name in sorted(found)]
        if not named and required and tools:
            named = [next(iter(tools))]
    if request.get("parallel_tool_calls") is False:
        named = named[:1]
    seed = hashlib.sha256(json.dumps(messages, sort_keys=True, default=str).encode()).hexdigest()[:16]
    return tuple(
        ToolCall(
            name,
            json.dumps(instance(tools.get(name, {"type": "object"}), name), separators=(",", ":")),
            f"call_{seed}{index}",
        )
        for index, name in enumerate(named)
    )


def _tool_results(messages: list[Json]) -> str:
    """The results of the last tool calls, each after its tool's name, one a line."""
    names: dict[str, str] = {}
    for message in messages:
        calls = as_array(message.get("tool_calls")) if message.get("role") == "assistant" else None
        for call in calls or []:
            function = as_object(call.get("function")) or as_object(call.get("custom")) or {}
            names[str(call.get("id"))] = str(function.get("name"))
    start = len(messages)
    while start > 0 and messages[start - 1].get("role") == "tool":
        start -= 1
    lines = [
        f"{names.get(str(m.get('tool_call_id')), 'tool')}: {content_text(m.get('content')) or ''}"
        for m in messages[start:]
    ]
    return "\n".join(lines)


def _pieces(arguments: str, size: int = 8) -> list[str]:
    # Tool-call arguments stream in fixed slices, as JSON has no words to split on.
    return [arguments[i : i + size] for i in range(0, len(arguments), size)]


def _logprob(index: int) -> float:
    return -round(0.015625 * (1 + index % 8), 6)


def _token_logprobs(pieces: list[str], top: int, start: int = 0) -> list[Json]:
    out: list[Json] = []
    for index, piece in enumerate(pieces, start):
        logprob = _logprob(index)
        tokens = [piece if k == 0 else f"{piece}#{k}" for k in range(top)]
        # Each alternative carries the UTF-8 bytes of its own token.
        alternatives = [
            {"token": token, "logprob": logprob - k, "bytes": list(token.encode())}
            for k, token in enumerate(tokens)
        ]
        out.append(
            {"token": piece, "logprob": logprob, "bytes": list(piece.encode()), "top_logprobs": alternatives}
        )
    return out


@dataclasses.dataclass(frozen=True)
class _Answer:
    """A reply cut to the request's token budget."""

    content: str | None
    refusal: str | None
    tool_calls: tuple[ToolCall, ...]
    finish_reason: str
    content_tokens: list[str]
    completion_tokens: int
    """The answer's tokens, its reasoning's included (as the API counts them)."""
    reasoning_tokens: list[str] = dataclasses.field(default_factory=list[str])
    """The reasoning's words, which the token budget does not cut."""


def _answer(request: Json, reply: Reply) -> _Answer:
    limit = request.get("max_completion_tokens")
    if limit is None:
        limit = request.get("max_tokens")
    thought = tokens(reply.reasoning) if reply.reasoning else []
    if reply.tool_calls:
        calls = tuple(
            ToolCall(c.name, c.arguments, c.id or f"call_{secrets.token_hex(12)}") for c in reply.tool_calls
        )
        used = sum(len(tokens(c.arguments)) + 1 for c in calls)
        return _Answer(None, None, calls, "tool_calls", [], used + len(thought), thought)
    text = reply.refusal if reply.refusal is not None else (reply.content or "")
    pieces = tokens(text)
    finish = "stop"
    if limit is not None and len(pieces) > limit:
        pieces, finish = pieces[:limit], "length"
    cut = "".join(pieces)
    if reply.refusal is not None:
        return _Answer(None, cut, (), finish, [], len(pieces) + len(thought), thought)
    return _Answer(cut, None, (), finish, pieces, len(pieces) + len(thought), thought)


def charged_tokens(request: Json, reply: Reply) -> int:
    """What a create request costs against a token limit, before it is answered: its
    prompt tokens (``count_prompt_tokens``) and, for each of its ``n`` choices,
    ``max_completion_tokens`` (or ``max_tokens``) when given, else the tokens of the
    answer (``usage.completion_tokens``; a replayed body counts none)."""
    limit = request.get("max_completion_tokens")
    if limit is None:
        limit = request.get("max_tokens")
    n = request.get("n") or 1
    per_choice = int(limit) if limit is not None else _answer(request, reply).completion_tokens
    return count_prompt_tokens(request["messages"]) + per_choice * int(n)


def _usage(prompt: int, completion: int, reasoning: int = 0) -> Json:
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
        "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
        "completion_tokens_details": {
            "reasoning_tokens": reasoning,
            "audio_tokens": 0,
            "accepted_prediction_tokens": 0,
            "rejected_prediction_tokens": 0,
        },
    }


def _service_tier(request: Json) -> str:
    tier = request.get("service_tier")
    return "default" if tier in (None, "auto") else str(tier)


def build_completion(
    request: Json, reply: Reply, completion_id: str, created: int, *, reasoning_field: str = "reasoning"
) -> Json:
    """The ``chat.completion`` object answering ``request`` with ``reply`` (its reasoning,
    if any, in ``reasoning_field``)."""
    answer = _answer(request, reply)
    n = request.get("n") or 1
    message: Json = {
        "role": "assistant",
        "content": answer.content,
        "refusal": answer.refusal,
        "annotations": [],
    }
    if answer.reasoning_tokens:
        message[reasoning_field] = "".join(answer.reasoning_tokens)
    if answer.tool_calls:
        message["tool_calls"] = [
            {"id": c.id, "type": "function", "function": {"name": c.name, "arguments": c.arguments}}
            for c in answer.tool_calls
        ]
    logprobs = None
    if request.get("logprobs"):
        logprobs = {
            "content": _token_logprobs(answer.content_tokens, request.get("top_logprobs") or 0),
            "refusal": None,
        }
    choices = [
        {"index": i, "message": message, "logprobs": logprobs, "finish_reason": answer.finish_reason}
        for i in range(n)
    ]
    return {
        "id": completion_id,
        "object": "chat.completion",
        "created": created,
        "model": request["model"],
        "choices": choices,
        "usage": _usage(
            count_prompt_tokens(request["messages"]),
            answer.completion_tokens * n,
            len(answer.reasoning_tokens) * n,
        ),
        "service_tier": _service_tier(request),
        "system_fingerprint": SYSTEM_FINGERPRINT,
    }


def build_chunks(
    request: Json,
    reply: Reply,
    completion_id: str,
    created: int,
    *,
    usage: StreamUsage = "when_asked",
    usage_in_x_groq: bool = False,
    reasoning_field: str = "reasoning",
) -> Iterator[Json]:
    """The ``chat.completion.chunk`` objects of a streamed answer, word by word.

    ``usage`` says when the usage comes: in a last chunk of its own when
    ``stream_options`` asks for it (the spec), ``"always"`` (asked or not: unasked, the
    last chunk carries it, in ``x_groq.usage`` with ``usage_in_x_groq``, as Groq sends
    it), or ``"never"``.  The reasoning, if any, comes first, in ``reasoning_field``.
    """
    answer = _answer(request, reply)
    n = request.get("n") or 1
    stream_options: Json = request.get("stream_options") or {}
    asked = bool(stream_options.get("include_usage"))
    include_usage = asked and usage != "never"
    # Unasked, a server that always tells the usage puts it on its last chunk.
    usage_on_last = usage == "always" and not asked
    top = request.get("top_logprobs") or 0
    x_groq_id = f"req_{completion_id.removeprefix('chatcmpl-')}"

    def chunk(choices: list[Json]) -> Json:
        out: Json = {
            "id": completion_id,
            "object": "chat.completion.chunk",
            "created": created,
            "model": request["model"],
            "service_tier": _service_tier(request),
            "system_fingerprint": SYSTEM_FINGERPRINT,
            "choices": choices,
        }
        if include_usage:
            out["usage"] = None
        return out

    def choice(index: int, delta: Json, logprobs: Json = None, finish: str | None = None) -> Json:
        return {"index": index, "delta": delta, "logprobs": logprobs, "finish_reason": finish}

    def usage_of() -> Json:
        return _usage(
            count_prompt_tokens(request["messages"]),
            answer.completion_tokens * n,
            len(answer.reasoning_tokens) * n,
        )

    for i in range(n):
        first = chunk(
            [
                choice(
                    i,
                    {
                        "role": "assistant",
                        "content": "" if answer.content is not None else None,
                        "refusal": None,
                    },
                )
            ]
        )
        if usage_in_x_groq and i == 0:
            first["x_groq"] = {"id": x_groq_id}
        yield first
        for piece in answer.reasoning_tokens:
            yield chunk([choice(i, {reasoning_field: piece})])
        for position, piece in enumerate(answer.content_tokens):
            logprobs = None
            if request.get("logprobs"):
                logprobs = {"content": _token_logprobs([piece], top, position), "refusal": None}
            yield chunk([choice(i, {"content": piece}, logprobs)])
        if answer.refusal is not None:
            for piece in tokens(answer.refusal):
                yield chunk([choice(i, {"refusal": piece})])
        for call_index, call in enumerate(answer.tool_calls):
            head = {
                "index": call_index,
                "id": call.id,
                "type": "function",
                "function": {"name": call.name, "arguments": ""},
            }
            yield chunk([choice(i, {"tool_calls": [head]})])
            for piece in _pieces(call.arguments):
                yield chunk(
                    [choice(i, {"tool_calls": [{"index": call_index, "function": {"arguments": piece}}]})]
                )
        finish = chunk([choice(i, {}, None, answer.finish_reason)])
        if usage_on_last and i == n - 1:
            if usage_in_x_groq:
                finish["x_groq"] = {"id": x_groq_id, "usage": usage_of()}
            else:
                finish["usage"] = usage_of()
        yield finish
    if include_usage:
        last = chunk([])
        last["usage"] = usage_of()
        yield last
