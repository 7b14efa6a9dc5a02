"""Stored chat completions, in SQLite: in memory by default, or in a file that outlives the server."""

from __future__ import annotations

import contextlib
import dataclasses
import json
import sqlite3
import threading
from collections.abc import Generator
from typing import Any, Literal

from ._model import content_text

__all__ = ["DEFAULT_BUSY_TIMEOUT", "Page", "Store", "stored_message"]

Json = Any

DEFAULT_BUSY_TIMEOUT = 2.0
"""Seconds a store operation waits for a database another connection has locked."""

_SCHEMA = """
CREATE TABLE IF NOT EXISTS completions (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    model TEXT NOT NULL,
    metadata TEXT NOT NULL,
    body TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS messages (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    completion_id TEXT NOT NULL REFERENCES completions(id) ON DELETE CASCADE,
    id TEXT NOT NULL,
    body TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS messages_by_completion ON messages (completion_id, seq);
"""


@dataclasses.dataclass(frozen=True)
class Page:
    """One page of a list, with whether more follow."""

    items: list[Json]
    has_more: bool


class Store:
    """The completions the server stored (``store: true``) and their input messages."""

    def __init__(self, path: str | None = None, *, busy_timeout: float = DEFAULT_BUSY_TIMEOUT) -> None:
        """Open (or create) the store; ``busy_timeout`` as for the property of that name.

        Raises ``sqlite3.Error`` when the file cannot be opened or its schema written.
        """
        # One connection, used by the server's event loop thread and, for inspection,
        # by the test's thread: a lock keeps them apart.  Autocommit (isolation_level
        # None): every write opens its own transaction in _write() and ends it there.
        self._db = sqlite3.connect(
            path or ":memory:", check_same_thread=False, isolation_level=None, timeout=busy_timeout
        )
        self._busy_timeout = busy_timeout
        self._lock = threading.Lock()
        with self._lock:
            self._db.execute("PRAGMA foreign_keys = ON")
            self._db.executescript(_SCHEMA)

    @property
    def busy_timeout(self) -> float:
        """Seconds an operation waits for a lock another connection holds, then raises
        ``sqlite3.OperationalError`` ("database is locked"); the server answers 503."""
        return self._busy_timeout

    @busy_timeout.setter
    def busy_timeout(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError("busy_timeout must not be negative")
        with self._lock:
            self._db.execute(f"PRAGMA busy_timeout = {round(seconds * 1000)}")
            self._busy_timeout = seconds

    def close(self) -> None:
        with self._lock:
            self._db.close()

    @contextlib.contextmanager
    def _write(self) -> Generator[sqlite3.Connection, None, None]:
        """One write transaction: committed when the block ends, rolled back if anything fails.

        BEGIN IMMEDIATE takes the write lock up front, so a locked database fails here,
        before anything is written.  Whatever fails (a statement, the COMMIT itself, an
        exception of the caller's) leaves the connection outside any transaction: one
        failed write never spoils the next.  A write that returns is on disk.
        """
        with self._lock:
            if self._db.in_transaction:  # only if a ROLLBACK below failed: end that transaction now
                self._db.execute("ROLLBACK")
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
                self._db.execute("COMMIT")
            except BaseException:
                if self._db.in_transaction:
                    with contextlib.suppress(sqlite3.Error):  # the first error is the one to report
                        self._db.execute("ROLLBACK")
                raise

    def add(self, completion: Json, metadata: dict[str, str], messages: list[Json]) -> None:
        """Store a completion and its input messages, all or nothing."""
        body = {k: v for k, v in completion.items() if k != "metadata"}
        rows = [(completion["id"], m["id"], json.dumps(m)) for m in messages]
        with self._write() as db:
            db.execute(
                "INSERT INTO completions (id, model, metadata, body) VALUES (?, ?, ?, ?)",
                (completion["id"], completion["model"], json.dumps(metadata), json.dumps(body)),
            )
            db.executemany("INSERT INTO messages (completion_id, id, body) VALUES (?, ?, ?)", rows)

    @staticmethod
    def _completion(metadata: str, body: str) -> Json:
        return {**json.loads(body), "metadata": json.loads(metadata)}

    def get(self, completion_id: str) -> Json | None:
        with self._lock:
            row = self._db.execute(
                "SELECT metadata, body FROM completions WHERE id = ?", (completion_id,)
            ).fetchone()
        return None if row is None else self._completion(*row)

    def update(self, completion_id: str, metadata: dict[str, str]) -> Json | None:
        """Replace the metadata of a completion; the completion as updated, None if there is none."""
        with self._write() as db:
            db.execute(
                "UPDATE completions SET metadata = ? WHERE id = ?", (json.dumps(metadata), completion_id)
            )
            row = db.execute(
                "SELECT metadata, body FROM completions WHERE id = ?", (completion_id,)
            ).fetchone()
        return None if row is None else self._completion(*row)

    def delete(self, completion_id: str) -> bool:
        """Delete a completion and its messages; False if there was none."""
        with self._write() as db:
            deleted = db.execute("DELETE FROM completions WHERE id = ?", (completion_id,)).rowcount
        return deleted > 0

    def clear(self) -> None:
        """Delete every completion and its messages, all or nothing."""
        with self._write() as db:
            db.execute("DELETE FROM messages")
            db.execute("DELETE FROM completions")

    def count(self) -> int:
        with self._lock:
            return int(self._db.execute("SELECT COUNT(*) FROM completions").fetchone()[0])

    def list_completions(
        self,
        *,
        after: str | None = None,
        limit: int = 20,
        order: Literal["asc", "desc"] = "asc",
        model: str | None = None,
        metadata: dict[str, str] | None = None,
    ) -> Page:
        """One page of the stored completions that match ``model`` and ``metadata``: see
        ``_page`` for ``after`` and ``limit``.  ``after`` may name a completion outside
        the filters: the page holds the matching ones after its place in the order."""
        where: list[str] = []
        args: list[object] = []
        if model is not None:
            where.append("model = ?")
            args.append(model)
        for key, value in (metadata or {}).items():
            where.append("EXISTS (SELECT 1 FROM json_each(completions.metadata) WHERE key = ? AND value = ?)")
            args += [key, value]
        rows = self._page("completions", "metadata, body", ([], []), (where, args), after, limit, order)
        return Page([self._completion(*row) for row in rows[: _size(limit)]], len(rows) > _size(limit))

    def messages(
        self,
        completion_id: str,
        *,
        after: str | None = None,
        limit: int = 20,
        order: Literal["asc", "desc"] = "asc",
    ) -> Page | None:
        """One page of the input messages of a stored completion (see ``_page`` for
        ``after`` and ``limit``), or None when there is no such completion."""
        with self._lock:
            exists = self._db.execute("SELECT 1 FROM completions WHERE id = ?", (completion_id,)).fetchone()
        if exists is None:
            return None
        # The list is one completion's messages.
        own: tuple[list[str], list[object]] = (["completion_id = ?"], [completion_id])
        rows = self._page("messages", "body", own, ([], []), after, limit, order)
        return Page([json.loads(row[0]) for row in rows[: _size(limit)]], len(rows) > _size(limit))

    def _page(
        self,
        table: str,
        columns: str,
        own: tuple[list[str], list[object]],
        filters: tuple[list[str], list[object]],
        after: str | None,
        limit: int,
        order: Literal["asc", "desc"],
    ) -> list[tuple[Any, ...]]:
        """The rows of a page, and one more if there is one (so that the caller knows).

        The list is the rows of ``table`` that the conditions ``own`` select (with their
        arguments), the page those of them that ``filters`` select too.  The spec bounds
        neither ``limit`` nor ``after``, so neither is refused: a page of ``limit`` items
        (none for 0 or less, with ``has_more`` telling whether any follow), after the item
        ``after`` names.  That item is looked for in the whole list, not only among the
        filtered rows: the spec does not say it must match the filters, and its place in
        the order is all a page needs.  An ``after`` that names no item of the list marks
        no place, so nothing is skipped: the page begins where the list begins.  (Neither
        the spec nor the API's documentation says what the API answers then; the first
        page repeats items a caller has seen, where an empty page would end a paging loop
        that a deleted cursor had silently cut short.)
        """
        # Insertion order (seq) is the time order, exact even within one second.
        where, args = [*own[0], *filters[0]], [*own[1], *filters[1]]
        with self._lock:
            if after is not None:
                scope = " AND ".join(["id = ?", *own[0]])
                cursor = f"SELECT seq FROM {table} WHERE {scope}"  # noqa: S608
                known = self._db.execute(cursor, [after, *own[1]]).fetchone()
                if known is not None:
                    where.append("seq > ?" if order == "asc" else "seq < ?")
                    args.append(known[0])
            clause = f"WHERE {' AND '.join(where)}" if where else ""
            direction = "ASC" if order == "asc" else "DESC"
            query = f"SELECT {columns} FROM {table} {clause} ORDER BY seq {direction} LIMIT ?"  # noqa: S608
            # SQLite's integers stop at 2**63 - 1; a negative LIMIT means no limit.
            wanted = _size(limit) + 1
            return self._db.execute(query, [*args, wanted if wanted < 2**62 else -1]).fetchall()


def _size(limit: int) -> int:
    """How many items a page of ``limit`` holds: none for 0 or less."""
    return max(0, limit)


def stored_message(completion_id: str, index: int, message: Json) -> Json:
    """The stored form of a create request's message ``index``: what
    ``GET /v1/chat/completions/{id}/messages`` lists."""
    content: Json = message.get("content")
    parts: Json = None if isinstance(content, str) else content
    stored: Json = {
        "id": f"{completion_id}-{index}",
        "role": message["role"],
        "content": content_text(content) or None,
        "content_parts": parts,
        # The spec's stored message is a ChatCompletionMessage, which requires a
        # refusal; the API leaves it out of the messages it was sent, the spec does not.
        "refusal": message.get("refusal"),
    }
    for key in ("name", "tool_calls", "tool_call_id"):
        if key in message:
            stored[key] = message[key]
    return stored
