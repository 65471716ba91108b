"""What a running registry holds: the store and the catalogue snapshot (no Flask)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from registry.catalogue.files import read_records, shipped_root
from registry.readmodel import ReadModel
from registry.readmodel.views import CatalogueView, RoadmapView
from registry.storage.store import Conflict, ImportResult, Store, default_url
from registry.storage.trouble import Timeouts

log = logging.getLogger("registry")


class DamagedStore(RuntimeError):
    """The database failed its integrity check: the registry must not serve from it."""


@dataclass
class Services:
    """The store and its read model, shared by the web app and the CLI."""

    store: Store
    readmodel: ReadModel
    snapshots: CatalogueView
    roadmap: RoadmapView
    settings: dict[str, Any]

    @classmethod
    def from_settings(cls, settings: dict[str, Any], instance_path: str) -> Services:
        """Open the store that the settings name (SQLite in the instance folder by default)."""
        if not settings["DATABASE_URL"]:
            Path(instance_path).mkdir(parents=True, exist_ok=True)
        store = Store(settings["DATABASE_URL"] or default_url(instance_path),
                      timeouts=Timeouts.from_settings(settings))
        model = ReadModel(store, ttl=settings["SNAPSHOT_TTL"])
        model.overlaps.enabled = bool(settings.get("REUSE_OVERLAP_JOB"))
        return cls(store, model, CatalogueView(model), RoadmapView(model), settings)

    def check_integrity(self) -> None:
        """Raise DamagedStore when the database file fails its quick check (SQLite)."""
        problems = self.store.integrity_problems()
        if problems:
            raise DamagedStore(f"the database {self.store.engine.url.database} is damaged "
                               f"({'; '.join(problems)}): restore it from a backup "
                               "(or run `sqlite3 FILE .recover`) before starting")

    def prepare(self) -> None:
        """Bring the database schema up to date and load the shipped catalogue if empty."""
        if self.settings.get("AUTO_MIGRATE", True):
            try:
                self.store.migrate()
            except Exception:
                # Another worker may have migrated at the same moment; only a schema
                # that is still behind is an error.
                if self.store.pending_migrations():
                    raise
        if self.settings["AUTO_IMPORT"] and self.store.count() == 0:
            try:
                result = self.import_shipped()
                log.info("imported the shipped catalogue: %d records", result.changed)
            except Conflict:
                log.info("another worker imported the shipped catalogue first")
                return
            if self.settings.get("LOAD_EXAMPLES") and not self.settings.get("PRODUCTION"):
                self.load_examples()

    def load_examples(self) -> int:
        """Load the example roadmap (first start only); return how many were stored."""
        from registry.projects import load_examples

        try:
            outcomes = load_examples(self.store, self.snapshots.get())
        except Conflict:  # another worker is loading them at the same moment
            return 0
        self.roadmap.invalidate()
        stored = sum(1 for o in outcomes if o.action in ("created", "updated"))
        log.info("loaded the example roadmap: %d projects (remove them with "
                 "`registry projects remove --examples`)", stored)
        return stored

    def import_shipped(self) -> ImportResult:
        """Import the catalogue shipped in the repository."""
        records = read_records([shipped_root()])
        result = self.store.import_records(records, author="registry (shipped catalogue)")
        self.snapshots.invalidate()
        return result


def reuse_thresholds(settings: dict[str, Any]) -> Any:
    """Return the reuse analysis thresholds from the REGISTRY_REUSE_* settings."""
    from dataclasses import fields

    from registry.analysis.reuse import Thresholds

    return Thresholds(**{f.name: settings[f"REUSE_{f.name.upper()}"]
                         for f in fields(Thresholds)
                         if f"REUSE_{f.name.upper()}" in settings})
