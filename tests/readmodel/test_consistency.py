"""Two app instances over one database: versioned, monotonic reads and read-your-writes."""

from __future__ import annotations

from pathlib import Path

import pytest

from registry.storage.tokens import create_token
from tests.conftest import make_app

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
HUB = (EXAMPLES / "mobility-data-hub.yaml").read_text(encoding="utf-8")


@pytest.fixture
def servers(database_url, tmp_path):
    """Two apps (two servers) over one database; B never polls on its own."""
    a = make_app(database_url, tmp_path / "a")
    b = make_app(database_url, tmp_path / "b", SNAPSHOT_TTL=3600.0, MIN_VERSION_WAIT=0.3)
    yield a, b
    for app in (a, b):
        app.extensions["registry"].readmodel.close()
        app.extensions["registry"].store.engine.dispose()


def _office(app) -> dict[str, str]:
    secret, _ = create_token(app.extensions["registry"].store, role="office",
                             organisations=["brussels-mobility"], name="office")
    return {"Authorization": f"Bearer {secret}"}


def _put(client, headers, text=HUB):
    return client.put("/api/projects/mobility-data-hub", data=text, headers=headers,
                      content_type="application/yaml")


def test_read_your_writes_on_another_server(servers):
    a, b = servers
    client_a, client_b = a.test_client(), b.test_client()
    before = client_b.get("/api/projects")
    seen = int(before.headers["Registry-Version"])
    written = _put(client_a, _office(a))
    assert written.status_code == 201
    version = int(written.headers["Registry-Version"])
    assert version > seen
    answer = client_b.get("/api/projects/mobility-data-hub",
                          headers={"Registry-Min-Version": str(version)})
    assert answer.status_code == 200
    assert int(answer.headers["Registry-Version"]) >= version
    assert answer.get_json()["project"]["id"] == "mobility-data-hub"
    # Monotonic: having answered `version`, B never answers an older state again.
    for path in ("/api/projects/mobility-data-hub", "/api/projects", "/api/compliance"):
        again = client_b.get(path)
        assert again.status_code == 200, path
        assert int(again.headers["Registry-Version"]) >= version
    listing = client_b.get("/api/projects").get_json()
    assert "mobility-data-hub" in {p["id"] for p in listing["projects"]}


def test_a_version_out_of_reach_is_503_with_retry_after(servers):
    _a, b = servers
    client = b.test_client()
    head = int(client.get("/api/projects").headers["Registry-Version"])
    answer = client.get("/api/projects", headers={"Registry-Min-Version": str(head + 1000)})
    assert answer.status_code == 503
    assert answer.headers["Retry-After"] == "1"
    assert answer.get_json()["error"]["code"] == "behind"
    bad = client.get("/api/projects", headers={"Registry-Min-Version": "soon"})
    assert bad.status_code == 400
    assert "Registry-Min-Version" in bad.get_json()["error"]["message"]


def test_interleaved_writes_never_show_an_older_state(servers):
    a, b = servers
    client_a, client_b = a.test_client(), b.test_client()
    headers = _office(a)
    assert _put(client_a, headers).status_code == 201
    last_version = 0
    last_revision = 0
    for step in range(5):
        current = client_a.get("/api/projects/mobility-data-hub")
        changed = HUB.replace("status: proposed", "status: selected") if step % 2 == 0 \
            else HUB
        written = _put(client_a, {**headers, "If-Match": current.headers["ETag"]}, changed)
        assert written.status_code == 200, written.get_json()
        version = int(written.headers["Registry-Version"])
        read = client_b.get("/api/projects/mobility-data-hub",
                            headers={"Registry-Min-Version": str(version)})
        assert read.status_code == 200
        got_version = int(read.headers["Registry-Version"])
        revision = read.get_json()["revision"]
        assert got_version >= max(version, last_version)
        assert revision >= last_revision + 1
        last_version, last_revision = got_version, revision
        plain = client_b.get("/api/projects/mobility-data-hub")
        assert int(plain.headers["Registry-Version"]) >= last_version
        assert plain.get_json()["revision"] >= last_revision


def test_on_postgresql_a_write_reaches_the_other_server_by_notify(servers):
    a, b = servers
    if b.extensions["registry"].store.engine.dialect.name != "postgresql":
        pytest.skip("SQLite workers poll (every SNAPSHOT_TTL); LISTEN is PostgreSQL's")
    import time

    client_b = b.test_client()
    assert client_b.get("/api/projects/mobility-data-hub").status_code == 404
    listener = b.extensions["registry"].readmodel._listener
    assert listener is not None and listener.connected.wait(10)
    assert _put(a.test_client(), _office(a)).status_code == 201
    # B never polls (SNAPSHOT_TTL is an hour): only the notification can move it.
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if client_b.get("/api/projects/mobility-data-hub").status_code == 200:
            break
        time.sleep(0.05)
    assert client_b.get("/api/projects/mobility-data-hub").status_code == 200


def test_a_record_created_on_another_server_is_found_without_waiting(servers):
    a, b = servers
    client_a, client_b = a.test_client(), b.test_client()
    seen = int(client_b.get("/api/projects").headers["Registry-Version"])
    assert _put(client_a, _office(a)).status_code == 201
    # B polls once an hour here, yet a lookup that misses catches up once before a 404.
    answer = client_b.get("/api/projects/mobility-data-hub")
    assert answer.status_code == 200
    assert int(answer.headers["Registry-Version"]) > seen
    assert client_b.get("/projects/mobility-data-hub").status_code == 200
    # What does not exist anywhere is still a 404, and the version never goes back.
    missing = client_b.get("/api/projects/no-such-project")
    assert missing.status_code == 404
    assert int(missing.headers["Registry-Version"]) >= int(answer.headers["Registry-Version"])


def test_a_write_answers_its_own_version_and_the_next_read_is_at_least_as_new(servers):
    a, _b = servers
    client = a.test_client()
    model = a.extensions["registry"].readmodel
    held = model.catch_up().version
    written = _put(client, _office(a))
    assert written.status_code == 201
    version = int(written.headers["Registry-Version"])
    # The answer names the write's own place in the feed, without this worker having
    # caught up in the write's request; its next read catches up first.
    assert version == a.extensions["registry"].store.head() > held
    assert model.newest_version() < version
    read = client.get("/api/projects/mobility-data-hub")
    assert read.status_code == 200
    assert int(read.headers["Registry-Version"]) >= version
