"""The latest revisions of the store, newest first: what a feed of changes reads."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import and_, or_, select

from registry.storage.store import Store
from registry.storage.tables import revisions


def recent(store: Store, kinds: Iterable[str], limit: int,
           record_ids: Iterable[str] | None = None) -> list[dict[str, Any]]:
    """Return the latest revisions of these kinds (of these records when given), newest first.

    Each carries `previous`: the data of the record's revision before it (None for a
    first revision), so a reader can say what changed.
    """
    query = select(revisions).where(revisions.c.kind.in_(list(kinds)))
    if record_ids is not None:
        ids = list(record_ids)
        if not ids:
            return []
        query = query.where(revisions.c.record_id.in_(ids))
    with store.engine.connect() as connection:
        rows = [dict(r._mapping) for r in connection.execute(
            query.order_by(revisions.c.seq.desc()).limit(limit))]
        wanted = [(r["kind"], r["record_id"], r["revision"] - 1) for r in rows
                  if r["revision"] > 1]
        previous: dict[tuple[str, str, int], Any] = {}
        # One query for every earlier revision the page needs, not one per entry.
        for chunk in (wanted[i:i + 200] for i in range(0, len(wanted), 200)):
            found = connection.execute(select(
                revisions.c.kind, revisions.c.record_id, revisions.c.revision,
                revisions.c.data).where(or_(*(
                    and_(revisions.c.kind == k, revisions.c.record_id == i,
                         revisions.c.revision == n) for k, i, n in chunk))))
            for kind, record_id, number, data in found:
                previous[(kind, record_id, number)] = data
    for row in rows:
        row["previous"] = previous.get((row["kind"], row["record_id"], row["revision"] - 1))
    return rows
