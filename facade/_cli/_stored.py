"""The commands on stored completions: ``get``, ``update``, ``delete`` (one, or ``--where``
the filters match), ``list`` and ``messages``."""

from __future__ import annotations

import datetime
import enum
import sys
from collections.abc import Iterable, Iterator, Mapping
from typing import Annotated, Any

import msgspec
import typer

from .._client import OpenAI
from .._operations import ChatCompletionsListParameters
from .._results import ChatCompletionResult
from ._common import (
    EXIT_API_ERROR,
    ApiKeyFileOption,
    BaseUrlOption,
    FormatOption,
    OutputFormat,
    ProviderOption,
    ProvidersFileOption,
    app,
    fail,
    open_client,
    output,
    output_one,
    say,
    write_table,
)
from ._common import progress as show_progress
from ._export import (
    WORKERS,
    ConcurrencyOption,
    Filters,
    MetadataFilter,
    ModelFilter,
    ProgressOption,
    SinceFilter,
    UntilFilter,
    delete_completions,
    filters_option,
    matching_completions,
    metadata_option,
    stored_messages,
)

__all__: list[str] = []

Json = Any

IdArgument = Annotated[str, typer.Argument(metavar="ID", help="The stored completion's id (chatcmpl-...).")]

COMPLETION_COLUMNS = ("id", "created (UTC)", "model", "metadata", "answer")
MESSAGE_COLUMNS = ("id", "role", "content", "tools")
SAMPLE_COLUMNS = ("id", "model", "created (UTC)")
SAMPLE_SIZE = 5
_SHORT = 60
"""Characters of an answer or a message a table shows."""


class Order(enum.StrEnum):
    asc = "asc"
    desc = "desc"


def _created(timestamp: int) -> str:
    return datetime.datetime.fromtimestamp(timestamp, datetime.UTC).strftime("%Y-%m-%d %H:%M:%S")


def _short(text: str | None) -> str:
    """The start of ``text`` on one line, for a table cell."""
    line = " ".join((text or "").split())
    return line if len(line) <= _SHORT else line[: _SHORT - 1] + "…"


def _pairs(metadata: Mapping[str, str] | None) -> str:
    return ", ".join(f"{key}={value}" for key, value in (metadata or {}).items())


def _answer(completion: ChatCompletionResult) -> str:
    choices = completion.completion.choices
    if not choices:
        return ""
    message = choices[0].message
    if message.content is not None:
        return _short(message.content)
    if message.tool_calls:
        names = ", ".join(
            getattr(getattr(call, "function", None), "name", "?") for call in message.tool_calls
        )
        return _short(f"(calls {names})")
    return _short(f"(refused: {message.refusal})" if message.refusal else "")


def _completion_row(completion: ChatCompletionResult) -> dict[str, object]:
    return {
        "id": completion.id,
        "created (UTC)": _created(completion.created),
        "model": completion.model,
        "metadata": _pairs(completion.metadata),
        "answer": _answer(completion),
    }


def _completions(completions: Iterable[ChatCompletionResult], format: OutputFormat) -> None:
    rows: Iterable[Mapping[str, object]] = (
        (_completion_row(c) for c in completions)
        if format is OutputFormat.table
        else (c.raw for c in completions)
    )
    output(rows, format, COMPLETION_COLUMNS)


def _one(completion: ChatCompletionResult, format: OutputFormat) -> None:
    row = _completion_row(completion) if format is OutputFormat.table else completion.raw
    output_one(row, format, COMPLETION_COLUMNS)


def _message_row(message: Json) -> dict[str, object]:
    content = message.get("content")
    tools = ""
    if message.get("tool_calls"):
        names = (call.get("function", {}).get("name", "?") for call in message["tool_calls"])
        tools = "calls " + ", ".join(names)
    elif message.get("tool_call_id"):
        tools = f"answers {message['tool_call_id']}"
    return {
        "id": message.get("id"),
        "role": message.get("role"),
        "content": _short(content if isinstance(content, str) else None),
        "tools": tools,
    }


@app.command()
def get(
    completion_id: IdArgument,
    format: FormatOption = OutputFormat.json,
    base_url: BaseUrlOption = None,
    provider: ProviderOption = None,
    providers_file: ProvidersFileOption = None,
    api_key_file: ApiKeyFileOption = None,
) -> None:
    """A stored completion, as the API answers it."""
    with open_client(base_url, provider, providers_file, api_key_file) as client:
        completion = client.chat.completions.retrieve(completion_id)
    _one(completion, format)


@app.command()
def update(
    completion_id: IdArgument,
    metadata: Annotated[
        list[str] | None,
        typer.Option(
            "--metadata",
            metavar="KEY=VALUE",
            help="A pair of the new metadata (repeat it for more).",
            show_default=False,
        ),
    ] = None,
    metadata_json: Annotated[
        str | None,
        typer.Option(
            "--metadata-json",
            metavar="JSON",
            help="The new metadata as one JSON object of strings ('{}' empties it, 'null' clears it).",
            show_default=False,
        ),
    ] = None,
    merge: Annotated[
        bool,
        typer.Option("--merge", help="Keep the pairs the completion has that the new ones do not replace."),
    ] = False,
    format: FormatOption = OutputFormat.json,
    base_url: BaseUrlOption = None,
    provider: ProviderOption = None,
    providers_file: ProvidersFileOption = None,
    api_key_file: ApiKeyFileOption = None,
) -> None:
    """Replace a stored completion's metadata (all of it, unless --merge).

    Prints the completion as updated."""
    if metadata and metadata_json is not None:
        fail("give the metadata as --metadata pairs or as --metadata-json, not both")
    new: dict[str, str] | None
    if metadata_json is not None:
        try:
            new = msgspec.json.decode(metadata_json, type=dict[str, str] | None, strict=True)
        except msgspec.DecodeError as error:
            raise typer.BadParameter(
                f"not a JSON object of strings (or null): {error}", param_hint="--metadata-json"
            ) from None
    elif metadata:
        new = metadata_option(metadata)
    else:
        fail("say what the metadata becomes: --metadata KEY=VALUE (repeated) or --metadata-json")
    with open_client(base_url, provider, providers_file, api_key_file) as client:
        if merge and new is not None:
            new = {**(client.chat.completions.retrieve(completion_id).metadata or {}), **new}
        completion = client.chat.completions.update(completion_id, new)
    _one(completion, format)


@app.command()
def delete(
    completion_id: Annotated[
        str | None,
        typer.Argument(
            metavar="ID", help="The stored completion to delete; none with --where.", show_default=False
        ),
    ] = None,
    where: Annotated[
        bool,
        typer.Option(
            "--where",
            help="Delete every stored completion the filters match (all of them without filters), "
            "after a confirmation.",
        ),
    ] = False,
    model: ModelFilter = None,
    metadata: MetadataFilter = None,
    since: SinceFilter = None,
    until: UntilFilter = None,
    dry_run: Annotated[
        bool,
        typer.Option(
            "--dry-run", help="With --where: print how many match and the first few; delete nothing."
        ),
    ] = False,
    yes: Annotated[
        bool,
        typer.Option("--yes", "-y", help="With --where: do not ask (needed when stdin is not a terminal)."),
    ] = False,
    concurrency: ConcurrencyOption = WORKERS,
    progress: ProgressOption = None,
    format: FormatOption = OutputFormat.json,
    base_url: BaseUrlOption = None,
    provider: ProviderOption = None,
    providers_file: ProvidersFileOption = None,
    api_key_file: ApiKeyFileOption = None,
) -> None:
    """Delete a stored completion (ID), or every one the filters match (--where)."""
    filtered = model is not None or metadata or since is not None or until is not None
    if completion_id is not None:
        if where:
            fail("give an ID or --where, not both")
        if filtered or dry_run or yes:
            fail("the filters, --dry-run and --yes go with --where, not with an ID")
        with open_client(base_url, provider, providers_file, api_key_file) as client:
            deleted = client.chat.completions.delete(completion_id)
        if not deleted:
            fail(f"no stored completion has the id {completion_id!r}", EXIT_API_ERROR)
        row = {"id": completion_id, "object": "chat.completion.deleted", "deleted": True}
        output_one(row, format, ("id", "deleted"))
        return
    if not where:
        fail("give the ID of the completion to delete, or --where (and filters) to delete many")
    filters = filters_option(model, metadata, since, until)
    if not dry_run and not yes and not sys.stdin.isatty():
        # Before anything is listed: a script that forgot --yes learns so at once.
        fail("deleting many stored completions needs a confirmation: pass --yes (or --dry-run to look first)")
    with open_client(base_url, provider, providers_file, api_key_file) as client:
        ids, sample = _matching(client, filters, progress)
        if dry_run:
            _dry_run(len(ids), sample, format)
            return
        if not ids:
            say("No stored completion matches: nothing to delete.")
            _summary(0, 0, format)
            return
        if not yes:
            _show_sample(len(ids), sample)
            what = (
                f"these {_plural(len(ids))}" if filters.narrowed else f"every stored completion ({len(ids)})"
            )
            if not _confirm(f"Delete {what}?"):
                say("Nothing deleted.")
                return
        summary = delete_completions(client, ids, progress=progress, workers=concurrency)
    _summary(summary.deleted, summary.gone, format, failed=len(summary.failed))
    for failed_id, error in summary.failed[:SAMPLE_SIZE]:
        say(f"Not deleted: {failed_id}: {type(error).__name__}: {error}")
    if summary.failed:
        fail(f"{_plural(len(summary.failed))} could not be deleted", EXIT_API_ERROR)


def _matching(
    client: OpenAI, filters: Filters, progress: bool | None
) -> tuple[list[str], list[ChatCompletionResult]]:
    """The ids of the completions ``filters`` match, and the first few of them whole.

    All of them are listed before the first is deleted: the list pages on from the last id
    of a page, and a page whose last completion is gone has lost its place."""
    ids: list[str] = []
    sample: list[ChatCompletionResult] = []
    with show_progress("Listing", None, enabled=progress) as advance:
        for completion in matching_completions(client, filters):
            ids.append(completion.id)
            if len(sample) < SAMPLE_SIZE:
                sample.append(completion)
            advance(1)
    return ids, sample


def _confirm(question: str) -> bool:
    """Ask on stderr, read the answer from stdin (a terminal): yes only for y or yes.

    Not typer.confirm: click writes the space after its question to stdout, the data's."""
    sys.stderr.write(f"{question} [y/N]: ")
    sys.stderr.flush()
    return sys.stdin.readline().strip().lower() in ("y", "yes")


def _plural(count: int) -> str:
    return f"{count} stored completion{'' if count == 1 else 's'}"


def _sample_rows(sample: list[ChatCompletionResult]) -> Iterator[dict[str, object]]:
    for completion in sample:
        yield {"id": completion.id, "model": completion.model, "created (UTC)": _created(completion.created)}


def _show_sample(count: int, sample: list[ChatCompletionResult]) -> None:
    """The first few of what a confirmation is about, on stderr (stdout is for data)."""
    for row in _sample_rows(sample):
        say(f"  {row['id']}  {row['model']}  {row['created (UTC)']}")
    if count > len(sample):
        say(f"  ... and {count - len(sample)} more")


def _dry_run(count: int, sample: list[ChatCompletionResult], format: OutputFormat) -> None:
    """What a dry run prints: how many match, and the first few."""
    if format is OutputFormat.table:
        title = f"{_plural(count)} match" + (f"; the first {len(sample)}:" if len(sample) < count else "")
        write_table(_sample_rows(sample), SAMPLE_COLUMNS, title=title)
        return
    rows = [{"id": c.id, "model": c.model, "created": c.created} for c in sample]
    output_one({"matched": count, "sample": rows}, format, ())


def _summary(deleted: int, gone: int, format: OutputFormat, *, failed: int = 0) -> None:
    say(f"Deleted {_plural(deleted)}" + (f"; {gone} already gone" if gone else "") + ".")
    row = {"deleted": deleted, "already_gone": gone, "failed": failed}
    output_one(row, format, ("deleted", "already_gone", "failed"))


@app.command("list")
def list_(
    limit: Annotated[
        int, typer.Option("--limit", min=0, help="How many completions (with --all: how many a page).")
    ] = 20,
    order: Annotated[
        Order,
        typer.Option("--order", help="asc: oldest first (the API's order); desc: newest first."),
    ] = Order.asc,
    after: Annotated[
        str | None,
        typer.Option("--after", metavar="ID", help="Start after this completion.", show_default=False),
    ] = None,
    all_pages: Annotated[bool, typer.Option("--all", help="Every completion, page after page.")] = False,
    model: ModelFilter = None,
    metadata: MetadataFilter = None,
    format: FormatOption = OutputFormat.table,
    base_url: BaseUrlOption = None,
    provider: ProviderOption = None,
    providers_file: ProvidersFileOption = None,
    api_key_file: ApiKeyFileOption = None,
) -> None:
    """The stored completions: one page (--limit), or all of them (--all)."""
    if all_pages and limit < 1:
        raise typer.BadParameter("--all needs pages of at least one completion", param_hint="--limit")
    params: ChatCompletionsListParameters = {"limit": limit, "order": "asc" if order is Order.asc else "desc"}
    pairs = metadata_option(metadata)
    if pairs:
        params["metadata"] = pairs
    if model is not None:
        params["model"] = model
    if after is not None:
        params["after"] = after
    with open_client(base_url, provider, providers_file, api_key_file) as client:
        page = client.chat.completions.list(**params)
        # --all: each page is written as it comes (a table, drawn whole, waits for the last).
        _completions(page if all_pages else page.data, format)


@app.command()
def messages(
    completion_id: IdArgument,
    format: FormatOption = OutputFormat.table,
    base_url: BaseUrlOption = None,
    provider: ProviderOption = None,
    providers_file: ProvidersFileOption = None,
    api_key_file: ApiKeyFileOption = None,
) -> None:
    """The input messages of a stored completion, as the API stored them (every page)."""
    with open_client(base_url, provider, providers_file, api_key_file) as client:
        stored = stored_messages(client, completion_id)
    output(stored if format is not OutputFormat.table else map(_message_row, stored), format, MESSAGE_COLUMNS)
