"""What the backup tests share: the answers that must survive a move between engines, and
the check that a restored database holds one instant's state.

Not a test module (tests import from here, never from each other)."""

from __future__ import annotations

from collections import Counter

from sqlalchemy import select

from registry.storage import Store
from registry.storage.store import CATALOGUE_KINDS, CATALOGUE_STATE, ROADMAP_STATE, digest
from registry.storage.tables import audit_events, catalogue_state, records, revisions
from tests.conftest import PG_URL
from tests.helpers import AS_OF

OTHER = "postgresql" if PG_URL else "sqlite"  # the engine a backup is restored into


def answers(app, secrets: dict[str, str], filled: bool = True) -> dict[str, object]:
    """Return every answer that must survive a move, with its ETag.

    `filled`: the registry was filled by `fill` (a measurement, a deleted project).
    """
    client = app.test_client()
    out: dict[str, object] = {}

    def read(url: str, **headers: str) -> None:
        answer = client.get(url, headers=headers)
        assert answer.status_code == 200, (url, answer.get_data(as_text=True)[:300])
        out[url] = (answer.get_json(), answer.headers.get("ETag"))

    read(f"/api/projects?as_of={AS_OF}")
    read("/api/standards?per_page=500")
    for item in client.get("/api/standards?per_page=500").get_json()["standards"]:
        read(f"/api/standards/{item['id']}")
    for item in client.get("/api/projects").get_json()["projects"]:
        read(f"/api/projects/{item['id']}?as_of={AS_OF}")
        read(f"/api/projects/{item['id']}/revisions")
    read("/api/audit?limit=1000", Authorization=f"Bearer {secrets['office']}")
    if filled:
        read("/api/projects/mobility-data-hub/kpis/open-datasets/measurements/2026-06-30")
        store = app.extensions["registry"].store
        out["deleted history"] = store.revisions("project", "ev-charging-map")
    return out


# Lists whose ETag hashes the body's bytes: PostgreSQL's JSONB keeps an object's keys in
# its own order, not the order they were written in, so after a move to PostgreSQL the
# same content is serialised with the keys of records in another order and these tags
# differ. Their content is compared; every record's ETag (revision and content digest)
# and the project list's must be the same.
BYTE_TAGGED = ("/api/standards?",)


def same(moved: object, original: object, key: str) -> None:
    if key.startswith(BYTE_TAGGED):
        assert moved[0] == original[0], key  # type: ignore[index]
    else:
        assert moved == original, key


def check_consistent(store: Store) -> dict[str, int]:
    """Assert the database holds one instant's state; return its counts."""
    with store.engine.connect() as connection:
        current = {(r.kind, r.id): r for r in connection.execute(select(records))}
        history: dict[tuple[str, str], list] = {}
        for r in connection.execute(select(revisions).order_by(revisions.c.seq)):
            history.setdefault((r.kind, r.record_id), []).append(r)
        # Events without a revision (a token created or revoked) record no record write.
        events = Counter((e.kind, e.record_id, e.revision)
                         for e in connection.execute(select(audit_events))
                         if e.revision is not None)
        state = dict(connection.execute(select(catalogue_state.c.id,
                                               catalogue_state.c.version)).all())
    assert current.keys() <= history.keys()
    for key, record in current.items():
        numbers = [r.revision for r in history[key]]
        assert numbers == list(range(1, record.revision + 1)), (key, numbers)
        assert history[key][-1].data == record.data, key
        assert digest(record.data) == record.digest, key
    revision_keys = Counter((r.kind, r.record_id, r.revision)
                            for rows in history.values() for r in rows)
    assert events == revision_keys  # one audit event per revision, no more, no fewer
    catalogue_writes = sum(len(rows) for (kind, _), rows in history.items()
                           if kind in CATALOGUE_KINDS)
    roadmap_writes = sum(len(rows) for (kind, _), rows in history.items()
                         if kind not in CATALOGUE_KINDS)
    assert state[CATALOGUE_STATE] == catalogue_writes
    assert state[ROADMAP_STATE] == roadmap_writes
    return {"records": len(current), "revisions": sum(revision_keys.values())}
