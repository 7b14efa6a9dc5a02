"""A store write that fails changes nothing and spoils nothing: every write commits or rolls back."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import httpx2
import pytest

from completionkit.testing import LocalServer
from completionkit.testing._store import Store

from .conftest import check_response, create


@pytest.fixture
def db(tmp_path: Path) -> str:
    return str(tmp_path / "store.sqlite")


@pytest.fixture
def locker(db: str) -> Iterator[sqlite3.Connection]:
    """A second connection to the database file, to lock it with."""
    connection = sqlite3.connect(db, isolation_level=None)
    yield connection
    connection.close()


def _completion(completion_id: str) -> dict[str, object]:
    return {"id": completion_id, "model": "m", "object": "chat.completion", "metadata": {}}


def _message(completion_id: str, index: int) -> dict[str, object]:
    return {"id": f"{completion_id}-{index}", "role": "user", "content": "hi"}


def test_writes_fail_and_recover_while_another_connection_locks_the_file(
    db: str, locker: sqlite3.Connection
) -> None:
    with LocalServer(db=db) as server, httpx2.Client(base_url=server.url, timeout=30) as client:
        server.store.busy_timeout = 0.05  # a lock is met at once, not after the default wait
        kept = create(client, store=True).json()["id"]
        doomed = create(client, store=True).json()["id"]

        locker.execute("BEGIN EXCLUSIVE")
        failed = [
            create(client, store=True),
            client.post(f"/chat/completions/{kept}", json={"metadata": {"during": "lock"}}),
            client.delete(f"/chat/completions/{doomed}"),
            client.get(f"/chat/completions/{kept}"),
        ]
        locker.execute("ROLLBACK")

        for response in failed:
            check_response(response)
            assert response.status_code == 503
            error = response.json()["error"]
            assert (error["type"], error["code"]) == ("server_error", "store_busy")
            assert error["message"].startswith("The local server's store is busy (")

        # Later writes succeed, and say so only once they are committed.
        added = create(client, store=True)
        assert added.status_code == 200
        updated = client.post(f"/chat/completions/{kept}", json={"metadata": {"after": "lock"}})
        assert updated.status_code == 200
        assert updated.json()["metadata"] == {"after": "lock"}
        assert client.delete(f"/chat/completions/{doomed}").status_code == 200
        assert server.store.count() == 2

    with LocalServer(db=db) as again, httpx2.Client(base_url=again.url) as client:
        assert client.get(f"/chat/completions/{kept}").json()["metadata"] == {"after": "lock"}
        assert client.get(f"/chat/completions/{doomed}").status_code == 404
        assert client.get(f"/chat/completions/{added.json()['id']}").status_code == 200
        assert [c["id"] for c in client.get("/chat/completions").json()["data"]] == [kept, added.json()["id"]]


def test_what_is_committed_is_on_disk_at_once(db: str, locker: sqlite3.Connection) -> None:
    with LocalServer(db=db) as server, httpx2.Client(base_url=server.url) as client:
        kept = create(client, store=True).json()["id"]
        doomed = create(client, store=True).json()["id"]
        client.post(f"/chat/completions/{kept}", json={"metadata": {"k": "v"}})
        client.delete(f"/chat/completions/{doomed}")
        # Another connection sees every answered write while the server still runs.
        rows = locker.execute("SELECT id, metadata FROM completions").fetchall()
        assert rows == [(kept, '{"k": "v"}')]
        assert locker.execute("SELECT COUNT(*) FROM messages").fetchone() == (1,)


def test_a_failed_statement_rolls_back_its_whole_write(db: str) -> None:
    store = Store(db)
    store.add(_completion("a"), {}, [_message("a", 0)])
    with pytest.raises(sqlite3.IntegrityError):
        store.add(_completion("a"), {}, [_message("a", 1)])  # the id is taken
    with pytest.raises(KeyError):
        store.add(_completion("b"), {}, [_message("b", 0), {"role": "user"}])  # a message without id
    store.add(_completion("c"), {}, [_message("c", 0)])
    assert store.update("a", {"x": "y"}) is not None
    assert store.delete("c")
    store.close()

    reopened = Store(db)
    assert [c["id"] for c in reopened.list_completions().items] == ["a"]
    assert reopened.get("a")["metadata"] == {"x": "y"}
    page = reopened.messages("a")
    assert page is not None
    assert [m["id"] for m in page.items] == ["a-0"]
    assert reopened.get("b") is None
    reopened.close()


def test_a_write_of_the_caller_that_fails_mid_transaction_is_rolled_back(db: str) -> None:
    store = Store(db)
    insert = "INSERT INTO completions (id, model, metadata, body) VALUES ('x', 'm', '{}', '{}')"
    with pytest.raises(sqlite3.OperationalError), store._write() as connection:  # noqa: PT012 - fails within
        connection.execute(insert)
        connection.execute("INSERT INTO nowhere VALUES (1)")
    store.add(_completion("y"), {}, [])
    store.close()
    reopened = Store(db)
    assert [c["id"] for c in reopened.list_completions().items] == ["y"]
    reopened.close()


def test_a_locked_file_at_the_store_level(db: str, locker: sqlite3.Connection) -> None:
    store = Store(db, busy_timeout=0.05)
    locker.execute("BEGIN EXCLUSIVE")
    with pytest.raises(sqlite3.OperationalError) as adding:
        store.add(_completion("a"), {}, [_message("a", 0)])
    with pytest.raises(sqlite3.OperationalError) as deleting:
        store.delete("a")
    assert adding.value.sqlite_errorcode == deleting.value.sqlite_errorcode == sqlite3.SQLITE_BUSY
    locker.execute("ROLLBACK")
    store.add(_completion("a"), {}, [_message("a", 0)])
    assert store.delete("a")
    store.add(_completion("b"), {}, [])
    store.close()
    reopened = Store(db)
    assert [c["id"] for c in reopened.list_completions().items] == ["b"]
    reopened.close()


def test_busy_timeout_is_sensible_and_settable() -> None:
    store = Store()
    assert 0 < store.busy_timeout <= 5
    store.busy_timeout = 0.25
    assert store.busy_timeout == 0.25
    with pytest.raises(ValueError, match="negative"):
        store.busy_timeout = -1
    store.close()
