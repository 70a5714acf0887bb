"""SQLite connections that take turns writing through a lock file, handed over at once.

SQLite lets one connection write at a time. A writer that finds the database locked sleeps
in SQLite's busy handler for 1, 2, 5, 10… ms before trying again, so with several processes
(`lightwing api` twice, a worker, the bot) most of a short write transaction's wait is sleep
after the lock was already free. Here a connection first takes an exclusive `flock` on a file
beside the database when its transaction starts writing, and gives it up when the
transaction ends; a waiting writer polls that lock every fraction of a millisecond instead.

The lock only orders writers that use these connections; anything else (the sqlite3 shell)
still meets SQLite's own locking and busy timeout, and a writer that cannot get the file lock
within the busy timeout goes on without it, so nothing can wait forever on a stuck process.
"""

from __future__ import annotations

import fcntl
import os
import sqlite3
import time
from typing import Any

# Statements after which SQLite holds the write lock until COMMIT/ROLLBACK (Python's sqlite3
# opens a transaction before each of these).
_WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE")
_FIRST_POLL_S = 0.00005
_LONGEST_POLL_S = 0.0005


def _writes(statement: str) -> bool:
    return statement.lstrip()[:7].upper().startswith(_WRITES)


class WriterLockedCursor(sqlite3.Cursor):
    """A cursor that takes its connection's writer lock before the first write statement."""

    def execute(self, sql: str, parameters: Any = (), /) -> WriterLockedCursor:
        """Execute, taking the writer lock first if this statement starts writing."""
        if _writes(sql):
            self.connection.take_writer_lock()  # type: ignore[attr-defined]
        return super().execute(sql, parameters)

    def executemany(self, sql: str, seq_of_parameters: Any, /) -> WriterLockedCursor:
        """Execute for each parameter set, taking the writer lock first for writes."""
        if _writes(sql):
            self.connection.take_writer_lock()  # type: ignore[attr-defined]
        return super().executemany(sql, seq_of_parameters)


class WriterLockedConnection(sqlite3.Connection):
    """A sqlite3 connection whose write transactions take turns through `<database>-writer`."""

    lock_path: str | None = None
    busy_timeout_s: float = 15.0

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._lock_fd: int | None = None
        self._holding = False

    def cursor(self, factory: Any = WriterLockedCursor) -> Any:
        """A cursor that takes the writer lock before writing."""
        return super().cursor(factory)

    def execute(self, sql: str, parameters: Any = (), /) -> Any:
        """Connection.execute through a cursor of ours (the C shortcut would skip the lock)."""
        return self.cursor().execute(sql, parameters)

    def executemany(self, sql: str, seq_of_parameters: Any, /) -> Any:
        """Connection.executemany through a cursor of ours."""
        return self.cursor().executemany(sql, seq_of_parameters)

    def take_writer_lock(self) -> None:
        """Hold the lock file until this transaction ends (no-op if held or unconfigured)."""
        if self._holding or self.lock_path is None:
            return
        if self._lock_fd is None:
            self._lock_fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        deadline = time.monotonic() + self.busy_timeout_s
        pause = _FIRST_POLL_S
        while True:
            try:
                fcntl.flock(self._lock_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                self._holding = True
                return
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    return  # SQLite's own locking (and its busy timeout) decides from here
                time.sleep(pause)
                pause = min(pause * 1.5, _LONGEST_POLL_S)

    def _release(self) -> None:
        if self._holding and self._lock_fd is not None:
            fcntl.flock(self._lock_fd, fcntl.LOCK_UN)
        self._holding = False

    def commit(self) -> None:
        """Commit, then let the next writer in."""
        try:
            super().commit()
        finally:
            if not self.in_transaction:
                self._release()

    def rollback(self) -> None:
        """Roll back, then let the next writer in."""
        try:
            super().rollback()
        finally:
            self._release()

    def close(self) -> None:
        """Close the database and the lock file."""
        try:
            super().close()
        finally:
            self._release()
            if self._lock_fd is not None:
                os.close(self._lock_fd)
                self._lock_fd = None


def connection_class(database_path: str, busy_timeout_s: float) -> type[WriterLockedConnection]:
    """A WriterLockedConnection class for one database file (sqlite3.connect's `factory`)."""
    return type(
        "WriterLockedConnection",
        (WriterLockedConnection,),
        {"lock_path": os.path.abspath(database_path) + "-writer",
         "busy_timeout_s": busy_timeout_s},
    )
