"""The shipped catalogue holds what the project-sheet contract relies on, fully filled."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from registry.catalogue.files import read_records, shipped_root

# The contract's required ids, kept as the project's own test data (tests/data/README.md).
REQUIRED = json.loads((Path(__file__).resolve().parents[1] / "data" /
                       "required-ids.json").read_text(encoding="utf-8"))
LANGS = ("en", "fr", "nl")


def test_every_shipped_record_passes_its_schema_and_links(catalogue):
    # load_catalogue raises on any schema problem or broken link, so reaching here
    # means every file is valid; the counts are the minimums.
    assert len(catalogue.standards) >= 40
    assert len(catalogue.components) >= 15
    assert len(catalogue.principles) == 18
    assert set(catalogue.vocabularies) >= {"organisations", "domains", "data-themes",
                                           "capabilities", "data-entities",
                                           "standard-categories"}


@pytest.mark.parametrize("expected", REQUIRED["standards"], ids=lambda s: s["id"])
def test_contract_standards_have_exactly_the_spec_status_and_links(catalogue, expected):
    record = catalogue.standards[expected["id"]]
    assert record["status"] == expected["status"]
    assert sorted(record["applies_to"]) == sorted(expected.get("applies_to", []))
    assert record.get("replaced_by") == expected.get("replaced_by")


@pytest.mark.parametrize("expected", REQUIRED["components"], ids=lambda c: c["id"])
def test_contract_components_have_exactly_the_spec_status_and_capabilities(catalogue,
                                                                           expected):
    record = catalogue.components[expected["id"]]
    assert record["status"] == expected["status"]
    assert sorted(record["provides"]) == sorted(expected["provides"])


@pytest.mark.parametrize("scheme", sorted(REQUIRED["vocabularies"]))
def test_contract_concepts_exist_with_three_languages(catalogue, scheme):
    concepts = catalogue.concepts[scheme]
    for concept_id in REQUIRED["vocabularies"][scheme]:
        concept = concepts[concept_id]
        assert all(concept.label.get(lang) for lang in LANGS), concept_id
        assert all(concept.definition.get(lang) for lang in LANGS), concept_id


def test_data_themes_match_the_eu_authority_table(catalogue):
    for code, concept in catalogue.concepts["data-themes"].items():
        assert concept.exact_match == (
            f"http://publications.europa.eu/resource/authority/data-theme/{code}",)


def test_every_standard_fills_every_field(catalogue):
    for record in catalogue.standards.values():
        for field in ("acronym", "version", "body", "url", "category", "layer",
                      "status_since"):
            assert record[field], (record["id"], field)
        assert record["principles"], record["id"]
        if record["status"] != "deprecated":
            assert record["applies_to"], record["id"]
        assert all(record["title"][lang] for lang in LANGS)


def test_principles_are_in_togaf_form_in_three_languages(catalogue):
    eif = [p for p in catalogue.principles.values() if p["source"] == "eif"]
    brussels = {p["id"] for p in catalogue.principles.values() if p["source"] == "brussels"}
    assert len(eif) == 12 and sorted(p["number"] for p in eif) == list(range(1, 13))
    assert brussels == {"transversality", "pooling-and-reuse", "digital-inclusion",
                        "european-dimension", "governance-performance", "once-only"}
    for p in catalogue.principles.values():
        for field in ("name", "statement", "rationale", "implications"):
            assert all(p[field][lang] for lang in LANGS), (p["id"], field)


def test_file_names_match_ids():
    records = read_records([shipped_root()])
    assert sum(len(v) for v in records.values()) > 90
