"""Fixtures of the validation tests: the spec's example sheet and a tiny catalogue."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from registry.catalogue.snapshot import Catalogue
from registry.documents.parse import parse_document

DATA = Path(__file__).resolve().parents[1] / "data"
EXAMPLE_PATH = DATA / "valid" / "spec-example.yaml"
EXAMPLE_TEXT = EXAMPLE_PATH.read_text(encoding="utf-8")
_EXAMPLE = parse_document(EXAMPLE_TEXT).value


@pytest.fixture
def example_text() -> str:
    """Return the spec's example sheet, verbatim."""
    return EXAMPLE_TEXT


@pytest.fixture
def example() -> dict[str, Any]:
    """Return the spec's example sheet as data, a fresh copy per test."""
    return copy.deepcopy(_EXAMPLE)


def _vocabulary(scheme: str, ids: list[str]) -> dict[str, Any]:
    return {"id": scheme, "title": {"en": scheme}, "description": {"en": scheme},
            "concepts": [{"id": i, "label": {"en": i}, "definition": {"en": i}} for i in ids]}


def tiny_catalogue() -> Catalogue:
    """Return a catalogue with just what the spec's example refers to."""
    vocabularies = [
        _vocabulary("domains", ["economy", "people", "governance", "mobility", "environment",
                                "living"]),
        _vocabulary("data-themes", ["TRAN", "ENVI", "GOVE"]),
        _vocabulary("organisations", ["brussels-mobility", "stib-mivb", "paradigm",
                                      "brussels-environment"]),
        _vocabulary("capabilities", ["context-data-management", "open-data-publication",
                                     "geospatial-reference-data", "traffic-forecasting",
                                     "data-exchange", "web-user-interface"]),
        _vocabulary("data-entities", ["TrafficFlowObserved", "OffStreetParking"]),
        _vocabulary("standard-categories", ["data"]),
    ]

    def standard(ident: str, status: str, applies_to: list[str],
                 replaced_by: str | None = None) -> dict[str, Any]:
        record: dict[str, Any] = {"id": ident, "title": {"en": ident}, "acronym": ident,
                                  "status": status, "applies_to": applies_to,
                                  "category": "data", "principles": []}
        if replaced_by:
            record["replaced_by"] = replaced_by
        return record

    standards = [
        standard("ngsi-ld", "mandatory", ["context-data-management"]),
        standard("dcat-ap", "mandatory", ["open-data-publication"]),
        standard("wcag-2-1", "mandatory", ["web-user-interface"]),
        standard("dcat-ap-2", "deprecated", [], "dcat-ap"),
    ]
    components = [
        {"id": "fidus", "name": {"en": "FIDUS"}, "owner": "paradigm", "status": "active",
         "provides": ["data-exchange"], "implements": []},
        {"id": "urbis", "name": {"en": "UrbIS"}, "owner": "paradigm", "status": "active",
         "provides": ["geospatial-reference-data"], "implements": []},
    ]
    return Catalogue(standards=standards, components=components, vocabularies=vocabularies,
                     version="tiny")


@pytest.fixture(scope="session")
def tiny() -> Catalogue:
    """Return the tiny catalogue (shared: a snapshot is immutable)."""
    return tiny_catalogue()
