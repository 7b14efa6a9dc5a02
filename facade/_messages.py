"""``Message``: one message of a conversation, as 4D AI Kit's ``OpenAIMessage``.

A conversation is a list of messages, each a ``Message`` or a plain dict in the API's
shape.  ``result.choice.message`` is a ``Message`` too, so a conversation goes on with
``messages.append(result.choice.message)``.
"""

from __future__ import annotations

import copy
import typing
from collections.abc import Mapping, Sequence
from typing import Any, Literal, TypeAlias

import msgspec

from ._config import check_items
from ._exceptions import InvalidRequestError
from ._generated.models import (
    ChatCompletionAudio,
    ChatCompletionMessage,
    ChatCompletionMessageToolCallUnion,
    ChatCompletionRequestMessage,
)
from ._generated.params import ChatCompletionMessageParam, ChatCompletionRole

__all__ = ["ImageDetail", "Message", "MessageLike", "ToolCall", "message_payloads"]

ImageDetail = Literal["auto", "low", "high"]
"""How closely the model looks at an image: ``"low"`` costs fewer tokens, ``"auto"`` lets it choose."""


ToolCall: TypeAlias = ChatCompletionMessageToolCallUnion | dict[str, Any]
"""One tool call of an assistant message: a function call (``ChatCompletionMessageToolCall``:
``call.function.name``, ``call.function.arguments``) or a custom tool call, as the
generated types; a call given as a dict, or of a kind this version does not know, is the
dict itself."""


def _own_list(value: object) -> Any:
    """Content parts or tool calls as the message's own list: TypedDicts, Mappings and
    tuples are accepted, and the caller's objects are not kept (a dict or a generated
    Struct is copied, its first level).  Anything else stays as it is, for the check of
    the whole request to name it."""
    if isinstance(value, str | bytes) or not isinstance(value, Sequence):
        return value
    items = typing.cast("Sequence[object]", value)
    return [
        dict(typing.cast("Mapping[str, Any]", p))
        if isinstance(p, Mapping)
        else copy.copy(p)
        if isinstance(p, msgspec.Struct)
        else p
        for p in items
    ]


def _wire(value: object) -> object:
    """A field's value as JSON data: generated Structs as dicts, the rest copied."""
    if isinstance(value, msgspec.Struct):
        return msgspec.to_builtins(value)
    if isinstance(value, list):
        return [_wire(item) for item in typing.cast("list[object]", value)]
    return copy.deepcopy(value)


class Message:
    """One message: ``role``, ``content`` (text or a list of parts), and for assistant and
    tool messages ``tool_calls`` and ``tool_call_id``, ``refusal`` and ``audio``.

    Make one with the constructor of its role (``Message.user("Hello!")``); the
    assistant's answer is one already (``result.choice.message``).  A message is mutable
    (``add_image_url``, ``text = ...``) and compares equal to another with the same
    ``to_dict()``.  Nothing is checked until it is sent: then a bad field raises
    ``InvalidRequestError`` naming it (``messages[2].content``).
    """

    __slots__ = ("audio", "content", "name", "refusal", "role", "tool_call_id", "tool_calls")

    def __init__(
        self,
        role: ChatCompletionRole,
        content: str | Sequence[Mapping[str, object]] | None = None,
        *,
        name: str | None = None,
        tool_calls: Sequence[ChatCompletionMessageToolCallUnion | Mapping[str, object]] | None = None,
        tool_call_id: str | None = None,
        refusal: str | None = None,
        audio: ChatCompletionAudio | None = None,
    ) -> None:
        self.role: ChatCompletionRole = role
        """``system``, ``developer``, ``user``, ``assistant`` or ``tool``."""
        self.content: str | list[dict[str, Any]] | None = (
            content if content is None or isinstance(content, str) else _own_list(content)
        )
        """The text, or a list of content parts in the API's shape (``{"type": "text", ...}``,
        ``{"type": "image_url", ...}``); the message keeps its own copy of a list given."""
        self.name = name
        """An optional name for the participant, to tell apart two of the same role."""
        self.tool_calls: list[ToolCall] | None = None if tool_calls is None else _own_list(tool_calls)
        """An assistant message's tool calls; None without any.  The model's are typed
        (``ChatCompletionMessageToolCall``: ``call.function.name``, ``call.function.arguments``;
        or ``ChatCompletionMessageCustomToolCall``); a call of a kind this version does
        not know, or one given as a dict, is that dict."""
        self.tool_call_id = tool_call_id
        """A tool message's answer to: the ``id`` of the tool call it gives the result of."""
        self.refusal = refusal
        """An assistant message's refusal, when the model declined to answer."""
        self.audio = audio
        """An assistant message's spoken answer (asked for with ``modalities=["audio"]``):
        its ``transcript`` and ``data``; sent back as its ``id`` alone, as the API wants."""

    # --- one constructor per role -------------------------------------------------------

    @classmethod
    def system(cls, content: str, *, name: str | None = None) -> Message:
        """A system message: instructions the model follows throughout the conversation."""
        return cls("system", content, name=name)

    @classmethod
    def developer(cls, content: str, *, name: str | None = None) -> Message:
        """A developer message: the system message's successor for OpenAI's reasoning models."""
        return cls("developer", content, name=name)

    @classmethod
    def user(cls, content: str | Sequence[Mapping[str, object]], *, name: str | None = None) -> Message:
        """A user message: text, or a list of content parts (text, images, audio, files)."""
        return cls("user", content, name=name)

    @classmethod
    def assistant(
        cls,
        content: str | None = None,
        *,
        tool_calls: Sequence[ChatCompletionMessageToolCallUnion | Mapping[str, object]] | None = None,
        refusal: str | None = None,
        name: str | None = None,
        audio: ChatCompletionAudio | None = None,
    ) -> Message:
        """An assistant message, to write the model's side of a conversation yourself (an
        answer of its own is ``result.choice.message``)."""
        return cls("assistant", content, tool_calls=tool_calls, refusal=refusal, name=name, audio=audio)

    @classmethod
    def tool(cls, content: str, *, tool_call_id: str) -> Message:
        """A tool message: the result of the tool call whose ``id`` is ``tool_call_id``
        (``run_tools`` writes these for you)."""
        return cls("tool", content, tool_call_id=tool_call_id)

    @classmethod
    def from_response(cls, message: ChatCompletionMessage) -> Message:
        """The assistant message of a completion, ready to be sent back in the conversation:
        its text, refusal, audio and tool calls, typed as the completion has them (a tool
        call of a kind this version does not know is already the server's dict)."""
        return cls.assistant(
            message.content if isinstance(message.content, str) else None,
            tool_calls=message.tool_calls if isinstance(message.tool_calls, list) else None,
            refusal=message.refusal if isinstance(message.refusal, str) else None,
            audio=message.audio if isinstance(message.audio, ChatCompletionAudio) else None,
        )

    # --- the text part ------------------------------------------------------------------

    @property
    def text(self) -> str | None:
        """The text of the message: the content string, or its text parts joined."""
        if self.content is None or isinstance(self.content, str):
            return self.content
        texts = [str(p["text"]) for p in self.content if p.get("type") == "text"]
        return "".join(texts) if texts else None

    @text.setter
    def text(self, value: str) -> None:
        if not isinstance(self.content, list):
            self.content = value
            return
        others = [p for p in self.content if p.get("type") != "text"]
        self.content = [{"type": "text", "text": value}, *others]

    def _parts(self) -> list[dict[str, Any]]:
        if isinstance(self.content, list):
            return self.content
        parts: list[dict[str, Any]] = [] if not self.content else [{"type": "text", "text": self.content}]
        self.content = parts
        return parts

    def add_image_url(self, url: str, detail: ImageDetail = "auto") -> Message:
        """Add an image by URL (or ``data:`` URL); the content becomes a list of parts."""
        self._parts().append({"type": "image_url", "image_url": {"url": url, "detail": detail}})
        return self

    def add_file_id(self, file_id: str) -> Message:
        """Add an uploaded file by its id; the content becomes a list of parts."""
        self._parts().append({"type": "file", "file": {"file_id": file_id}})
        return self

    # --- the wire -------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """The message in the API's shape; only what is set."""
        out: dict[str, Any] = {"role": self.role}
        if self.content is not None or self.role != "assistant":
            out["content"] = copy.deepcopy(self.content)
        for key in ("name", "tool_calls", "tool_call_id", "refusal"):
            value = getattr(self, key)
            if value is not None:
                out[key] = _wire(value)
        if self.audio is not None:
            # The request refers to an earlier spoken answer by its id; the rest (the
            # audio data, the transcript) is the model's and is not sent back.
            out["audio"] = {"id": self.audio.id}
        return out

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Message) and self.to_dict() == other.to_dict()

    __hash__ = None  # type: ignore[assignment]  # mutable, like a list

    def __repr__(self) -> str:
        fields = ", ".join(f"{k}={v!r}" for k, v in self.to_dict().items() if k != "role")
        return f"Message({self.role!r}, {fields})"


MessageLike: TypeAlias = Message | ChatCompletionMessageParam | ChatCompletionRequestMessage
"""What a conversation may hold: a ``Message``, a dict in the API's shape (typed as one
of the message TypedDicts, so that a wrong role or key fails the type checker), or a
generated message Struct."""


def message_payloads(messages: object) -> list[object]:
    """The conversation as plain data (or generated message Structs), for the request.

    Only its outer shape is checked here; ``msgspec.convert`` of the request then
    checks every message at once and names a bad one by index and field
    (``messages[2].role``).
    """
    items = check_items(
        "messages",
        messages,
        expected="a list of messages",
        empty="the conversation needs at least one message",
    )
    payloads: list[object] = []
    for index, message in enumerate(items):
        if not isinstance(message, Message):
            payloads.append(message)
            continue
        try:
            payloads.append(message.to_dict())
        except RecursionError:
            raise InvalidRequestError(f"messages[{index}]", "is nested too deeply to be sent") from None
    return payloads
