"""The response cache never answers older than the app: two app instances over one database.

Each app runs with the cache in front (registry.response_cache, on by default). B polls
the change feed once an hour, so only a catch-up (a Registry-Min-Version read, a lookup
that misses) or a poll moves it: what it answers afterwards must be the newer state,
never an answer it kept from before.
"""

from __future__ import annotations

import datetime
from collections.abc import Hashable, Iterable
from pathlib import Path
from typing import Any

import orjson
import pytest

from registry.response_cache import SNAPSHOT_KEY, ResponseCache
from registry.storage.tokens import create_token
from tests.helpers import make_app

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
HUB = (EXAMPLES / "mobility-data-hub.yaml").read_text(encoding="utf-8")
PROJECT = "/api/projects/mobility-data-hub"


@pytest.fixture
def servers(database_url, tmp_path):
    """Two apps over one database, each with its response cache; B never polls."""
    a = make_app(database_url, tmp_path / "a", RESPONSE_CACHE_MB=8)
    b = make_app(database_url, tmp_path / "b", RESPONSE_CACHE_MB=8, SNAPSHOT_TTL=3600.0,
                 MIN_VERSION_WAIT=0.3)
    yield a, b
    for app in (a, b):
        app.extensions["registry"].readmodel.close()
        app.extensions["registry"].store.engine.dispose()


def _cache(app: Any) -> ResponseCache:
    cache = app.wsgi_app
    assert isinstance(cache, ResponseCache), "the response cache is on by default"
    return cache


def _token(app: Any, role: str) -> dict[str, str]:
    secret, _ = create_token(app.extensions["registry"].store, role=role,
                             organisations=["brussels-mobility"], name=role)
    return {"Authorization": f"Bearer {secret}"}


def _put_project(client: Any, headers: dict[str, str], text: str = HUB) -> Any:
    return client.put(PROJECT, data=text, headers=headers, content_type="application/yaml")


def _version(response: Any) -> int:
    return int(response.headers["Registry-Version"])


def _entries_match_their_answers(app: Any) -> None:
    # Every kept answer is filed under the snapshot whose version it says it reflects.
    for entry in _cache(app)._entries.values():
        assert entry.snapshot[0] == int(dict(entry.headers)["Registry-Version"])


def test_the_cache_is_on_by_default(tmp_path):
    app = make_app(f"sqlite:///{tmp_path / 'r.sqlite'}", tmp_path)
    try:
        assert _cache(app).max_bytes == app.config["REGISTRY"]["RESPONSE_CACHE_MB"] * 2**20
        assert app.config["REGISTRY"]["RESPONSE_CACHE_MB"] > 0
    finally:
        app.extensions["registry"].store.engine.dispose()


def test_a_kept_answer_is_not_served_after_a_write_on_another_server(servers):
    a, b = servers
    client_a, client_b = a.test_client(), b.test_client()
    office = _token(a, "office")
    assert _put_project(client_a, office).status_code == 201
    first = client_b.get(PROJECT)
    assert first.status_code == 200
    hits = _cache(b).hits
    again = client_b.get(PROJECT)
    assert _cache(b).hits == hits + 1, "the second read is served by the cache"
    assert again.get_data() == first.get_data()

    changed = HUB.replace("status: proposed", "status: selected")
    assert changed != HUB
    written = _put_project(client_a, {**office, "If-Match": first.headers["ETag"]}, changed)
    assert written.status_code == 200, written.get_json()
    # B learns of the write through a read that asks for it...
    fresh = client_b.get(PROJECT, headers={"Registry-Min-Version": str(_version(written))})
    assert fresh.status_code == 200
    assert fresh.get_json()["project"]["status"] == "selected"
    # ... and from then on the kept answer of the older version is never served again.
    for _ in range(3):
        plain = client_b.get(PROJECT)
        assert _version(plain) >= _version(written)
        assert plain.get_json()["project"]["status"] == "selected"
        assert plain.headers["ETag"] != first.headers["ETag"]
    listing = client_b.get("/api/projects").get_json()
    assert {p["id"]: p["status"] for p in listing["projects"]}["mobility-data-hub"] == "selected"
    _entries_match_their_answers(b)


def test_a_standard_changed_on_another_server_is_never_answered_old(servers):
    a, b = servers
    client_a, client_b = a.test_client(), b.test_client()
    before = client_b.get("/api/standards/gtfs")
    listed = client_b.get("/api/standards?status=mandatory")
    assert client_b.get("/api/standards/gtfs").get_data() == before.get_data()
    changed = {**before.get_json()["standard"], "status": "mandatory",
               "status_since": "2026-11-01"}
    written = client_a.put("/api/standards/gtfs", data=orjson.dumps(changed),
                           headers={**_token(a, "architect"), "If-Match": before.headers["ETag"]},
                           content_type="application/json")
    assert written.status_code == 200, written.get_json()
    # A poll (as every read after SNAPSHOT_TTL makes) moves B: nothing kept is older.
    b.extensions["registry"].readmodel.catch_up()
    after = client_b.get("/api/standards/gtfs")
    assert after.get_json()["standard"]["status"] == "mandatory"
    assert _version(after) >= _version(written)
    ids = [s["id"] for s in client_b.get("/api/standards?status=mandatory").get_json()[
        "standards"]]
    assert "gtfs" in ids
    assert "gtfs" not in [s["id"] for s in listed.get_json()["standards"]]
    # A client revalidating the old copy gets the new one, not a 304.
    revalidated = client_b.get("/api/standards/gtfs",
                               headers={"If-None-Match": before.headers["ETag"]})
    assert revalidated.status_code == 200
    assert revalidated.get_json()["standard"]["status"] == "mandatory"
    _entries_match_their_answers(b)


def test_a_miss_is_never_kept_and_a_late_find_is_kept_under_its_own_version(servers):
    a, b = servers
    client_a, client_b = a.test_client(), b.test_client()
    missing = client_b.get(PROJECT)
    assert missing.status_code == 404
    held = _version(missing)
    written = _put_project(client_a, _token(a, "office"))
    assert written.status_code == 201
    # B still holds the older snapshot (it polls once an hour): the lookup misses, asks
    # the feed once, and answers 200 from the newer snapshot; no 404 was kept.
    found = client_b.get(PROJECT)
    assert found.status_code == 200
    assert _version(found) >= _version(written) > held
    entries = _cache(b)._entries
    kept = [e for key, e in entries.items() if key[1] == PROJECT]
    assert [e.status for e in kept] == ["200 OK"]
    assert kept[0].snapshot[0] == _version(found), "kept under the snapshot it read"
    hits = _cache(b).hits
    assert client_b.get(PROJECT).get_data() == found.get_data()
    assert _cache(b).hits == hits + 1
    _entries_match_their_answers(b)


def test_an_answer_is_filed_under_the_snapshot_the_app_answered_from():
    # The app below answers from snapshot 8 while the worker held 7 when the request
    # came in (it caught up meanwhile, or a write landed): the answer is kept under 8,
    # served while 8 is current, and never once a 9 is.
    today = datetime.date.today()
    current: list[Hashable] = [(7, today)]
    calls: list[int] = []

    def app(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        calls.append(1)
        environ[SNAPSHOT_KEY] = (8, today)
        start_response("200 OK", [("Content-Type", "application/json"),
                                  ("ETag", f'"v{len(calls)}"'),
                                  ("Cache-Control", "public, no-cache")])
        return [b"{}"]

    cache = ResponseCache(app, lambda: current[0])
    environ = {"REQUEST_METHOD": "GET", "PATH_INFO": "/x", "QUERY_STRING": ""}

    def get(headers: dict[str, str] | None = None) -> str:
        seen: list[str] = []
        b"".join(cache({**environ, **(headers or {})},
                       lambda status, headers, exc=None: seen.append(status)))
        return seen[0]

    assert get() == "200 OK" and len(calls) == 1
    assert get() == "200 OK" and len(calls) == 2, "7 is current: the 8 answer is not served"
    current[0] = (8, today)
    assert get() == "200 OK" and len(calls) == 2, "8 is current: served from the cache"
    assert get({"HTTP_IF_NONE_MATCH": '"v2"'}) == "304 Not Modified" and len(calls) == 2
    current[0] = (9, today)
    assert get({"HTTP_IF_NONE_MATCH": '"v2"'}) == "200 OK" and len(calls) == 3
    current[0] = (8, today + datetime.timedelta(days=1))
    assert get() == "200 OK" and len(calls) == 4, "a new day is a new snapshot"


def test_an_answer_from_no_snapshot_is_not_kept():
    calls: list[int] = []

    def app(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        calls.append(1)
        start_response("200 OK", [("ETag", '"x"'), ("Cache-Control", "public, no-cache")])
        return [b"{}"]

    cache = ResponseCache(app, lambda: (1, datetime.date.today()))
    environ = {"REQUEST_METHOD": "GET", "PATH_INFO": "/static/x.css", "QUERY_STRING": ""}
    for _ in range(2):
        b"".join(cache(dict(environ), lambda *args: None))
    assert len(calls) == 2
