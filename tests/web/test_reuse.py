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


def test_the_page_ranks_by_type_and_draws_each_opportunity_on_its_own(roadmap_client):
    response = roadmap_client.get("/reuse")
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<script" not in html
    found = roadmap_client.get("/api/reuse").get_json()["opportunities"]
    # One small picture an opportunity, in its own focusable region named by its title,
    # never one network of the whole roadmap.
    assert html.count('class="chart opportunity"') == len(found)
    assert html.count('class="scroll picture" role="region" tabindex="0" '
                      'aria-labelledby="opp-') == len(found)
    assert 'id="net-title"' not in html
    for kind in TYPES:
        assert f'id="h-{kind}"' in html
        assert f'data-type="{kind}"' in html
    for project in {p for o in found for p in o["projects"]}:
        assert f'href="/projects/{project}?lang=' in html
    # The reuse of FixMyStreet by the waste containers: project, capability, component,
    # each named in its box (a long name shortened there, whole in its title), and two
    # links between them.
    first = html[html.index('id="opp-reuse-1-title"'):]
    first = first[:first.index("</svg>")]
    assert "<title>Smart waste containers with fill-level sensors</title>" in first
    assert ">Smart waste containers with fill-level\u2026</text>" in first
    assert ">Incident reporting</text>" in first and ">FixMyStreet Brussels</text>" in first
    assert first.count("<path ") == 2
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


def test_a_project_finds_its_opportunity_in_a_group_of_3000(client, app):
    """The list of a large group is cut; the project filter still finds every member."""
    store = app.extensions["registry"].store
    owners = ["brussels-mobility", "bruxelles-environnement", "stib-mivb", "cirb-cibg"]

    def sheet(number: int) -> dict:
        role = "produces" if number == 0 else "uses"
        return {"id": f"member-{number:04d}", "status": "proposed",
                "owner": {"organisation": owners[number % len(owners)]},
                "title": {"en": f"Member {number}"},
                "data": {role: ["air-quality-observation"]}}

    store.import_records({"project": [sheet(n) for n in range(3000)]}, author="test")
    answer = client.get("/api/reuse?type=data-sharing&project=member-2500")
    assert answer.status_code == 200
    found = answer.get_json()["opportunities"]
    assert len(found) == 1
    group = found[0]
    assert group["link"]["entity"] == "air-quality-observation"
    assert group["link"]["project_count"] == 3000
    assert "member-2500" not in group["projects"]  # the list is cut...
    assert len(group["projects"]) + group["omitted"] == 3000  # ...and says by how many
    assert group["omitted"] > 0
    for listed in ("member-0000", group["projects"][-1]):
        assert client.get(f"/api/reuse?project={listed}&type=data-sharing"
                          ).get_json()["opportunities"] == [group]
    assert client.get("/api/reuse?project=no-such-project").get_json() == {
        "opportunities": []}


def test_explanations_are_said_in_the_page_language_and_english_in_the_api(roadmap_client):
    english = ("“Smart waste containers with fill-level sensors” (Bruxelles-Propreté) plans "
               "to build incident reporting, which the active catalogue component "
               "FixMyStreet Brussels already provides: reuse it rather than build it again.")
    found = roadmap_client.get("/api/reuse?type=reuse&project=smart-waste-containers"
                               ).get_json()["opportunities"]
    assert [o["explanation"] for o in found] == [english]
    assert set(found[0]) == {"type", "projects", "organisations", "link", "score",
                             "explanation", "omitted"}
    french = roadmap_client.get("/reuse?lang=fr&type=reuse").get_data(as_text=True)
    assert ("<p>«\u00a0Conteneurs à déchets intelligents avec capteurs de remplissage\u00a0» "
            "(Bruxelles-Propreté) prévoit de construire la capacité «\u00a0signalement "
            "d&#39;incidents\u00a0», que le composant actif du catalogue FixMyStreet Brussels "
            "fournit déjà\u00a0: réutilisez-le plutôt que de la reconstruire.</p>") in french
    assert english not in french and "plans to build" not in french
    for lang in ("fr", "nl"):
        page = roadmap_client.get(f"/reuse?lang={lang}").get_data(as_text=True)
        # Every explanation is translated: none is left marked as English.
        assert page.count('class="opportunity"') > 5
        body = page.split('<ol class="opportunities">', 1)[1]
        assert '<p lang="en">' not in body
    dutch = roadmap_client.get("/projects/smart-waste-containers?lang=nl").get_data(
        as_text=True)
    section = dutch.split('id="h-opportunities"')[1].split("</section>")[0]
    assert "wil de capaciteit ‘melding van incidenten’ bouwen" in section
    assert 'lang="en"' not in section
    assert english in roadmap_client.get("/reuse").get_data(as_text=True)
