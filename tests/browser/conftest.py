"""A real browser against a real server: Debian's chromium driven by Playwright.

The registry runs in a background thread (werkzeug's make_server on 127.0.0.1 and a free
port) on a fresh SQLite database with the example roadmap imported. One chromium serves
the whole session. axe-core comes from the npm registry through vendor_axe.sh, at test
time, into tests/browser/.vendor/ (git-ignored): nothing is fetched while the tests run.
Every test here skips, saying why, when chromium, Playwright or axe-core is missing.
"""

from __future__ import annotations

import datetime
import os
import shutil
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from werkzeug.serving import make_server

from registry.projects import EXAMPLES_AUTHOR, import_projects
from tests.helpers import make_app

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
AXE = HERE / ".vendor" / "axe.min.js"
SCREENSHOTS = HERE / "screenshots"
CHROMIUM = os.environ.get("REGISTRY_CHROMIUM", "/usr/bin/chromium")
# The machines have no network: chromium must not try to reach anything of its own.
CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-dev-shm-usage"]
TIMEOUT_MS = 60_000  # generous: a loaded 2-core CI machine
IN_CI = os.environ.get("CI") == "true"


def missing(reason: str) -> None:
    """Skip the browser tests; in CI (.ci/run installs everything) fail them instead."""
    if IN_CI:
        pytest.fail(f"{reason} (CI=true: .ci/run should have installed it)", pytrace=False)
    pytest.skip(reason)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every browser test slow."""
    for item in items:
        if item.path.is_relative_to(HERE):
            item.add_marker(pytest.mark.slow)


@pytest.fixture(scope="session")
def axe_source() -> str:
    """Return axe.min.js, vendoring it first from the npm registry when missing."""
    if not AXE.is_file() and shutil.which("npm"):
        subprocess.run(["bash", str(HERE / "vendor_axe.sh")], check=False, timeout=300)
    if not AXE.is_file():
        missing(f"axe-core is not vendored at {AXE}: run tests/browser/vendor_axe.sh "
                    "(needs npm and the npm registry)")
    return AXE.read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Yield one headless chromium for the session."""
    if not Path(CHROMIUM).is_file():
        missing(f"no chromium at {CHROMIUM}: install Debian's (apt-get install chromium) "
                    "to run the browser tests")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        missing("the playwright Python package is not installed (pip install -e '.[test]')")
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS,
                                     timeout=TIMEOUT_MS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Serve the registry with the example roadmap on a free port; yield its base URL.

    The projects are stored as the first start stores them (marked as examples), so every
    page is checked with the notice that says so.
    """
    folder = tmp_path_factory.mktemp("browser")
    app = make_app(f"sqlite:///{folder / 'registry.sqlite'}", folder)
    services = app.extensions["registry"]
    outcomes = import_projects(ROOT / "examples", services.store, services.snapshots.get(),
                               datetime.date(2026, 11, 26), EXAMPLES_AUTHOR)
    assert any(o.action == "created" for o in outcomes), outcomes
    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_port}"
    finally:
        httpd.shutdown()
        thread.join(timeout=30)
        services.store.engine.dispose()


@pytest.fixture
def page(browser: Any, server: str) -> Iterator[Any]:
    """Yield a fresh page (own context) on the test server."""
    # bypass_csp: the registry's Content-Security-Policy forbids injected scripts, which
    # is right for users; the tests inject axe-core, so they lift it for their own context.
    context = browser.new_context(base_url=server, bypass_csp=True,
                                  viewport={"width": 1280, "height": 900})
    context.set_default_timeout(TIMEOUT_MS)
    pg = context.new_page()
    yield pg
    context.close()


@pytest.fixture(scope="session")
def screenshots() -> Path:
    """Return the folder where the run leaves a screenshot of each page type."""
    SCREENSHOTS.mkdir(exist_ok=True)
    return SCREENSHOTS
