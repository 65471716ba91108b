"""Stored KPI measurements: one row per reported value, replacements as new revisions."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import and_, func, insert, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from registry.storage.store import ROADMAP_STATE, Store, feed_order
from registry.storage.tables import audit_events, catalogue_state, kpi_measurements, revisions


@dataclass(frozen=True)
class Measurement:
    """A value of a project's KPI on a day, as last reported."""

    project: str
    kpi: str
    day: date
    value: float
    note: str | None
    revision: int
    recorded_at: datetime
    recorded_by: str

    @property
    def etag(self) -> str:
        """Return the entity tag of this revision of the measurement."""
        content = f"{self.value!r}|{self.note or ''}".encode()
        return f'"m{self.revision}-{hashlib.sha1(content).hexdigest()[:12]}"'

    def to_dict(self) -> dict[str, Any]:
        """Return the measurement as JSON data."""
        return {"date": self.day.isoformat(), "value": self.value, "note": self.note,
                "revision": self.revision, "recorded_at": self.recorded_at.isoformat(),
                "recorded_by": self.recorded_by}


class StaleMeasurement(Exception):
    """The revision the caller based the write on is not the current one."""

    def __init__(self, current: Measurement | None) -> None:
        super().__init__("the measurement changed since it was read")
        self.current = current


def _row(row: Any) -> Measurement:
    m = row._mapping
    day = m["day"] if isinstance(m["day"], date) else date.fromisoformat(str(m["day"]))
    return Measurement(m["project_id"], m["kpi_id"], day, float(m["value"]), m["note"],
                       m["revision"], m["recorded_at"], m["recorded_by"])


def _latest(rows: Iterable[Any]) -> list[Measurement]:
    """Keep the highest revision of each (project, kpi, day), in date order."""
    current: dict[tuple[str, str, date], Measurement] = {}
    for row in rows:
        m = _row(row)
        key = (m.project, m.kpi, m.day)
        if key not in current or current[key].revision < m.revision:
            current[key] = m
    return sorted(current.values(), key=lambda m: (m.project, m.kpi, m.day))


def get(store: Store, project: str, kpi: str, day: date) -> Measurement | None:
    """Return the current value of one measurement, or None."""
    with store.engine.connect() as connection:
        return _get(connection, project, kpi, day)


def _get(connection: Connection, project: str, kpi: str, day: date) -> Measurement | None:
    row = connection.execute(
        select(kpi_measurements)
        .where(and_(kpi_measurements.c.project_id == project,
                    kpi_measurements.c.kpi_id == kpi, kpi_measurements.c.day == day))
        .order_by(kpi_measurements.c.revision.desc()).limit(1)).first()
    return None if row is None else _row(row)


def of_projects(store: Store, projects: Iterable[str] | None = None) -> list[Measurement]:
    """Return the current measurements of these projects (all when None), by date."""
    query = select(kpi_measurements)
    if projects is not None:
        query = query.where(kpi_measurements.c.project_id.in_(list(projects)))
    with store.engine.connect() as connection:
        return _latest(connection.execute(query))


def history(store: Store, project: str, kpi: str, day: date) -> list[Measurement]:
    """Return every revision of one measurement, oldest first."""
    with store.engine.connect() as connection:
        rows = connection.execute(
            select(kpi_measurements)
            .where(and_(kpi_measurements.c.project_id == project,
                        kpi_measurements.c.kpi_id == kpi, kpi_measurements.c.day == day))
            .order_by(kpi_measurements.c.revision))
        return [_row(r) for r in rows]


def put(store: Store, project: str, kpi: str, day: date, value: float, note: str | None,
        *, author: str, based_on: int | None, source: str = "api") -> Measurement:
    """Record a value as the next revision, with its audit event, in one transaction.

    `based_on` is the revision the caller read (None to create): a write based on an
    older revision, or a create that meets an existing value, raises StaleMeasurement.
    """
    with store.writing() as connection:
        return _put(connection, project, kpi, day, value, note, author=author,
                    based_on=based_on, source=source)


def put_many(store: Store, rows: Iterable[tuple[str, str, date, float, str | None]], *,
             author: str, source: str) -> tuple[int, int, int]:
    """Record many values in one transaction; return (created, replaced, unchanged)."""
    created = replaced = unchanged = 0
    with store.writing() as connection:
        for project, kpi, day, value, note in rows:
            current = _get(connection, project, kpi, day)
            if current is not None and current.value == value and current.note == note:
                unchanged += 1
                continue
            _put(connection, project, kpi, day, value, note, author=author,
                 based_on=current.revision if current else None, source=source)
            if current is None:
                created += 1
            else:
                replaced += 1
    return created, replaced, unchanged


def _put(connection: Connection, project: str, kpi: str, day: date, value: float,
         note: str | None, *, author: str, based_on: int | None, source: str) -> Measurement:
    current = _get(connection, project, kpi, day)
    if (current.revision if current else None) != based_on:
        raise StaleMeasurement(current)
    now = datetime.now(UTC)
    stored = Measurement(project, kpi, day, float(value), note,
                         (current.revision if current else 0) + 1, now, author)
    try:
        # A savepoint keeps a PostgreSQL transaction usable when a concurrent write of
        # the same revision wins the race (the primary key refuses the second).
        with connection.begin_nested():
            connection.execute(insert(kpi_measurements).values(
                project_id=project, kpi_id=kpi, day=day, revision=stored.revision,
                value=stored.value, note=note, recorded_at=now, recorded_by=author))
    except IntegrityError:
        raise StaleMeasurement(_get(connection, project, kpi, day)) from None
    connection.execute(insert(audit_events).values(
        at=now, actor=author, action="measurement." + ("replace" if current else "create"),
        kind="measurement", record_id=f"{project}/{kpi}/{day.isoformat()}"[:100],
        revision=stored.revision,
        detail={"project": project, "kpi": kpi, "date": day.isoformat(), "value": value,
                "note": note, "previous": current.value if current else None,
                "source": source}))
    # Measurements are part of the roadmap's state: they enter the change feed (a
    # revision of kind "measurement"), so every worker's read model moves with them.
    feed_order(connection)
    connection.execute(insert(revisions).values(
        kind="measurement", record_id=f"{project}/{kpi}/{day.isoformat()}"[:100],
        revision=stored.revision, action="replace" if current else "create",
        data={"project": project, "kpi": kpi, "date": day.isoformat(),
              "value": stored.value, "note": note},
        author=author, message=None, created_at=now))
    connection.execute(update(catalogue_state).where(catalogue_state.c.id == ROADMAP_STATE)
                       .values(version=catalogue_state.c.version + 1))
    return stored


def count(store: Store) -> int:
    """Return how many measurement rows (all revisions) are stored."""
    with store.engine.connect() as connection:
        return connection.execute(select(func.count()).select_from(kpi_measurements)
                                  ).scalar_one()
