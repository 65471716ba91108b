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
    # means every file is valid; the counts are the issue's minimums.
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


# Capabilities that no active component of the catalogue provides, kept on purpose: no
# real Brussels or federal building block offers them to other projects today (the
# regional context broker, for one, is still to be built). A new provider, or a new
# capability without one, changes this list deliberately.
INTENDED_GAPS = {
    "algorithmic-transparency", "context-data-management", "data-analytics",
    "ev-charging-data", "marketplace-transactions", "mobile-app", "personal-data-consent",
    "personal-data-processing", "public-api", "records-preservation",
    "secure-communication", "sensor-data-ingestion", "shared-mobility-data",
    "traffic-forecasting", "web-user-interface",
}


def test_capabilities_without_a_provider_are_the_intended_gaps(catalogue):
    active = {cid for cid, c in catalogue.components.items() if c["status"] == "active"}
    gaps = {cid for cid, concept in catalogue.concepts["capabilities"].items()
            if not concept.deprecated
            and not set(catalogue.components_by_capability.get(cid, ())) & active}
    assert gaps == INTENDED_GAPS


def test_the_issue_capability_links_hold(catalogue):
    provides = {cid: set(c["provides"]) for cid, c in catalogue.components.items()}
    assert {"identity-authentication", "electronic-signature"} <= provides["itsme"]
    assert "e-invoicing" in provides["mercurius"]
    assert "geospatial-data-publication" in provides["geoportal"]
    assert "data-exchange" in provides["federal-service-bus"]
    assert "public-transport-data" in provides["stib-open-data"]


def test_counts_of_the_second_edition(catalogue):
    assert len(catalogue.standards) >= 75
    assert len(catalogue.components) >= 30
    assert len(catalogue.legal) >= 15


def test_every_record_is_sourced_trilingual_and_reviewed():
    records = read_records([shipped_root()])
    text_fields = {"standard": ("title", "description"), "principle": ("name", "statement"),
                   "component": ("name", "description", "reuse_conditions"),
                   "legal": ("title", "description"), "vocabulary": ("title", "description")}
    for kind, items in records.items():
        for record in items:
            where = (kind, record["id"])
            assert record["sources"] and all(s["url"].startswith(("http://", "https://"))
                                             for s in record["sources"]), where
            assert record["reviewed"] >= "2026-11-01", where
            for field in text_fields[kind]:
                assert all(record[field][lang].strip() for lang in LANGS), (where, field)


def test_legal_acts_have_their_dates_jurisdiction_and_identifier(catalogue):
    assert {a["jurisdiction"] for a in catalogue.legal.values()} == {"EU", "BE", "BE-BRU"}
    for act in catalogue.legal.values():
        assert act["adopted"] <= act.get("applies_from", act["adopted"]), act["id"]
        if act["jurisdiction"] == "EU":
            assert act["eli"].startswith("http://data.europa.eu/eli/"), act["id"]
    # Every act is used: it mandates or motivates a standard or a principle, or amends one.
    used = set(catalogue.standards_by_legal) | set(catalogue.principles_by_legal)
    used |= {a for act in catalogue.legal.values() for a in act.get("amends", ())}
    amending = {act["id"] for act in catalogue.legal.values() if act.get("amends")}
    assert set(catalogue.legal) - used - amending == set()


# The Dutch names as Annex 2 of COM(2017) 134 gives them on EUR-Lex ("Onderliggend
# principe 1" to "12", section 2; https://eur-lex.europa.eu/legal-content/NL/TXT/?uri=
# CELEX%3A52017DC0134), capitalised as a name.
EIF_NL = {1: "Subsidiariteit en evenredigheid", 2: "Openheid", 3: "Transparantie",
          4: "Herbruikbaarheid", 5: "Technologische neutraliteit en gegevensportabiliteit",
          6: "Gebruikersgerichtheid", 7: "Inclusiviteit en toegankelijkheid",
          8: "Veiligheid en privacy", 9: "Meertaligheid", 10: "Administratieve vereenvoudiging",
          11: "Behoud van informatie", 12: "Beoordelen van doeltreffendheid en efficiëntie"}
# The French names follow BELGIF's eif3.ttl, the wording Belgian administrations use: no
# stored copy of the French Annex 2 on EUR-Lex showed a name that differs from it.


def _belgif_principles() -> dict[int, dict[str, str]]:
    """Return the names of BELGIF's EIF principles (vendored eif3.ttl) by number."""
    from rdflib import Graph, URIRef
    from rdflib.namespace import SKOS

    graph = Graph().parse(Path(__file__).resolve().parents[1] / "data" / "skos" / "belgif" /
                          "eif3.ttl", format="turtle")
    scheme = URIRef("http://www.belgif.be/id/eif3/principle/")
    names: dict[int, dict[str, str]] = {}
    for concept in graph.subjects(SKOS.inScheme, scheme):
        number = int(graph.value(concept, SKOS.notation))
        names[number] = {label.language: str(label)
                         for label in graph.objects(concept, SKOS.prefLabel)}
    return names


def test_eif_principle_names_follow_the_official_translations(catalogue):
    eif = {p["number"]: p for p in catalogue.principles.values() if p["source"] == "eif"}
    assert {n: p["name"]["nl"] for n, p in eif.items()} == EIF_NL
    belgif = _belgif_principles()
    assert len(belgif) == 12
    for number, principle in eif.items():
        theirs = belgif[number]
        assert principle["name"]["en"] == theirs["en"]
        assert principle["name"]["nl"] == theirs["nl"]  # EUR-Lex and BELGIF agree in Dutch
        assert principle["name"]["fr"] == theirs["fr"], principle["id"]
    names = {pid: p["name"] for pid, p in catalogue.principles.items()}
    assert names["reusability"]["fr"] == "Possibilité de réutilisation"
    assert names["user-centricity"]["fr"] == "Approche centrée sur l'utilisateur"
    # once-only is not one of the strategy's five conditions: it comes from the ordinance.
    once = catalogue.principles["once-only"]
    assert "number" not in once and "brussels-once-only-ordinance" in once["mandated_by"]
