"""The tool loop of ``run_tools``, and a conversation's history, without I/O.

``run_tools`` asks the model, runs the functions it calls, sends their results back,
and asks again until an answer calls no tool.  ``ToolLoop`` decides everything in that
(which tool a call means, whether it may run, what goes into the conversation, when to
give up); the clients only send the requests and run the functions, the async one
concurrently.  ``History`` keeps a conversation for ``client.chat.conversation``.
"""

from __future__ import annotations

import dataclasses
import typing
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Generic

from ._config import check_items
from ._exceptions import InvalidRequestError, ToolLoopError
from ._generated.models import ChatCompletionMessageCustomToolCall, ChatCompletionMessageToolCall
from ._messages import Message, MessageLike, ToolCall
from ._tools import Tool, describable, tool

if TYPE_CHECKING:
    from typing_extensions import TypeVar

    from ._results import ChatCompletionResult

    P = TypeVar("P", default=None)
else:
    P = typing.TypeVar("P")  # a default (PEP 696) is for the type checkers: 3.11's TypeVar has none

__all__ = [
    "History",
    "OnToolCall",
    "PendingCall",
    "ToolCallRequest",
    "ToolLoop",
    "ToolRun",
    "arun_all",
    "check_rounds",
    "run_all",
]


@dataclasses.dataclass(frozen=True)
class ToolCallRequest:
    """A call the model asked for, as ``on_tool_call`` sees it before it runs."""

    id: str
    """The call's id, which its result (the tool message) answers to."""
    name: str
    """The name of the tool the model asked for."""
    arguments: str
    """The arguments as the model wrote them: JSON text, not yet decoded."""
    tool: Tool[Any] | None
    """The tool of that name; None when the model asked for one it was not given."""


OnToolCall = Callable[[ToolCallRequest], bool | None]
"""Sees each call before it runs; returning False vetoes it (the model is told so)."""


@dataclasses.dataclass(frozen=True)
class ToolRun(Generic[P]):
    """What ``run_tools`` returns: the final answer, and the whole conversation."""

    result: ChatCompletionResult[P]
    """The last answer: the one that called no tool."""
    messages: list[MessageLike]
    """The conversation: the messages given, every assistant message and tool result,
    and the final answer; send it again to go on."""
    rounds: int
    """How many requests it took."""


@dataclasses.dataclass(frozen=True)
class PendingCall:
    """One tool call of an answer, and what to do with it: run ``tool`` on ``arguments``,
    or (``tool`` None) answer ``refusal`` without running anything."""

    id: str
    tool: Tool[Any] | None
    arguments: str
    refusal: str = ""


def _tools(given: object) -> dict[str, Tool[Any]]:
    items = check_items(
        "tools", given, expected="a list of functions or tools", empty="run_tools() needs at least one tool"
    )
    tools: dict[str, Tool[Any]] = {}
    for index, item in enumerate(items):
        if not describable(item):
            raise InvalidRequestError(
                f"tools[{index}]",
                f"expected a function or a Tool, got {type(item).__name__}: run_tools() runs its tools",
            )
        made = tool(typing.cast("Callable[..., Any]", item))
        if made.name in tools:
            raise InvalidRequestError(f"tools[{index}]", f"a second tool is named {made.name!r}")
        tools[made.name] = made
    return tools


def check_rounds(max_rounds: object) -> int:
    if isinstance(max_rounds, bool) or not isinstance(max_rounds, int) or max_rounds < 1:
        raise InvalidRequestError(
            "max_rounds", f"expected a number of requests of at least 1, got {max_rounds!r}"
        )
    return max_rounds


# What run_tools takes from create()'s parameters but does not pass on as they are.
_NOT_IN_A_LOOP = {
    "stream": "run_tools() does not stream: it reads each answer whole to run its tool calls",
    "stream_options": "run_tools() does not stream",
    "on_data": "run_tools() does not stream",
    "on_terminate": "run_tools() does not stream",
}


class ToolLoop:
    """One ``run_tools`` call: the conversation it grows and the tools it may run."""

    def __init__(
        self,
        messages: Sequence[MessageLike],
        parameters: Mapping[str, Any],
        max_rounds: object,
        on_tool_call: OnToolCall | None,
        *,
        asynchronous: bool,
    ) -> None:
        if on_tool_call is not None and not callable(on_tool_call):
            raise InvalidRequestError(
                "on_tool_call", f"expected a function, got {type(on_tool_call).__name__}"
            )
        for name, why in _NOT_IN_A_LOOP.items():
            if parameters.get(name) not in (None, False):
                raise InvalidRequestError(name, why)
        if "tools" not in parameters:
            raise InvalidRequestError("tools", "run_tools() needs the functions it may run: tools=[...]")
        self.max_rounds = check_rounds(max_rounds)
        self.tools = _tools(parameters["tools"])
        if not asynchronous:
            for name, found in self.tools.items():
                if found.is_async:
                    raise InvalidRequestError(
                        f"tools.{name}", "is an async function: run it with AsyncOpenAI's run_tools()"
                    )
        self.parameters: dict[str, Any] = {
            **{k: v for k, v in parameters.items() if k not in _NOT_IN_A_LOOP},
            "tools": [t.definition() for t in self.tools.values()],
        }
        """What every request of the loop is created with, the tools described."""
        self.messages: list[MessageLike] = list(messages)  # the caller's list is left as it was
        self.rounds = 0
        self._on_tool_call = on_tool_call

    def answered(self, result: ChatCompletionResult[Any]) -> list[PendingCall] | None:
        """Take an answer into the conversation: the calls to make next, or None when it
        calls no tool (the loop is over)."""
        self.rounds += 1
        message = result.choice.message
        self.messages.append(message)
        calls = message.tool_calls or []
        if not calls:
            return None
        if self.rounds >= self.max_rounds:
            raise ToolLoopError(
                f"The model still called tools after {self.rounds} request{'s' if self.rounds != 1 else ''} "
                f"(max_rounds={self.max_rounds}).",
                messages=self.messages,
            )
        return [self._pending(call) for call in calls]

    def _pending(self, call: ToolCall) -> PendingCall:
        if isinstance(call, ChatCompletionMessageCustomToolCall):
            return PendingCall(call.id, None, call.custom.input, "Error: a 'custom' call cannot be run here.")
        if not isinstance(call, ChatCompletionMessageToolCall):  # of a kind this version does not know
            call_id = str(call.get("id") or "")
            return PendingCall(call_id, None, "", f"Error: a {call.get('type')!r} call cannot be run here.")
        call_id, name, arguments = call.id, call.function.name, call.function.arguments
        found = self.tools.get(name)
        if (
            self._on_tool_call is not None
            and self._on_tool_call(ToolCallRequest(call_id, name, arguments, found)) is False
        ):
            return PendingCall(
                call_id, None, arguments, f"Error: the application did not allow this call of {name}."
            )
        if found is None:
            known = ", ".join(self.tools)
            return PendingCall(
                call_id, None, arguments, f"Error: there is no tool named {name!r}; the tools are: {known}."
            )
        return PendingCall(call_id, found, arguments)

    def record(self, calls: Sequence[PendingCall], contents: Sequence[str]) -> None:
        """Add each call's result (or why it did not run) as its tool message, in the
        order the model made the calls."""
        for call, content in zip(calls, contents, strict=True):
            self.messages.append(Message.tool(content, tool_call_id=call.id))

    def finished(self, result: ChatCompletionResult[P]) -> ToolRun[P]:
        return ToolRun(result, self.messages, self.rounds)


def run_all(calls: Sequence[PendingCall]) -> list[str]:
    """Run the calls of one answer, one after another (the sync client)."""
    return [call.tool.run(call.arguments) if call.tool is not None else call.refusal for call in calls]


async def arun_all(calls: Sequence[PendingCall]) -> list[str]:
    """Run the calls of one answer concurrently (the async client): async functions
    overlap, and the results keep the order of the calls."""
    import asyncio

    async def one(call: PendingCall) -> str:
        return await call.tool.arun(call.arguments) if call.tool is not None else call.refusal

    return list(await asyncio.gather(*(one(call) for call in calls)))


class History:
    """A conversation's messages, with an optional budget: past ``max_messages``, the
    oldest turns go first, each whole (a question with everything up to the next one:
    tool calls, their results, the answer), so that no tool call loses its results and
    the history never starts with an answer whose question is gone (a server that
    expects roles to alternate refuses that).  The system message always stays, and so
    does the last turn, even when it alone is longer than the budget."""

    def __init__(self, system: str | None, max_messages: object) -> None:
        if max_messages is not None and (
            isinstance(max_messages, bool) or not isinstance(max_messages, int) or max_messages < 2
        ):
            raise InvalidRequestError(
                "max_messages", f"expected a number of messages of at least 2, or None, got {max_messages!r}"
            )
        self.system = None if system is None else Message.system(system)
        self.max_messages: int | None = max_messages
        self.turns: list[MessageLike] = []

    @property
    def messages(self) -> list[MessageLike]:
        """What is sent: the system message, then the turns kept."""
        return [self.system, *self.turns] if self.system is not None else list(self.turns)

    def asking(self, text: object) -> list[MessageLike]:
        """What to send to ask ``text``: the history, then the question."""
        if not isinstance(text, str):
            raise InvalidRequestError("text", f"expected the question as a str, got {type(text).__name__}")
        return [*self.messages, Message.user(text)]

    def extend(self, messages: Sequence[MessageLike]) -> None:
        self.turns.extend(messages)
        self._trim()

    def reset(self) -> None:
        self.turns.clear()

    def _trim(self) -> None:
        if self.max_messages is None:
            return
        budget = self.max_messages - (1 if self.system is not None else 0)
        while len(self.turns) > budget:
            # The oldest turn ends where the next question begins.
            end = next((i for i in range(1, len(self.turns)) if _role(self.turns[i]) == "user"), None)
            if end is None:
                break  # the last turn stays whole, whatever the budget
            del self.turns[:end]


def _role(message: MessageLike) -> object:
    if isinstance(message, Message):
        return message.role
    if isinstance(message, Mapping):
        return typing.cast("Mapping[str, object]", message).get("role")
    return getattr(message, "role", None)
