"""The write path in few round trips, with every guarantee kept (both engines).

An update is its UPDATE on the revision the caller read, the feed lock (and NOTIFY), and
one statement writing the revision, the audit event and the change counter; pooled
PostgreSQL connections in steady use are not tested before each use.
"""

from __future__ import annotations

import pytest
from sqlalchemy import event, text

from registry.storage import PreconditionFailed, Store
from registry.storage import store as store_module
from registry.storage.store import ROADMAP_STATE
from registry.storage.trouble import classify


def statements(store: Store) -> list[str]:
    """Collect the SQL statements the store sends from now on."""
    sent: list[str] = []

    def note(_conn, _cursor, statement, *_args):
        sent.append(statement)

    event.listen(store.engine, "before_cursor_execute", note)
    return sent


def test_an_update_writes_record_revision_audit_event_and_counter(store):
    first = store.put("project", "p", {"id": "p", "n": 1}, author="ann")
    roadmap = store.version(ROADMAP_STATE)
    second = store.put("project", "p", {"id": "p", "n": 2}, author="bob",
                       if_match=first.revision, message="second")
    assert second.revision == 2
    assert second.seq == store.head() and second.seq > (first.seq or 0)
    assert store.get("project", "p").data == {"id": "p", "n": 2}
    assert [(r["revision"], r["author"], r["message"]) for r in
            store.revisions("project", "p")] == [(1, "ann", None), (2, "bob", "second")]
    event = store.audit(1)[0]
    assert (event["action"], event["actor"], event["revision"], event["detail"]) == (
        "project.update", "bob", 2, {"message": "second"})
    assert store.version(ROADMAP_STATE) == roadmap + 1
    assert [c.seq for c in store.changes_since(first.seq or 0)] == [second.seq]


def test_an_update_of_a_deleted_record_is_refused_and_writes_nothing(store):
    first = store.put("project", "p", {"id": "p"}, author="ann")
    store.delete_where("project", lambda record: False, author="ann")
    head = store.head()
    with pytest.raises(PreconditionFailed) as refused:
        store.put("project", "p", {"id": "p", "n": 2}, author="bob", if_match=first.revision)
    assert refused.value.current is None
    assert store.head() == head
    assert store.audit(1)[0]["action"] == "project.delete"


def test_a_stale_update_names_the_current_revision_and_writes_nothing(store):
    store.put("project", "p", {"id": "p", "n": 1}, author="ann")
    store.put("project", "p", {"id": "p", "n": 2}, author="ann", if_match=1)
    head, events = store.head(), len(store.audit())
    with pytest.raises(PreconditionFailed) as refused:
        store.put("project", "p", {"id": "p", "n": 3}, author="bob", if_match=1)
    assert refused.value.current is not None and refused.value.current.revision == 2
    assert (store.head(), len(store.audit())) == (head, events)


def test_an_update_is_three_statements_on_postgresql(store):
    if store.engine.dialect.name != "postgresql":
        pytest.skip("SQLite runs in-process: its statements cost no round trip")
    store.put("project", "p", {"id": "p", "n": 1}, author="ann")
    sent = statements(store)
    store.put("project", "p", {"id": "p", "n": 2}, author="ann", if_match=1)
    # The UPDATE on the revision read, the feed lock with NOTIFY, and the revision, audit
    # event and counter together (before: seven, the record read again first).
    assert len(sent) == 3, sent


def backend_pid(store: Store) -> int:
    with store.engine.connect() as connection:
        return int(connection.execute(text("SELECT pg_backend_pid()")).scalar_one())


def terminate(url: str, pid: int) -> None:
    other = Store(url)
    try:
        with other.engine.connect() as connection:
            connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
            connection.commit()
    finally:
        other.engine.dispose()


def test_an_idle_connection_the_server_dropped_is_replaced(store, database_url, monkeypatch):
    if store.engine.dialect.name != "postgresql":
        pytest.skip("SQLite opens a connection per use")
    pid = backend_pid(store)
    terminate(database_url, pid)
    monkeypatch.setattr(store_module, "PING_IDLE", 0.0)  # idle long enough to be tested
    assert store.head() >= 0  # the dead connection was found and replaced, no error
    assert backend_pid(store) != pid


def test_a_connection_dropped_while_in_use_fails_once_as_unavailable(store, database_url):
    if store.engine.dialect.name != "postgresql":
        pytest.skip("SQLite opens a connection per use")
    pid = backend_pid(store)
    terminate(database_url, pid)  # just used: not tested again before the next use
    with pytest.raises(Exception) as failed:
        store.head()
    trouble = classify(failed.value)
    assert trouble is not None and trouble.code == "database-unavailable"
    assert store.head() >= 0  # the pool dropped it: the next use connects again
    assert backend_pid(store) != pid
