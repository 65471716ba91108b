"""Production safety: unsafe configurations refused, security headers, auth rate limit."""

from __future__ import annotations

import pytest

from registry import create_app
from registry.storage import Store
from registry.web.shared.security import UnsafeConfiguration

GOOD_KEY = "k3J9x0Qv7Lm2Zp8Rt5Wy1Nb6Hc4Fd0Sa9Ge7Ui3Oo2"


def production(tmp_path, database_url, **extra):
    return create_app({"DATABASE_URL": database_url, "INSTANCE_PATH": str(tmp_path),
                       "PRODUCTION": True, **extra})


@pytest.fixture
def migrated(database_url):
    store = Store(database_url)
    store.migrate()
    yield database_url
    store.engine.dispose()


@pytest.mark.parametrize("key", [None, "secret", "short", "a" * 40])
def test_production_refuses_a_missing_or_weak_secret_key(tmp_path, migrated, key):
    with pytest.raises(UnsafeConfiguration, match="SECRET_KEY"):
        production(tmp_path, migrated, SECRET_KEY=key)


def test_production_refuses_pending_migrations(tmp_path, database_url):
    with pytest.raises(UnsafeConfiguration, match="pending migration"):
        production(tmp_path, database_url, SECRET_KEY=GOOD_KEY)
    store = Store(database_url)
    assert store.pending_migrations()  # and it did not migrate by itself
    store.engine.dispose()


def test_production_refuses_debug(tmp_path, migrated, monkeypatch):
    monkeypatch.setenv("FLASK_DEBUG", "1")
    with pytest.raises(UnsafeConfiguration, match="debug"):
        production(tmp_path, migrated, SECRET_KEY=GOOD_KEY)


def test_production_starts_when_safe_with_secure_cookies(tmp_path, migrated):
    app = production(tmp_path, migrated, SECRET_KEY=GOOD_KEY,
                     BASE_IRI="https://registry.example.org/")
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"
    app.extensions["registry"].store.engine.dispose()


@pytest.mark.parametrize("url", ["/", "/api/standards", "/validate", "/nope"])
def test_security_headers_on_every_answer(read_client, url):
    headers = read_client.get(url).headers
    csp = headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp.split("script-src")[1] \
        .split(";")[0]
    assert "frame-ancestors 'none'" in csp
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"


def test_failed_authentications_are_rate_limited(tmp_path, database_url):
    app = create_app({"DATABASE_URL": database_url, "INSTANCE_PATH": str(tmp_path),
                      "AUTH_FAILURE_LIMIT": 3, "AUTH_FAILURE_WINDOW": 60.0})
    client = app.test_client()
    bad = {"Authorization": "Bearer rgt_00000000_guess"}
    codes = [client.put("/api/standards/gtfs", headers=bad, data="{}",
                        content_type="application/json").status_code for _ in range(5)]
    assert codes == [401, 401, 401, 429, 429]
    limited = client.put("/api/standards/gtfs", headers=bad, data="{}",
                         content_type="application/json")
    assert 1 <= int(limited.headers["Retry-After"]) <= 61
    assert limited.get_json()["error"]["code"] == "too-many-requests"
    other = client.put("/api/standards/gtfs", data="{}", content_type="application/json",
                       environ_base={"REMOTE_ADDR": "10.0.0.7"}, headers=bad)
    assert other.status_code == 401  # another client is not punished
    assert client.get("/api/standards/gtfs").status_code == 200  # reads stay open
    app.extensions["registry"].store.engine.dispose()


def test_errors_never_show_a_traceback(client, app):
    # A real failure: the revisions table disappears under the running app.
    services = app.extensions["registry"]
    with services.store.engine.begin() as connection:
        connection.exec_driver_sql("DROP TABLE revisions")
    response = client.get("/api/standards/gtfs")
    assert response.status_code == 500
    assert b"revisions" not in response.data and b"Traceback" not in response.data
    assert response.get_json()["error"]["code"] == "internal-error"
    page = client.get("/standards/gtfs")
    assert page.status_code == 500 and b"Traceback" not in page.data
