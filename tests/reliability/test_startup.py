"""A worker starting while another is migrating the same empty store still boots.

`gunicorn -w N 'registry:create_app()'` on a new store runs `create_app` in N worker
processes at the same moment; each applies the migrations and imports the shipped
catalogue when the store is empty (Services.prepare). A worker that fails to boot makes
gunicorn's master shut the whole server down ("Worker failed to boot"); on SQLite that
happened in about one start in six of `gunicorn -w 2` here (the second worker's
migration failed with "table records already exists" or "table alembic_version already
exists"), until Store.migrate took a lock (a file lock on SQLite, an advisory lock on
PostgreSQL). With Store.migrate as it was before, this test fails on SQLite every time.

Left to timing, the race is rare and its test flaky. Here it is made certain: the first
process is slowed down right after it creates the `records` table (an SQLAlchemy event
in that process only, as a descheduled worker or a slow disk would), and the second
starts while the first is in the middle of its migrations. Both must boot, and the
store must end up migrated and imported exactly once.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.reliability.harness import (
    BACKENDS,
    ROOT,
    Ledger,
    fresh_database,
    report,
    store_problems,
    stored_revisions,
)

pytestmark = pytest.mark.slow

PAUSE = 3.0  # seconds the first worker stays in the middle of its migrations
WAIT = 300.0  # seconds for a worker to boot; generous for a loaded CI machine

# argv: url, instance folder, role ("first" or "second"), pause. The second warms up
# (every import done) and says so; the first then starts, pauses after creating the
# records table and says so; the second starts on the store when that file appears.
WORKER = """
import os, re, sys, time, traceback
url, folder, role = sys.argv[1], sys.argv[2], sys.argv[3]
pausing = os.path.join(folder, "first-is-migrating")
if role == "first":
    while not os.path.exists(os.path.join(folder, "second-is-ready")):
        time.sleep(0.001)
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    @event.listens_for(Engine, "after_cursor_execute")
    def pause(conn, cursor, statement, parameters, context, executemany):
        if re.match(r'\\s*CREATE TABLE\\s+("?\\w+"?\\.)?"?records"?\\s', statement, re.I):
            open(pausing, "w").close()
            time.sleep(float(sys.argv[4]))
from registry import create_app
if role == "second":
    # Warm up on a scratch store first (every import done), so that the real start
    # comes while the first worker is still paused, however slow the machine.
    scratch = os.path.join(folder, "scratch")
    os.makedirs(scratch)
    warm = create_app({"DATABASE_URL": "sqlite:///" + os.path.join(scratch, "s.sqlite"),
                       "INSTANCE_PATH": scratch})
    warm.extensions["registry"].store.engine.dispose()
    open(os.path.join(folder, "second-is-ready"), "w").close()
    while not os.path.exists(pausing):
        time.sleep(0.001)
app = create_app({"DATABASE_URL": url, "INSTANCE_PATH": folder})
app.extensions["registry"].store.engine.dispose()
"""


def _error_line(stderr: str) -> str:
    """Return the last `SomeError: message` line of a traceback."""
    lines = [line for line in stderr.splitlines()
             if re.match(r"^[\w.]+(Error|Exception)\b", line)]
    return lines[-1] if lines else stderr[-300:]


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_worker_starting_during_another_workers_migration_boots(backend: str,
                                                                  tmp_path: Path) -> None:
    """Start a second worker while the first is mid-migration: both boot, one import."""
    folder = tmp_path / "instance"
    folder.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("REGISTRY_")}
    env["PYTHONPATH"] = str(ROOT)
    env["REGISTRY_CACHE_DIR"] = os.environ["REGISTRY_CACHE_DIR"]  # the session's (conftest)
    with fresh_database(backend, tmp_path) as database:
        logs = {role: tmp_path / f"{role}.stderr" for role in ("first", "second")}
        processes = {}
        try:
            for role, log in logs.items():
                with log.open("wb") as err:
                    processes[role] = subprocess.Popen(
                        [sys.executable, "-c", WORKER, database.url, str(folder), role,
                         str(PAUSE)], cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=err)
            deadline = time.monotonic() + WAIT
            while any(p.poll() is None for p in processes.values()):
                if (not (folder / "first-is-migrating").exists()
                        and processes["first"].poll() is not None):
                    break  # the first ended without reaching the pause: its log says why
                assert time.monotonic() < deadline, f"the workers did not boot in {WAIT:.0f} s"
                time.sleep(0.01)
        finally:
            for process in processes.values():
                if process.poll() is None:
                    process.kill()
                process.wait()
        assert (folder / "first-is-migrating").exists(), (
            "the first worker never created the records table:\n"
            + logs["first"].read_text(errors="replace")[-3000:])
        failed = {role: logs[role].read_text(errors="replace")
                  for role, p in processes.items() if p.returncode != 0}
        assert not failed, (
            f"{', '.join(failed)} worker(s) failed to boot on an empty {backend} store while "
            f"another was migrating it (gunicorn would shut the server down): "
            f"{ {role: _error_line(err) for role, err in failed.items()} }\n"
            + "\n".join(err[-3000:] for err in failed.values()))
        problems = store_problems(database, Ledger())
        revisions = stored_revisions(database)
        if not revisions or any(numbers != [1] for numbers in revisions.values()):
            problems.append("the shipped catalogue was not imported exactly once: "
                            f"{sorted(revisions.items())[:5]}")
        assert not problems, report(problems)
