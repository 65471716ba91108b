"""KPI measurements: reporting values over the API and from CSV, and reading them back."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest

from registry.storage import measurements as stored_measurements
from tests.helpers import bearer

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
HUB = (EXAMPLES / "mobility-data-hub.yaml").read_text(encoding="utf-8")
URL = "/api/projects/mobility-data-hub/kpis/open-datasets/measurements"


@pytest.fixture
def lead(client, store):
    """Store the spec's example project as its lead; return the lead's headers."""
    headers = bearer(store, "lead", "brussels-mobility")
    response = client.put("/api/projects/mobility-data-hub", data=HUB, headers=headers,
                          content_type="application/yaml")
    assert response.status_code == 201, response.get_json()
    return headers


def test_a_lead_reports_a_value_then_replaces_it_with_if_match(client, store, lead):
    created = client.put(f"{URL}/2026-06-30", json={"value": 7, "note": "first batch"},
                         headers=lead)
    assert created.status_code == 201, created.get_json()
    assert created.get_json()["value"] == 7 and created.get_json()["revision"] == 1
    etag = created.headers["ETag"]

    replaced = client.put(f"{URL}/2026-06-30", json={"value": 8},
                          headers={**lead, "If-Match": etag})
    assert replaced.status_code == 200, replaced.get_json()
    assert replaced.get_json()["revision"] == 2 and replaced.headers["ETag"] != etag

    read = client.get(f"{URL}/2026-06-30")
    assert read.get_json()["value"] == 8 and read.headers["ETag"] == replaced.headers["ETag"]
    # Nothing is overwritten: both reports are kept, and each write is audited.
    history = stored_measurements.history(store, "mobility-data-hub", "open-datasets",
                                          datetime.date(2026, 6, 30))
    assert [(m.revision, m.value) for m in history] == [(1, 7.0), (2, 8.0)]
    actions = [e["action"] for e in store.audit(10) if e["kind"] == "measurement"]
    assert actions == ["measurement.replace", "measurement.create"]


def test_replacing_needs_a_current_if_match(client, store, lead):
    first = client.put(f"{URL}/2026-06-30", json={"value": 3}, headers=lead)
    assert first.status_code == 201
    before = stored_measurements.count(store)
    missing = client.put(f"{URL}/2026-06-30", json={"value": 4}, headers=lead)
    assert missing.status_code == 428
    assert missing.get_json()["error"]["detail"]["current_etag"] == first.headers["ETag"]
    stale = client.put(f"{URL}/2026-06-30", json={"value": 4},
                       headers={**lead, "If-Match": '"m9-000000000000"'})
    assert stale.status_code == 412
    assert stored_measurements.count(store) == before


def test_who_may_report(client, store, lead):
    cases = [({}, 401), (bearer(store, "lead", "stib-mivb"), 403),
             (bearer(store, "architect"), 403)]
    for headers, status in cases:
        response = client.put(f"{URL}/2026-06-30", json={"value": 1}, headers=headers)
        assert response.status_code == status, (headers, response.get_json())
        assert response.get_json()["error"]["code"] in ("unauthorized", "forbidden")
    office = client.put(f"{URL}/2026-06-30", json={"value": 1},
                        headers=bearer(store, "office"))
    assert office.status_code == 201
    assert stored_measurements.count(store) == 1


@pytest.mark.parametrize(("path", "body", "status", "says"), [
    ("/api/projects/mobility-data-hub/kpis/no-such-kpi/measurements/2026-06-30",
     {"value": 1}, 422, "has no KPI 'no-such-kpi'"),
    (f"{URL}/2026-06-30", {"value": "seven"}, 422, "must be a number"),
    (f"{URL}/2026-06-30", {"value": True}, 422, "must be a number"),
    (f"{URL}/2026-06-30", {"value": 2.5}, 422, "whole number"),
    (f"{URL}/2026-06-30", {"value": -1}, 422, "whole number"),
    (f"{URL}/2026-06-30", {"note": "no value"}, 422, "value is required"),
    (f"{URL}/2026-06-30", {"value": 1, "unit": "count"}, 422, "unknown field 'unit'"),
    (f"{URL}/2026-06-30", {"value": 1, "note": 5}, 422, "note must be text"),
    (f"{URL}/2026-02-30", {"value": 1}, 400, "is not a date"),
    (f"{URL}/2999-01-01", {"value": 1}, 422, "in the future"),
    ("/api/projects/nobody/kpis/open-datasets/measurements/2026-06-30", {"value": 1}, 404,
     "no project"),
])
def test_bad_reports_are_refused_and_store_nothing(client, store, lead, path, body, status,
                                                   says):
    response = client.put(path, json=body, headers=lead)
    assert response.status_code == status, response.get_json()
    assert says in response.get_json()["error"]["message"]
    assert stored_measurements.count(store) == 0


def test_the_project_and_the_indicators_include_the_measurements(client, lead):
    for day, value in (("2026-03-31", 4), ("2026-06-30", 10)):
        assert client.put(f"{URL}/{day}", json={"value": value}, headers=lead).status_code \
            == 201
    project = client.get("/api/projects/mobility-data-hub?as_of=2026-07-01")
    series = project.get_json()["measurements"]["open-datasets"]
    assert [(m["date"], m["value"]) for m in series] == [("2026-03-31", 4.0),
                                                         ("2026-06-30", 10.0)]
    kpis = client.get("/api/indicators?as_of=2026-07-01").get_json()["kpis"]
    (kpi,) = [k for k in kpis if k["project"] == "mobility-data-hub"]
    # baseline 0, target 25, latest value 10: 40 % of the way.
    assert kpi["current"] == 10.0 and kpi["current_date"] == "2026-06-30"
    assert kpi["progress"] == 0.4
    earlier = client.get("/api/indicators?as_of=2026-04-15").get_json()["kpis"]
    (kpi,) = [k for k in earlier if k["project"] == "mobility-data-hub"]
    assert kpi["current"] == 4.0 and len(kpi["measurements"]) == 1


def test_a_new_value_changes_the_projects_etag(client, lead):
    before = client.get("/api/projects/mobility-data-hub")
    assert client.put(f"{URL}/2026-06-30", json={"value": 2}, headers=lead).status_code \
        == 201
    after = client.get("/api/projects/mobility-data-hub",
                       headers={"If-None-Match": before.headers["ETag"]})
    assert after.status_code == 200
    assert after.get_json()["measurements"]["open-datasets"][0]["value"] == 2.0


def test_cli_imports_a_csv_all_or_nothing(tmp_path, run, database_url):
    from registry.storage import Store

    folder = tmp_path / "roadmap"
    folder.mkdir()
    (folder / "hub.yaml").write_text(HUB)
    (folder / "air.yaml").write_text(
        (EXAMPLES / "air-quality-sensor-network.yaml").read_text(encoding="utf-8"))
    assert run("projects", "import", str(folder), "--as-of", "2026-11-26").exit_code == 0
    store = Store(database_url)

    broken = tmp_path / "broken.csv"
    broken.write_text("project,kpi,date,value,note\n"
                      "mobility-data-hub,open-datasets,2026-01-31,3,\n"
                      "mobility-data-hub,open-datasets,2026-02-31,4,\n"
                      "mobility-data-hub,no-such-kpi,2026-03-31,4,\n"
                      "air-quality-sensor-network,sensors-deployed,2026-03-31,1.5,\n"
                      "mobility-data-hub,open-datasets,2026-01-31,5,twice\n")
    result = run("measurements", "import", str(broken))
    assert result.exit_code == 1
    assert f"{broken}:3: '2026-02-31' is not a date" in result.output
    assert f"{broken}:4: project 'mobility-data-hub' has no KPI 'no-such-kpi'" in result.output
    assert f"{broken}:5: KPI 'sensors-deployed' counts things" in result.output
    assert f"{broken}:6: the same project, KPI and date as line 2" in result.output
    assert "nothing was stored" in result.output
    assert stored_measurements.count(store) == 0

    good = tmp_path / "good.csv"
    good.write_text("project,kpi,date,value,note\n"
                    "mobility-data-hub,open-datasets,2026-01-31,3,\"first, partial\"\n"
                    "air-quality-sensor-network,sensors-deployed,2026-03-31,12,\n")
    result = run("measurements", "import", str(good))
    assert result.exit_code == 0, result.output
    assert "2 value(s): 2 created, 0 replaced, 0 unchanged" in result.output
    good.write_text("project,kpi,date,value\n"
                    "mobility-data-hub,open-datasets,2026-01-31,4\n"
                    "air-quality-sensor-network,sensors-deployed,2026-03-31,12\n")
    result = run("measurements", "import", str(good))
    assert "2 value(s): 0 created, 1 replaced, 1 unchanged" in result.output
    values = {(m.kpi, m.value, m.note) for m in stored_measurements.of_projects(store)}
    assert values == {("open-datasets", 4.0, None), ("sensors-deployed", 12.0, None)}
    assert run("measurements", "import", str(tmp_path / "none.csv")).exit_code == 2
    store.engine.dispose()
