"""``completionkit export`` and ``completionkit delete --where``: the stored completions that
match filters, joined with their input messages (export) or deleted (delete).

The filters are the API's own (``model``, ``metadata`` pairs, sent with every page of
``list``) and a window on ``created``, which the API cannot filter on: that one is applied
here, to every completion listed.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime
import os
import re
import secrets
import sys
import typing
from collections import deque
from collections.abc import Callable, Generator, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import IO, Annotated, Any, Literal, TypeVar

import msgspec
import typer

from .._answers import says_no_such_completion
from .._client import OpenAI
from .._exceptions import NotFoundError, OpenAIError
from .._operations import prepare_messages_list
from .._results import ChatCompletionResult, Page, PageData
from ._common import (
    ApiKeyFileOption,
    BaseUrlOption,
    ProviderOption,
    ProvidersFileOption,
    app,
    open_client,
    say,
)
from ._common import progress as show_progress

__all__ = [
    "DeleteSummary",
    "ExportSummary",
    "Filters",
    "atomic_output",
    "delete_completions",
    "export",
    "fine_tuning_example",
    "matching_completions",
    "parse_metadata",
    "parse_metadata_pair",
    "parse_time",
    "raw_record",
    "stored_messages",
]

Json = Any
T = TypeVar("T")
R = TypeVar("R")

PAGE_SIZE = 100
"""Completions (and messages) asked for per page: the most the API gives in one."""

WORKERS = 8
"""Requests in flight at once: the messages of that many completions (export), or that many
deletions.  Each completion costs a request of its own, so the time an export takes is
latency times completions over workers: 200 completions whose messages took 20 ms each to
answer (the local server, told to wait) exported in 4.9 s one at a time, 0.8 s with 8
workers; with no wait at all, 1,000 took 2.7 s and 1.5 s (the server then shares the
machine).  8 keeps a remote API's latency covered without the look of a flood; the
command line's ``--concurrency`` says otherwise."""


# --- filters ----------------------------------------------------------------------------


def parse_metadata_pair(text: str) -> tuple[str, str]:
    """``key=value`` as a pair: the key is what comes before the first ``=`` (not empty),
    the value all that follows (which may be empty, or hold more ``=``)."""
    key, sep, value = text.partition("=")
    if not sep:
        raise ValueError(f"{text!r} is not key=value")
    if not key:
        raise ValueError(f"{text!r} has no key before '='")
    return key, value


def parse_metadata(pairs: Iterable[str]) -> dict[str, str]:
    """Every ``key=value`` of ``pairs`` as one mapping; a key given twice with two values
    is refused (no completion's metadata holds both, so nothing would match)."""
    metadata: dict[str, str] = {}
    for text in pairs:
        key, value = parse_metadata_pair(text)
        if metadata.get(key, value) != value:
            raise ValueError(f"metadata key {key!r} is given twice, as {metadata[key]!r} and {value!r}")
        metadata[key] = value
    return metadata


_UNITS = {"w": 604800, "d": 86400, "h": 3600, "m": 60, "s": 1}
_RELATIVE = re.compile(r"(?:\d+[wdhms])+")
_PART = re.compile(r"(\d+)([wdhms])")


def parse_time(text: str, *, now: datetime.datetime) -> datetime.datetime:
    """A moment: an ISO 8601 date or date and time (UTC unless it gives an offset), or a
    time before ``now``: a number and a unit, ``w``eeks, ``d``ays, ``h``ours, ``m``inutes
    or ``s``econds, several if you like (``7d``, ``1d12h``).  ``ValueError`` otherwise."""
    stripped = text.strip()
    if _RELATIVE.fullmatch(stripped):
        seconds = sum(int(n) * _UNITS[unit] for n, unit in _PART.findall(stripped))
        try:
            return now - datetime.timedelta(seconds=seconds)
        except OverflowError:
            raise ValueError(f"{text!r} is too far back") from None
    try:
        moment = datetime.datetime.fromisoformat(stripped)
    except ValueError:
        raise ValueError(
            f"{text!r} is neither an ISO date or time (2025-05-01, 2025-05-01T12:00:00+02:00) "
            "nor a time ago (7d, 12h, 30m, 1d12h)"
        ) from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=datetime.UTC)


@dataclasses.dataclass(frozen=True)
class Filters:
    """Which stored completions a command works on: all of them unless narrowed."""

    model: str | None = None
    metadata: Mapping[str, str] = dataclasses.field(default_factory=dict[str, str])
    since: datetime.datetime | None = None
    """Created at this moment or later."""
    until: datetime.datetime | None = None
    """Created before this moment: ``since`` and ``until`` make a half-open window, so two
    exports one ending where the next begins share no completion."""

    def __post_init__(self) -> None:
        if self.since is not None and self.until is not None and self.since >= self.until:
            raise ValueError("since must come before until")

    def list_params(self) -> dict[str, Any]:
        """The filters the API applies itself: the keywords of ``list``."""
        params: dict[str, Any] = {}
        if self.model is not None:
            params["model"] = self.model
        if self.metadata:
            params["metadata"] = dict(self.metadata)
        return params

    def matches(self, created: int) -> bool:
        """Whether a completion created then (Unix seconds) is in the window."""
        if self.since is not None and created < self.since.timestamp():
            return False
        return self.until is None or created < self.until.timestamp()

    @property
    def narrowed(self) -> bool:
        return bool(self.model is not None or self.metadata or self.since or self.until)


def matching_completions(client: OpenAI, filters: Filters) -> Iterator[ChatCompletionResult]:
    """Every stored completion that ``filters`` select, oldest first, page after page."""
    for completion in client.chat.completions.list(limit=PAGE_SIZE, order="asc", **filters.list_params()):
        if filters.matches(completion.created):
            yield completion


def stored_messages(client: OpenAI, completion_id: str) -> list[Json]:
    """The input messages of a stored completion, every page, as the server sent them.

    ``messages.list`` decodes each into a ``StoredMessage``, which has no place for a tool
    message's ``tool_call_id`` or a message's ``name``: both matter to an export, so the
    pages' JSON is read here, through the same call (its checks, retries and paging).
    ``NotFoundError`` when there is no such completion."""
    caller = client.chat.completions.messages._caller  # pyright: ignore[reportPrivateUsage]

    def fetch(cursor: str | None) -> Page[Json]:
        call = prepare_messages_list(completion_id, {"limit": PAGE_SIZE}, after=cursor)
        response = caller.request(call)
        page = call.finish(response)  # checks the page is one, as messages.list does
        data: list[Json] = msgspec.json.decode(response.content)["data"]
        return Page(PageData(data, page.has_more, page.first_id, page.last_id), fetch)

    return list(fetch(None))


# --- the shapes of an export --------------------------------------------------------------

# What a message of OpenAI's fine-tuning format may hold.  A stored message holds more (its
# id, content_parts, refusal, annotations, audio, reasoning), which the format refuses.
_KEPT = ("name", "tool_calls", "tool_call_id", "function_call")
_FINE_TUNING_PARTS = frozenset({"text", "image_url"})


def _content(message: Json) -> Json:
    """A stored message's content: its parts when it was sent as parts the format takes
    (the stored ``content`` joins their text and drops the images), else its text."""
    parts: Json = message.get("content_parts")
    return parts if _fine_tuning_parts(parts) else message.get("content")


def _fine_tuning_parts(parts: object) -> bool:
    if not isinstance(parts, list) or not parts:
        return False
    return all(_fine_tuning_part(part) for part in typing.cast("list[object]", parts))


def _fine_tuning_part(part: object) -> bool:
    return isinstance(part, dict) and typing.cast("dict[str, object]", part).get("type") in _FINE_TUNING_PARTS


def _example_message(message: Json) -> Json:
    role = message.get("role")
    # The format has no developer role: a developer message is what a system message was
    # before it (the API takes one for the other), so it trains as one.
    kept: Json = {"role": "system" if role == "developer" else role}
    content = _content(message)
    if content is not None:
        kept["content"] = content
    for key in _KEPT:
        if message.get(key) is not None:
            kept[key] = message[key]
    return kept


def fine_tuning_example(completion: Json, messages: Sequence[Json]) -> Json | None:
    """``{"messages": [...]}``: the input messages, then the first choice's answer as the
    assistant's message; None when that answer has neither text nor tool calls (a refusal,
    or no choice at all), which the format cannot take."""
    choices: Json = completion.get("choices") or []
    answer: Json = choices[0].get("message") if choices else None
    if not isinstance(answer, dict):
        return None
    reply = _example_message({**answer, "role": "assistant"})
    if reply.get("content") is None and not reply.get("tool_calls") and not reply.get("function_call"):
        return None
    return {"messages": [*(_example_message(m) for m in messages), reply]}


def raw_record(completion: Json, messages: Sequence[Json]) -> Json:
    """The completion as the API stored it, with its input messages as ``messages``."""
    return {**completion, "messages": list(messages)}


# --- writing --------------------------------------------------------------------------------


@contextlib.contextmanager
def atomic_output(path: str | os.PathLike[str]) -> Generator[IO[bytes]]:
    """A file to write ``path``'s new content to: it becomes ``path`` (at once, whole, on
    disk) when the block ends, and is gone if the block raises (Ctrl-C included), leaving
    whatever ``path`` was before untouched."""
    target = Path(path)
    while True:  # a name no other file has, in the same folder: os.replace needs one filesystem
        temporary = target.with_name(f".{target.name}.{secrets.token_hex(6)}.tmp")
        try:
            # 0o666, less the umask: the file gets the mode an ordinary open() gives it.
            descriptor = os.open(
                temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666
            )
        except FileExistsError:
            continue
        break
    try:
        with os.fdopen(descriptor, "wb") as file:
            yield file
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(OSError):
            temporary.unlink()
        raise
    _sync_folder(target.parent)


def _sync_folder(folder: Path) -> None:
    """Make the rename itself durable (POSIX; Windows cannot open a folder)."""
    if sys.platform == "win32":
        return
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _in_order(items: Iterable[T], work: Callable[[T], R], workers: int) -> Iterator[tuple[T, R]]:
    """``(item, work(item))`` for each item, in the items' order, ``workers`` at a time:
    a window of futures, so a long list is neither read ahead whole nor held in memory."""
    if workers <= 1:
        for item in items:
            yield item, work(item)
        return
    pool = ThreadPoolExecutor(workers, thread_name_prefix="completionkit-cli")
    window: deque[tuple[T, Future[R]]] = deque()
    try:
        for item in items:
            window.append((item, pool.submit(work, item)))
            if len(window) >= 2 * workers:
                first, future = window.popleft()
                yield first, future.result()
        while window:
            first, future = window.popleft()
            yield first, future.result()
    finally:
        # On an error or Ctrl-C: what has not started never will; what has ends on its own.
        pool.shutdown(wait=False, cancel_futures=True)


# --- export --------------------------------------------------------------------------------


@dataclasses.dataclass
class ExportSummary:
    written: int = 0
    """Lines written: one per completion exported."""
    unanswered: int = 0
    """Completions left out of a fine-tuning export: no text and no tool call to learn."""
    vanished: int = 0
    """Completions listed, then deleted before their messages could be read."""


def export(
    client: OpenAI,
    filters: Filters,
    *,
    shape: Literal["fine-tuning", "raw"] = "fine-tuning",
    output: str | os.PathLike[str] | None = None,
    progress: bool | None = None,
    workers: int = WORKERS,
) -> ExportSummary:
    """Write every completion ``filters`` select, with its input messages, as JSON lines
    (oldest first) to ``output`` (atomically) or to standard output.  ``progress``: a bar
    on standard error; None shows it when standard error is a terminal."""
    summary = ExportSummary()

    def joined(completion: ChatCompletionResult) -> list[Json] | None:
        try:
            return stored_messages(client, completion.id)
        except NotFoundError as error:
            if says_no_such_completion(error):  # deleted since it was listed
                return None
            raise

    def lines(advance: Callable[[int], None]) -> Iterator[bytes]:
        for completion, messages in _in_order(matching_completions(client, filters), joined, workers):
            advance(1)
            if messages is None:
                summary.vanished += 1
                continue
            record = (
                raw_record(completion.raw, messages)
                if shape == "raw"
                else fine_tuning_example(completion.raw, messages)
            )
            if record is None:
                summary.unanswered += 1
                continue
            summary.written += 1
            yield msgspec.json.encode(record) + b"\n"

    target = None if output is None or os.fspath(output) == "-" else output
    if progress is None and target is None and sys.stdout.isatty():
        progress = False  # the lines themselves show it, and a bar would be drawn over them
    with show_progress("Exporting", None, enabled=progress) as advance:
        if target is None:
            sys.stdout.flush()
            stdout = sys.stdout.buffer
            for line in lines(advance):
                stdout.write(line)
            stdout.flush()
        else:
            with atomic_output(target) as file:
                for line in lines(advance):
                    file.write(line)
    return summary


# --- delete --where ---------------------------------------------------------------------------


@dataclasses.dataclass
class DeleteSummary:
    deleted: int = 0
    gone: int = 0
    """Already deleted when their turn came (by someone else, or a run before)."""
    failed: list[tuple[str, OpenAIError]] = dataclasses.field(default_factory=list[tuple[str, OpenAIError]])


def delete_completions(
    client: OpenAI, ids: Sequence[str], *, progress: bool | None = None, workers: int = WORKERS
) -> DeleteSummary:
    """Delete these stored completions, ``workers`` at a time; an error on one is counted
    (``failed``) and the others go on.  Have the ids whole before the first deletion: a
    list paged through while its completions are deleted loses its place."""
    summary = DeleteSummary()

    def delete(completion_id: str) -> bool | OpenAIError:
        try:
            return client.chat.completions.delete(completion_id)
        except OpenAIError as error:
            return error

    with show_progress("Deleting", len(ids), enabled=progress) as advance:
        for completion_id, outcome in _in_order(ids, delete, workers):
            advance(1)
            if isinstance(outcome, OpenAIError):
                summary.failed.append((completion_id, outcome))
            elif outcome:
                summary.deleted += 1
            else:
                summary.gone += 1
    return summary


# --- the command line ----------------------------------------------------------------------

_FILTERS_PANEL = "Filters"

ModelFilter = Annotated[
    str | None,
    typer.Option(
        "--model", help="Only completions of this model.", show_default=False, rich_help_panel=_FILTERS_PANEL
    ),
]
MetadataFilter = Annotated[
    list[str] | None,
    typer.Option(
        "--metadata",
        metavar="KEY=VALUE",
        help="Only completions whose metadata has this pair (repeat it: every pair must match).",
        show_default=False,
        rich_help_panel=_FILTERS_PANEL,
    ),
]
SinceFilter = Annotated[
    str | None,
    typer.Option(
        "--since",
        metavar="WHEN",
        help="Only completions created at this moment or later: an ISO date or time (UTC unless it "
        "says otherwise: 2025-05-01, 2025-05-01T12:00+02:00), or a time ago (30m, 12h, 7d, 2w, 1d12h).",
        show_default=False,
        rich_help_panel=_FILTERS_PANEL,
    ),
]
UntilFilter = Annotated[
    str | None,
    typer.Option(
        "--until",
        metavar="WHEN",
        help="Only completions created before this moment (as --since; the moment itself is left out).",
        show_default=False,
        rich_help_panel=_FILTERS_PANEL,
    ),
]
ConcurrencyOption = Annotated[int, typer.Option("--concurrency", min=1, help="Requests in flight at once.")]
ProgressOption = Annotated[
    bool | None,
    typer.Option(
        "--progress/--no-progress",
        help="Draw a progress bar on stderr (default: only when stderr is a terminal).",
        show_default=False,
    ),
]


def metadata_option(pairs: Sequence[str] | None) -> dict[str, str]:
    """The pairs of ``--metadata``; a usage error for one that is no pair."""
    try:
        return parse_metadata(pairs or ())
    except ValueError as error:
        raise typer.BadParameter(str(error), param_hint="--metadata") from None


def filters_option(
    model: str | None, metadata: Sequence[str] | None, since: str | None, until: str | None
) -> Filters:
    """The filters the options say; a usage error for one that says nothing sensible."""
    now = datetime.datetime.now(datetime.UTC)
    moments: dict[str, datetime.datetime | None] = {}
    for name, text in (("--since", since), ("--until", until)):
        try:
            moments[name] = None if text is None else parse_time(text, now=now)
        except ValueError as error:
            raise typer.BadParameter(str(error), param_hint=name) from None
    try:
        return Filters(model, metadata_option(metadata), moments["--since"], moments["--until"])
    except ValueError as error:
        raise typer.BadParameter(str(error), param_hint="--since/--until") from None


def _plural(count: int, noun: str = "stored completion") -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


@app.command("export")
def export_command(
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            help="Write to this file (whole, or not at all: it appears only once complete); "
            "default, or '-': stdout.",
            show_default=False,
            dir_okay=False,
        ),
    ] = None,
    raw: Annotated[
        bool,
        typer.Option(
            "--raw",
            help="Each line the completion as the API stored it, with its input messages as 'messages', "
            "instead of the fine-tuning format.",
        ),
    ] = False,
    model: ModelFilter = None,
    metadata: MetadataFilter = None,
    since: SinceFilter = None,
    until: UntilFilter = None,
    concurrency: ConcurrencyOption = WORKERS,
    progress: ProgressOption = None,
    base_url: BaseUrlOption = None,
    provider: ProviderOption = None,
    providers_file: ProvidersFileOption = None,
    api_key_file: ApiKeyFileOption = None,
) -> None:
    """Export stored completions with their input messages, as JSON lines.

    Oldest first, in OpenAI's fine-tuning format ({"messages": [...]}, the answer last) or --raw.
    """
    filters = filters_option(model, metadata, since, until)
    with open_client(base_url, provider, providers_file, api_key_file) as client:
        summary = export(
            client,
            filters,
            shape="raw" if raw else "fine-tuning",
            output=output,
            progress=progress,
            workers=concurrency,
        )
    where = "" if output is None or str(output) == "-" else f" to {output}"
    say(f"Exported {_plural(summary.written)}{where}.")
    if summary.unanswered:
        say(
            f"Left out {_plural(summary.unanswered)} whose answer has neither text nor tool calls "
            "(a refusal, or no choice), which the fine-tuning format cannot take."
        )
    if summary.vanished:
        say(f"Left out {_plural(summary.vanished)} deleted while the export read them.")
