"""Crash safety: SIGKILL a real gunicorn server mid-write, restart it, lose nothing.

Two tests per backend (SQLite always, PostgreSQL when REGISTRY_TEST_DATABASE_URL is set):

* under a write load of several client threads, the whole server (master and workers)
  is killed at once, twice, while writes are in flight; after each restart every
  acknowledged write is stored as the revision it was acknowledged with, nothing is
  half-written and the database passes its integrity check;
* a kill landing exactly inside a write's transaction (held open by a slow trigger on
  the revisions table, so the moment is certain rather than lucky) leaves the record
  as it was before that write, never a record without its revision or audit event.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

import pytest
import yaml
from sqlalchemy import text

from tests.reliability.harness import (
    BACKENDS,
    Database,
    Http,
    Ledger,
    Server,
    Target,
    Tokens,
    Write,
    etag_revision,
    example_sheet,
    fresh_database,
    prepare_store,
    report,
    setup_targets,
    store_problems,
    stored_revisions,
    write_loop,
)

pytestmark = pytest.mark.slow

CLIENTS = 6
ROUNDS = 2  # load, kill, restart, check: twice, so the second kill hits a recovered store
LOAD_SECONDS = 2.0  # of load before each kill, at the least
MIN_ACKED = 10  # acknowledged writes per round before the kill, at the least
LOAD_DEADLINE = 300.0  # a round that cannot get MIN_ACKED writes through in this fails


def _load_then_kill(server: Server, targets: list[Target], tokens: Tokens, ledger: Ledger,
                    round_: int) -> tuple[int, int]:
    """Run the writers, SIGKILL the server while PUTs are in flight; return (acked, in flight)."""
    stop, killing = threading.Event(), threading.Event()
    start_acked = len(ledger.acked)
    threads = [threading.Thread(target=write_loop, args=(server.port, targets, tokens, ledger),
                                kwargs={"name": f"r{round_}c{i}", "stop": stop,
                                        "killing": killing, "seed": round_ * 100 + i},
                                daemon=True)
               for i in range(CLIENTS)]
    for thread in threads:
        thread.start()
    started = time.monotonic()
    in_flight = 0
    try:
        # Enough load to matter, then wait for a moment when PUTs are on the wire, so
        # the kill cuts writes mid-flight rather than between them.
        while time.monotonic() - started < LOAD_DEADLINE:
            if not server.alive():
                pytest.fail(f"the server died on its own:\n{server.log_tail()}")
            if (time.monotonic() - started >= LOAD_SECONDS
                    and ledger.acked_since(start_acked) >= MIN_ACKED):
                with ledger.lock:
                    in_flight = ledger.in_flight
                if in_flight:
                    break
            time.sleep(0.002)
        killing.set()
        server.kill()
    finally:
        stop.set()
        killing.set()
        for thread in threads:
            thread.join(timeout=180)
    acked = ledger.acked_since(start_acked)
    assert acked >= MIN_ACKED, (
        f"only {acked} writes were acknowledged in {LOAD_DEADLINE:.0f} s: "
        f"{ledger.unexpected[:5]}\n{server.log_tail()}")
    return acked, in_flight


def _api_problems(server: Server, database: Database, targets: list[Target], tokens: Tokens,
                  ledger: Ledger) -> list[str]:
    """Check the restarted server answers each record at its stored revision, and writes."""
    problems = []
    revisions = stored_revisions(database)
    client = Http(server.port)
    try:
        for target in targets:
            numbers = revisions.get(target.key, [])
            got = client.request("GET", target.url)
            if got.status != 200:
                problems.append(f"GET {target.url} after restart: {got.status}")
                continue
            if etag_revision(got.headers["etag"]) != numbers[-1]:
                problems.append(f"GET {target.url} after restart: ETag {got.headers['etag']} "
                                f"but revision {numbers[-1]} is stored")
            if target.kind == "project":
                listed = client.request("GET", f"/api/projects/{target.id}/revisions").json()
                if [r["revision"] for r in listed["revisions"]] != numbers:
                    problems.append(f"{target.id}: /revisions lists {listed} but {numbers} "
                                    "are stored")
            # The restarted server takes writes based on what it answers.
            body, media_type, data = target.payload(f"after-restart-{server.starts}")
            with ledger.lock:
                ledger.sent[target.key].append(data)
            reply = client.request("PUT", target.url, body, {
                **tokens.for_kind(target.kind), "Content-Type": media_type,
                "If-Match": got.headers["etag"]})
            if reply.status != 200:
                problems.append(f"PUT {target.url} after restart: {reply.status} "
                                f"{reply.body[:1000]!r}")
                continue
            with ledger.lock:
                ledger.acked.append(Write(target.kind, target.id, reply.json()["revision"],
                                          reply.headers["etag"], data))
    finally:
        client.close()
    return problems


@pytest.mark.parametrize("backend", BACKENDS)
def test_acknowledged_writes_survive_sigkill_under_load(backend: str, tmp_path: Path) -> None:
    """Kill the server twice under write load: every acknowledged write is still there."""
    with fresh_database(backend, tmp_path) as database:
        tokens = prepare_store(database, tmp_path / "instance")
        server = Server(database, tmp_path, workers=2)
        ledger = Ledger()
        figures = []
        try:
            server.start()
            targets = setup_targets(server.port, tokens, ledger)
            for round_ in range(1, ROUNDS + 1):
                acked, in_flight = _load_then_kill(server, targets, tokens, ledger, round_)
                figures.append(f"round {round_}: {acked} acknowledged, {in_flight} PUTs "
                               "in flight at the kill")
                # Checked before the restart (what the crash left) and after it (what
                # the recovered server made of it), then with the server writing again.
                problems = store_problems(database, ledger)
                assert not problems, report(problems, server)
                server.start()
                problems = store_problems(database, ledger)
                problems += _api_problems(server, database, targets, tokens, ledger)
                problems += store_problems(database, ledger)
                assert not problems, report(problems, server)
            assert not ledger.unexpected, report(ledger.unexpected, server)
        finally:
            server.stop()
        revisions = stored_revisions(database)
        acked_keys = {(w.kind, w.id, w.revision) for w in ledger.acked}
        committed_unacked = sum(
            1 for key, numbers in revisions.items() for n in numbers
            if key in {t.key for t in targets} and (*key, n) not in acked_keys and n > 1)
        print(f"\n[crash {backend}] {'; '.join(figures)}; {len(ledger.acked)} writes "
              f"acknowledged, all found after {ROUNDS} kills; {ledger.refused} refused (412); "
              f"{ledger.cut} cut by a kill, of which {committed_unacked} had committed; "
              f"PUT statuses {dict(ledger.statuses)}")


# -- a kill inside one write's transaction --------------------------------------------

WINDOW_ID = "ev-charging-map"


def _slow_revision_trigger(database: Database) -> None:
    """Make inserting a revision of WINDOW_ID slow, holding its write transaction open."""
    engine = database.engine()
    try:
        with engine.begin() as connection:
            if database.backend == "sqlite":
                # No sleep in SQLite SQL, and no WITH in triggers: a billion-row cross join
                # keeps the trigger (and the transaction around it) busy far longer than
                # the test needs before it kills the server.
                connection.execute(text("CREATE TABLE crash_pad (x INTEGER)"))
                connection.execute(text(
                    "INSERT INTO crash_pad WITH RECURSIVE c(x) AS "
                    "(SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 1000) SELECT x FROM c"))
                connection.execute(text(
                    "CREATE TRIGGER crash_slow_revision BEFORE INSERT ON revisions "
                    f"WHEN NEW.record_id = '{WINDOW_ID}' BEGIN "
                    "SELECT count(*) FROM crash_pad a, crash_pad b, crash_pad c; END"))
            else:
                connection.execute(text(
                    "CREATE FUNCTION crash_slow_revision() RETURNS trigger "
                    "LANGUAGE plpgsql AS $$ BEGIN "
                    f"IF NEW.record_id = '{WINDOW_ID}' THEN PERFORM pg_sleep(60); END IF; "
                    "RETURN NEW; END $$"))
                connection.execute(text(
                    "CREATE TRIGGER crash_slow_revision BEFORE INSERT ON revisions "
                    "FOR EACH ROW EXECUTE FUNCTION crash_slow_revision()"))
    finally:
        engine.dispose()


def _drop_slow_revision_trigger(database: Database) -> None:
    engine = database.engine()
    try:
        with engine.begin() as connection:
            connection.execute(text("DROP TRIGGER crash_slow_revision" + (
                "" if database.backend == "sqlite" else " ON revisions")))
            if database.backend == "sqlite":
                connection.execute(text("DROP TABLE crash_pad"))
            else:
                connection.execute(text("DROP FUNCTION crash_slow_revision()"))
    finally:
        engine.dispose()


def _inside_revision_insert(database: Database) -> bool:
    """Return True while the server is inside the slow revision insert of WINDOW_ID."""
    if database.backend == "postgresql":
        engine = database.engine()
        try:
            with engine.connect() as connection:
                return bool(connection.execute(text(
                    "SELECT count(*) FROM pg_stat_activity WHERE application_name = :name "
                    "AND wait_event = 'PgSleep'"), {"name": database.application_name}
                ).scalar_one())
        finally:
            engine.dispose()
    # SQLite: the only writer is the request under test; while it holds the write lock
    # across two looks some time apart, it is inside the slow trigger.
    path = database.path
    assert path is not None

    def locked() -> bool:
        connection = sqlite3.connect(path, timeout=0, isolation_level=None)
        try:
            connection.execute("BEGIN IMMEDIATE")
            connection.execute("ROLLBACK")
            return False
        except sqlite3.OperationalError:
            return True
        finally:
            connection.close()

    if not locked():
        return False
    time.sleep(0.3)
    return locked()


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("action", ["create", "update"])
def test_a_kill_inside_a_write_leaves_no_half_written_record(
        backend: str, action: str, tmp_path: Path) -> None:
    """Kill the server while a write's transaction is open: the record is as before it."""
    with fresh_database(backend, tmp_path) as database:
        tokens = prepare_store(database, tmp_path / "instance")
        server = Server(database, tmp_path, workers=1)
        ledger = Ledger()
        sheet = example_sheet(WINDOW_ID)
        target = Target("project", WINDOW_ID, sheet)
        headers = {**tokens.for_kind("project"), "Content-Type": "application/yaml"}
        try:
            server.start()
            client = Http(server.port)
            before = None
            if action == "update":
                reply = client.request("PUT", target.url, yaml.safe_dump(sheet).encode(),
                                       {**headers, "If-None-Match": "*"})
                assert reply.status == 201, reply.body[:2000]
                before = reply.headers["etag"]
                ledger.sent[target.key].append(sheet)
                ledger.acked.append(Write("project", WINDOW_ID, 1, before, sheet))
            _slow_revision_trigger(database)
            body, _media, data = target.payload("cut by the kill")
            ledger.sent[target.key].append(data)
            answers: list[object] = []

            def write() -> None:
                precondition = {"If-Match": before} if before else {"If-None-Match": "*"}
                writer_client = Http(server.port)
                try:
                    answers.append(writer_client.request(
                        "PUT", target.url, body, {**headers, **precondition}).status)
                except OSError as exc:
                    answers.append(exc)  # the kill cut it, as it should
                finally:
                    writer_client.close()

            writer = threading.Thread(target=write, daemon=True)
            writer.start()
            deadline = time.monotonic() + 300
            while not _inside_revision_insert(database):
                assert writer.is_alive(), f"the write ended before the kill: {answers}"
                assert time.monotonic() < deadline, "the write never reached its revision"
                time.sleep(0.01)
            server.kill()
            writer.join(timeout=60)
            client.close()

            # What the kill left: either the write entirely, or nothing of it.
            problems = store_problems(database, ledger)
            stored = stored_revisions(database).get(target.key, [])
            expected = [1] if action == "update" else []
            if stored != expected and not problems:
                problems.append(f"{WINDOW_ID}: revisions {stored} after a killed {action}, "
                                f"expected {expected}")
            assert not problems, (f"a kill inside the {action} of {WINDOW_ID} (its revision "
                                  f"insert under way) left a half-written record:\n"
                                  + report(problems, server))

            # The restarted server answers the record as it was, and takes the write again.
            _drop_slow_revision_trigger(database)
            server.start()
            client = Http(server.port)
            got = client.request("GET", target.url)
            if action == "create":
                assert got.status == 404, got.body[:1000]
                precondition = {"If-None-Match": "*"}
            else:
                assert got.status == 200 and etag_revision(got.headers["etag"]) == 1
                precondition = {"If-Match": got.headers["etag"]}
            reply = client.request("PUT", target.url, body, {**headers, **precondition})
            assert reply.status == (201 if action == "create" else 200), reply.body[:2000]
            ledger.acked.append(Write("project", WINDOW_ID, reply.json()["revision"],
                                      reply.headers["etag"], data))
            client.close()
            problems = store_problems(database, ledger)
            assert not problems, report(problems, server)
        finally:
            server.stop()
