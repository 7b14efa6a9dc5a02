"""``completionkit chat``: a conversation (``client.chat.conversation``) in the terminal,
or over piped lines."""

from __future__ import annotations

import contextlib
import importlib
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import msgspec

from .._exceptions import InvalidRequestError, MissingAPIKeyError, OpenAIError
from .._generated.models import ChatCompletionChunk
from .._messages import Message, MessageLike
from ._ask import (
    AnswerPrinter,
    MaxTokensOption,
    ModelOption,
    SystemOption,
    TemperatureOption,
    chosen_model,
    request_parameters,
)
from ._common import (
    EXIT_API_ERROR,
    EXIT_USAGE,
    ApiKeyFileOption,
    BaseUrlOption,
    ProviderOption,
    ProvidersFileOption,
    app,
    fail,
    open_client,
    say,
    stderr,
)

__all__ = ["chat"]

_HELP = "/reset starts again, /save FILE writes the conversation as JSON, /exit (or Ctrl-D) ends"


def _lines(interactive: bool) -> Iterator[str]:
    """What the user says: a prompt on a terminal (with line editing where readline is),
    else stdin's lines as they come."""
    if not interactive:
        for line in sys.stdin:
            yield line.rstrip("\r\n")
        return
    with contextlib.suppress(ImportError):
        importlib.import_module("readline")  # input()'s line editing and history, once imported
    while True:
        try:
            yield stderr.input("[bold cyan]you[/]> ")
        except EOFError:
            stderr.print()
            return


def _saved(messages: list[MessageLike]) -> bytes:
    """The conversation's messages as they are sent, as indented JSON."""
    data: list[Any] = [m.to_dict() if isinstance(m, Message) else msgspec.to_builtins(m) for m in messages]
    return msgspec.json.format(msgspec.json.encode(data), indent=2) + b"\n"


@app.command()
def chat(
    model: ModelOption = None,
    system: SystemOption = None,
    temperature: TemperatureOption = None,
    max_tokens: MaxTokensOption = None,
    base_url: BaseUrlOption = None,
    provider: ProviderOption = None,
    providers_file: ProvidersFileOption = None,
    api_key_file: ApiKeyFileOption = None,
) -> None:
    """A conversation: each line you write is sent with the history, the answer streamed to stdout.

    /reset starts the conversation again (the system message stays), /save FILE writes its
    messages to FILE as JSON, /exit or Ctrl-D ends it. Ctrl-C stops an answer; at the
    prompt it ends the program (exit 130). On a terminal an error is shown and the
    conversation goes on; with piped lines it ends the program.
    """
    interactive = sys.stdin.isatty()
    model = chosen_model(model)
    params = request_parameters(model, temperature, max_tokens)
    printer = AnswerPrinter()

    def on_data(chunk: ChatCompletionChunk) -> None:
        for choice in chunk.choices:
            if choice.index == 0 and choice.delta.content:
                printer.write(choice.delta.content)

    params["stream"] = True
    params["on_data"] = on_data

    def problem(message: str, code: int) -> None:
        """A turn that went wrong: said on a terminal; the end of a piped conversation."""
        if not interactive:
            fail(message, code)
        say(f"completionkit: {message}", style="red")

    with open_client(base_url, provider, providers_file, api_key_file, model=model) as client:
        conversation = client.chat.conversation(system, **params)
        if interactive:
            say(f"completionkit chat with {model}: {_HELP}.", style="dim")
        for line in _lines(interactive):
            text = line.strip()
            if not text:
                continue
            if text.startswith("/"):
                command, _, argument = text.partition(" ")
                argument = argument.strip()
                if command in ("/exit", "/quit"):
                    return
                if command == "/reset":
                    conversation.reset()
                    say("(the conversation starts again)", style="dim")
                elif command == "/save" and argument:
                    Path(argument).write_bytes(_saved(conversation.messages))
                    say(f"(saved {len(conversation.messages)} messages to {argument})", style="dim")
                elif command == "/save":
                    problem("/save needs a file name: /save FILE", EXIT_USAGE)
                elif command == "/help":
                    say(_HELP)
                else:
                    problem(f"unknown command {command}: {_HELP}", EXIT_USAGE)
                continue
            try:
                conversation.ask(text)
            except KeyboardInterrupt:
                # Only this answer stops; the question is not kept in the history.
                printer.abandon()
                say("(answer stopped)", style="dim")
                continue
            except (InvalidRequestError, MissingAPIKeyError) as error:
                printer.abandon()
                problem(f"{type(error).__name__}: {error}", EXIT_USAGE)
                continue
            except OpenAIError as error:
                printer.abandon()
                problem(f"{type(error).__name__}: {error}", EXIT_API_ERROR)
                continue
            # Outside the try: once the answer's line has ended, Ctrl-C is the prompt's.
            printer.end()
