"""Fixtures of the linked-data tests: no network, the shipped catalogue, example sheets."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from registry.documents.parse import parse_document

ROOT = Path(__file__).resolve().parents[2]
SKOS_DATA = ROOT / "tests" / "data" / "skos"
EXAMPLES = sorted((ROOT / "examples").glob("*.yaml"))


@pytest.fixture(autouse=True)
def _guard(no_network: None) -> None:
    """Every test of this package runs without network."""


@pytest.fixture(scope="session")
def example_sheets() -> list[dict[str, Any]]:
    """Return the example roadmap's sheets."""
    return [parse_document(path.read_bytes()).value for path in EXAMPLES]


@pytest.fixture(scope="session")
def example_projects(example_sheets: list[dict[str, Any]]) -> list[Any]:
    """Return the example sheets as stored projects (what GraphBuilder reads)."""
    return [SimpleNamespace(id=s["id"], sheet=s, revision=1, digest=f"d-{s['id']}",
                            updated_at=None) for s in example_sheets]
