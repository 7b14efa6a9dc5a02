"""Stored chat completions, in SQLite: in memory by default, or in a file that outlives the server."""

from __future__ import annotations

import contextlib
import dataclasses
import json
import sqlite3
import threading
from collections.abc import Generator
from typing import Any, Literal

__all__ = ["DEFAULT_BUSY_TIMEOUT", "Page", "Store", "UnknownCursorError"]

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


class UnknownCursorError(LookupError):
    """``after`` names no item of the list."""


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
        where: list[str] = []
        args: list[object] = []
        if model is not None:
            where.append("model = ?")
            args.append(model)
        for key, value in (metadata or {}).items():
            where.append("EXISTS (SELECT 1 FROM json_each(completions.metadata) WHERE key = ? AND value = ?)")
            args += [key, value]
        rows = self._page("completions", "metadata, body", where, args, after, limit, order)
        return Page([self._completion(*row) for row in rows[:limit]], len(rows) > limit)

    def messages(
        self,
        completion_id: str,
        *,
        after: str | None = None,
        limit: int = 20,
        order: Literal["asc", "desc"] = "asc",
    ) -> Page | None:
        """The input messages of a stored completion, or None when there is no such completion."""
        with self._lock:
            exists = self._db.execute("SELECT 1 FROM completions WHERE id = ?", (completion_id,)).fetchone()
        if exists is None:
            return None
        rows = self._page("messages", "body", ["completion_id = ?"], [completion_id], after, limit, order)
        return Page([json.loads(row[0]) for row in rows[:limit]], len(rows) > limit)

    def _page(
        self,
        table: str,
        columns: str,
        where: list[str],
        args: list[object],
        after: str | None,
        limit: int,
        order: Literal["asc", "desc"],
    ) -> list[tuple[Any, ...]]:
        # Insertion order (seq) is the time order, exact even within one second.
        with self._lock:
            if after is not None:
                scope = " AND ".join(["id = ?", *where])
                row = self._db.execute(f"SELECT seq FROM {table} WHERE {scope}", [after, *args]).fetchone()  # noqa: S608
                if row is None:
                    raise UnknownCursorError(after)
                where = [*where, "seq > ?" if order == "asc" else "seq < ?"]
                args = [*args, row[0]]
            clause = f"WHERE {' AND '.join(where)}" if where else ""
            direction = "ASC" if order == "asc" else "DESC"
            query = f"SELECT {columns} FROM {table} {clause} ORDER BY seq {direction} LIMIT ?"  # noqa: S608
            return self._db.execute(query, [*args, limit + 1]).fetchall()
