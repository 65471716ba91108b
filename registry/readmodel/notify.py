"""PostgreSQL LISTEN: wake a worker the moment another server commits a write."""

from __future__ import annotations

import logging
import threading
import weakref
from collections.abc import Callable
from typing import Any

from registry.storage.store import CHANGE_CHANNEL, Store

log = logging.getLogger("registry.readmodel")


class Listener:
    """A daemon thread holding one LISTEN connection; calls `wake` on every notification.

    `wake` only marks the read model stale (the next read catches up, on the request's
    thread and the app's engine): this thread never touches the app's connections.
    It is also called after a reconnect, and the read model polls while the connection
    is down, so a notification lost meanwhile never means a missed change.
    """

    def __init__(self, store: Store, wake: Callable[[], None], idle: float = 5.0) -> None:
        self.store = store
        # A weak reference: the thread must not keep its read model (and app) alive.
        self.wake = weakref.WeakMethod(wake)  # type: ignore[arg-type]
        self.idle = idle
        self.connected = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="registry-listen", daemon=True)

    def start(self) -> None:
        """Start listening in the background."""
        self._thread.start()

    def stop(self) -> None:
        """Ask the thread to end (it does within `idle` seconds)."""
        self._stop.set()

    def _run(self) -> None:
        import psycopg

        url = self.store.engine.url.set(drivername="postgresql")
        # SQLAlchemy's URL carries libpq options (search_path) as a query parameter,
        # which psycopg reads from the conninfo the same way.
        dsn = url.render_as_string(hide_password=False)
        while not self._stop.is_set():
            try:
                with psycopg.connect(dsn, autocommit=True) as connection:
                    connection.execute(f"LISTEN {CHANGE_CHANNEL}")
                    self.connected.set()
                    self._safe_wake()  # catch up on what happened while not listening
                    while not self._stop.is_set():
                        got = False
                        for _notice in connection.notifies(timeout=self.idle):
                            got = True
                            break  # one wake reads every change: drain the rest
                        if got:
                            self._drain(connection)
                            self._safe_wake()
                        elif self.wake() is None:
                            self._stop.set()
            except Exception as exc:  # the database is down: retry, polling meanwhile
                log.warning("LISTEN connection lost or refused (%s); retrying", exc)
            finally:
                self.connected.clear()
            self._stop.wait(min(self.idle, 1.0))
            self._safe_wake()

    @staticmethod
    def _drain(connection: Any) -> None:
        for _notice in connection.notifies(timeout=0.0):
            pass

    def _safe_wake(self) -> None:
        wake = self.wake()
        if wake is None:  # the read model is gone (an app closed in tests): stop too
            self._stop.set()
            return
        try:
            wake()
        except Exception:
            log.exception("catching up with the change feed failed")
