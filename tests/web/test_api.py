"""The read API: filters, pagination, errors, caching, and the OpenAPI document."""

from __future__ import annotations

import re

import pytest
from jsonschema import Draft202012Validator
from referencing import Registry, Resource

from registry.web.openapi import openapi_document


def conforms(body: object, schema_name: str) -> None:
    """Check a body against a schema of the OpenAPI document."""
    document = openapi_document()
    registry = Registry().with_resource("urn:openapi", Resource.from_contents(
        document, default_specification=__import__("referencing").jsonschema.DRAFT202012))
    schema = {"$ref": f"urn:openapi#/components/schemas/{schema_name}"}
    Draft202012Validator(schema, registry=registry).validate(body)


def test_list_standards_with_filters_and_total(read_client):
    body = read_client.get("/api/standards?status=mandatory").get_json()
    conforms(body, "StandardPage")
    assert body["total"] == len(body["standards"]) >= 5
    assert {s["status"] for s in body["standards"]} == {"mandatory"}
    ids = {s["id"] for s in body["standards"]}
    assert {"ngsi-ld", "dcat-ap", "wcag-2-1", "inspire", "en-16931"} <= ids


@pytest.mark.parametrize("query, expected", [
    ("applies_to=public-transport-data", {"gtfs", "netex"}),
    ("applies_to=identity-authentication&status=recommended", {"oidc"}),
    ("status=deprecated", {"dcat-ap-2", "wcag-2-0"}),
    ("status=candidate,deprecated&applies_to=web-user-interface", {"wcag-2-2"}),
])
def test_filters_combine(read_client, query, expected):
    body = read_client.get(f"/api/standards?{query}&per_page=500").get_json()
    assert {s["id"] for s in body["standards"]} >= expected
    if "applies_to" in query:
        capability = query.split("applies_to=")[1].split("&")[0]
        assert all(capability in s["applies_to"] for s in body["standards"])


def test_full_text_search_reads_every_language(read_client):
    french = read_client.get("/api/standards?q=accessibilit%C3%A9").get_json()
    dutch = read_client.get("/api/standards?q=toegankelijkheid").get_json()
    assert french["total"] >= 1 and dutch["total"] >= 1


def test_body_and_layer_filters(read_client):
    body = read_client.get("/api/standards?body=w3c&per_page=500").get_json()
    assert body["total"] >= 3
    assert all("w3c" in s["body"].lower() for s in body["standards"])
    legal = read_client.get("/api/standards?layer=legal&per_page=500").get_json()
    assert all(s["layer"] == "legal" for s in legal["standards"])


def test_pagination(read_client):
    everything = read_client.get("/api/standards?per_page=500").get_json()
    page2 = read_client.get("/api/standards?per_page=10&page=2").get_json()
    assert page2["total"] == everything["total"]
    assert page2["standards"] == everything["standards"][10:20]
    assert page2["page"] == 2 and page2["per_page"] == 10


@pytest.mark.parametrize("query, param", [
    ("status=obligatory", "status"),
    ("layer=physical", "layer"),
    ("applies_to=teleportation", "applies_to"),
    ("per_page=501", "per_page"),
    ("per_page=0", "per_page"),
    ("page=-1", "page"),
    ("page=abc", "page"),
    ("stauts=mandatory", "stauts"),
    ("status=", "status"),
    ("status=mandatory&status=candidate", "status"),
])
def test_bad_parameters_are_400_naming_the_parameter(read_client, query, param):
    response = read_client.get(f"/api/standards?{query}")
    assert response.status_code == 400
    body = response.get_json()
    conforms(body, "Error")
    assert body["error"]["detail"]["parameter"] == param
    assert param in body["error"]["message"]


def test_bad_enum_lists_the_allowed_values(read_client):
    body = read_client.get("/api/standards?status=obligatory").get_json()
    assert body["error"]["detail"]["allowed"] == ["mandatory", "recommended", "candidate",
                                                   "deprecated"]


def test_standard_detail_links_principles_components_and_history(read_client):
    body = read_client.get("/api/standards/dcat-ap").get_json()
    conforms(body, "StandardDetail")
    assert body["standard"]["id"] == "dcat-ap"
    assert "opendata-portal" in {c["id"] for c in body["components"]}
    assert body["principles"]
    assert {r["id"] for r in body["replaces"]} == {"dcat-ap-2"}
    assert body["revisions"][0]["revision"] == 1
    assert body["status_history"][0]["status"] == "mandatory"


def test_deprecated_standard_names_its_replacement(read_client):
    body = read_client.get("/api/standards/wcag-2-0").get_json()
    assert body["replaced_by"]["id"] == "wcag-2-1"


@pytest.mark.parametrize("url", ["/api/standards/nope", "/api/principles/nope",
                                 "/api/components/nope", "/api/vocabularies/nope",
                                 "/api/vocabularies/capabilities/nope", "/api/nothing"])
def test_unknown_ids_are_404_with_the_error_body(read_client, url):
    response = read_client.get(url)
    assert response.status_code == 404
    conforms(response.get_json(), "Error")


def test_principles_and_components(read_client):
    principles = read_client.get("/api/principles?source=eif").get_json()
    conforms(principles, "PrinciplePage")
    assert principles["total"] == 12
    detail = read_client.get("/api/principles/openness").get_json()
    conforms(detail, "PrincipleDetail")
    components = read_client.get("/api/components?provides=identity-authentication")
    body = components.get_json()
    conforms(body, "ComponentPage")
    assert "csam-fas" in {c["id"] for c in body["components"]}
    fidus = read_client.get("/api/components/fidus").get_json()
    conforms(fidus, "ComponentDetail")
    assert fidus["owner"]["id"] == "paradigm"


def test_vocabularies_with_broader_and_narrower(read_client):
    listing = read_client.get("/api/vocabularies").get_json()
    conforms(listing, "VocabularyList")
    scheme = read_client.get("/api/vocabularies/capabilities").get_json()
    conforms(scheme, "VocabularyDetail")
    by_id = {c["id"]: c for c in scheme["concepts"]}
    child = next(c for c in by_id.values() if c["broader"])
    assert child["id"] in by_id[child["broader"][0]]["narrower"]
    concept = read_client.get("/api/vocabularies/capabilities/context-data-management")
    body = concept.get_json()
    conforms(body, "ConceptDetail")
    assert "ngsi-ld" in {s["id"] for s in body["standards"]}


def test_etag_and_304(read_client):
    first = read_client.get("/api/standards/ngsi-ld")
    # Revalidated every time (a write may change it at any moment), never kept blind.
    assert first.headers["ETag"] and first.headers["Cache-Control"] == "public, no-cache"
    assert int(first.headers["Registry-Version"]) > 0
    again = read_client.get("/api/standards/ngsi-ld",
                            headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and again.data == b""
    other = read_client.get("/api/standards/ngsi-ld", headers={"If-None-Match": '"x"'})
    assert other.status_code == 200
    listing = read_client.get("/api/standards?status=mandatory")
    assert read_client.get("/api/standards?status=mandatory", headers={
        "If-None-Match": listing.headers["ETag"]}).status_code == 304


def test_an_update_changes_the_etag(client, app):
    before = client.get("/api/standards/gtfs").headers["ETag"]
    store = app.extensions["registry"].store
    current = store.get("standard", "gtfs")
    store.put("standard", "gtfs", {**current.data, "status": "mandatory"}, author="t",
              if_match=current.revision)
    response = client.get("/api/standards/gtfs")
    assert response.headers["ETag"] != before
    history = response.get_json()["status_history"]
    assert [h["status"] for h in history] == ["recommended", "mandatory"]


def test_health(read_client):
    body = read_client.get("/health").get_json()
    conforms(body, "Health")
    assert body["status"] == "ok"


def test_every_api_route_is_in_the_openapi_document(read_app):
    paths = openapi_document()["paths"]
    for rule in read_app.url_map.iter_rules():
        path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule)
        if path.startswith(("/api/", "/health", "/openapi")):
            assert path in paths, path
            for method in rule.methods - {"HEAD", "OPTIONS"}:
                assert method.lower() in paths[path], (method, path)


def test_openapi_document_is_valid_openapi_31(read_client):
    document = read_client.get("/openapi.json").get_json()
    assert document["openapi"] == "3.1.0"
    for path, item in document["paths"].items():
        for operation in item.values():
            assert operation["responses"], path
            assert operation["operationId"]
