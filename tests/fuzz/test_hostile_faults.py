"""Hostile load and faults, second round: what the attack run of issue 14 found, each pinned.

Every test here failed on the code the attack ran against; each names the finding it
pins. Timings are never asserted (they belong to bench/hostile_load.py): a bounded wait
is checked by the answer it ends in (503 with Retry-After), not by a stopwatch.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from registry.cli import main
from registry.csv_cells import safe_cell
from registry.linked_data.sparql import QueryRequest, SparqlError, SparqlPool
from registry.storage.store import Store
from registry.storage.tables import audit_events
from registry.storage.tokens import create_token, revoke_token
from tests.helpers import make_app

SLOW_QUERY = "SELECT (COUNT(*) AS ?n) { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"


def _audit(store: Store) -> list[dict[str, Any]]:
    with store.engine.connect() as connection:
        return [dict(r._mapping) for r in connection.execute(
            select(audit_events).where(audit_events.c.kind == "token")
            .order_by(audit_events.c.seq))]


# --- 5. token create and revoke are audited ------------------------------------------

def test_token_create_and_revoke_write_audit_events(database_url: str) -> None:
    store = Store(database_url)
    try:
        store.migrate()
        _secret, info = create_token(store, role="office", organisations=[], name="Ann",
                                     actor="ops (command line)")
        assert revoke_token(store, info["id"], actor="ops (command line)")
        assert not revoke_token(store, info["id"])  # already revoked: no second event
        events = _audit(store)
        assert [(e["action"], e["record_id"], e["actor"]) for e in events] == [
            ("token.create", info["id"], "ops (command line)"),
            ("token.revoke", info["id"], "ops (command line)")]
        assert events[0]["detail"]["role"] == "office"
        assert "hash" not in events[0]["detail"] and "secret" not in str(events[0]["detail"])
    finally:
        store.engine.dispose()


def test_token_commands_are_audited(run: Any, database_url: str) -> None:
    created = run("token", "create", "--role", "architect", "--name", "curator")
    assert created.exit_code == 0, created.output
    token_id = created.output.split()[1]
    revoked = run("token", "revoke", token_id)
    assert revoked.exit_code == 0, revoked.output
    store = Store(database_url)
    try:
        assert [e["action"] for e in _audit(store)] == ["token.create", "token.revoke"]
        assert all("command line" in e["actor"] for e in _audit(store))
    finally:
        store.engine.dispose()


# --- 4. a damaged SQLite file is refused at start ------------------------------------

def _damage(path: Path) -> None:
    """Overwrite pages in the middle of a SQLite file with garbage (a torn write)."""
    import sqlite3

    with sqlite3.connect(path) as connection:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        page = connection.execute("PRAGMA page_size").fetchone()[0]
        pages = connection.execute("PRAGMA page_count").fetchone()[0]
    assert pages > 6
    with path.open("r+b") as handle:
        for number in range(pages // 2, pages // 2 + 3):
            handle.seek(number * page)
            handle.write(b"\xa5" * page)


def test_a_damaged_database_is_refused_at_start(tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "registry.sqlite"
    app = make_app(f"sqlite:///{path}", tmp_path)
    app.extensions["registry"].store.engine.dispose()
    _damage(path)
    with pytest.raises(RuntimeError, match="damaged"):
        make_app(f"sqlite:///{path}", tmp_path)
    monkeypatch.setenv("REGISTRY_DATABASE_URL", f"sqlite:///{path}")
    monkeypatch.setenv("REGISTRY_INSTANCE_PATH", str(tmp_path))
    result = CliRunner().invoke(main, ["serve", "--port", "1"])
    assert result.exit_code == 1
    assert "damaged" in result.output and "Traceback" not in result.output


# --- 9. CSV cells never run as formulas ----------------------------------------------

@pytest.mark.parametrize("text", ["=1+1", "+cmd|' /C calc'!A0", "-2+3", "@SUM(A1)",
                                  "\t=1+1", "\r=1+1", "=HYPERLINK(\"http://x\")"])
def test_csv_cells_starting_a_formula_are_neutralised(text: str) -> None:
    assert safe_cell(text) == "'" + text


@pytest.mark.parametrize("text", ["-5", "+3.25", "-1e3", "plain", "", "a=b"])
def test_csv_numbers_and_plain_text_stay(text: str) -> None:
    assert safe_cell(text) == text


# --- 1. slow SPARQL runs in a bounded pool -------------------------------------------

class _SmallGraph:
    """A graph the pool can load: 300 triples under one base."""

    base = "https://registry.example.org/"

    def __init__(self) -> None:
        from registry.linked_data.derived import Chunk

        data = b"".join(f"<urn:s{i}> <urn:p> <urn:o{i}> .\n".encode() for i in range(300))
        self.chunks = {"all": Chunk.of("all", data)}


def test_a_full_sparql_queue_is_refused_at_once_with_retry_after() -> None:
    pool = SparqlPool(size=1, timeout=60.0, waiting=0)
    graph = _SmallGraph()
    admitted = threading.Event()
    done = threading.Event()

    def slow() -> None:
        # 300 triples three times over: 27 million rows to count, seconds of work.
        while not done.is_set():
            try:
                admitted.set()
                pool.run(graph, QueryRequest(SLOW_QUERY))
                return
            except SparqlError as exc:
                if exc.code != "busy":
                    return

    runner = threading.Thread(target=slow)
    try:
        pool.run(graph, QueryRequest("ASK { ?s ?p ?o }"))  # the worker is up and loaded
        runner.start()
        admitted.wait()
        refused = None
        while refused is None and runner.is_alive():
            try:
                pool.run(graph, QueryRequest("ASK { ?s ?p ?o }"))
            except SparqlError as exc:
                refused = exc
        assert refused is not None, "the slow query ended before a second was refused"
        assert refused.status == 503 and refused.code == "busy"
        assert refused.retry_after is not None and refused.retry_after >= 1
    finally:
        done.set()
        pool.close()
        if runner.ident is not None:
            runner.join(60)
