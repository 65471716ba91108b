"""A production server answers SPARQL from one pool process, whichever worker asks.

`registry serve --production --workers 2` on a real socket, on each backend: after a
project is written, every SPARQL query that carries the write's version sees it,
whichever worker answers; the server runs one SPARQL process beside its workers (no
pool of each worker's own); that process killed, queries answer 503 with Retry-After
(never a traceback) until the master has started a new one, which answers again, the
written project included. (A full queue answering 503 at once: test_serving.py.)
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import signal
import subprocess
import sys
import time
import urllib.parse
from pathlib import Path

import pytest
import yaml

from tests.reliability.harness import (
    BACKENDS,
    HOST,
    READY_TIMEOUT,
    ROOT,
    Http,
    example_sheet,
    free_port,
    fresh_database,
    prepare_store,
    stop_group,
)

pytestmark = pytest.mark.slow

BASE = "https://registry.example.org/"
PROJECT = "ev-charging-map"


def _descendants(pid: int) -> dict[int, bytes]:
    """Return the processes below `pid` (children, theirs...), with their command lines."""
    parents: dict[int, int] = {}
    commands: dict[int, bytes] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                if fields[0] != "Z":
                    parents[int(entry.name)] = int(fields[1])
                    commands[int(entry.name)] = (entry / "cmdline").read_bytes()
    found: dict[int, bytes] = {}
    level = {pid}
    while level:
        level = {p for p, parent in parents.items() if parent in level}
        found.update({p: commands[p] for p in level})
    return found


def _pools(master: int) -> list[int]:
    return [p for p, command in _descendants(master).items() if b"shared_pool" in command]


def _ask(port: int, version: str) -> tuple[int, dict[str, str], bytes]:
    """Ask whether the project is in the graph, on a new connection (any worker)."""
    query = f"ASK {{ <{BASE}projects/{PROJECT}> ?p ?o }}"
    client = Http(port)
    try:
        reply = client.request("GET", "/sparql?" + urllib.parse.urlencode({"query": query}),
                               headers={"Accept": "application/sparql-results+json",
                                        "Registry-Min-Version": version})
    finally:
        client.close()
    return reply.status, reply.headers, reply.body


@pytest.mark.skipif(not Path("/proc").exists(), reason="reads Linux's /proc")
@pytest.mark.parametrize("backend", BACKENDS)
def test_two_workers_share_one_sparql_pool_that_comes_back_when_killed(
        backend: str, tmp_path: Path) -> None:
    with fresh_database(backend, tmp_path) as database:
        instance = tmp_path / "instance"
        tokens = prepare_store(database, instance)
        port = free_port()
        env = {**os.environ, "REGISTRY_DATABASE_URL": database.server_url,
               "REGISTRY_INSTANCE_PATH": str(instance), "REGISTRY_PRODUCTION": "true",
               "REGISTRY_SECRET_KEY": secrets.token_hex(32), "REGISTRY_BASE_IRI": BASE,
               "PYTHONUNBUFFERED": "1"}
        log = tmp_path / "server.log"
        command = [str(Path(sys.executable).parent / "registry"), "serve", "--production",
                   "--host", HOST, "--port", str(port), "--workers", "2"]
        with log.open("wb") as out:
            process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out,
                                       stderr=subprocess.STDOUT, start_new_session=True)
        try:
            _wait_for(lambda: _healthy(port), process, log)
            body = yaml.safe_dump(example_sheet(PROJECT), sort_keys=False).encode()
            client = Http(port)
            try:
                written = client.request("PUT", f"/api/projects/{PROJECT}", body, {
                    **tokens.for_kind("project"), "Content-Type": "application/yaml",
                    "If-None-Match": "*"})
            finally:
                client.close()
            assert written.status == 201, written.body[:2000]
            version = written.headers["registry-version"]
            # Whichever worker takes each connection, the answer has the write.
            for _ in range(8):
                status, _, answer = _ask(port, version)
                assert status == 200, answer[:2000]
                assert json.loads(answer)["boolean"] is True
            # One SPARQL process for the server (a query's own child is gone once it
            # answered), and no pool of a worker's own.
            _wait_for(lambda: len(_pools(process.pid)) == 1, process, log)
            assert not [c for c in _descendants(process.pid).values()
                        if b"multiprocessing" in c]

            (pool,) = _pools(process.pid)
            os.kill(pool, signal.SIGKILL)
            statuses: list[int] = []

            def answered_again() -> bool:
                status, headers, answer = _ask(port, version)
                statuses.append(status)
                if status == 503:
                    assert int(headers["retry-after"]) >= 1
                    assert json.loads(answer)["error"]["code"] == "unavailable"
                    return False
                assert status == 200, answer[:2000]
                return bool(json.loads(answer)["boolean"])

            _wait_for(answered_again, process, log)
            assert set(statuses) <= {200, 503}
            assert _pools(process.pid) != [pool]
        finally:
            stop_group(process)
        assert "Traceback" not in log.read_text(errors="replace")


def _healthy(port: int) -> bool:
    client = Http(port, timeout=10)
    try:
        return client.request("GET", "/health").status == 200
    except OSError:
        return False
    finally:
        client.close()


def _wait_for(condition: object, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + READY_TIMEOUT
    while not condition():  # type: ignore[operator]
        assert process.poll() is None, log.read_text(errors="replace")[-3000:]
        assert time.monotonic() < deadline, log.read_text(errors="replace")[-3000:]
        time.sleep(0.1)
