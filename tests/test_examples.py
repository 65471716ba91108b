"""First run: the example roadmap is loaded into an empty store, shown as examples, removable.

The other tests run with REGISTRY_LOAD_EXAMPLES=0 (tests/conftest.py); these turn it on.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from registry.projects import EXAMPLES_AUTHOR
from registry.storage.tokens import create_token
from tests.helpers import make_app
from tests.web.pagecheck import assert_plain_page

EXAMPLES = sorted((Path(__file__).resolve().parents[1] / "examples").glob("*.yaml"))
NOTICE = "example projects: made-up data"


@pytest.fixture
def first_run(database_url, tmp_path):
    """Yield an app started on an empty store with the example loading on."""
    app = make_app(database_url, tmp_path, LOAD_EXAMPLES=True)
    yield app
    app.extensions["registry"].store.engine.dispose()


def total(client) -> int:
    return client.get("/api/projects").get_json()["total"]


def test_a_first_start_shows_the_example_roadmap_marked_as_examples(first_run):
    client = first_run.test_client()
    assert total(client) == len(EXAMPLES) == 14
    store = first_run.extensions["registry"].store
    assert {r.updated_by for r in store.all("project")} == {EXAMPLES_AUTHOR}
    for page in ("/dashboard", "/projects", "/standards", "/compliance", "/reuse"):
        answer = client.get(page)
        assert_plain_page(answer)
        html = answer.get_data(as_text=True)
        assert NOTICE in html and "registry projects remove --examples" in html, page
        # Inside the main landmark, where a screen reader's "skip to content" lands.
        assert html.index('<main id="main"') < html.index(NOTICE) < html.index("</main>")
    dashboard = client.get("/dashboard").get_data(as_text=True)
    assert "Mobility Data Hub" in dashboard or "mobility-data-hub" in dashboard
    # Revision messages are public: they name the file, never the server's folders.
    revisions = client.get("/api/projects/mobility-data-hub/revisions").get_json()
    messages = {item["message"] for item in revisions["revisions"]}
    assert messages == {"imported from mobility-data-hub.yaml"}
    french = client.get("/projects?lang=fr").get_data(as_text=True)
    assert "projets d&#39;exemple" in french or "projets d'exemple" in french


def test_the_setting_and_production_turn_the_loading_off(database_url, tmp_path):
    from registry import config
    from registry.services import Services

    app = make_app(database_url, tmp_path)  # tests run with REGISTRY_LOAD_EXAMPLES=0
    client = app.test_client()
    assert total(client) == 0
    assert NOTICE not in client.get("/projects").get_data(as_text=True)
    app.extensions["registry"].store.engine.dispose()

    settings = config.load({"DATABASE_URL": database_url, "LOAD_EXAMPLES": True,
                            "PRODUCTION": True})
    services = Services.from_settings(settings, str(tmp_path))
    try:
        services.prepare()
        assert services.store.count() > 0  # the catalogue is loaded ...
        assert services.store.all("project") == []  # ... the made-up roadmap is not
    finally:
        services.store.engine.dispose()


def test_examples_are_loaded_on_the_first_start_only(first_run, database_url, tmp_path):
    store = first_run.extensions["registry"].store
    store.delete_where("project", lambda r: r.id == "ev-charging-map", author="t")
    again = make_app(database_url, tmp_path, LOAD_EXAMPLES=True)
    try:
        assert [r.id for r in again.extensions["registry"].store.all("project")] == [
            "ev-charging-map"]
    finally:
        again.extensions["registry"].store.engine.dispose()


def test_remove_examples_deletes_them_with_revisions_and_audit(first_run, run, tmp_path):
    client = first_run.test_client()
    store = first_run.extensions["registry"].store
    # An example edited since it was loaded has been adopted: it stays.
    secret, _ = create_token(store, role="office", organisations=[], name="office t")
    headers = {"Authorization": f"Bearer {secret}"}
    kept = client.get("/api/projects/ev-charging-map").get_json()["project"]
    kept["title"] = {"en": "EV charging map (ours now)"}
    answer = client.put("/api/projects/ev-charging-map?as_of=2026-11-26", json=kept,
                        headers={**headers, "If-Match": client.get(
                            "/api/projects/ev-charging-map").headers["ETag"]})
    assert answer.status_code == 200, answer.get_json()

    result = run("projects", "remove", "--examples")
    assert result.exit_code == 0, result.output
    assert result.output.startswith("removed 13 example project(s): ")
    assert total(client) == 1
    assert NOTICE not in client.get("/projects").get_data(as_text=True)

    history = store.revisions("project", "mobility-data-hub")
    assert [(h["revision"], h["action"]) for h in history] == [(1, "create"), (2, "delete")]
    assert history[-1]["data"] is None and history[-1]["author"] == "registry projects remove"
    events = store.audit(100)
    deleted = [e for e in events if e["action"] == "project.delete"]
    assert len(deleted) == 13 and "ev-charging-map" not in {e["record_id"] for e in deleted}
    assert client.get("/api/projects/mobility-data-hub").status_code == 404

    # Running it again removes nothing and says so; bad usage is refused.
    assert run("projects", "remove", "--examples").output == "no example project to remove\n"
    refused = run("projects", "remove")
    assert refused.exit_code == 2 and "--examples" in refused.output

    # A removed project created again continues its history: no revision number reused.
    sheet = history[0]["data"]
    created = client.put("/api/projects/mobility-data-hub?as_of=2026-11-26", json=sheet,
                         headers=headers)
    assert created.status_code == 201, created.get_json()
    assert created.get_json()["revision"] == 3
