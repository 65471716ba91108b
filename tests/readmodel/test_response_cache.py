"""The response cache never answers older than the app: two app instances over one database.

Each app runs with the cache in front (registry.response_cache, on by default). B polls
the change feed once an hour, so only a catch-up (a Registry-Min-Version read, a lookup
that misses) or a poll moves it: what it answers afterwards must be the newer state,
never an answer it kept from before.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
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
    # Every kept answer is filed with the reads of the snapshot whose version it says it
    # reflects.
    for entry in _cache(app)._entries.values():
        assert entry.reads.version == int(dict(entry.headers)["Registry-Version"])


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
    assert kept[0].reads.version == _version(found), "kept under the snapshot it read"
    hits = _cache(b).hits
    assert client_b.get(PROJECT).get_data() == found.get_data()
    assert _cache(b).hits == hits + 1
    _entries_match_their_answers(b)


@dataclass(frozen=True)
class _State:
    """What the cache compares kept reads with: a version, a day, a catalogue."""

    version: int
    day: datetime.date
    catalogue: str = "c1"


@dataclass(frozen=True)
class _Everything:
    version: int
    day: datetime.date

    def holds(self, state: _State) -> bool:
        return (state.version, state.day) == (self.version, self.day)


@dataclass(frozen=True)
class _CatalogueOnly:
    version: int
    catalogue: str

    def holds(self, state: _State) -> bool:
        return state.catalogue == self.catalogue


def test_an_answer_is_filed_under_the_snapshot_the_app_answered_from():
    # The app below answers from snapshot 8 while the worker held 7 when the request
    # came in (it caught up meanwhile, or a write landed): the answer is kept under 8,
    # served while 8 is current, and never once a 9 is.
    today = datetime.date.today()
    current: list[_State] = [_State(7, today)]
    calls: list[int] = []

    def app(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        calls.append(1)
        environ[SNAPSHOT_KEY] = _Everything(8, today)
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
    current[0] = _State(8, today)
    assert get() == "200 OK" and len(calls) == 2, "8 is current: served from the cache"
    assert get({"HTTP_IF_NONE_MATCH": '"v2"'}) == "304 Not Modified" and len(calls) == 2
    current[0] = _State(9, today)
    assert get({"HTTP_IF_NONE_MATCH": '"v2"'}) == "200 OK" and len(calls) == 3
    current[0] = _State(8, today + datetime.timedelta(days=1))
    assert get() == "200 OK" and len(calls) == 4, "a new day is a new snapshot"


def test_an_answer_from_no_snapshot_is_not_kept():
    calls: list[int] = []

    def app(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        calls.append(1)
        start_response("200 OK", [("ETag", '"x"'), ("Cache-Control", "public, no-cache")])
        return [b"{}"]

    cache = ResponseCache(app, lambda: _State(1, datetime.date.today()))
    environ = {"REQUEST_METHOD": "GET", "PATH_INFO": "/static/x.css", "QUERY_STRING": ""}
    for _ in range(2):
        b"".join(cache(dict(environ), lambda *args: None))
    assert len(calls) == 2


def test_a_kept_answer_served_at_a_newer_state_says_the_newer_version():
    # An answer that read only the catalogue, kept at version 8, is served at 9 (a
    # project write): the same bytes and ETag, labelled 9, the version it now reflects;
    # never labelled lower than what it was kept with.
    today = datetime.date.today()
    current: list[_State] = [_State(8, today)]
    calls: list[int] = []

    def app(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        calls.append(1)
        environ[SNAPSHOT_KEY] = _CatalogueOnly(8, "c1")
        start_response("200 OK", [("ETag", '"s"'), ("Registry-Version", "8"),
                                  ("Cache-Control", "public, no-cache")])
        return [b"{}"]

    cache = ResponseCache(app, lambda: current[0], version_header="Registry-Version")
    environ = {"REQUEST_METHOD": "GET", "PATH_INFO": "/s", "QUERY_STRING": ""}

    def get(headers: dict[str, str] | None = None) -> tuple[str, dict[str, str]]:
        seen: list[Any] = []
        b"".join(cache({**environ, **(headers or {})},
                       lambda status, headers, exc=None: seen.append((status, headers))))
        return seen[0][0], dict(seen[0][1])

    assert get()[1]["Registry-Version"] == "8" and len(calls) == 1
    current[0] = _State(9, today)
    status, headers = get()
    assert (status, headers["Registry-Version"], len(calls)) == ("200 OK", "9", 1)
    status, headers = get({"HTTP_IF_NONE_MATCH": '"s"'})
    assert (status, headers["Registry-Version"], len(calls)) == ("304 Not Modified", "9", 1)
    current[0] = _State(7, today)  # a state older than the entry (another thread's view)
    assert get()[1]["Registry-Version"] == "8"
    current[0] = _State(10, today, catalogue="c2")
    assert get()[1]["Registry-Version"] == "8" and len(calls) == 2, "the catalogue moved"


ZZ = "/api/projects/zz-copy"


def _copy(text: str = HUB) -> str:
    return text.replace("id: mobility-data-hub", "id: zz-copy")


def _write(client: Any, path: str, token: dict[str, str], text: str, etag: str | None
           ) -> Any:
    headers = {**token, **({"If-Match": etag} if etag else {})}
    written = client.put(path, data=text, headers=headers, content_type="application/yaml")
    assert written.status_code in (200, 201), written.get_json()
    return written


def _read(app: Any, path: str) -> tuple[Any, bool]:
    """Read on the app; return the answer and whether the response cache served it."""
    hits = _cache(app).hits
    answer = app.test_client().get(path)
    assert answer.status_code == 200, answer.get_json()
    return answer, _cache(app).hits == hits + 1


def test_a_project_write_leaves_catalogue_answers_kept(servers):
    a, b = servers
    client_a = a.test_client()
    office = _token(a, "office")
    hub = _write(client_a, PROJECT, office, HUB, None)
    b.extensions["registry"].readmodel.catch_up()
    paths = ("/api/standards/gtfs", "/api/standards?status=mandatory")
    first = {p: _read(b, p)[0] for p in paths}
    changed = HUB.replace("status: proposed", "status: selected")
    written = _write(client_a, PROJECT, office, changed, hub.headers["ETag"])
    b.extensions["registry"].readmodel.catch_up()
    for path in paths:
        again, hit = _read(b, path)
        assert hit, f"{path} reads no project: kept across a project write"
        assert again.get_data() == first[path].get_data()
        assert again.headers["ETag"] == first[path].headers["ETag"]
        # It reflects the newer version too, and says so: reads stay monotonic.
        assert _version(again) >= _version(written) > _version(first[path])
    # The project's own answer did change, and is not served from before.
    assert b.test_client().get(PROJECT).get_json()["project"]["status"] == "selected"


def test_a_page_is_kept_across_writes_to_other_projects_and_new_after_its_own(servers):
    a, b = servers
    client_a = a.test_client()
    office = _token(a, "office")
    hub = _write(client_a, PROJECT, office, HUB, None)
    copy = _write(client_a, ZZ, office, _copy(), None)
    model = b.extensions["registry"].readmodel
    model.catch_up()
    pages = ("/api/projects?per_page=1&page=1", "/api/compliance?per_page=1&page=1")
    first = {p: _read(b, p)[0] for p in pages}
    assert first[pages[0]].get_json()["projects"][0]["id"] == "mobility-data-hub"
    assert first[pages[1]].get_json()["cells"][0]["project"] == "mobility-data-hub"

    # A write to a project after page 1 that changes neither its cells nor the totals
    # (its title): both pages are kept, and say the newer version.
    retitled = _copy().replace("en: Regional mobility data hub", "en: Retitled hub", 1)
    assert retitled != _copy()
    copy = _write(client_a, ZZ, office, retitled, copy.headers["ETag"])
    model.catch_up()
    for path in pages:
        again, hit = _read(b, path)
        assert hit, f"{path} is kept across a write to a project it does not show"
        assert again.get_data() == first[path].get_data()
        assert _version(again) >= _version(copy)

    # A write to the project on page 1: both pages are computed anew and show it.
    changed = HUB.replace("status: proposed", "status: selected")
    hub = _write(client_a, PROJECT, office, changed, hub.headers["ETag"])
    model.catch_up()
    fresh, hit = _read(b, pages[0])
    assert not hit and fresh.get_json()["projects"][0]["status"] == "selected"
    assert _version(fresh) >= _version(hub)
    fresh, hit = _read(b, pages[1])
    assert not hit and _version(fresh) >= _version(hub)

    # A new project moves the set of projects (the total, the order): computed anew.
    before = {p: _read(b, p)[0] for p in pages}
    _write(client_a, "/api/projects/aa-first", office,
           HUB.replace("id: mobility-data-hub", "id: aa-first"), None)
    model.catch_up()
    for path in pages:
        fresh, hit = _read(b, path)
        assert not hit, f"{path}: a created project changes the list"
        assert fresh.get_data() != before[path].get_data()
    assert _read(b, pages[0])[0].get_json()["projects"][0]["id"] == "aa-first"
    _entries_match_their_answers(b)


def test_a_write_that_moves_the_compliance_totals_renews_every_page(servers):
    a, b = servers
    client_a = a.test_client()
    office = _token(a, "office")
    _write(client_a, PROJECT, office, HUB, None)
    copy = _write(client_a, ZZ, office, _copy(), None)
    model = b.extensions["registry"].readmodel
    model.catch_up()
    page = "/api/compliance?per_page=1&page=1"
    first = _read(b, page)[0].get_json()
    # The copy now complies with dcat-ap instead of planning it: its cells, and so the
    # summary, move; the project on page 1 is the same.
    complying = _copy().replace("conformance: planned", "conformance: complies", 1)
    assert complying != _copy()
    _write(client_a, ZZ, office, complying, copy.headers["ETag"])
    model.catch_up()
    fresh, hit = _read(b, page)
    assert not hit
    assert fresh.get_json()["summary"] != first["summary"]
    assert fresh.get_json()["cells"] == first["cells"], "the page's own cells are the same"



def test_the_budget_counts_what_an_entry_holds_not_only_its_body():
    # Answers of two bytes under distinct query strings: counting bodies alone kept
    # 5,000 of them (10 KB "counted", some 4 MB held) in a budget of 64 KB.
    def app(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        environ[SNAPSHOT_KEY] = _Everything(1, datetime.date.today())
        start_response("200 OK", [("Content-Type", "application/json"),
                                  ("ETag", f'"{environ["QUERY_STRING"]}"'),
                                  ("Cache-Control", "public, no-cache")])
        return [b"{}"]

    cache = ResponseCache(app, lambda: _State(1, datetime.date.today()), max_bytes=64 * 1024)
    for number in range(5000):
        environ = {"REQUEST_METHOD": "GET", "PATH_INFO": "/x", "QUERY_STRING": f"n={number}"}
        b"".join(cache(environ, lambda *args: None))
    assert cache.held_bytes <= cache.max_bytes
    assert len(cache._entries) < 64 * 1024 / 500, "each entry costs more than its body"


def test_a_stale_entry_is_dropped_when_asked_for_even_if_the_new_answer_is_not_kept():
    # A kept answer refers to objects of the snapshot it was answered from. Once stale
    # it is dropped, not left holding them until an answer of the same key is kept
    # (never, when the app now answers 404).
    import gc
    import weakref

    class Catalogue:
        pass

    today = datetime.date.today()
    old = Catalogue()
    current: list[Any] = [SimpleNamespace(version=1, day=today, catalogue=old)]
    found = [True]

    class _Reads:
        def __init__(self, state: Any) -> None:
            self.version, self.catalogue = state.version, state.catalogue

        def holds(self, state: Any) -> bool:
            return state.catalogue is self.catalogue

    def app(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        if not found[0]:
            start_response("404 Not Found", [("Content-Type", "application/json")])
            return [b"{}"]
        environ[SNAPSHOT_KEY] = _Reads(current[0])
        start_response("200 OK", [("ETag", '"a"'), ("Cache-Control", "public, no-cache")])
        return [b"{}"]

    cache = ResponseCache(app, lambda: current[0])
    environ = {"REQUEST_METHOD": "GET", "PATH_INFO": "/x", "QUERY_STRING": ""}
    b"".join(cache(dict(environ), lambda *args: None))
    assert len(cache._entries) == 1
    held = weakref.ref(old)
    del old
    current[0] = SimpleNamespace(version=2, day=today, catalogue=Catalogue())
    found[0] = False
    b"".join(cache(dict(environ), lambda *args: None))
    gc.collect()
    assert held() is None, "the stale entry kept the older catalogue alive"
    assert not cache._entries and cache.held_bytes == 0
