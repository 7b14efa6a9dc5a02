"""``completionkit ask``: one question, the answer streamed to stdout (or, with
``--schema``, printed as one JSON document)."""

from __future__ import annotations

import importlib
import json
import os
import re
import sys
import typing
from pathlib import Path
from typing import Annotated, Any

import typer

from .._messages import Message, MessageLike
from .._operations import ChatCompletionsParameters
from ._common import (
    EXIT_API_ERROR,
    ApiKeyFileOption,
    BaseUrlOption,
    ProviderOption,
    ProvidersFileOption,
    app,
    fail,
    open_client,
    say,
    write_json,
)

__all__ = [
    "AnswerPrinter",
    "MaxTokensOption",
    "ModelOption",
    "SystemOption",
    "TemperatureOption",
    "ask",
    "chosen_model",
    "request_parameters",
]

MODEL_VARIABLE = "COMPLETIONKIT_MODEL"

ModelOption = Annotated[
    str | None,
    typer.Option(
        "--model",
        "-m",
        envvar=MODEL_VARIABLE,
        help="The model; provider:model (groq:llama-3.1-8b-instant) or an alias of the providers "
        "file sends the request to that provider.",
        show_default=False,
    ),
]
SystemOption = Annotated[
    str | None, typer.Option("--system", "-s", help="The system message.", show_default=False)
]
TemperatureOption = Annotated[
    float | None,
    typer.Option("--temperature", min=0, max=2, help="Sampling temperature.", show_default=False),
]
MaxTokensOption = Annotated[
    int | None,
    typer.Option(
        "--max-tokens",
        min=1,
        help="At most this many tokens in the answer (sent as max_completion_tokens; adapted for "
        "providers that take max_tokens).",
        show_default=False,
    ),
]

# module:Type, as uvicorn and gunicorn name an object to import.
_IMPORT_PATH = re.compile(r"[A-Za-z_][\w.]*:[A-Za-z_][\w.]*")
# The API's rule for a response format's name.
_NAME = re.compile(r"[A-Za-z0-9_-]{1,64}")


class AnswerPrinter:
    """Writes an answer to stdout as its pieces come, and ends it with exactly one newline
    (the answer's own last newlines held back): a reader of stdout sees an answer end
    when its line does."""

    def __init__(self) -> None:
        self._held = ""
        self._started = False

    def write(self, text: str) -> None:
        stripped = text.rstrip("\n")
        if stripped:
            sys.stdout.write(self._held + stripped)
            sys.stdout.flush()
            self._held = ""
            self._started = True
        self._held += text[len(stripped) :]

    def end(self) -> None:
        """End a whole answer: its line, empty for an empty answer."""
        self._held = ""
        self._started = False
        sys.stdout.write("\n")
        sys.stdout.flush()

    def abandon(self) -> None:
        """End an answer that stopped half way: its line, if it had begun."""
        if self._started:
            self.end()
        self._held = ""


def chosen_model(model: str | None) -> str:
    """``--model``, or the environment's; a usage error without either."""
    if not model:
        fail(f"no model: give --model (or set {MODEL_VARIABLE})")
    return model


def request_parameters(
    model: str, temperature: float | None, max_tokens: int | None
) -> ChatCompletionsParameters[Any]:
    """The request's parameters the options give (those left out are not sent)."""
    params: ChatCompletionsParameters[Any] = {"model": model}
    if temperature is not None:
        params["temperature"] = temperature
    if max_tokens is not None:
        params["max_completion_tokens"] = max_tokens
    return params


def _prompt(words: list[str] | None) -> str:
    """The question: what stdin brings (when it is not a terminal), then the arguments."""
    parts: list[str] = []
    if not sys.stdin.isatty():
        piped = sys.stdin.read()
        if piped.strip():
            parts.append(piped.rstrip("\n"))
    if words:
        parts.append(" ".join(words))
    if not parts:
        fail("no prompt: give it as arguments, or on stdin")
    return "\n\n".join(parts)


def _schema_format(schema: str) -> tuple[object, bool]:
    """``--schema``'s response format, and whether it is a Python type: a JSON file, inline
    JSON, or ``module:Type`` imported (the current folder first on the import path, as
    ``python -m`` has it)."""
    path = Path(schema)
    if schema.lstrip().startswith("{"):
        text, name = schema, "answer"
    elif path.is_file():
        text, name = path.read_text(encoding="utf-8"), path.stem
    elif _IMPORT_PATH.fullmatch(schema):
        return _imported(schema), True
    else:
        fail(f"--schema: {schema!r} is no file, no JSON object and no module:Type")
    try:
        document: object = json.loads(text)
    except ValueError as error:
        fail(f"--schema: not JSON: {error}")
    if not isinstance(document, dict):
        fail("--schema: a JSON schema is an object")
    schema_object = typing.cast("dict[str, object]", document)
    title = schema_object.get("title")
    if isinstance(title, str) and _NAME.fullmatch(title):
        name = title
    if not _NAME.fullmatch(name):
        name = "answer"
    json_schema = {"name": name, "schema": schema_object, "strict": True}
    return {"type": "json_schema", "json_schema": json_schema}, False


def _imported(target: str) -> object:
    module_name, _, qualname = target.partition(":")
    if os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())
    try:
        value: object = importlib.import_module(module_name)
    except ImportError as error:
        fail(f"--schema: cannot import {module_name!r}: {error}")
    for attribute in qualname.split("."):
        try:
            value = getattr(value, attribute)
        except AttributeError:
            fail(f"--schema: {module_name!r} has no {qualname!r}")
    if not isinstance(value, type):
        fail(f"--schema: {target} is not a type")
    return value


@app.command()
def ask(
    prompt: Annotated[
        list[str] | None,
        typer.Argument(
            help="The question. Piped to stdin too, stdin comes first (the context), then the arguments.",
            show_default=False,
        ),
    ] = None,
    model: ModelOption = None,
    system: SystemOption = None,
    schema: Annotated[
        str | None,
        typer.Option(
            "--schema",
            help="Structured output, printed as JSON: a JSON schema (a file, or inline JSON), sent "
            "in strict mode; or module:Type, a Python type (a msgspec Struct, a dataclass, a "
            "TypedDict) imported from the current folder or the environment.",
            show_default=False,
        ),
    ] = None,
    temperature: TemperatureOption = None,
    max_tokens: MaxTokensOption = None,
    base_url: BaseUrlOption = None,
    provider: ProviderOption = None,
    providers_file: ProvidersFileOption = None,
    api_key_file: ApiKeyFileOption = None,
) -> None:
    """Ask one question; the answer is streamed to stdout as it comes."""
    model = chosen_model(model)
    params = request_parameters(model, temperature, max_tokens)
    question = _prompt(prompt)
    messages: list[MessageLike] = [Message.user(question)]
    if system is not None:
        messages.insert(0, Message.system(system))
    structured = None if schema is None else _schema_format(schema)
    with open_client(base_url, provider, providers_file, api_key_file, model=model) as client:
        if structured is not None:
            response_format, typed = structured
            params["response_format"] = typing.cast("Any", response_format)
            result = client.chat.completions.create(messages, params)
            choice = result.choice
            if choice.refusal is not None:
                fail(f"the model refused: {choice.refusal}", EXIT_API_ERROR)
            if typed:
                write_json(choice.parsed)
            else:
                try:
                    write_json(json.loads(choice.text or ""))
                except ValueError:
                    fail(f"the answer is not JSON: {choice.text!r}", EXIT_API_ERROR)
            return
        printer = AnswerPrinter()
        with client.chat.completions.stream(messages, params) as stream:
            for delta in stream.text_deltas():
                printer.write(delta)
            final = stream.final()
        printer.end()
        choice = final.choice
        if choice.refusal is not None:
            fail(f"the model refused: {choice.refusal}", EXIT_API_ERROR)
        if choice.finish_reason == "length":
            say("completionkit: the answer was cut off at the token limit (finish_reason=length)")
