"""Fixtures: an app per database backend (SQLite always, PostgreSQL when configured)."""

from __future__ import annotations

import atexit
import ipaddress
import os
import shutil
import socket
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from registry.catalogue.files import load_catalogue, shipped_root
from registry.catalogue.snapshot import Catalogue
from registry.storage.scratch import scratch_schema
from tests.helpers import NetworkRefused, make_app

# Tests start from an empty roadmap (their counts and assertions assume it), and so do the
# servers they start as subprocesses; tests/test_examples.py turns the loading on.
os.environ["REGISTRY_LOAD_EXAMPLES"] = "0"
# The catalogue cache (registry.catalogue.cache) of the tests and of the commands and
# servers they start lives in a folder of this session, never in the user's cache.
_CACHE = tempfile.mkdtemp(prefix="registry-test-cache-")
os.environ["REGISTRY_CACHE_DIR"] = _CACHE
atexit.register(shutil.rmtree, _CACHE, ignore_errors=True)
PG_URL = os.environ.get("REGISTRY_TEST_DATABASE_URL", "")
BACKENDS = ["sqlite", "postgresql"] if PG_URL else ["sqlite"]
ROOT = Path(__file__).resolve().parents[1]


def _database(backend: str, folder: Path) -> Iterator[str]:
    """Yield the URL of an empty database of its own, and remove it afterwards."""
    if backend == "sqlite":
        yield f"sqlite:///{folder / 'registry.sqlite'}"
        return
    # One schema per test keeps PostgreSQL tests isolated without a database per test.
    with scratch_schema(PG_URL, "t_") as url:
        yield url


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """Yield an empty database of each backend, isolated for one test."""
    yield from _database(request.param, tmp_path)


def _app_on(url: str, folder: Path) -> Iterator[Any]:
    """Yield an app on a database, and close its connections afterwards."""
    app = make_app(url, folder)
    yield app
    app.extensions["registry"].store.engine.dispose()


@pytest.fixture
def app(database_url: str, tmp_path: Path):
    """Yield an app of its own (writes allowed), on each backend."""
    yield from _app_on(database_url, tmp_path)


@pytest.fixture
def client(app):
    """Return a test client of a fresh app."""
    return app.test_client()


@pytest.fixture(scope="module", params=BACKENDS)
def read_app(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):
    """Yield an app shared by a module's read-only tests, on each backend."""
    folder = tmp_path_factory.mktemp("read")
    for url in _database(request.param, folder):
        yield from _app_on(url, folder)


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


def _loopback(address: Any) -> bool:
    host = address[0] if isinstance(address, tuple) else address
    if not isinstance(host, str):
        return True  # AF_UNIX paths (the SPARQL workers' pipes) and the like
    if host in ("localhost", ""):
        return True
    try:
        return ipaddress.ip_address(host.split("%")[0]).is_loopback
    except ValueError:
        return False  # a host name other than localhost: it would need DNS


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Make connecting to anything but this machine (and resolving names) raise."""
    real_connect = socket.socket.connect
    real_getaddrinfo = socket.getaddrinfo

    def connect(self: socket.socket, address: Any) -> Any:
        if self.family in (socket.AF_INET, socket.AF_INET6) and not _loopback(address):
            raise NetworkRefused(f"a test tried to connect to {address!r}")
        return real_connect(self, address)

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        if host is not None and not _loopback((host,)):
            raise NetworkRefused(f"a test tried to resolve {host!r}")
        return real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    yield
