"""Roadmap projects: submission with roles, revisions without lost updates, compliance."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
import yaml

from tests.helpers import AS_OF, bearer

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
HUB = (EXAMPLES / "mobility-data-hub.yaml").read_text(encoding="utf-8")


def put(client, project_id, text, headers, content_type="application/yaml"):
    return client.put(f"/api/projects/{project_id}?as_of={AS_OF}", data=text,
                      headers=headers, content_type=content_type)


def stored(store):
    return store.export(["project"]), len(store.audit(1000))


@pytest.fixture
def hub(client, store):
    """Store the spec's example project as its lead."""
    response = put(client, "mobility-data-hub", HUB, bearer(store, "lead", "brussels-mobility"))
    assert response.status_code == 201, response.get_json()
    return response


def test_a_lead_submits_a_valid_sheet_and_reads_its_compliance(client, hub):
    assert hub.headers["ETag"].startswith('"r1-')
    assert hub.get_json()["validation"]["valid"] is True
    body = client.get(f"/api/projects/mobility-data-hub?as_of={AS_OF}").get_json()
    assert body["revision"] == 1 and body["project"]["id"] == "mobility-data-hub"
    states = {c["standard"]: c["state"] for c in body["compliance"]}
    assert states["ngsi-ld"] == "complies"
    assert states["dcat-ap"] == "planned"
    assert states["wcag-2-1"] == "explain"
    assert states["smart-data-models"] == "missing"
    codes = {f["code"] for f in body["validation"]["findings"]}
    assert "policy.recommended-missing" in codes


def test_an_invalid_sheet_is_refused_with_the_report_and_nothing_stored(client, store):
    before = stored(store)
    broken = HUB.replace("status: proposed", "status: dreaming")
    response = put(client, "mobility-data-hub", broken,
                   bearer(store, "lead", "brussels-mobility"))
    assert response.status_code == 422
    report = response.get_json()["error"]["detail"]
    assert report["valid"] is False
    assert any(f["code"] == "schema.enum" and f["path"] == "/status"
               for f in report["findings"])
    assert stored(store)[0] == before[0]


def test_the_id_in_the_url_must_be_the_sheets(client, store):
    response = put(client, "another-id", HUB, bearer(store, "lead", "brussels-mobility"))
    assert response.status_code == 422
    assert "differs from the id in the URL" in response.get_json()["error"]["message"]
    assert store.export(["project"]) == {"project": []}


def test_roles_and_organisations(client, store, hub):
    etag = hub.headers["ETag"]
    other_lead = bearer(store, "lead", "stib-mivb")
    architect = bearer(store, "architect")
    own_lead = bearer(store, "lead", "brussels-mobility")
    selected = HUB.replace("status: proposed", "status: selected")
    cases = [
        ({}, HUB, 401),
        (other_lead, HUB, 403),
        (architect, HUB, 403),
        (own_lead, selected, 403),
    ]
    before = stored(store)  # after the tokens: making one is audited
    for headers, text, status in cases:
        response = put(client, "mobility-data-hub", text, {**headers, "If-Match": etag})
        assert response.status_code == status, response.get_json()
    assert stored(store) == before
    office = put(client, "mobility-data-hub", selected,
                 {**bearer(store, "office"), "If-Match": etag})
    assert office.status_code == 200 and office.get_json()["revision"] == 2


def test_a_lead_cannot_give_its_project_to_another_organisation(client, store, hub):
    moved = HUB.replace("organisation: brussels-mobility", "organisation: stib-mivb") \
        .replace("partners: [stib-mivb, paradigm]", "partners: [paradigm]")
    response = put(client, "mobility-data-hub", moved,
                   {**bearer(store, "lead", "brussels-mobility"),
                    "If-Match": hub.headers["ETag"]})
    assert response.status_code == 403


def test_updates_need_if_match_and_stale_ones_are_refused(client, store, hub):
    lead = bearer(store, "lead", "brussels-mobility")
    changed = HUB.replace("budget_eur: 1800000", "budget_eur: 1900000")
    assert put(client, "mobility-data-hub", changed, lead).status_code == 428
    first = put(client, "mobility-data-hub", changed, {**lead, "If-Match": hub.headers["ETag"]})
    assert first.status_code == 200
    again = HUB.replace("budget_eur: 1800000", "budget_eur: 2000000")
    stale = put(client, "mobility-data-hub", again, {**lead, "If-Match": hub.headers["ETag"]})
    assert stale.status_code == 412
    assert stale.headers["ETag"] == first.headers["ETag"]
    exists = put(client, "mobility-data-hub", again, {**lead, "If-None-Match": "*"})
    assert exists.status_code == 412
    assert store.get("project", "mobility-data-hub").data["budget_eur"] == 1900000


def test_revisions_and_diff(client, store, hub):
    lead = bearer(store, "lead", "brussels-mobility")
    changed = HUB.replace("budget_eur: 1800000", "budget_eur: 1900000")
    put(client, "mobility-data-hub", changed, {**lead, "If-Match": hub.headers["ETag"]})
    revisions = client.get("/api/projects/mobility-data-hub/revisions").get_json()
    assert [r["revision"] for r in revisions["revisions"]] == [1, 2]
    first = client.get("/api/projects/mobility-data-hub/revisions/1").get_json()
    assert first["project"]["budget_eur"] == 1800000
    diff = client.get("/api/projects/mobility-data-hub/diff?from=1&to=2").get_json()
    assert diff["changes"] == [{"op": "replace", "path": "/budget_eur", "old": 1800000,
                                "new": 1900000}]
    assert client.get("/api/projects/mobility-data-hub/revisions/9").status_code == 404


def test_json_bodies_too_large_bodies_and_other_media_types(client, app, store):
    lead = bearer(store, "lead", "brussels-mobility")
    sheet = yaml.safe_load(HUB)
    sheet = orjson.loads(orjson.dumps(sheet, default=str))
    ok = put(client, "mobility-data-hub", orjson.dumps(sheet), lead, "application/json")
    assert ok.status_code == 201, ok.get_json()
    before = stored(store)
    limit = app.config["REGISTRY"]["MAX_UPLOAD_BYTES"]
    huge = put(client, "x-project", b"a" * (limit + 1), lead)
    assert huge.status_code == 413
    text = put(client, "x-project", HUB, lead, "text/plain")
    assert text.status_code == 415
    assert stored(store) == before


def test_list_filters(client, store):
    office = bearer(store, "office")
    for path in sorted(EXAMPLES.glob("*.yaml")):
        response = put(client, path.stem, path.read_text(encoding="utf-8"), office)
        assert response.status_code == 201, (path.name, response.get_json())
    everything = client.get(f"/api/projects?as_of={AS_OF}").get_json()
    assert everything["total"] == len(list(EXAMPLES.glob("*.yaml")))
    mobility = client.get(f"/api/projects?domain=mobility&as_of={AS_OF}").get_json()
    assert mobility["total"] >= 3
    assert all("mobility" in p["domains"] for p in mobility["projects"])
    owned = client.get("/api/projects?owner=paradigm").get_json()
    assert {p["owner"] for p in owned["projects"]} == {"paradigm"}
    declaring = client.get("/api/projects?standard=ngsi-ld").get_json()
    assert "mobility-data-hub" in {p["id"] for p in declaring["projects"]}
    valid = client.get(f"/api/projects?validity=valid&as_of={AS_OF}").get_json()
    assert valid["total"] == everything["total"]
    lapsed = client.get("/api/projects?validity=invalid&as_of=2027-03-01").get_json()
    assert "mobility-data-hub" in {p["id"] for p in lapsed["projects"]}
    assert client.get("/api/projects?validity=maybe").status_code == 400
    assert client.get("/api/projects?colour=red").status_code == 400
    assert client.get("/api/projects?as_of=2026-02-30").status_code == 400
    assert client.get("/api/projects/nope").status_code == 404


def test_a_standard_made_mandatory_shows_up_at_once_as_missing(client, store, hub):
    before = client.get(f"/api/compliance?project=mobility-data-hub&as_of={AS_OF}").get_json()
    assert {c["standard"]: c["state"] for c in before["cells"]}.get("oasc-mim1") is None
    standard = client.get("/api/standards/oasc-mim1")
    record = {**standard.get_json()["standard"], "status": "mandatory"}
    architect = bearer(store, "architect")
    response = client.put("/api/standards/oasc-mim1", data=orjson.dumps(record),
                          content_type="application/json",
                          headers={**architect, "If-Match": standard.headers["ETag"]})
    assert response.status_code == 200, response.get_json()
    after = client.get(f"/api/compliance?project=mobility-data-hub&as_of={AS_OF}").get_json()
    cell = next(c for c in after["cells"] if c["standard"] == "oasc-mim1")
    assert cell["state"] == "missing" and cell["status"] == "mandatory"
    assert after["summary"]["mandatory"]["missing"] >= 1
    detail = client.get(f"/api/projects/mobility-data-hub?as_of={AS_OF}").get_json()
    assert detail["validation"]["valid"] is False


def test_compliance_csv_and_expiry_and_lapsing(client, hub):
    csv_text = client.get(f"/api/compliance.csv?as_of={AS_OF}").get_data(as_text=True)
    lines = csv_text.splitlines()
    assert lines[0] == "project,standard,status,state,applies,capability,until,note"
    assert any(line.startswith("mobility-data-hub,ngsi-ld,mandatory,complies") for line in lines)
    later = client.get("/api/compliance?as_of=2027-03-01&state=expired").get_json()
    assert {c["standard"] for c in later["cells"]} == {"wcag-2-1"}
    lapsing = client.get(f"/api/compliance/lapsing?days=90&as_of={AS_OF}").get_json()
    assert lapsing["declarations"][0]["standard"] == "wcag-2-1"
    assert lapsing["declarations"][0]["days_left"] == 66
    assert client.get("/api/compliance/lapsing?days=-3").status_code == 400
    assert client.get("/api/compliance?state=happy").status_code == 400


def test_compliance_pages_add_up_to_the_streamed_matrix(client, store):
    lead = bearer(store, "office", "brussels-mobility")
    for path in sorted(EXAMPLES.glob("*.yaml"))[:6]:
        sheet = yaml.safe_load(path.read_text(encoding="utf-8"))
        answer = client.put(f"/api/projects/{sheet['id']}", data=path.read_text(
            encoding="utf-8"), headers=lead, content_type="application/yaml")
        assert answer.status_code == 201, answer.get_json()
    lines = client.get(f"/api/compliance.jsonl?as_of={AS_OF}")
    assert lines.mimetype == "application/jsonl"
    whole = [orjson.loads(line) for line in lines.get_data(as_text=True).splitlines()]
    assert len(whole) > 7
    rows = client.get(f"/api/compliance.csv?as_of={AS_OF}").get_data(as_text=True)
    assert len(rows.splitlines()) == len(whole) + 1
    paged, page = [], 1
    while True:
        body = client.get(f"/api/compliance?as_of={AS_OF}&per_page=7&page={page}").get_json()
        assert body["total"] == len(whole) and body["per_page"] == 7
        assert len(body["cells"]) <= 7
        paged += body["cells"]
        if not body["cells"]:
            break
        page += 1
    assert paged == whole
    assert sum(body["summary"]["states"].values()) == len(whole)
    # Filters keep working on pages, and their total counts every matching cell.
    missing = [c for c in whole if c["state"] == "missing"]
    body = client.get(f"/api/compliance?as_of={AS_OF}&state=missing&per_page=2").get_json()
    assert body["total"] == len(missing) and body["cells"] == missing[:2]
    one = whole[0]["project"]
    body = client.get(f"/api/compliance?as_of={AS_OF}&project={one}&per_page=500").get_json()
    assert body["cells"] == [c for c in whole if c["project"] == one]
    # Another day: computed for that day, paged the same way.
    later = [orjson.loads(line) for line in client.get(
        "/api/compliance.jsonl?as_of=2030-01-01").get_data(as_text=True).splitlines()]
    body = client.get("/api/compliance?as_of=2030-01-01&per_page=500").get_json()
    assert body["cells"] == later[:500] and body["total"] == len(later)
    for bad in ("per_page=501", "per_page=0", "page=x"):
        answer = client.get(f"/api/compliance?{bad}")
        assert answer.status_code == 400, bad
        assert answer.get_json()["error"]["detail"]["parameter"] in bad


def test_cli_imports_a_roadmap_per_file(tmp_path, monkeypatch, database_url):
    from click.testing import CliRunner

    from registry.cli import main

    monkeypatch.setenv("REGISTRY_DATABASE_URL", database_url)
    monkeypatch.setenv("REGISTRY_INSTANCE_PATH", str(tmp_path / "i"))
    folder = tmp_path / "roadmap"
    folder.mkdir()
    (folder / "hub.yaml").write_text(HUB)
    (folder / "broken.yaml").write_text(HUB.replace("status: proposed", "status: maybe"))
    result = CliRunner().invoke(main, ["projects", "import", str(folder), "--as-of", AS_OF])
    assert result.exit_code == 1
    assert "created   " in result.output and "refused   " in result.output
    assert "schema.enum /status" in result.output
    again = CliRunner().invoke(main, ["projects", "import", str(folder), "--as-of", AS_OF])
    assert "unchanged " in again.output
