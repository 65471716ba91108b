"""Fixtures of the storage tests."""

from __future__ import annotations

import pytest

from registry.storage import Store


@pytest.fixture
def store(database_url):
    """A migrated, empty store, on each engine under test."""
    store = Store(database_url)
    store.migrate()
    yield store
    store.engine.dispose()
