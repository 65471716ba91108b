"""Reuse and pooling through the API, the page and the CLI, on the example roadmap."""

from __future__ import annotations

import datetime
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from registry.cli import main
from registry.projects import import_projects

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
TYPES = ("reuse", "pooling", "overlap", "data-sharing", "standard-divergence")


@pytest.fixture
def roadmap_client(app):
    services = app.extensions["registry"]
    outcomes = import_projects(EXAMPLES, services.store, services.snapshots.get(),
                               datetime.date(2026, 11, 26), "test")
    assert all(o.action == "created" for o in outcomes)
    return app.test_client()


def test_every_type_is_found_in_the_example_roadmap(roadmap_client):
    found = roadmap_client.get("/api/reuse").get_json()["opportunities"]
    assert {o["type"] for o in found} == set(TYPES)
    for o in found:
        assert 0 <= o["score"] <= 1 and o["explanation"].endswith(".")
        assert len(o["projects"]) >= 1 and o["organisations"]
    reuse = [o for o in found if o["type"] == "reuse"]
    assert any(o["link"].get("component") == "fixmystreet"
               and "smart-waste-containers" in o["projects"] for o in reuse)
    overlap = [o for o in found if o["type"] == "overlap"]
    assert any(set(o["projects"]) == {"air-quality-sensor-network",
                                      "neighbourhood-air-noise-sensors"} for o in overlap)


def test_unrelated_projects_are_not_paired(roadmap_client):
    found = roadmap_client.get("/api/reuse").get_json()["opportunities"]
    for a, b in (("once-only-regional-forms", "smart-waste-containers"),
                 ("eudi-wallet-irisbox", "air-quality-sensor-network")):
        assert not any({a, b} <= set(o["projects"]) for o in found), (a, b)


def test_filters(roadmap_client):
    pooling = roadmap_client.get("/api/reuse?type=pooling").get_json()["opportunities"]
    assert pooling and {o["type"] for o in pooling} == {"pooling"}
    mine = roadmap_client.get("/api/reuse?organisation=stib-mivb").get_json()["opportunities"]
    assert mine and all("stib-mivb" in o["organisations"] for o in mine)
    strong = roadmap_client.get("/api/reuse?min_score=0.9").get_json()["opportunities"]
    assert all(o["score"] >= 0.9 for o in strong)
    project = roadmap_client.get("/api/reuse?project=ev-charging-map").get_json()
    assert all("ev-charging-map" in o["projects"] for o in project["opportunities"])
    for query, param in (("type=sharing", "type"), ("min_score=2", "min_score"),
                         ("min_score=x", "min_score"), ("colour=red", "colour")):
        response = roadmap_client.get(f"/api/reuse?{query}")
        assert response.status_code == 400
        assert response.get_json()["error"]["detail"]["parameter"] == param


def test_the_page_ranks_by_type_and_draws_the_network(roadmap_client):
    response = roadmap_client.get("/reuse")
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<script" not in html
    assert html.count('role="group"') == 1 and "<title id=\"net-title\">" in html
    for kind in TYPES:
        assert f'id="h-{kind}"' in html
    for path in EXAMPLES.glob("*.yaml"):
        assert f'href="/projects/{path.stem}?lang=' in html
    assert roadmap_client.get("/reuse?type=nonsense").status_code == 400


def test_an_empty_roadmap_has_no_opportunities(client):
    assert client.get("/api/reuse").get_json() == {"opportunities": []}
    assert client.get("/reuse").status_code == 200


def test_cli_on_a_folder_without_a_database(tmp_path):
    result = CliRunner().invoke(main, ["reuse", "--roadmap", str(EXAMPLES), "--format",
                                       "json", "--type", "data-sharing"])
    assert result.exit_code == 0, result.output
    found = json.loads(result.output)["opportunities"]
    assert found and {o["type"] for o in found} == {"data-sharing"}
    as_csv = CliRunner().invoke(main, ["reuse", "--roadmap", str(EXAMPLES), "--format",
                                       "csv"])
    assert as_csv.output.splitlines()[0] == "type,score,projects,organisations,link,explanation"


def test_each_project_page_lists_its_own_opportunities(roadmap_client):
    html = roadmap_client.get("/projects/smart-waste-containers").get_data(as_text=True)
    section = html.split('id="h-opportunities"')[1].split("</section>")[0]
    assert "fixmystreet" in section  # the planted reuse of FixMyStreet
    found = roadmap_client.get("/api/reuse?project=smart-waste-containers").get_json()
    assert section.count("<tr>") == len(found["opportunities"]) + 1  # header row


def test_a_request_never_switches_the_garbage_collector(roadmap_client, monkeypatch):
    """Pausing the collector is process-wide: a web worker's other requests would lose it."""
    import gc

    def refuse() -> None:
        raise AssertionError("gc.disable() called during a request")

    monkeypatch.setattr(gc, "disable", refuse)
    monkeypatch.setattr(gc, "freeze", refuse)
    for url in ("/reuse", "/api/reuse", "/dashboard"):
        assert roadmap_client.get(url).status_code == 200, url
    assert gc.isenabled()
