"""What every command of the command line shares: the app, the client's options, the
output (data on stdout, messages on stderr, progress only on a terminal) and the exit codes.

A command module registers its commands with ``@app.command()`` and is named in
``_COMMAND_MODULES`` (``__init__``).  Errors need no handling in a command: the app's
group turns them into a message on stderr and the exit code (``_Commands.invoke``).
"""

from __future__ import annotations

import contextlib
import enum
import errno
import sys
from collections.abc import Callable, Generator, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Annotated, Any, NoReturn

import msgspec
import typer
import typer.core
from rich.console import Console

from .._client import OpenAI
from .._exceptions import InvalidRequestError, MissingAPIKeyError, OpenAIError
from .._results import ChatCompletionResult
from .._version import __version__

__all__ = [
    "EXIT_API_ERROR",
    "EXIT_INTERRUPTED",
    "EXIT_OK",
    "EXIT_USAGE",
    "ApiKeyFileOption",
    "BaseUrlOption",
    "FormatOption",
    "OutputFormat",
    "ProviderOption",
    "ProvidersFileOption",
    "app",
    "fail",
    "open_client",
    "output",
    "output_one",
    "plain",
    "progress",
    "progress_wanted",
    "say",
    "stderr",
    "write_json",
    "write_jsonl",
    "write_table",
]

EXIT_OK = 0
EXIT_API_ERROR = 1
"""An ``OpenAIError`` from the API or the network (a file that cannot be read or written too)."""
EXIT_USAGE = 2
"""A usage error: a bad option or argument, a request the client refuses before sending it
(``InvalidRequestError``, ``ProvidersFileError``), no API key (``MissingAPIKeyError``)."""
EXIT_INTERRUPTED = 130
"""Ctrl-C (SIGINT), as a shell reports a program it interrupted: 128 + 2."""

stderr = Console(stderr=True, soft_wrap=True, highlight=False)
"""Where messages go (never data): colours only on a terminal."""


def say(message: str, *, style: str | None = None) -> None:
    """A message to the user, on stderr, taken as plain text (no rich markup)."""
    stderr.print(message, style=style, markup=False)


def fail(message: str, code: int = EXIT_USAGE) -> NoReturn:
    """Stop the command with ``message`` on stderr and exit ``code`` (a usage error by default)."""
    say(f"completionkit: error: {message}", style="red")
    raise typer.Exit(code)


class _Commands(typer.core.TyperGroup):
    """The app's group: a command's error becomes a line on stderr and an exit code,
    not a traceback."""

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except (InvalidRequestError, MissingAPIKeyError) as error:
            fail(f"{type(error).__name__}: {error}", EXIT_USAGE)
        except OpenAIError as error:
            fail(f"{type(error).__name__}: {error}", EXIT_API_ERROR)
        except KeyboardInterrupt:
            # Else older typers (click's main) report an abort and exit 1.
            say("completionkit: interrupted")
            raise typer.Exit(EXIT_INTERRUPTED) from None
        except OSError as error:
            if error.errno == errno.EPIPE:  # stdout closed early (| head): typer's to handle
                raise
            fail(str(error), EXIT_API_ERROR)


def _show_version(value: bool) -> None:
    if value:
        print(f"completionkit {__version__}")
        raise typer.Exit(EXIT_OK)


app = typer.Typer(
    name="completionkit",
    cls=_Commands,
    help=(
        "A client of the OpenAI Chat Completions API (and of OpenAI-compatible servers) on the "
        "command line. The key comes from OPENAI_API_KEY (or the provider's variable), the URL "
        "from OPENAI_BASE_URL, as for OpenAI() in Python. Data goes to stdout, messages to "
        "stderr. Exit codes: 0 done, 1 an API or network error, 2 a usage error, 130 interrupted."
    ),
    no_args_is_help=True,
    add_completion=False,
    # Markdown: the paragraphs of a docstring are reflowed to the terminal's width.
    rich_markup_mode="markdown",
    # A traceback's locals could hold what a key was read into.
    pretty_exceptions_show_locals=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_show_version, is_eager=True, help="Print the version and exit."),
    ] = False,
) -> None:
    """The group's own options (the client's are each command's)."""


# --- the client ---------------------------------------------------------------------

_CLIENT_PANEL = "Client"

BaseUrlOption = Annotated[
    str | None,
    typer.Option(
        "--base-url",
        help="The server's URL (default: OPENAI_BASE_URL, else the provider's, else OpenAI's).",
        show_default=False,
        rich_help_panel=_CLIENT_PANEL,
    ),
]
ProviderOption = Annotated[
    str | None,
    typer.Option(
        "--provider",
        help="Talk to this provider (ollama, groq, azure, ... or one of the providers file): "
        "its URL, its key's variable, its adaptations.",
        show_default=False,
        rich_help_panel=_CLIENT_PANEL,
    ),
]
ProvidersFileOption = Annotated[
    Path | None,
    typer.Option(
        "--providers-file",
        help="A providers file (default: COMPLETIONKIT_PROVIDERS, else the one in the user's config folder).",
        show_default=False,
        exists=True,
        dir_okay=False,
        rich_help_panel=_CLIENT_PANEL,
    ),
]
ApiKeyFileOption = Annotated[
    Path | None,
    typer.Option(
        "--api-key-file",
        help="Read the API key from this file (default: OPENAI_API_KEY, or the provider's variable). "
        "There is no option for the key itself: a command line is kept in the shell's history.",
        show_default=False,
        exists=True,
        dir_okay=False,
        rich_help_panel=_CLIENT_PANEL,
    ),
]


def open_client(
    base_url: str | None = None,
    provider: str | None = None,
    providers_file: Path | None = None,
    api_key_file: Path | None = None,
    *,
    model: str | None = None,
) -> OpenAI:
    """The client the options describe, the environment filling in the rest as for ``OpenAI()``.
    Use it in a ``with`` block.

    ``model``, the one model a command sends every request for: when it names a provider
    (``groq:llama-3.1-8b-instant``, an alias of the providers file) and no option names a
    server, the client is that provider's.  In Python the client's own provider would still
    want its key (OPENAI_API_KEY) though no request goes there; here GROQ_API_KEY is enough.
    """
    if model is not None and provider is None and base_url is None:
        from .._provider_file import Providers

        resolved = Providers.load(providers_file).resolve(model)
        if resolved is not None:
            provider = resolved[0].name
    api_key = None
    if api_key_file is not None:
        # Surrounding whitespace (the file's last newline) is the client's to drop.
        api_key = api_key_file.read_text(encoding="utf-8")
    return OpenAI(api_key=api_key, base_url=base_url, provider=provider, providers_file=providers_file)


# --- output ---------------------------------------------------------------------------


class OutputFormat(enum.StrEnum):
    """How data is written to stdout."""

    json = "json"
    """One JSON document (an array for many items), indented."""
    jsonl = "jsonl"
    """One JSON object a line."""
    table = "table"
    """A table drawn by rich, for a person to read."""


FormatOption = Annotated[
    OutputFormat,
    typer.Option("--format", "-f", case_sensitive=False, help="How to write the data to stdout."),
]


def plain(value: object) -> Any:
    """``value`` as JSON data: a completion as the server sent it (``raw``), a msgspec
    Struct or a dataclass as its fields (unset ones left out)."""
    if isinstance(value, ChatCompletionResult):
        return value.raw
    return msgspec.to_builtins(value)


def write_json(value: object, *, indent: int = 2) -> None:
    """``value`` (see ``plain``) as one JSON document on stdout."""
    encoded = msgspec.json.encode(plain(value))
    if indent:
        encoded = msgspec.json.format(encoded, indent=indent)
    sys.stdout.write(encoded.decode() + "\n")
    sys.stdout.flush()


def write_jsonl(values: Iterable[object]) -> int:
    """Each of ``values`` (see ``plain``) as a line of JSON on stdout, as it comes; how many."""
    count = 0
    for value in values:
        sys.stdout.write(msgspec.json.encode(plain(value)).decode() + "\n")
        count += 1
    sys.stdout.flush()
    return count


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return msgspec.json.encode(plain(value)).decode()


def write_table(
    rows: Iterable[Mapping[str, object]], columns: Sequence[str], *, title: str | None = None
) -> None:
    """``rows`` as a rich table on stdout, one column for each key of ``columns``; every
    text shown as it is (a ``[`` in the data is no rich markup)."""
    from rich.table import Table
    from rich.text import Text

    table = Table(title=None if title is None else Text(title))
    for column in columns:
        table.add_column(Text(column))
    for row in rows:
        table.add_row(*(Text(_cell(row.get(column))) for column in columns))
    Console(soft_wrap=False, highlight=False).print(table)


def output(rows: Iterable[Mapping[str, object]], format: OutputFormat, columns: Sequence[str]) -> None:
    """Many items in ``format``: a JSON array, JSON lines, or a table of ``columns``."""
    if format is OutputFormat.jsonl:
        write_jsonl(rows)
    elif format is OutputFormat.json:
        write_json(list(rows))
    else:
        write_table(rows, columns)


def output_one(row: Mapping[str, object], format: OutputFormat, columns: Sequence[str]) -> None:
    """One item in ``format``: a JSON object (indented, or on one line), or a table of
    ``columns`` with one row."""
    if format is OutputFormat.jsonl:
        write_jsonl([row])
    elif format is OutputFormat.json:
        write_json(row)
    else:
        write_table([row], columns)


# --- progress -----------------------------------------------------------------------------


def progress_wanted(flag: bool | None = None) -> bool:
    """Whether to draw progress: as ``--progress/--no-progress`` says, else (None) only when
    stderr is a terminal."""
    return sys.stderr.isatty() if flag is None else flag


@contextlib.contextmanager
def progress(
    description: str, total: int | None = None, *, enabled: bool | None = None
) -> Generator[Callable[[int], None]]:
    """A progress bar on stderr while the block runs (only on a terminal, unless ``enabled``
    says otherwise); yields ``advance(n)``, a no-op without a bar."""
    if not progress_wanted(enabled):
        yield lambda n: None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    with Progress(
        TextColumn(description),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=stderr,
        redirect_stdout=False,
        redirect_stderr=False,
    ) as bar:
        task = bar.add_task(description, total=total)
        yield lambda n: bar.advance(task, n)
