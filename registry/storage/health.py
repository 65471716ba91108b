"""Readiness: does the database answer a real read within a bound? (no Flask)

The probe reads the catalogue counter and one record, the two tables every answer
needs, on a thread of its own so that a database that hangs (a lock held elsewhere, a
server that stopped answering) costs the caller at most `bound` seconds. Probes that
arrive while one is still running share it instead of piling up threads.
"""

from __future__ import annotations

import concurrent.futures
import threading
from typing import Any

from sqlalchemy import select

from registry.storage.store import CATALOGUE_STATE, Store
from registry.storage.tables import catalogue_state, records
from registry.storage.trouble import classify


class Readiness:
    """Answers whether the store can serve, within a time bound."""

    def __init__(self, store: Store, bound: float = 2.0) -> None:
        self.store = store
        self.bound = bound
        self._executor = concurrent.futures.ThreadPoolExecutor(
            1, thread_name_prefix="registry-health")
        self._lock = threading.Lock()
        self._running: concurrent.futures.Future[int] | None = None

    def _probe(self) -> int:
        with self.store.engine.connect() as connection:
            if connection.dialect.name == "postgresql":
                # A lock held on the table makes the read wait: let the server give up
                # at the bound too, so the probe does not linger behind it.
                connection.exec_driver_sql(
                    f"SET LOCAL statement_timeout = {max(1, int(self.bound * 1000))}")
            version = connection.execute(
                select(catalogue_state.c.version)
                .where(catalogue_state.c.id == CATALOGUE_STATE)).scalar_one()
            connection.execute(select(records.c.kind).limit(1)).first()
        return int(version)

    def check(self) -> tuple[bool, dict[str, Any]]:
        """Return (ready, the body of /health)."""
        if self.store.damaged:
            return False, {"status": "unavailable", "database": "damaged",
                           "message": "the database file is damaged: restore it from a "
                                      "backup"}
        with self._lock:
            if self._running is None or self._running.done():
                self._running = self._executor.submit(self._probe)
            running = self._running
        try:
            version = running.result(timeout=self.bound)
        except concurrent.futures.TimeoutError:
            return False, {"status": "unavailable", "database": "no answer",
                           "message": f"the database did not answer within {self.bound:g} s"}
        except Exception as exc:  # noqa: BLE001 - every failure is an unready store
            trouble = classify(exc, self.store.timeouts)
            if trouble is not None and trouble.code == "database-damaged":
                self.store.damaged = trouble.detail
            what = trouble.code.removeprefix("database-") if trouble else "unreachable"
            return False, {"status": "unavailable", "database": what,
                           "message": trouble.message if trouble else
                           "the database could not be read"}
        return True, {"status": "ok", "database": "ok", "catalogue_version": version}

    def close(self) -> None:
        """Stop the probe thread (without waiting for a hung probe)."""
        self._executor.shutdown(wait=False, cancel_futures=True)
