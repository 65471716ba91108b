"""Fixtures of the read-model tests."""

from __future__ import annotations

import pytest

from registry.catalogue.files import read_records, shipped_root
from registry.storage import Store


@pytest.fixture
def store(database_url):
    """A migrated store holding the shipped catalogue, on each engine under test."""
    store = Store(database_url)
    store.migrate()
    store.import_records(read_records([shipped_root()]), author="test")
    yield store
    store.engine.dispose()
