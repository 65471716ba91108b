"""Fixtures: an app per database backend (SQLite always, PostgreSQL when configured)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine

from registry import create_app
from registry.catalogue.files import load_catalogue, shipped_root
from registry.catalogue.snapshot import Catalogue

# Tests start from an empty roadmap (their counts and assertions assume it), and so do the
# servers they start as subprocesses; tests/test_examples.py turns the loading on.
os.environ["REGISTRY_LOAD_EXAMPLES"] = "0"
PG_URL = os.environ.get("REGISTRY_TEST_DATABASE_URL", "")
BACKENDS = ["sqlite", "postgresql"] if PG_URL else ["sqlite"]
ROOT = Path(__file__).resolve().parents[1]


def _database(backend: str, folder: Path) -> Iterator[str]:
    """Yield the URL of an empty database of its own, and remove it afterwards."""
    if backend == "sqlite":
        yield f"sqlite:///{folder / 'registry.sqlite'}"
        return
    # One schema per test keeps PostgreSQL tests isolated without a database per test.
    schema = "t_" + uuid.uuid4().hex[:16]
    engine = create_engine(PG_URL)
    with engine.begin() as connection:
        connection.exec_driver_sql(f"CREATE SCHEMA {schema}")
    try:
        separator = "&" if "?" in PG_URL else "?"
        yield f"{PG_URL}{separator}options=-csearch_path%3D{schema}"
    finally:
        with engine.begin() as connection:
            connection.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")
        engine.dispose()


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """Yield an empty database of each backend, isolated for one test."""
    yield from _database(request.param, tmp_path)


def make_app(url: str, instance: Path, **extra: object):
    """Create an app on a database, loading the shipped catalogue."""
    return create_app({"DATABASE_URL": url, "INSTANCE_PATH": str(instance),
                       "TESTING": True, "SNAPSHOT_TTL": 0.0, **extra})


@pytest.fixture
def app(database_url: str, tmp_path: Path):
    """Yield an app of its own (writes allowed), on each backend."""
    app = make_app(database_url, tmp_path)
    yield app
    app.extensions["registry"].store.engine.dispose()


@pytest.fixture
def client(app):
    """Return a test client of a fresh app."""
    return app.test_client()


@pytest.fixture(scope="module", params=BACKENDS)
def read_app(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):
    """Yield an app shared by a module's read-only tests, on each backend."""
    folder = tmp_path_factory.mktemp("read")
    for url in _database(request.param, folder):
        app = make_app(url, folder)
        yield app
        app.extensions["registry"].store.engine.dispose()


@pytest.fixture
def read_client(read_app):
    """Return a test client of the shared read-only app."""
    return read_app.test_client()


@pytest.fixture(scope="session")
def catalogue() -> Catalogue:
    """Return the shipped catalogue, read straight from the YAML files."""
    return load_catalogue(shipped_root())


@pytest.fixture
def run(database_url, tmp_path, monkeypatch):
    """Return a function running the `registry` command on a database of its own."""
    from click.testing import CliRunner

    from registry.cli import main
    from registry.storage import Store

    monkeypatch.setenv("REGISTRY_DATABASE_URL", database_url)
    monkeypatch.setenv("REGISTRY_INSTANCE_PATH", str(tmp_path / "instance"))
    runner = CliRunner()

    def invoke(*args: str):
        return runner.invoke(main, list(args), catch_exceptions=False)

    yield invoke
    Store(database_url).engine.dispose()
