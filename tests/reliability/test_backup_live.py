"""`registry backup` beside a real server under write load; `registry restore` elsewhere.

A gunicorn server takes writes from client threads (read, change, PUT with If-Match)
while `registry backup` runs as a process of its own. The archive is restored with
`registry restore` (also its own process) into an empty SQLite file and, when
PostgreSQL is configured, an empty PostgreSQL schema. Each restored database must hold
one instant of the source: every acknowledged write made before the backup began,
whole (record, revision, audit event), and nothing half-written.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from registry.storage import Store
from tests.reliability.harness import (
    BACKENDS,
    ROOT,
    Ledger,
    Server,
    fresh_database,
    prepare_store,
    report,
    setup_targets,
    write_loop,
)
from tests.storage.moves import check_consistent

pytestmark = pytest.mark.slow

CLIENTS = 4


def registry(url: str, instance: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run the `registry` command in a process of its own."""
    env = {**os.environ, "REGISTRY_DATABASE_URL": url, "REGISTRY_INSTANCE_PATH": str(instance)}
    command = [sys.executable, "-c", "from registry.cli import main; main()", *args]
    return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=600)


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_backup_beside_a_busy_server_restores_every_acknowledged_write(
        backend: str, tmp_path: Path) -> None:
    archive = tmp_path / "live.tar.gz"
    with fresh_database(backend, tmp_path) as database:
        tokens = prepare_store(database, tmp_path / "instance")
        server = Server(database, tmp_path, workers=2)
        ledger = Ledger()
        stop = threading.Event()
        threads: list[threading.Thread] = []
        try:
            server.start()
            targets = setup_targets(server.port, tokens, ledger)
            threads = [threading.Thread(
                target=write_loop, args=(server.port, targets, tokens, ledger),
                kwargs={"name": f"c{i}", "stop": stop, "seed": i}, daemon=True)
                for i in range(CLIENTS)]
            for thread in threads:
                thread.start()
            deadline = time.monotonic() + 300
            while len(ledger.acked) < 30 and time.monotonic() < deadline:
                time.sleep(0.05)
            before = len(ledger.acked)
            made = registry(database.url, tmp_path / "instance", "backup", str(archive))
            during = ledger.acked_since(before)
        finally:
            stop.set()
            for thread in threads:
                thread.join(timeout=120)
            server.stop()
        assert made.returncode == 0, made.stderr
        assert not ledger.unexpected, report(ledger.unexpected, server)
        assert during > 0, "no write was acknowledged while the backup ran"
        acknowledged = ledger.acked[:before]

    targets = ["sqlite", *(["postgresql"] if "postgresql" in BACKENDS else [])]
    for target in targets:
        folder = tmp_path / f"restore-{target}"
        folder.mkdir()
        with fresh_database(target, folder) as copy:
            restored = registry(copy.url, folder / "instance", "restore", str(archive))
            assert restored.returncode == 0, restored.stderr
            store = Store(copy.url)
            try:
                check_consistent(store)
                for write in acknowledged:
                    history = {r["revision"]: r["data"]
                               for r in store.revisions(write.kind, write.id)}
                    assert history.get(write.revision) == write.data, (
                        f"{target}: acknowledged {write.kind} {write.id} revision "
                        f"{write.revision} is missing or different after the restore")
            finally:
                store.engine.dispose()
