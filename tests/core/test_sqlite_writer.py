"""SQLite writers take turns through the lock file; readers never wait for it."""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

import pytest

from core.sqlite_writer import connection_class


def _connect(path: Path, busy_timeout_s: float = 15.0) -> sqlite3.Connection:
    factory = connection_class(str(path), busy_timeout_s)
    connection = sqlite3.connect(path, timeout=busy_timeout_s, factory=factory,
                                 check_same_thread=False)
    connection.execute("PRAGMA journal_mode=WAL")
    return connection


@pytest.fixture
def database(tmp_path: Path) -> Path:
    path = tmp_path / "w.db"
    connection = _connect(path)
    connection.execute("CREATE TABLE t (a INTEGER)")
    connection.commit()
    connection.close()
    return path


def _insert_in_thread(connection: sqlite3.Connection, done: list[float]) -> threading.Thread:
    def work() -> None:
        connection.execute("INSERT INTO t VALUES (2)")
        done.append(time.monotonic())
        connection.commit()

    thread = threading.Thread(target=work)
    thread.start()
    return thread


def test_second_writer_waits_for_commit_then_goes_at_once(database: Path) -> None:
    first, second = _connect(database), _connect(database)
    first.execute("INSERT INTO t VALUES (1)")  # holds the writer lock until commit
    done: list[float] = []
    thread = _insert_in_thread(second, done)
    # SQLite's busy handler would by now be sleeping 100 ms between tries (its next try
    # after ~0.43 s); the lock file hands over within a poll of under a millisecond.
    time.sleep(0.35)
    assert done == []  # still waiting for the lock
    committed = time.monotonic()
    first.commit()
    thread.join(timeout=5)
    assert done, "the second writer never got in"
    assert done[0] - committed < 0.03
    assert first.execute("SELECT count(*) FROM t").fetchone()[0] == 2


@pytest.mark.parametrize("end", ["rollback", "close"])
def test_rollback_and_close_let_the_next_writer_in(database: Path, end: str) -> None:
    first, second = _connect(database), _connect(database)
    first.execute("INSERT INTO t VALUES (1)")
    done: list[float] = []
    thread = _insert_in_thread(second, done)
    time.sleep(0.1)
    assert done == []
    getattr(first, end)()
    thread.join(timeout=5)
    assert done
    assert second.execute("SELECT count(*) FROM t").fetchone()[0] == 1


def test_readers_do_not_wait_for_a_writer(database: Path) -> None:
    writer, reader = _connect(database), _connect(database)
    writer.execute("INSERT INTO t VALUES (1)")
    started = time.monotonic()
    assert reader.execute("SELECT count(*) FROM t").fetchone()[0] == 0
    assert time.monotonic() - started < 0.05
    writer.commit()


def test_a_stuck_writer_makes_others_fail_after_the_timeout_not_hang(database: Path) -> None:
    stuck, other = _connect(database), _connect(database, busy_timeout_s=0.2)
    stuck.execute("INSERT INTO t VALUES (1)")
    started = time.monotonic()
    with pytest.raises(sqlite3.OperationalError, match="locked"):
        other.execute("INSERT INTO t VALUES (2)")
    # The lock file's wait and SQLite's own busy timeout, both bounded.
    assert time.monotonic() - started < 2
    stuck.rollback()
