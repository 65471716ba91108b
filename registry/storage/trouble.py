"""Database trouble, named: contention, an unreachable server, a damaged file (no Flask).

Timeouts bound every wait on the database (SQLite's busy timeout, PostgreSQL's
`lock_timeout`, `statement_timeout` and `connect_timeout`, the connection pool's own
wait), so a request blocked behind a lock fails after a known time instead of hanging
until the web server kills its worker. `classify` turns what the driver raises into a
`Trouble` the web layer answers with 503 and Retry-After.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import exc as sa_exc

# SQLSTATEs of PostgreSQL that mean "try again later" rather than "your request is wrong".
_PG_BUSY = {
    "55P03": "a lock on the data is held elsewhere (lock_timeout)",
    "57014": "the database statement ran past its time limit (statement_timeout)",
    "40001": "the transaction conflicted with another one (serialization failure)",
    "40P01": "the transaction was chosen as a deadlock victim",
    "53300": "the database has no free connection",
    "57P03": "the database is starting up or shutting down",
}


@dataclass(frozen=True)
class Timeouts:
    """The bounds on waiting for the database, in seconds."""

    busy: float = 5.0       # SQLite: wait for the write lock; PostgreSQL: lock_timeout
    statement: float = 15.0  # PostgreSQL: statement_timeout of every statement
    connect: float = 5.0    # PostgreSQL: connect_timeout; both: the pool's wait

    @classmethod
    def from_settings(cls, settings: dict[str, Any]) -> Timeouts:
        """Return the timeouts of the REGISTRY_DB_* settings."""
        return cls(busy=float(settings.get("DB_BUSY_TIMEOUT", cls.busy)),
                   statement=float(settings.get("DB_STATEMENT_TIMEOUT", cls.statement)),
                   connect=float(settings.get("DB_CONNECT_TIMEOUT", cls.connect)))


@dataclass(frozen=True)
class Trouble:
    """What went wrong with the database, for a 503 answer."""

    code: str  # database-busy, database-unavailable, database-damaged
    message: str
    retry_after: int
    detail: str = ""  # what the driver said (logged, never shown)


def _sqlstate(error: Any) -> str | None:
    return getattr(error, "sqlstate", None) or getattr(error, "pgcode", None)


def classify(error: BaseException, timeouts: Timeouts | None = None) -> Trouble | None:
    """Return the Trouble an exception from the store means, or None for a real bug."""
    timeouts = timeouts or Timeouts()
    retry = max(1, round(timeouts.busy))
    if isinstance(error, sa_exc.TimeoutError):  # the connection pool's own wait
        return Trouble("database-busy", "every database connection of this worker is in "
                       "use; try again shortly", retry)
    if not isinstance(error, sa_exc.DBAPIError):
        return None
    original = error.orig
    state = _sqlstate(original)
    if state in _PG_BUSY:
        return Trouble("database-busy", f"the database is busy: {_PG_BUSY[state]}; "
                       "try again shortly", retry)
    text = str(original).lower()
    if "database is locked" in text or "database is busy" in text \
            or "database table is locked" in text:
        return Trouble("database-busy", "the database is locked by another writer (more "
                       f"than {timeouts.busy:g} s); try again shortly", retry)
    if "malformed" in text or "not a database" in text or "disk i/o error" in text:
        return Trouble("database-damaged", "the database file is damaged; the operators "
                       "were told (see /health)", 60, str(original))
    unreachable = (
        error.connection_invalidated
        or (state or "").startswith("08")  # PostgreSQL: connection exceptions
        or state in ("57P01", "57P02")  # the server shut down / crashed
        # psycopg: no connection at all (refused, timed out) carries no SQLSTATE
        or (state is None and type(original).__module__.startswith("psycopg")
            and isinstance(error, sa_exc.OperationalError))
        or "unable to open database file" in text)
    if unreachable:
        return Trouble("database-unavailable", "the database did not answer; try again "
                       "shortly", retry)
    return None  # a bug or a broken schema: a 500, logged
