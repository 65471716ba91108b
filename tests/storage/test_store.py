"""The store keeps every revision and refuses lost updates, on SQLite and PostgreSQL."""

from __future__ import annotations

import threading

import pytest

from registry.catalogue.files import read_records, shipped_root
from registry.readmodel import ReadModel
from registry.storage import Conflict, NotFound, PreconditionFailed, Store


def test_migrations_leave_nothing_pending(database_url):
    store = Store(database_url)
    assert store.pending_migrations() == ["0001", "0002", "0003", "0004", "0005"]
    store.migrate()
    assert store.pending_migrations() == []
    store.migrate()  # idempotent
    store.engine.dispose()


def test_a_status_change_is_a_new_revision_not_an_overwrite(store):
    first = store.put("standard", "x", {"id": "x", "status": "candidate"}, author="ann")
    second = store.put("standard", "x", {"id": "x", "status": "mandatory"}, author="bob",
                       if_match=first.revision)
    assert (first.revision, second.revision) == (1, 2)
    history = store.revisions("standard", "x")
    assert [(r["revision"], r["author"], r["data"]["status"]) for r in history] == [
        (1, "ann", "candidate"), (2, "bob", "mandatory")]
    assert [e["action"] for e in store.audit()] == ["standard.update", "standard.create"]
    assert store.get("standard", "x").data["status"] == "mandatory"


def test_a_stale_revision_is_refused_and_nothing_changes(store):
    store.put("standard", "x", {"id": "x", "v": 1}, author="a")
    store.put("standard", "x", {"id": "x", "v": 2}, author="a", if_match=1)
    with pytest.raises(PreconditionFailed) as info:
        store.put("standard", "x", {"id": "x", "v": 3}, author="b", if_match=1)
    assert info.value.current.revision == 2
    assert store.get("standard", "x").data == {"id": "x", "v": 2}
    assert len(store.revisions("standard", "x")) == 2


def test_create_only_refuses_an_existing_record(store):
    store.put("component", "c", {"id": "c"}, author="a")
    with pytest.raises(Conflict):
        store.put("component", "c", {"id": "c", "x": 1}, author="a", create_only=True)
    with pytest.raises(NotFound):
        store.get("component", "missing")


def test_concurrent_updates_with_the_same_revision_let_exactly_one_win(store):
    store.put("standard", "x", {"id": "x", "n": 0}, author="a")
    outcomes: list[str] = []
    barrier = threading.Barrier(6)

    def write(n: int) -> None:
        barrier.wait()
        try:
            store.put("standard", "x", {"id": "x", "n": n}, author=f"w{n}", if_match=1)
            outcomes.append("ok")
        except PreconditionFailed:
            outcomes.append("refused")

    threads = [threading.Thread(target=write, args=(n,)) for n in range(1, 7)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["ok"] + ["refused"] * 5
    assert len(store.revisions("standard", "x")) == 2


def test_import_is_idempotent_and_bumps_the_catalogue_version_once(store):
    records = read_records([shipped_root()])
    first = store.import_records(records, author="test")
    version = store.catalogue_version()
    assert first.changed == sum(len(v) for v in records.values())
    second = store.import_records(records, author="test")
    assert second.changed == 0
    assert store.catalogue_version() == version
    assert store.export() == {kind: sorted(items, key=lambda r: r["id"])
                              for kind, items in records.items()}


def test_snapshot_follows_the_store(store):
    model = ReadModel(store, ttl=0)
    assert model.current().catalogue.is_empty
    store.put("standard", "x", {"id": "x", "status": "candidate", "category": "c",
                                "applies_to": ["a"]}, author="a")
    snapshot = model.current()
    assert list(snapshot.catalogue.standards) == ["x"]
    assert snapshot.catalogue.standards_by_capability["a"] == ("x",)
    assert model.current() is snapshot  # unchanged store: the same snapshot
