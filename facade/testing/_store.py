"""Stored chat completions, in SQLite: in memory by default, or in a file that outlives the server."""

from __future__ import annotations

import dataclasses
import json
import sqlite3
import threading
from typing import Any, Literal

__all__ = ["Page", "Store", "UnknownCursorError"]

Json = Any

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

    def __init__(self, path: str | None = None) -> None:
        # One connection, used by the server's event loop thread and, for inspection,
        # by the test's thread: a lock keeps them apart.
        self._db = sqlite3.connect(path or ":memory:", check_same_thread=False, isolation_level=None)
        self._lock = threading.Lock()
        with self._lock:
            self._db.execute("PRAGMA foreign_keys = ON")
            self._db.executescript(_SCHEMA)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def add(self, completion: Json, metadata: dict[str, str], messages: list[Json]) -> None:
        body = {k: v for k, v in completion.items() if k != "metadata"}
        with self._lock:
            self._db.execute("BEGIN")
            self._db.execute(
                "INSERT INTO completions (id, model, metadata, body) VALUES (?, ?, ?, ?)",
                (completion["id"], completion["model"], json.dumps(metadata), json.dumps(body)),
            )
            self._db.executemany(
                "INSERT INTO messages (completion_id, id, body) VALUES (?, ?, ?)",
                [(completion["id"], m["id"], json.dumps(m)) for m in messages],
            )
            self._db.execute("COMMIT")

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
        with self._lock:
            self._db.execute(
                "UPDATE completions SET metadata = ? WHERE id = ?", (json.dumps(metadata), completion_id)
            )
        return self.get(completion_id)

    def delete(self, completion_id: str) -> bool:
        with self._lock:
            cursor = self._db.execute("DELETE FROM completions WHERE id = ?", (completion_id,))
        return cursor.rowcount > 0

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
