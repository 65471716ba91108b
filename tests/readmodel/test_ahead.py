"""Kept answers served while a worker is behind, when nothing they read was written since.

A worker below its server's high-water mark, or told by LISTEN that something was
written, catches up before answering (the feed read and `Snapshot.apply`, under a lock
every such request queues behind). The response cache asks first what was written
(`ReadModel.ahead`: the feed without the sheets): a kept answer that read none of it is
the bytes the caught-up worker would answer, and is served at once, labelled at least
with the mark. One that read a written record, the set of projects or a total is never
served that way. Two app instances over one PostgreSQL database (LISTEN: on SQLite the
TTL decides, and `ahead` knows nothing).
"""

from __future__ import annotations

import datetime
import time
from pathlib import Path
from typing import Any

import orjson
import pytest

from registry.readmodel.feed import Written
from registry.readmodel.model import ReadModel
from registry.readmodel.reads import catalogue_only, everything, projects_read
from registry.response_cache import ResponseCache
from registry.storage.tokens import create_token
from tests.helpers import make_app

HUB = (Path(__file__).resolve().parents[2] / "examples" / "mobility-data-hub.yaml").read_text(
    encoding="utf-8")
FIRST, OTHER = "aa-first", "zz-other"  # page 1 of one project is FIRST
PAGE = "/api/projects?page=1&per_page=1"


def _sheet(project_id: str, status: str = "proposed") -> str:
    return (HUB.replace("id: mobility-data-hub", f"id: {project_id}")
            .replace("status: proposed", f"status: {status}"))


@pytest.fixture
def servers(database_url, tmp_path):
    """Two apps over one PostgreSQL database, each with its response cache."""
    if not database_url.startswith("postgresql"):
        pytest.skip("LISTEN tells a worker that something was written: PostgreSQL only")
    apps = [make_app(database_url, tmp_path / name, RESPONSE_CACHE_MB=8, SNAPSHOT_TTL=3600.0)
            for name in ("a", "b")]
    yield apps
    for app in apps:
        app.extensions["registry"].readmodel.close()
        app.extensions["registry"].store.engine.dispose()


def _model(app: Any) -> ReadModel:
    return app.extensions["registry"].readmodel  # type: ignore[no-any-return]


def _office(app: Any) -> dict[str, str]:
    secret, _ = create_token(app.extensions["registry"].store, role="office",
                             organisations=[], name="office")
    return {"Authorization": f"Bearer {secret}"}


def _put(app: Any, headers: dict[str, str], project_id: str, status: str = "proposed",
         etag: str | None = None) -> Any:
    extra = {"If-Match": etag} if etag else {}
    answer = app.test_client().put(f"/api/projects/{project_id}",
                                   data=_sheet(project_id, status),
                                   headers={**headers, **extra},
                                   content_type="application/yaml")
    assert answer.status_code in (200, 201), answer.get_json()
    return answer


def _listening(app: Any) -> None:
    app.test_client().get("/health")
    model = _model(app)
    model.latest()  # starts the LISTEN thread in this process
    assert model._listener is not None and model._listener.connected.wait(10)


def _kept_twice(app: Any, path: str) -> Any:
    """Read `path` until the cache serves it (a notification may arrive in between)."""
    cache = app.wsgi_app
    assert isinstance(cache, ResponseCache)
    for _ in range(50):
        first = app.test_client().get(path)
        hits = cache.hits
        again = app.test_client().get(path)
        if cache.hits == hits + 1:
            assert again.get_data() == first.get_data()
            return again
    raise AssertionError(f"{path} was never served from the cache")


def _notified(app: Any, write: Any) -> Any:
    """Run `write()` and wait until LISTEN told the app of it (as it tells every worker
    a moment after the commit); return the write's answer."""
    model = _model(app)
    wakes = model._wakes
    answer = write()
    for _ in range(200):
        if model._wakes > wakes:
            return answer
        time.sleep(0.05)
    raise AssertionError("no notification of the write")


def _caught_up_answer(app: Any, path: str, version: int) -> Any:
    """What the app itself answers at `version` or newer (Registry-Min-Version: no cache)."""
    answer = app.test_client().get(path, headers={"Registry-Min-Version": str(version)})
    assert answer.status_code == 200
    return answer


def test_a_standard_is_answered_across_project_writes_without_a_catch_up(servers):
    a, b = servers
    office = _office(b)
    _put(b, office, FIRST)
    _listening(b)
    kept = _kept_twice(b, "/api/standards/gtfs")
    model = _model(b)
    held = model.newest_version()

    # A write on this server raises its mark: every worker is then below it.
    written = _notified(b, lambda: _put(b, office, OTHER))
    mark = int(written.headers["Registry-Version"])
    assert model.high_water.value == mark > held
    served = b.test_client().get("/api/standards/gtfs")
    assert served.status_code == 200
    assert model.newest_version() < mark, "no catch-up for an answer the write left as it was"
    assert int(served.headers["Registry-Version"]) == mark, "labelled with the mark"
    assert served.get_data() == kept.get_data()
    # The caught-up app answers the very same bytes at that version.
    app_answer = _caught_up_answer(b, "/api/standards/gtfs", mark)
    assert app_answer.get_data() == served.get_data()
    assert app_answer.headers["ETag"] == served.headers["ETag"]

    # A write on another server: LISTEN tells B, which knows what it was without applying.
    held = model.newest_version()
    etag = _caught_up_answer(b, f"/api/projects/{OTHER}", held).headers["ETag"]
    held = model.newest_version()
    elsewhere = _notified(b, lambda: _put(a, _office(a), OTHER, "selected", etag=etag))
    version = int(elsewhere.headers["Registry-Version"])
    served = b.test_client().get("/api/standards/gtfs")
    assert served.get_data() == kept.get_data()
    assert int(served.headers["Registry-Version"]) >= held
    assert model.newest_version() == held < version, "B did not apply A's write for it"
    assert _caught_up_answer(b, "/api/standards/gtfs", version).get_data() == kept.get_data()


def test_a_page_is_answered_across_writes_to_projects_it_does_not_show(servers):
    _a, b = servers
    office = _office(b)
    first = _put(b, office, FIRST)
    other = _put(b, office, OTHER)
    _listening(b)
    kept = _kept_twice(b, PAGE)
    model = _model(b)

    written = _notified(b, lambda: _put(b, office, OTHER, "selected",
                                        etag=other.headers["ETag"]))
    mark = int(written.headers["Registry-Version"])
    served = b.test_client().get(PAGE)
    assert model.newest_version() < mark
    assert int(served.headers["Registry-Version"]) == mark
    assert served.get_data() == kept.get_data()
    assert _caught_up_answer(b, PAGE, mark).get_data() == served.get_data()

    # A write to the project the page shows: never the kept page.
    written = _notified(b, lambda: _put(b, office, FIRST, "selected",
                                        etag=first.headers["ETag"]))
    mark = int(written.headers["Registry-Version"])
    served = b.test_client().get(PAGE)
    assert model.newest_version() >= mark, "caught up before answering"
    assert served.get_json()["projects"][0]["status"] == "selected"
    assert served.get_data() != kept.get_data()


def test_an_answer_reading_totals_or_the_set_of_projects_waits_for_the_catch_up(servers):
    _a, b = servers
    office = _office(b)
    other = _put(b, office, OTHER)
    _listening(b)
    _kept_twice(b, "/api/compliance?page=1&per_page=1")
    kept_page = _kept_twice(b, PAGE)
    model = _model(b)

    # An update of a project the compliance page does not show: its totals may move.
    written = _notified(b, lambda: _put(b, office, OTHER, "selected",
                                        etag=other.headers["ETag"]))
    mark = int(written.headers["Registry-Version"])
    b.test_client().get("/api/compliance?page=1&per_page=1")
    assert model.newest_version() >= mark

    # A project created: the set of projects moved (the page's total, its place).
    written = _notified(b, lambda: _put(b, office, FIRST))
    mark = int(written.headers["Registry-Version"])
    served = b.test_client().get(PAGE)
    assert model.newest_version() >= mark
    assert served.get_json()["projects"][0]["id"] == FIRST
    assert served.get_json()["total"] == kept_page.get_json()["total"] + 1


def test_a_catalogue_write_is_never_answered_from_before_it(servers):
    _a, b = servers
    _listening(b)
    before = _kept_twice(b, "/api/standards/gtfs")
    secret, _ = create_token(b.extensions["registry"].store, role="architect",
                             organisations=[], name="architect")
    changed = {**before.get_json()["standard"], "status": "mandatory",
               "status_since": "2026-11-01"}
    written = b.test_client().put("/api/standards/gtfs", data=orjson.dumps(changed),
                                  headers={"Authorization": f"Bearer {secret}",
                                           "If-Match": before.headers["ETag"]},
                                  content_type="application/json")
    assert written.status_code == 200, written.get_json()
    after = b.test_client().get("/api/standards/gtfs")
    assert after.get_json()["standard"]["status"] == "mandatory"
    assert int(after.headers["Registry-Version"]) >= int(written.headers["Registry-Version"])


def _w(seq: int, kind: str, record_id: str, deleted: bool = False) -> Written:
    return Written(seq, kind, record_id, deleted)


def test_what_each_kind_of_answer_holds_across(store):
    model = ReadModel(store, listen=False)  # the shipped catalogue, no project yet
    snapshot = model.latest()
    project, standard = _w(snapshot.version + 1, "project", "p"), _w(
        snapshot.version + 2, "standard", "gtfs")
    assert everything(snapshot).holds_across(snapshot, [])
    assert not everything(snapshot).holds_across(snapshot, [project])
    catalogue = catalogue_only(snapshot)
    assert catalogue.holds_across(snapshot, [project])
    assert not catalogue.holds_across(snapshot, [project, standard])
    # A project the snapshot does not hold: a create, the set of projects moves.
    assert not projects_read(snapshot, []).holds_across(snapshot, [project])
    assert projects_read(snapshot, []).holds_across(snapshot, [])
    assert not projects_read(snapshot, [], [("cells", "met")]).holds_across(snapshot, [])
    assert model.ahead() is None, "not listening: what was written is not known this way"
    assert snapshot.day == datetime.date.today()
