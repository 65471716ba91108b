"""Kept answers straight from a request's bytes (registry.hit_path): the app's, never older.

Two app instances over one database, as two servers. The hit path answers only plain
GETs, only from the state the read model holds fresh without reading the feed, and
only what the response cache would answer through the app: after a write, here or on
the other server once this one learns of it, it answers the new state or leaves the
request to the app. tests/reliability/test_serving.py compares its bytes with
gunicorn's on a running server.
"""

from __future__ import annotations

import json
from typing import Any

import orjson
import pytest

from registry.hit_path import HitWriter, parse_plain_get
from registry.readmodel.model import ReadModel
from registry.response_cache import ResponseCache
from registry.storage.tokens import create_token
from tests.helpers import make_app

PLAIN = b"GET /api/standards/gtfs HTTP/1.1\r\nHost: registry.test\r\n\r\n"


@pytest.fixture
def servers(database_url, tmp_path):
    """Two apps over one database, each with its response cache, polling hourly."""
    apps = [make_app(database_url, tmp_path / name, RESPONSE_CACHE_MB=8,
                     SNAPSHOT_TTL=3600.0) for name in ("a", "b")]
    yield apps
    for app in apps:
        app.extensions["registry"].readmodel.close()
        app.extensions["registry"].store.engine.dispose()


def _cache(app: Any) -> ResponseCache:
    cache = app.wsgi_app
    assert isinstance(cache, ResponseCache)
    return cache


def _split(answer: bytes) -> tuple[str, list[tuple[str, str]], bytes]:
    head, _, body = answer.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    return lines[0], [tuple(line.split(": ", 1)) for line in lines[1:]], body  # type: ignore[misc]


def _as_app_answers(app: Any, raw: bytes) -> tuple[str, list[tuple[str, str]], bytes]:
    """Return what the app answers to the same request (status line, headers, body)."""
    request = parse_plain_get(raw)
    assert request is not None
    headers = {"Host": "registry.test"}
    if request.if_none_match:
        headers["If-None-Match"] = request.if_none_match
    answer = app.test_client().get(request.key[1], headers=headers)
    return (f"HTTP/1.1 {answer.status}", list(answer.headers.items()), answer.get_data())


def _kept(app: Any, writer: HitWriter, raw: bytes = PLAIN) -> bytes:
    """Return the hit path's answer once the app has read the newest state.

    On PostgreSQL a notification (of the apps' own start, or a write) may arrive
    after the app's read and mark the snapshot stale again: the hit path then rightly
    leaves the request to the app, which reads the feed. So: read through the app,
    then ask the hit path, a bounded number of times (never a wait on the clock).
    """
    for _ in range(50):
        _as_app_answers(app, raw)
        answer = writer.answer(raw)
        if answer is not None:
            return answer
    raise AssertionError("the hit path never answered a state the app had just read")


def test_a_plain_get_gets_the_apps_answer_with_gunicorns_framing(servers):
    a, _b = servers
    writer = HitWriter(_cache(a))
    assert writer.answer(PLAIN) is None, "nothing kept yet: the app answers"
    answer = _kept(a, writer)
    expected = _as_app_answers(a, PLAIN)
    status, headers, body = _split(answer)
    assert status == expected[0] == "HTTP/1.1 200 OK"
    assert headers[:3] == [("Server", "gunicorn"), ("Date", headers[1][1]),
                           ("Connection", "keep-alive")]
    assert headers[1][1].endswith(" GMT")
    assert headers[3:] == expected[1]
    assert body == expected[2]
    assert json.loads(body)["standard"]["id"] == "gtfs"

    etag = dict(headers)["ETag"]
    conditional = PLAIN.replace(b"\r\n\r\n", f"\r\nIf-None-Match: {etag}\r\n\r\n".encode())
    not_modified = _kept(a, writer, conditional)
    status, headers, body = _split(not_modified)
    assert (status, body) == ("HTTP/1.1 304 Not Modified", b"")
    assert headers[3:] == _as_app_answers(a, conditional)[1]


def _gtfs_made_mandatory(reader, hit_writer, on):
    """Read gtfs on `reader` until its hit path holds it, then make it mandatory through
    the app `on`; return the write's answer."""
    before = reader.test_client().get("/api/standards/gtfs", headers={"Host": "registry.test"})
    _kept(reader, hit_writer)
    secret, _ = create_token(on.extensions["registry"].store, role="architect",
                             organisations=[], name="architect")
    changed = {**before.get_json()["standard"], "status": "mandatory",
               "status_since": "2026-11-01"}
    written = on.test_client().put("/api/standards/gtfs", data=orjson.dumps(changed),
                                   headers={"Authorization": f"Bearer {secret}",
                                            "If-Match": before.headers["ETag"]},
                                   content_type="application/json")
    assert written.status_code == 200, written.get_json()
    return written


def test_after_a_write_the_hit_path_never_answers_older_than_the_app(servers):
    a, b = servers
    writer_b = HitWriter(_cache(b))
    client_b = b.test_client()
    written = _gtfs_made_mandatory(b, writer_b, on=a)

    # Until B learns of the write, the app answers B's state too: the hit path, never
    # newer than the app, is never older either.
    answer = writer_b.answer(PLAIN)
    app_now = client_b.get("/api/standards/gtfs", headers={"Host": "registry.test"})
    if answer is not None:
        # (On PostgreSQL B may learn of the write between the two.)
        version = int(dict(_split(answer)[1])["Registry-Version"])
        assert version <= int(app_now.headers["Registry-Version"])
        if version == int(app_now.headers["Registry-Version"]):
            assert _split(answer)[2] == app_now.get_data()
    b.extensions["registry"].readmodel.catch_up()  # the poll every read makes after the TTL
    answer = writer_b.answer(PLAIN)
    assert answer is None or json.loads(_split(answer)[2])["standard"]["status"] == "mandatory"
    after = client_b.get("/api/standards/gtfs", headers={"Host": "registry.test"})
    assert after.get_json()["standard"]["status"] == "mandatory"
    answer = _kept(b, writer_b)
    assert _split(answer)[2] == after.get_data()
    assert int(dict(_split(answer)[1])["Registry-Version"]) >= int(
        written.headers["Registry-Version"])


def test_a_write_on_this_server_sends_the_next_read_through_the_app(servers):
    a, _b = servers
    writer = HitWriter(_cache(a))
    client = a.test_client()
    _gtfs_made_mandatory(a, writer, on=a)
    # The write's client reads its write: the write marked the read model stale
    # (nothing has read the feed since), so the hit path leaves the read to a thread,
    # whose app catches up first.
    assert writer.answer(PLAIN) is None
    after = client.get("/api/standards/gtfs", headers={"Host": "registry.test"})
    assert after.get_json()["standard"]["status"] == "mandatory"
    assert _split(_kept(a, writer))[2] == after.get_data()


def test_fresh_is_the_snapshot_only_while_latest_would_not_read_the_feed(store):
    now = [0.0]
    model = ReadModel(store, ttl=10.0, listen=False, clock=lambda: now[0])
    assert model.fresh() is None, "nothing loaded yet"
    snapshot = model.latest()
    assert model.fresh() is snapshot
    now[0] = 4.9
    assert model.fresh() is snapshot
    now[0] = 5.0  # half the TTL: the next latest() reads the feed
    assert model.fresh() is None
    assert model.latest() is not None
    assert model.fresh() is not None
    model.written(model.newest_version() + 1)  # a write of this server
    assert model.fresh() is None
    model.close()


@pytest.mark.parametrize("raw", [
    b"HEAD /api/standards/gtfs HTTP/1.1\r\nHost: x\r\n\r\n",
    b"GET /api/standards/gtfs HTTP/1.0\r\nHost: x\r\n\r\n",
    b"GET /api/standards/%67tfs HTTP/1.1\r\nHost: x\r\n\r\n",
    b"GET http://x/api/standards/gtfs HTTP/1.1\r\nHost: x\r\n\r\n",
    b"GET /api/standards/gtfs HTTP/1.1\r\n\r\n",
    b"GET /api/standards/gtfs HTTP/1.1\r\nHost: x\r\n",
    b"GET /api/standards/gtfs HTTP/1.1\r\nHost: x\r\nHost: y\r\n\r\n",
    b"GET /api/standards/gtfs HTTP/1.1\r\nHost: x\r\nCookie: session=1\r\n\r\n",
    b"GET /api/standards/gtfs HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer t\r\n\r\n",
    b"GET /api/standards/gtfs HTTP/1.1\r\nHost: x\r\nRegistry-Min-Version: 9\r\n\r\n",
    b"GET /api/standards/gtfs HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    b"GET /api/standards/gtfs HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n",
    b"GET /api/standards/gtfs HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n",
    b"GET /api/standards/gtfs HTTP/1.1\r\nHost: x\r\nX-Forwarded-Proto: https\r\n\r\n",
    b"GET /api/standards/gtfs HTTP/1.1\r\nHost: x\r\nUpgrade: h2c\r\n\r\n",
    b"GET /api/standards/gtfs HTTP/1.1\r\nHost: x\r\nAccept: \xe9\r\n\r\n",
    b"GET /api/standards/gtfs HTTP/1.1\r\nHost: x\r\n Accept: folded\r\n\r\n",
    b"GET /api/standards/gtfs HTTP/1.1\r\nHost: x\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n",
    b"GET /api/standards/gtfs HTTP/1.1\nHost: x\r\n\r\n",
    b"GET /api/standards/" + b"a" * 8200 + b" HTTP/1.1\r\nHost: x\r\n\r\n",
])
def test_anything_but_a_plain_get_is_left_to_gunicorn(raw: bytes) -> None:
    assert parse_plain_get(raw) is None


def test_a_plain_get_is_keyed_as_the_cache_keys_its_environ() -> None:
    request = parse_plain_get(
        b"GET /api/standards?status=mandatory&x=%20 HTTP/1.1\r\nhost:  registry.test \r\n"
        b"Accept: application/json\r\nUser-Agent: wrk\r\nConnection: Keep-Alive\r\n"
        b"If-None-Match: \"e\"\r\n\r\n")
    assert request is not None
    assert request.key == ("http", "/api/standards", "status=mandatory&x=%20",
                           "application/json", None, "registry.test")
    assert request.if_none_match == '"e"'
