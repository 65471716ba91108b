"""Monotonic reads across the workers of one server, without Registry-Min-Version.

A server's workers are processes forked from one master; they share a high-water mark
(registry.readmodel.highwater): once one worker answered version N, any later read on
any worker of that server answers N or newer.
"""

from __future__ import annotations

import http.client
import json
import os
import secrets
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from registry.readmodel import ReadModel
from registry.readmodel.highwater import HighWater
from tests.helpers import stored_sheet
from tests.reliability.harness import (
    HOST,
    READY_TIMEOUT,
    ROOT,
    Database,
    free_port,
    fresh_database,
    prepare_store,
    stop_group,
)

EXAMPLES = sorted((ROOT / "examples").glob("*.yaml"))


def test_a_worker_never_answers_older_than_another_worker_of_its_server(store):
    # Two workers of one server (one mark) that neither poll nor listen: only the mark
    # can move the second one.
    mark = HighWater()
    first = ReadModel(store, ttl=3600, listen=False, high_water=mark)
    second = ReadModel(store, ttl=3600, listen=False, high_water=mark)
    elsewhere = ReadModel(store, ttl=3600, listen=False)  # a worker of another server
    before = second.latest().version
    assert elsewhere.latest().version == before
    sheet = stored_sheet(EXAMPLES[0])
    store.put("project", sheet["id"], sheet, author="test")
    answered = first.catch_up().version  # the first worker learned of the write
    assert answered > before
    assert mark.value == answered
    seen = second.latest()
    assert seen.version >= answered
    assert sheet["id"] in seen.roadmap.projects
    # Another server's worker is not bound by this server's mark (clients carry
    # Registry-Min-Version across servers); it moves when it polls or is notified.
    assert elsewhere.latest().version == before


def test_the_mark_only_goes_up():
    mark = HighWater()
    mark.raise_to(5)
    mark.raise_to(3)
    assert mark.value == 5


def _get(port: int, path: str) -> tuple[int, dict[str, str], bytes]:
    connection = http.client.HTTPConnection(HOST, port, timeout=60)
    try:
        connection.request("GET", path, headers={"Connection": "close"})
        response = connection.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, \
            response.read()
    finally:
        connection.close()


@pytest.mark.slow
def test_reads_on_any_worker_of_a_server_never_go_back(tmp_path: Path) -> None:
    """A real production server with two workers that never poll (SQLite, TTL an hour)."""
    with fresh_database("sqlite", tmp_path) as database:
        _serve_and_read(database, tmp_path)


def _serve_and_read(database: Database, tmp_path: Path) -> None:
    instance = tmp_path / "instance"
    tokens = prepare_store(database, instance)
    port = free_port()
    env = {**os.environ, "REGISTRY_DATABASE_URL": database.server_url,
           "REGISTRY_INSTANCE_PATH": str(instance), "REGISTRY_PRODUCTION": "true",
           "REGISTRY_SECRET_KEY": secrets.token_hex(32), "REGISTRY_SNAPSHOT_TTL": "3600",
           "REGISTRY_BASE_IRI": "https://registry.example.org/"}
    log = tmp_path / "server.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [str(Path(sys.executable).parent / "registry"), "serve", "--production", "--host",
             HOST, "--port", str(port), "--workers", "2", "--threads", "4"],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + READY_TIMEOUT
        while True:
            assert process.poll() is None, log.read_text(errors="replace")[-3000:]
            try:
                if _get(port, "/health")[0] == 200:
                    break
            except OSError:
                pass
            assert time.monotonic() < deadline, log.read_text(errors="replace")[-3000:]
            time.sleep(0.1)
        # Every worker reads (and keeps) the state before the write.
        before = [int(_get(port, "/api/projects")[1]["registry-version"]) for _ in range(20)]
        text = EXAMPLES[0].read_bytes()
        project_id = yaml.safe_load(text)["id"]
        connection = http.client.HTTPConnection(HOST, port, timeout=60)
        connection.request("PUT", f"/api/projects/{project_id}", body=text,
                           headers={"Authorization": f"Bearer {tokens.office}",
                                    "Content-Type": "application/yaml",
                                    "Connection": "close"})
        written = connection.getresponse()
        written.read()
        connection.close()
        assert written.status == 201
        version = int(written.getheader("Registry-Version"))
        assert version > max(before)
        # The worker that wrote holds it; the other never polls, yet no read goes back.
        for _ in range(30):
            status, headers, body = _get(port, "/api/projects")
            assert status == 200
            assert int(headers["registry-version"]) >= version
            assert project_id in {p["id"] for p in json.loads(body)["projects"]}
    finally:
        stop_group(process)
    assert "Traceback" not in log.read_text(errors="replace")


class _Watched(HighWater):
    """A mark that notes, each time it is raised, the version its worker held then."""

    def __init__(self) -> None:
        super().__init__()
        self.model: ReadModel | None = None
        self.raised: list[tuple[int, int]] = []

    def raise_to(self, version: int) -> None:
        assert self.model is not None
        self.raised.append((version, self.model.newest_version()))
        super().raise_to(version)


def test_the_mark_is_raised_before_the_worker_can_answer_the_version(store):
    # A worker's other threads answer its snapshot as soon as it is installed (the
    # follower catches up beside them): had the mark come after, a client that saw
    # that version could next read an older one from another worker of the server.
    mark = _Watched()
    model = ReadModel(store, ttl=3600, listen=False, high_water=mark)
    mark.model = model
    model.latest()
    sheet = stored_sheet(EXAMPLES[0])
    store.put("project", sheet["id"], sheet, author="test")
    model.catch_up()
    assert len(mark.raised) == 2
    assert all(held < version for version, held in mark.raised)
