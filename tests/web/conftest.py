"""Fixtures of the web tests."""

from __future__ import annotations

from typing import Any

import pytest


@pytest.fixture
def store(app: Any) -> Any:
    """Return the store of the test's own app."""
    return app.extensions["registry"].store
