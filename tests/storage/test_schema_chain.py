"""The migrations and the database's revision read without Alembic (storage.schema_chain)
say what Alembic says, and a production app's start-up no longer imports Alembic."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from registry.storage import Store
from registry.storage.schema_chain import chain

SCRIPT = Store("sqlite://").script()
REVISIONS = [r.revision for r in reversed(list(SCRIPT.walk_revisions()))]
ROOT = Path(__file__).resolve().parents[2]


def alembic_pending(store: Store) -> list[str]:
    """The pending migrations as Alembic computes them (what the store did before)."""
    from alembic.runtime.migration import MigrationContext

    with store.engine.connect() as connection:
        heads = MigrationContext.configure(connection).get_current_heads()
    applied = {r.revision for r in SCRIPT.iterate_revisions(heads[0], "base")} \
        if heads else set()
    return [r for r in REVISIONS if r not in applied]


def test_the_chain_is_alembics() -> None:
    assert list(chain()) == REVISIONS


@pytest.mark.parametrize("revision", [None, *REVISIONS])
def test_pending_migrations_at_every_revision_agree_with_alembic(
        revision: str | None, database_url: str) -> None:
    store = Store(database_url)
    try:
        if revision is not None:
            store.migrate(revision)
        assert store.schema_revision() == revision
        assert store.pending_migrations() == alembic_pending(store)
        assert len(store.pending_migrations()) == \
            len(REVISIONS) - (REVISIONS.index(revision) + 1 if revision else 0)
    finally:
        store.engine.dispose()


def test_a_production_app_starts_without_importing_alembic(tmp_path: Path,
                                                           database_url: str) -> None:
    store = Store(database_url)
    store.migrate()
    store.engine.dispose()
    code = (
        "import sys\n"
        "from registry import create_app\n"
        f"app = create_app({{'DATABASE_URL': {database_url!r}, 'INSTANCE_PATH': "
        f"{str(tmp_path)!r}, 'PRODUCTION': True, 'REUSE_OVERLAP_JOB': True, "
        "'SECRET_KEY': 'k3J9x0Qv7Lm2Zp8Rt5Wy1Nb6Hc4Fd0Sa9Ge7Ui3Oo2', "
        "'BASE_IRI': 'https://registry.example.org/'})\n"
        "app.extensions['registry'].store.engine.dispose()\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('alembic', 'mako')))\n")
    ran = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                         text=True, timeout=120)
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout.strip().splitlines()[-1] == "[]"
