"""A lock that one process at a time holds for a long-lived task (a single writer, a job).

On PostgreSQL it is a session advisory lock, so it spans every server over the database
and dies with the session of a process that dies. On an SQLite file it is a file lock
beside the database (one holder per machine); on in-memory SQLite, a lock of this
process (its only user).
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, ClassVar

from sqlalchemy import text

from registry.storage.store import Store


class SoleLock:
    """Held until released, never waited for: `acquire` says at once whether it got it.

    `key` names it on PostgreSQL (with the schema's hash, so schemas do not share it);
    `name` names its file beside an SQLite database.
    """

    _memory: ClassVar[dict[int, threading.Lock]] = {}

    def __init__(self, store: Store, key: int, name: str) -> None:
        self.store = store
        self.key = key
        self.name = name
        self._release: Callable[[], None] | None = None
        self._session: Any = None  # PostgreSQL: the connection holding the lock

    @property
    def held(self) -> bool:
        """Return whether this object holds the lock (as far as it knows)."""
        return self._release is not None

    def acquire(self) -> bool:
        """Take the lock without waiting; return whether it is held."""
        if self._release is None:
            engine = self.store.engine
            database = engine.url.database
            if engine.dialect.name == "postgresql":
                self._release = self._advisory()
            elif not database or database == ":memory:":
                lock = self._memory.setdefault(self.key, threading.Lock())
                self._release = lock.release if lock.acquire(blocking=False) else None
            else:
                self._release = self._file(Path(database))
        return self._release is not None

    def _advisory(self) -> Callable[[], None] | None:
        lock = text("SELECT pg_try_advisory_lock(:key, hashtext(current_schema()))")
        unlock = text("SELECT pg_advisory_unlock(:key, hashtext(current_schema()))")
        connection = self.store.engine.connect()
        try:
            got = bool(connection.execute(lock, {"key": self.key}).scalar())
            connection.commit()
        except Exception:
            connection.close()
            raise
        if not got:
            connection.close()
            return None

        def release() -> None:
            with contextlib.suppress(Exception):
                connection.execute(unlock, {"key": self.key})
                connection.commit()
            connection.close()

        self._session = connection
        return release

    def _file(self, database: Path) -> Callable[[], None] | None:
        import fcntl

        handle = open(database.with_name(f"{database.name}.{self.name}.lock"),  # noqa: SIM115 (held until release)
                      "a+b")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.close()
            return None

        def release() -> None:
            fcntl.flock(handle, fcntl.LOCK_UN)
            handle.close()

        return release

    def check(self) -> bool:
        """Return whether the lock is still held (PostgreSQL: its session is alive)."""
        if self._release is None:
            return False
        if self._session is not None:
            try:
                self._session.execute(text("SELECT 1"))
                self._session.commit()
            except Exception:
                self.release()  # the session and its lock are gone
                return False
        return True

    def release(self) -> None:
        """Give the lock back (if held)."""
        release, self._release = self._release, None
        self._session = None
        if release is not None:
            release()

    @contextlib.contextmanager
    def holding(self) -> Iterator[bool]:
        """Yield whether this caller got the lock, giving it back at the end if so."""
        got = self.acquire()
        try:
            yield got
        finally:
            if got:
                self.release()
