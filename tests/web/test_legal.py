"""The legal layer over HTTP: /api/legal, the pages, RDF, the catalogue health page."""

from __future__ import annotations

import orjson
import pytest
from rdflib import RDF, Graph, URIRef

from registry.storage.tokens import create_token
from tests.web.pagecheck import assert_plain_page

ELI = "http://data.europa.eu/eli/ontology#"


def test_list_filters_and_searches(read_client, catalogue):
    body = read_client.get("/api/legal?per_page=500").get_json()
    assert body["total"] == len(catalogue.legal) >= 15
    assert {a["id"] for a in body["legal"]} == set(catalogue.legal)
    brussels = read_client.get("/api/legal?jurisdiction=BE-BRU").get_json()["legal"]
    assert brussels and all(a["jurisdiction"] == "BE-BRU" for a in brussels)
    found = read_client.get("/api/legal?q=interoperable").get_json()["legal"]
    assert [a["id"] for a in found] == ["interoperable-europe-act"]
    # French words find the act too: the search covers every language.
    found = read_client.get("/api/legal?q=accessibilit%C3%A9%20sites").get_json()["legal"]
    assert "web-accessibility-directive" in {a["id"] for a in found}


@pytest.mark.parametrize(("query", "parameter"), [
    ("jurisdiction=FR", "jurisdiction"), ("type=treaty", "type"), ("colour=red", "colour"),
    ("per_page=0", "per_page")])
def test_bad_filters_answer_400_naming_the_parameter(read_client, query, parameter):
    response = read_client.get(f"/api/legal?{query}")
    assert response.status_code == 400
    assert response.get_json()["error"]["detail"]["parameter"] == parameter


def test_detail_links_both_ways(read_client):
    body = read_client.get("/api/legal/web-accessibility-directive").get_json()
    assert body["legal"]["eli"] == "http://data.europa.eu/eli/dir/2016/2102/oj"
    assert {"wcag-2-1", "en-301-549"} <= {s["id"] for s in body["standards"]}
    assert [s["id"] for s in body["requires"]] == ["en-301-549"]
    assert "inclusion-accessibility" in {p["id"] for p in body["principles"]}
    eidas = read_client.get("/api/legal/eidas-regulation").get_json()
    assert [a["id"] for a in eidas["amended_by"]] == ["european-digital-identity-regulation"]
    standard = read_client.get("/api/standards/wcag-2-1").get_json()
    assert "web-accessibility-directive" in {a["id"] for a in standard["mandated_by"]}
    missing = read_client.get("/api/legal/no-such-act")
    assert missing.status_code == 404
    assert "/api/legal" in missing.get_json()["error"]["message"]


def test_every_route_is_in_the_openapi_document(read_client):
    paths = read_client.get("/openapi.json").get_json()["paths"]
    assert {"get"} <= set(paths["/api/legal"])
    assert {"get", "put"} <= set(paths["/api/legal/{record_id}"])


@pytest.mark.parametrize("lang", ["en", "fr", "nl"])
def test_pages_in_three_languages(read_client, lang):
    listing = read_client.get(f"/legal?lang={lang}")
    assert_plain_page(listing)
    html = listing.get_data(as_text=True)
    assert f'lang="{lang}"' in html
    word = {"en": "Legal acts", "fr": "Actes juridiques", "nl": "Rechtshandelingen"}[lang]
    assert word in html
    act = read_client.get(f"/legal/gdpr?lang={lang}")
    assert_plain_page(act)
    text = act.get_data(as_text=True)
    assert "http://data.europa.eu/eli/reg/2016/679/oj" in text
    assert {"en": "Sources", "fr": "Sources", "nl": "Bronnen"}[lang] in text
    standard = read_client.get(f"/standards/wcag-2-1?lang={lang}").get_data(as_text=True)
    why = {"en": "Why it is mandatory", "fr": "Pourquoi elle est obligatoire",
           "nl": "Waarom ze verplicht is"}[lang]
    assert why in standard and "/legal/web-accessibility-directive" in standard
    assert read_client.get(f"/legal/no-such-act?lang={lang}").status_code == 404
    bad = read_client.get(f"/legal?jurisdiction=XX&lang={lang}")
    assert bad.status_code == 400


def test_a_mandatory_standard_without_a_legal_basis_says_so(read_client):
    html = read_client.get("/standards/ngsi-ld").get_data(as_text=True)
    assert "No law requires it" in html


def test_catalogue_health_page(read_client):
    page = read_client.get("/lint?as_of=2026-12-06")
    assert_plain_page(page)
    assert "Nothing to fix" in page.get_data(as_text=True)
    due = read_client.get("/lint?as_of=2028-01-01").get_data(as_text=True)
    assert "review-due" in due and "/legal/gdpr" in due
    assert read_client.get("/lint?as_of=soon").status_code == 400


def test_rdf_of_an_act_and_of_the_dataset(read_client, catalogue):
    answer = read_client.get("/legal/gdpr", headers={"Accept": "text/turtle"})
    assert answer.status_code == 200 and answer.mimetype == "text/turtle"
    graph = Graph().parse(data=answer.get_data(as_text=True), format="turtle")
    subjects = set(graph.subjects(RDF.type, URIRef(ELI + "LegalResource")))
    assert len(subjects) == 1 and str(next(iter(subjects))).endswith("/legal/gdpr")
    dataset = read_client.get("/legal.nt")
    assert dataset.status_code == 200
    graph = Graph().parse(data=dataset.get_data(as_text=True), format="nt")
    assert len(set(graph.subjects(RDF.type, URIRef(ELI + "LegalResource")))) == \
        len(catalogue.legal)
    dcat = read_client.get("/dcat.ttl").get_data(as_text=True)
    assert "api/legal" in dcat


def test_architects_write_legal_acts_with_revisions(client, app):
    store = app.extensions["registry"].store
    secret, _ = create_token(store, role="architect", organisations=[], name="Ann")
    headers = {"Authorization": f"Bearer {secret}"}
    response = client.get("/api/legal/gdpr")
    record = {**response.get_json()["legal"], "applies_from": "2018-05-26"}
    changed = client.put("/api/legal/gdpr", data=orjson.dumps(record),
                         content_type="application/json",
                         headers={**headers, "If-Match": response.headers["ETag"]})
    assert changed.status_code == 200, changed.get_json()
    assert changed.headers["Location"] == "/api/legal/gdpr"
    assert client.get("/api/legal/gdpr").get_json()["legal"]["applies_from"] == "2018-05-26"
    # A link to a standard that does not exist is refused, and nothing is stored.
    bad = {**record, "requires": ["no-such-standard"]}
    etag = client.get("/api/legal/gdpr").headers["ETag"]
    refused = client.put("/api/legal/gdpr", data=orjson.dumps(bad),
                         content_type="application/json", headers={**headers, "If-Match": etag})
    assert refused.status_code == 422
    assert "requires" not in client.get("/api/legal/gdpr").get_json()["legal"]
    anonymous = client.put("/api/legal/gdpr", data=orjson.dumps(record),
                           content_type="application/json")
    assert anonymous.status_code == 401
