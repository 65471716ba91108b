"""Architects change the catalogue through the API: tokens, roles, If-Match, revisions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import orjson
import pytest
from sqlalchemy import update

from registry.storage.tables import tokens
from registry.storage.tokens import create_token, revoke_token


@pytest.fixture
def architect(store):
    secret, _ = create_token(store, role="architect", organisations=[], name="Ann")
    return {"Authorization": f"Bearer {secret}"}


def token(store, role, orgs=()):
    secret, info = create_token(store, role=role, organisations=list(orgs), name=role)
    return {"Authorization": f"Bearer {secret}"}, info["id"]


def put_json(client, url, data, headers):
    return client.put(url, data=orjson.dumps(data), headers=headers,
                      content_type="application/json")


def read(client, url):
    response = client.get(url)
    return response.get_json(), response.headers["ETag"]


def snapshot(store):
    """Return everything stored, to check that a refused request changed nothing."""
    return (store.export(), len(store.audit(1000)))


def test_update_with_if_match_makes_a_revision_and_status_history(client, store, architect):
    body, etag = read(client, "/api/standards/gtfs")
    changed = {**body["standard"], "status": "mandatory", "status_since": "2026-11-01"}
    response = put_json(client, "/api/standards/gtfs", changed,
                        {**architect, "If-Match": etag, "X-Change-Message": "made mandatory"})
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["revision"] == 2
    detail = client.get("/api/standards/gtfs").get_json()
    assert [h["status"] for h in detail["status_history"]] == ["recommended", "mandatory"]
    assert detail["status_history"][1]["recorded_by"].startswith("Ann (architect")
    assert detail["revisions"][1]["message"] == "made mandatory"
    page = client.get("/standards/gtfs").get_data(as_text=True)
    assert "2026-11-01" in page


def test_deprecation_names_its_replacement_in_history(client, architect):
    body, etag = read(client, "/api/standards/saml-2")
    changed = {**body["standard"], "status": "deprecated", "replaced_by": "oidc"}
    response = put_json(client, "/api/standards/saml-2", changed,
                        {**architect, "If-Match": etag})
    assert response.status_code == 200, response.get_json()
    history = client.get("/api/standards/saml-2").get_json()["status_history"]
    assert history[-1]["status"] == "deprecated" and history[-1]["replaced_by"] == "oidc"


def test_create_needs_no_precondition_and_if_none_match_refuses_overwrite(
        client, store, architect):
    body, _ = read(client, "/api/standards/gtfs")
    new = {**body["standard"], "id": "gtfs-flex", "acronym": "GTFS-Flex"}
    created = put_json(client, "/api/standards/gtfs-flex", new,
                       {**architect, "If-None-Match": "*"})
    assert created.status_code == 201 and created.headers["ETag"]
    again = put_json(client, "/api/standards/gtfs-flex", new,
                     {**architect, "If-None-Match": "*"})
    assert again.status_code == 412
    assert again.headers["ETag"] == created.headers["ETag"]


@pytest.mark.parametrize("headers, status", [
    ({}, 428),
    ({"If-Match": '"r1-000000000000"'}, 412),
])
def test_missing_or_stale_if_match_is_refused(client, store, architect, headers, status):
    body, etag = read(client, "/api/standards/gtfs")
    before = snapshot(store)
    response = put_json(client, "/api/standards/gtfs", {**body["standard"], "version": "x"},
                        {**architect, **headers})
    assert response.status_code == status
    assert response.headers["ETag"].startswith('"r1-')
    assert response.get_json()["error"]["detail"]["current_etag"]
    assert snapshot(store) == before


def test_two_editors_one_wins_the_other_is_told(client, store, architect):
    body, etag = read(client, "/api/standards/gtfs")
    first = put_json(client, "/api/standards/gtfs", {**body["standard"], "version": "A"},
                     {**architect, "If-Match": etag})
    second = put_json(client, "/api/standards/gtfs", {**body["standard"], "version": "B"},
                      {**architect, "If-Match": etag})
    assert (first.status_code, second.status_code) == (200, 412)
    assert store.get("standard", "gtfs").data["version"] == "A"


@pytest.mark.parametrize("change, path", [
    ({"status": "obligatory"}, "/status"),
    ({"applies_to": ["teleportation"]}, "/applies_to/0"),
    ({"principles": ["nonsense"]}, "/principles/0"),
    ({"replaced_by": "oidc"}, ""),
    ({"id": "other"}, "/id"),
])
def test_invalid_records_are_422_and_nothing_is_stored(client, store, architect, change,
                                                       path):
    body, etag = read(client, "/api/standards/gtfs")
    before = snapshot(store)
    response = put_json(client, "/api/standards/gtfs", {**body["standard"], **change},
                        {**architect, "If-Match": etag})
    assert response.status_code == 422
    errors = response.get_json()["error"]["detail"]["errors"]
    assert any(e["path"] == path for e in errors), errors
    assert snapshot(store) == before


def test_bodies_that_are_not_json_or_yaml_or_too_large(client, app, store, architect):
    _, etag = read(client, "/api/standards/gtfs")
    before = snapshot(store)
    wrong_type = client.put("/api/standards/gtfs", data="x", content_type="text/plain",
                            headers={**architect, "If-Match": etag})
    assert wrong_type.status_code == 415
    limit = app.config["REGISTRY"]["MAX_UPLOAD_BYTES"]
    huge = client.put("/api/standards/gtfs", data=b"a: " + b"x" * (limit + 10),
                      content_type="application/yaml", headers={**architect, "If-Match": etag})
    assert huge.status_code == 413
    broken = client.put("/api/standards/gtfs", data=b"id: [", content_type="application/yaml",
                        headers={**architect, "If-Match": etag})
    assert broken.status_code == 422
    assert broken.get_json()["error"]["detail"]["findings"][0]["code"] == "parse.syntax"
    bomb = client.put("/api/standards/gtfs", data=b"a: &a [1]\nb: *a\n",
                      content_type="application/yaml", headers={**architect, "If-Match": etag})
    assert bomb.status_code == 422
    assert snapshot(store) == before


def test_yaml_bodies_are_accepted(client, architect):
    import yaml

    body, etag = read(client, "/api/components/fixmystreet")
    record = {**body["component"], "status": "pilot"}
    response = client.put("/api/components/fixmystreet", data=yaml.safe_dump(record),
                          content_type="application/yaml",
                          headers={**architect, "If-Match": etag})
    assert response.status_code == 200, response.get_json()
    assert client.get("/api/components/fixmystreet").get_json()["component"]["status"] == \
        "pilot"


def test_tokens_and_roles(client, store):
    body, etag = read(client, "/api/standards/gtfs")
    data = {**body["standard"], "version": "new"}
    lead, _ = token(store, "lead", ["stib-mivb"])
    revoked, revoked_id = token(store, "architect")
    revoke_token(store, revoked_id)
    expired, expired_id = token(store, "architect")
    with store.engine.begin() as connection:
        connection.execute(update(tokens).where(tokens.c.id == expired_id).values(
            expires_at=datetime.now(UTC) - timedelta(seconds=1)))
    before = snapshot(store)  # after the tokens: making and revoking them is audited
    cases = [
        ({}, 401, "needs a token"),
        ({"Authorization": "Basic abc"}, 401, "Bearer"),
        ({"Authorization": "Bearer nonsense"}, 401, "malformed"),
        ({"Authorization": "Bearer rgt_00000000_xxxxxxxx"}, 401, "not known"),
        (revoked, 401, "revoked"),
        (expired, 401, "expired"),
        (lead, 403, "lead token may not"),
    ]
    for headers, status, words in cases:
        response = put_json(client, "/api/standards/gtfs", data, {**headers, "If-Match": etag})
        assert response.status_code == status, (headers, response.get_json())
        assert words in response.get_json()["error"]["message"]
        if status == 401:
            assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert snapshot(store) == before


def test_a_concept_is_changed_as_a_revision_of_its_scheme(client, store, architect):
    concept = client.get("/api/vocabularies/capabilities/public-wifi").get_json()["concept"]
    _, etag = read(client, "/api/vocabularies/capabilities")
    item = {"id": "public-wifi", "label": {**concept["label"], "en": "Public Wi-Fi access"},
            "definition": concept["definition"], "layer": concept["layer"]}
    response = put_json(client, "/api/vocabularies/capabilities/public-wifi", item,
                        {**architect, "If-Match": etag})
    assert response.status_code == 200, response.get_json()
    label = client.get("/api/vocabularies/capabilities/public-wifi").get_json()
    assert label["concept"]["label"]["en"] == "Public Wi-Fi access"
    assert len(store.revisions("vocabulary", "capabilities")) == 2


def test_audit_is_for_office_and_admin(client, store, architect):
    office, _ = token(store, "office")
    body, etag = read(client, "/api/standards/gtfs")
    put_json(client, "/api/standards/gtfs", {**body["standard"], "version": "9"},
             {**architect, "If-Match": etag})
    events = client.get("/api/audit?limit=5", headers=office).get_json()["events"]
    assert events[0]["action"] == "standard.update" and events[0]["record_id"] == "gtfs"
    assert events[0]["actor"].startswith("Ann")
    assert client.get("/api/audit", headers=architect).status_code == 403
    assert client.get("/api/audit").status_code == 401
    assert client.get("/api/audit?limit=0", headers=office).status_code == 400
