"""Concurrent writers on the same records: no lost update, every refusal a 412.

Sixteen client threads change the same five records (three projects, two standards)
through four gunicorn workers, each reading the record and writing it back with
If-Match (and retrying once with the ETag a 412 names). On PostgreSQL, the production
store, when REGISTRY_TEST_DATABASE_URL is set; on SQLite too (one writer at a time
behind its lock, the same promises).
"""

from __future__ import annotations

import threading
from collections import Counter
from pathlib import Path

import pytest

from tests.reliability.harness import (
    PG_URL,
    STANDARDS,
    Ledger,
    Server,
    audit_count,
    fresh_database,
    prepare_store,
    report,
    setup_targets,
    store_problems,
    stored_revisions,
    write_loop,
)

pytestmark = pytest.mark.slow

WORKERS = 4
CLIENTS = 16
ATTEMPTS = 12  # PUTs per client, retries included


@pytest.mark.parametrize("backend", ["postgresql", "sqlite"])
def test_concurrent_updates_of_the_same_records_lose_nothing(backend: str,
                                                             tmp_path: Path) -> None:
    """16 writers, 5 records, 4 workers: each acknowledged write is its own revision."""
    if backend == "postgresql" and not PG_URL:
        pytest.skip("the PostgreSQL concurrency test needs REGISTRY_TEST_DATABASE_URL, e.g. "
                    "postgresql+psycopg://postgres@127.0.0.1:5432/test")
    with fresh_database(backend, tmp_path) as database:
        tokens = prepare_store(database, tmp_path / "instance")
        server = Server(database, tmp_path, workers=WORKERS)
        ledger = Ledger()
        try:
            server.start()
            targets = setup_targets(server.port, tokens, ledger)
            # Three projects (created above) and the first two standards (imported).
            targets = [t for t in targets if t.kind == "project" or t.id in STANDARDS[:2]]
            baseline_revisions = stored_revisions(database)
            baseline_audit = audit_count(database)
            baseline_acked = len(ledger.acked)
            stop = threading.Event()
            threads = [threading.Thread(
                target=write_loop, args=(server.port, targets, tokens, ledger),
                kwargs={"name": f"c{i}", "stop": stop, "attempts": ATTEMPTS, "seed": i},
                daemon=True) for i in range(CLIENTS)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=600)
            stop.set()
            assert not any(t.is_alive() for t in threads), "a writer hung"
        finally:
            server.stop()

        # Every answer to a PUT was a success, a 412, or a 503 with Retry-After (the
        # database busy past its bound): no 500, no other code.
        assert not ledger.unexpected, report(ledger.unexpected, server)
        updates = ledger.acked[baseline_acked:]
        puts = sum(ledger.statuses.values()) - baseline_acked
        assert set(ledger.statuses) <= {200, 201, 412, 503}, dict(ledger.statuses)
        assert updates, f"no write got through: {dict(ledger.statuses)}"
        assert puts == len(updates) + ledger.refused

        # No lost update: distinct revisions per record, one stored per acknowledged write.
        problems = store_problems(database, ledger)
        per_record = Counter((w.kind, w.id) for w in updates)
        revisions = stored_revisions(database)
        for target in targets:
            numbers = [w.revision for w in updates if (w.kind, w.id) == target.key]
            if len(numbers) != len(set(numbers)):
                problems.append(f"{target.key}: revisions acknowledged twice: {sorted(numbers)}")
            expected = len(baseline_revisions[target.key]) + per_record[target.key]
            if len(revisions[target.key]) != expected:
                problems.append(f"{target.key}: {len(revisions[target.key])} revisions stored, "
                                f"expected 1 + {per_record[target.key]} acknowledged updates")
        added_audit = audit_count(database) - baseline_audit
        if added_audit != len(updates):
            problems.append(f"{added_audit} audit events for {len(updates)} acknowledged writes")
        assert not problems, report(problems, server)
        print(f"\n[concurrency {backend}] {WORKERS} workers, {CLIENTS} clients, "
              f"{len(targets)} records: {puts} PUTs, {len(updates)} acknowledged "
              f"({dict(sorted((k[1], v) for k, v in per_record.items()))}), "
              f"{ledger.refused} refused (412, or 503 busy: {ledger.statuses[503]}), "
              "0 other answers; "
              f"{added_audit} audit events")
