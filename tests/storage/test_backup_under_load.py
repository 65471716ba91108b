"""A backup taken while writers keep writing restores a whole, consistent registry.

Writer threads create and update projects (each write one transaction: record, revision,
audit event, roadmap counter) for the whole time a backup runs. The restored database
(into the other engine when PostgreSQL is configured) must hold a state the source held
at one instant: every record with all its revisions, the last one equal to the record,
one audit event per revision, and change counters equal to the revisions they count.
"""

from __future__ import annotations

import contextlib
import threading
from pathlib import Path

from registry.storage import Store
from registry.storage.backup import backup, restore
from registry.storage.tokens import create_token
from tests.conftest import _database
from tests.helpers import make_app
from tests.storage.moves import OTHER, answers, check_consistent, same

database = contextlib.contextmanager(_database)
WRITERS = 3
PREFILLED = 1000


def sheet(writer: int, n: int, version: int) -> dict:
    return {"id": f"load-{writer}-{n}", "title": {"en": f"Load {writer}/{n} v{version}"},
            "status": "proposed", "owner": {"organisation": "paradigm"},
            "version": version, "padding": "x" * 200}


class Writers:
    """Threads writing projects until stopped; `done` counts committed writes."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.done = 0
        self.errors: list[BaseException] = []
        self.threads = [threading.Thread(target=self.run, args=(w,)) for w in range(WRITERS)]

    def run(self, writer: int) -> None:
        store = Store(self.url)
        try:
            n = 0
            while not self.stop.is_set():
                stored = store.put("project", f"load-{writer}-{n}", sheet(writer, n, 1),
                                   author=f"writer {writer}", create_only=True)
                store.put("project", stored.id, sheet(writer, n, 2), author=f"writer {writer}",
                          if_match=stored.revision, message="second version")
                n += 1
                with self.lock:
                    self.done += 2
        except BaseException as exc:  # reported by the test, not lost in the thread
            self.errors.append(exc)
        finally:
            store.engine.dispose()

    def __enter__(self) -> Writers:
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(60)


def test_a_backup_under_write_load_restores_consistent(database_url: str,
                                                       tmp_path: Path) -> None:
    make_app(database_url, tmp_path).extensions["registry"].store.engine.dispose()
    store = Store(database_url)
    target_folder = tmp_path / "target"
    target_folder.mkdir()
    (tmp_path / "other").mkdir()
    try:
        # Enough rows that the backup takes a while (the writers run all along).
        store.import_records({"project": [sheet(9, n, 1) for n in range(PREFILLED)]},
                             author="prefill")
        secret, _ = create_token(store, role="office", organisations=[], name="office")
        secrets = {"office": secret}
        archive = tmp_path / "load.tar.gz"
        with Writers(database_url) as writers:
            while writers.done < 20 and not writers.errors:
                threading.Event().wait(0.01)
            started = writers.done
            backup(store, archive)
            ended = writers.done
        assert not writers.errors, writers.errors
        assert ended > started, "no write landed while the backup ran"

        source_counts = check_consistent(store)  # the source itself, after the load
        seen = {}
        with database("sqlite", target_folder) as url_a, \
                database(OTHER, tmp_path / "other") as url_b:
            for name, url in (("sqlite", url_a), (OTHER, url_b)):
                target = Store(url)
                try:
                    restore(target, archive)
                    restored = check_consistent(target)
                finally:
                    target.engine.dispose()
                app = make_app(url, target_folder)
                seen[name] = answers(app, secrets, filled=False)
                app.extensions["registry"].store.engine.dispose()
        # Both engines answer the same: the projects, every standard with its ETag, the
        # revisions of the projects written under load, the audit trail.
        assert seen["sqlite"].keys() == seen[OTHER].keys()
        for key in seen["sqlite"]:
            same(seen[OTHER][key], seen["sqlite"][key], key)
        # The snapshot is one instant between the start and the end of the backup (a
        # writer counts its writes just after committing them: allow two in flight each).
        base = source_counts["revisions"] - writers.done
        assert base + started <= restored["revisions"] <= base + ended + 2 * WRITERS
        assert restored["records"] >= PREFILLED
    finally:
        store.engine.dispose()
