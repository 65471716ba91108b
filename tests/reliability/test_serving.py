"""The production server keeps answering while slow SPARQL queries and slow clients come in.

`registry serve --production` (the README's production command) on a real socket, on
each backend. Slowloris clients trickle a request's headers a byte at a time: the
server must drop each of them (at --header-timeout, 1 s here). Slow SPARQL queries
(issue 14's cross product) fill the pool of one SPARQL worker and its queue of one: the
next is refused at once with 503 and Retry-After. While both go on, /health and a
standard are answered 200. Nothing here is timed: a probe only has to be answered
(within a generous client timeout); bench/hostile_load.py measures how fast.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import secrets
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
import urllib.parse
from pathlib import Path
from typing import Any

import pytest

from tests.reliability.harness import (
    BACKENDS,
    HOST,
    READY_TIMEOUT,
    ROOT,
    free_port,
    fresh_database,
    prepare_store,
    stop_group,
)

pytestmark = pytest.mark.slow

SLOW_QUERY = "SELECT (COUNT(*) AS ?n) { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
CLIENT_TIMEOUT = 120.0


def _get(port: int, path: str, headers: dict[str, str] | None = None
         ) -> tuple[int, dict[str, str], bytes]:
    connection = http.client.HTTPConnection(HOST, port, timeout=CLIENT_TIMEOUT)
    try:
        connection.request("GET", path, headers=headers or {})
        response = connection.getresponse()
        return (response.status, {k.lower(): v for k, v in response.getheaders()},
                response.read())
    finally:
        connection.close()


def _wait_ready(process: subprocess.Popen[bytes], port: int, log: Path) -> None:
    import time

    deadline = time.monotonic() + READY_TIMEOUT
    while time.monotonic() < deadline:
        assert process.poll() is None, log.read_text(errors="replace")[-3000:]
        try:
            if _get(port, "/health")[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.1)
    raise AssertionError("no 200 from /health:\n" + log.read_text(errors="replace")[-3000:])


def _slowloris(port: int, outcome: list[str]) -> None:
    """Send headers a byte at a time until the server closes the connection."""
    with socket.create_connection((HOST, port), timeout=CLIENT_TIMEOUT) as sock:
        sock.sendall(b"GET /health HTTP/1.1\r\nHost: localhost\r\n")
        sock.settimeout(0.2)
        for _ in range(int(CLIENT_TIMEOUT / 0.2)):
            try:
                sock.sendall(b"X")
                if sock.recv(4096) == b"":
                    outcome.append("dropped")
                    return
            except TimeoutError:
                continue
            except OSError:
                outcome.append("dropped")
                return
    outcome.append("still open")


@pytest.mark.parametrize(("backend", "active_threads"),
                         [(b, "0") for b in BACKENDS] + [("sqlite", "2")])
def test_the_production_server_drops_slow_clients_and_keeps_answering(
        backend: str, active_threads: str, tmp_path: Path) -> None:
    with fresh_database(backend, tmp_path) as database:
        instance = tmp_path / "instance"
        prepare_store(database, instance)
        port = free_port()
        env = {**os.environ, "REGISTRY_DATABASE_URL": database.server_url,
               "REGISTRY_INSTANCE_PATH": str(instance), "REGISTRY_PRODUCTION": "true",
               "REGISTRY_SECRET_KEY": secrets.token_hex(32),
               "REGISTRY_BASE_IRI": "https://registry.example.org/",
               "REGISTRY_SPARQL_WORKERS": "1", "REGISTRY_SPARQL_QUEUE": "1",
               "REGISTRY_SPARQL_TIMEOUT": "20", "PYTHONUNBUFFERED": "1"}
        log = tmp_path / "server.log"
        command = [str(Path(sys.executable).parent / "registry"), "serve", "--production",
                   "--host", HOST, "--port", str(port), "--workers", "1",
                   "--threads", "16", "--header-timeout", "1",
                   "--active-threads", active_threads]
        with log.open("wb") as out:
            process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out,
                                       stderr=subprocess.STDOUT, start_new_session=True)
        try:
            _wait_ready(process, port, log)
            # Four slow queries at once against one worker and a queue of one: whatever
            # order they arrive in, two are admitted and at least two are refused at once.
            slow_answers: list[Any] = []
            query = "/sparql?" + urllib.parse.urlencode({"query": SLOW_QUERY})
            slow = [threading.Thread(target=lambda: slow_answers.append(_get(port, query)),
                                     daemon=True) for _ in range(4)]
            for thread in slow:
                thread.start()
            deadline = time.monotonic() + CLIENT_TIMEOUT
            while len(slow_answers) < 2 and time.monotonic() < deadline:
                time.sleep(0.05)
            refused = [headers for status, headers, body in list(slow_answers)
                       if status == 503 and json.loads(body)["error"]["code"] == "busy"]
            assert refused, f"no slow query was refused: {[a[0] for a in slow_answers]}"
            assert all(int(headers["retry-after"]) >= 1 for headers in refused)

            dropped: list[str] = []
            loris = [threading.Thread(target=_slowloris, args=(port, dropped), daemon=True)
                     for _ in range(6)]
            for thread in loris:
                thread.start()
            for path in ("/health", "/api/standards/ngsi-ld") * 5:
                assert _get(port, path)[0] == 200, path
            for thread in loris:
                thread.join(CLIENT_TIMEOUT)
            assert dropped == ["dropped"] * 6
            assert not slow_answers or all(a[0] in (200, 503) for a in slow_answers)
        finally:
            stop_group(process, signal.SIGINT)  # quick shutdown: queries still run
        assert "Traceback" not in log.read_text(errors="replace")


def _read_response(reader: Any) -> tuple[int, dict[str, str], bytes]:
    """Read one HTTP/1.1 response with a Content-Length from a buffered socket file."""
    status = int(reader.readline().split()[1])
    headers = {}
    while (line := reader.readline()) not in (b"\r\n", b""):
        name, _, value = line.decode("latin-1").partition(":")
        headers[name.strip().lower()] = value.strip()
    return status, headers, reader.read(int(headers.get("content-length", "0")))


def test_kept_alive_pipelined_and_continued_requests_are_answered_whole(tmp_path: Path) -> None:
    """A connection's requests are answered in order and whole, however they arrive.

    The production worker answers a kept-alive connection's next request in the same
    thread when it comes at once, and sends a response's head with its body: requests
    one after another, two in one packet (pipelined), and a write that waits for
    `100 Continue` before sending its body must all still get their own full answer.
    """
    with fresh_database("sqlite", tmp_path) as database:
        instance = tmp_path / "instance"
        tokens = prepare_store(database, instance)
        port = free_port()
        env = {**os.environ, "REGISTRY_DATABASE_URL": database.server_url,
               "REGISTRY_INSTANCE_PATH": str(instance), "REGISTRY_PRODUCTION": "true",
               "REGISTRY_SECRET_KEY": secrets.token_hex(32),
               "REGISTRY_BASE_IRI": "https://registry.example.org/"}
        log = tmp_path / "server.log"
        command = [str(Path(sys.executable).parent / "registry"), "serve", "--production",
                   "--host", HOST, "--port", str(port), "--workers", "1", "--threads", "4"]
        with log.open("wb") as out:
            process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out,
                                       stderr=subprocess.STDOUT, start_new_session=True)
        try:
            _wait_ready(process, port, log)
            connection = http.client.HTTPConnection(HOST, port, timeout=CLIENT_TIMEOUT)
            bodies = set()
            for index in range(40):
                path = "/api/standards/ngsi-ld" if index % 2 else "/api/standards/gtfs"
                connection.request("GET", path)
                response = connection.getresponse()
                body = response.read()
                assert response.status == 200
                assert json.loads(body)["standard"]["id"] == path.rsplit("/", 1)[1]
                bodies.add(body)
            assert len(bodies) == 2
            connection.close()

            with socket.create_connection((HOST, port), timeout=CLIENT_TIMEOUT) as sock:
                sock.sendall(b"GET /api/standards/gtfs HTTP/1.1\r\nHost: x\r\n\r\n"
                             b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n"
                             b"GET /api/standards/ngsi-ld HTTP/1.1\r\nHost: x\r\n\r\n")
                reader = sock.makefile("rb")
                answers = [_read_response(reader) for _ in range(3)]
                assert [a[0] for a in answers] == [200, 200, 200]
                assert json.loads(answers[0][2])["standard"]["id"] == "gtfs"
                assert json.loads(answers[2][2])["standard"]["id"] == "ngsi-ld"

            current = _get(port, "/api/standards/gtfs")
            record = json.loads(current[2])["standard"]
            body = json.dumps({**record, "status": "mandatory",
                               "status_since": "2026-11-01"}).encode()
            with socket.create_connection((HOST, port), timeout=CLIENT_TIMEOUT) as sock:
                sock.sendall(b"PUT /api/standards/gtfs HTTP/1.1\r\nHost: x\r\n"
                             b"Content-Type: application/json\r\n"
                             b"Authorization: Bearer " + tokens.architect.encode() + b"\r\n"
                             b"If-Match: " + current[1]["etag"].encode() + b"\r\n"
                             b"Expect: 100-continue\r\n"
                             b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n")
                reader = sock.makefile("rb")
                # The body goes only once the server asked for it.
                assert reader.readline().startswith(b"HTTP/1.1 100")
                assert reader.readline() == b"\r\n"
                sock.sendall(body)
                status, _headers, answer = _read_response(reader)
                assert status == 200, answer
            assert json.loads(_get(port, "/api/standards/gtfs")[2])["standard"][
                "status"] == "mandatory"
        finally:
            stop_group(process)
        assert "Traceback" not in log.read_text(errors="replace")


def _socket_inodes(pid: int) -> set[int]:
    """Return the inodes of the sockets a process holds open."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        with contextlib.suppress(OSError):
            target = os.readlink(fd)
            if target.startswith("socket:["):
                inodes.add(int(target[8:-1]))
    return inodes


def _tcp_sockets(port: int) -> dict[int, str]:
    """Return the inode and state ("listen", "established"...) of each socket on port."""
    states = {"01": "established", "0A": "listen"}
    sockets = {}
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(OSError), open(table) as lines:
            next(lines)
            for line in lines:
                fields = line.split()
                if int(fields[1].rsplit(":", 1)[1], 16) == port:
                    sockets[int(fields[9])] = states.get(fields[3], fields[3])
    return sockets


def _children(pid: int) -> list[int]:
    """Return the web workers of a master (not the overlap job nor the SPARQL pool)."""
    children = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                command = (entry / "cmdline").read_bytes()
                if (int(fields[1]) == pid and fields[0] != "Z"
                        and b"overlaps" not in command and b"shared_pool" not in command):
                    children.append(int(entry.name))
    return children


def _production_env(database: Any, instance: Path) -> dict[str, str]:
    return {**os.environ, "REGISTRY_DATABASE_URL": database.server_url,
            "REGISTRY_INSTANCE_PATH": str(instance), "REGISTRY_PRODUCTION": "true",
            "REGISTRY_SECRET_KEY": secrets.token_hex(32),
            "REGISTRY_BASE_IRI": "https://registry.example.org/", "PYTHONUNBUFFERED": "1"}


def _serve_two_workers(database: Any, tmp_path: Path, *options: str) -> tuple[
        subprocess.Popen[bytes], int, Path]:
    instance = tmp_path / "instance"
    prepare_store(database, instance)
    port = free_port()
    log = tmp_path / "server.log"
    command = [str(Path(sys.executable).parent / "registry"), "serve", "--production",
               "--host", HOST, "--port", str(port), "--workers", "2", "--threads", "8",
               *options]
    with log.open("wb") as out:
        process = subprocess.Popen(command, cwd=ROOT, env=_production_env(database, instance),
                                   stdout=out, stderr=subprocess.STDOUT,
                                   start_new_session=True)
    try:
        _wait_ready(process, port, log)
        # /health answers once one worker is up; the other may still be booting.
        deadline = time.monotonic() + READY_TIMEOUT
        while not _booted(process.pid, port, sockets_per_worker="--shared-socket" not in options):
            assert time.monotonic() < deadline, "the second worker did not start listening"
            time.sleep(0.05)
    except BaseException:
        stop_group(process)
        raise
    return process, port, log


def _booted(master: int, port: int, sockets_per_worker: bool) -> bool:
    """Whether both workers run and listen: each on its own socket, or on the master's."""
    workers = _children(master)
    listening = {inode for inode, state in _tcp_sockets(port).items() if state == "listen"}
    if len(workers) != 2 or not listening:
        return False
    held = [_socket_inodes(pid) & listening for pid in workers]
    return all(held) and (len(listening) == 2) == sockets_per_worker


@pytest.mark.skipif(not Path("/proc/net/tcp").exists(), reason="reads Linux's /proc")
@pytest.mark.parametrize("backend", BACKENDS)
def test_each_worker_listens_on_its_own_socket_and_gets_connections(
        backend: str, tmp_path: Path) -> None:
    """By default the kernel spreads connections over the workers.

    With gunicorn's one shared listening socket, whichever worker wakes first accepts a
    connection, and kept-alive connections opened together can split unevenly (3:29
    seen for 32). Each worker listens on a socket of its own (SO_REUSEPORT) and the
    master on none.
    """
    with fresh_database(backend, tmp_path) as database:
        process, port, log = _serve_two_workers(database, tmp_path)
        connections: list[http.client.HTTPConnection] = []
        try:
            workers = _children(process.pid)
            listening = {inode for inode, state in _tcp_sockets(port).items()
                         if state == "listen"}
            assert len(workers) == 2 and len(listening) == 2, (workers, listening)
            assert not _socket_inodes(process.pid) & listening, "the master listens"
            owned = [_socket_inodes(pid) & listening for pid in workers]
            assert [len(inodes) for inodes in owned] == [1, 1], owned
            assert owned[0] != owned[1]

            # 64 kept-alive connections: the chance that a fair spread leaves a worker
            # without any is 2 in 2**64.
            for _ in range(64):
                connection = http.client.HTTPConnection(HOST, port, timeout=CLIENT_TIMEOUT)
                connection.request("GET", "/api/standards/ngsi-ld")
                response = connection.getresponse()
                response.read()
                assert response.status == 200
                connections.append(connection)
            established = {inode for inode, state in _tcp_sockets(port).items()
                           if state == "established"}
            per_worker = [len(_socket_inodes(pid) & established) for pid in workers]
            assert sum(per_worker) == 64 and min(per_worker) > 0, per_worker
        finally:
            for connection in connections:
                connection.close()
            stop_group(process)
        assert "Traceback" not in log.read_text(errors="replace")


@pytest.mark.skipif(not Path("/proc/net/tcp").exists(), reason="reads Linux's /proc")
@pytest.mark.parametrize("backend", BACKENDS)
def test_with_a_shared_socket_the_master_listens_for_every_worker(
        backend: str, tmp_path: Path) -> None:
    """--shared-socket keeps gunicorn's way: one socket, bound by the master, inherited."""
    with fresh_database(backend, tmp_path) as database:
        process, port, log = _serve_two_workers(database, tmp_path, "--shared-socket")
        try:
            workers = _children(process.pid)
            listening = {inode for inode, state in _tcp_sockets(port).items()
                         if state == "listen"}
            assert len(workers) == 2 and len(listening) == 1, (workers, listening)
            for pid in (process.pid, *workers):
                assert _socket_inodes(pid) & listening == listening, pid
            connection = http.client.HTTPConnection(HOST, port, timeout=CLIENT_TIMEOUT)
            connection.request("GET", "/api/standards/ngsi-ld")
            response = connection.getresponse()
            assert response.status == 200 and b'"ngsi-ld"' in response.read()
            connection.close()
        finally:
            stop_group(process)
        assert "Traceback" not in log.read_text(errors="replace")


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_port_already_taken_stops_the_server(
        backend: str, tmp_path: Path) -> None:
    """Workers that each bind with SO_REUSEPORT must not join another server's port.

    The port is taken by a socket with SO_REUSEPORT too, as another server of the same
    user would hold it: the kernel would let the workers share it silently.
    """
    with fresh_database(backend, tmp_path) as database:
        instance = tmp_path / "instance"
        prepare_store(database, instance)
        with socket.socket() as taken:
            taken.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
            taken.bind((HOST, 0))
            taken.listen()
            port = taken.getsockname()[1]
            command = [str(Path(sys.executable).parent / "registry"), "serve",
                       "--production", "--host", HOST, "--port", str(port)]
            done = subprocess.run(command, cwd=ROOT, env=_production_env(database, instance),
                                  capture_output=True, text=True, timeout=READY_TIMEOUT)
        assert done.returncode == 1
        assert f"cannot listen on {HOST}:{port}: Address already in use" in done.stderr
        assert "Traceback" not in done.stderr + done.stdout


def _raw_answers(port: int, requests: list[bytes], receive_buffer: int = 0) -> list[bytes]:
    """Send requests one after another on one kept-alive connection; return each answer
    as sent, its Date header blanked (the second it was sent in)."""
    answers = []
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        if receive_buffer:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer)
        sock.settimeout(CLIENT_TIMEOUT)
        sock.connect((HOST, port))
        with sock.makefile("rb") as reader:
            for request in requests:
                sock.sendall(request)
                lines = [reader.readline()]
                while lines[-1] not in (b"\r\n", b""):
                    lines.append(reader.readline())
                length = next((int(line.split(b":")[1]) for line in lines
                               if line.lower().startswith(b"content-length:")), 0)
                head = b"".join(b"Date: -\r\n" if line.startswith(b"Date: ") else line
                                for line in lines)
                answers.append(head + reader.read(length))
    return answers


@pytest.mark.parametrize("backend", BACKENDS)
def test_cached_answers_sent_at_once_are_gunicorns_bytes_and_never_stale(
        backend: str, tmp_path: Path) -> None:
    """The hit path (registry.hit_path) answers byte for byte as gunicorn and the app do.

    Two servers on one store: A as documented, B with --no-hit-path (every request
    through gunicorn and the app). A kept-alive connection's cached reads, a 304, and
    an answer larger than the client's receive buffer (what does not fit is sent by a
    thread) are the same bytes from both, but for the Date. After a write on A, the
    writer's next plain read on A is the new state; after a write on B, once A has
    caught up (a read asking for that version), no plain read on A answers the old one.
    """
    with fresh_database(backend, tmp_path) as database:
        instance = tmp_path / "instance"
        tokens = prepare_store(database, instance)
        env = _production_env(database, instance)
        ports = [free_port(), free_port()]
        processes = []
        logs = [tmp_path / "a.log", tmp_path / "b.log"]
        for port, log, extra in zip(ports, logs, ([], ["--no-hit-path"]), strict=True):
            command = [str(Path(sys.executable).parent / "registry"), "serve", "--production",
                       "--host", HOST, "--port", str(port), "--workers", "1",
                       "--threads", "4", *extra]
            with log.open("wb") as out:
                processes.append(subprocess.Popen(command, cwd=ROOT, env=env, stdout=out,
                                                  stderr=subprocess.STDOUT,
                                                  start_new_session=True))
        try:
            for process, port, log in zip(processes, ports, logs, strict=True):
                _wait_ready(process, port, log)
            plain = b"GET /api/standards/gtfs HTTP/1.1\r\nHost: x\r\n\r\n"
            listing = b"GET /api/standards HTTP/1.1\r\nHost: x\r\nAccept: */*\r\n\r\n"
            a, b = (_raw_answers(port, [plain] * 3 + [listing] * 2) for port in ports)
            assert a == b
            assert a[0].startswith(b"HTTP/1.1 200 OK\r\nServer: gunicorn\r\nDate: -\r\n"
                                   b"Connection: keep-alive\r\n")
            etag = next(line.split(b": ", 1)[1] for line in a[0].split(b"\r\n")
                        if line.startswith(b"ETag: "))
            conditional = plain.replace(b"\r\n\r\n", b"\r\nIf-None-Match: " + etag + b"\r\n\r\n")
            a, b = (_raw_answers(port, [plain, conditional, conditional]) for port in ports)
            assert a == b and a[1].startswith(b"HTTP/1.1 304 Not Modified\r\n")
            a, b = (_raw_answers(port, [listing] * 3, receive_buffer=4096) for port in ports)
            assert a == b and len(a[0]) > 16384

            # Clients that reset their connection right after a cached read's request:
            # whichever of the read and the send meets the reset, the worker goes on.
            workers = _children(processes[0].pid)
            for _ in range(20):
                with socket.create_connection((HOST, ports[0]), timeout=CLIENT_TIMEOUT) as sock:
                    sock.sendall(plain)
                    with sock.makefile("rb") as reader:
                        _read_response(reader)
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                    struct.pack("ii", 1, 0))
                    sock.sendall(plain)
            assert _raw_answers(ports[0], [plain]) == _raw_answers(ports[1], [plain])
            assert _children(processes[0].pid) == workers

            def put(port: int, status: str, after: int = 0) -> int:
                current = _get(port, "/api/standards/gtfs",
                               {"Registry-Min-Version": str(after)})
                record = json.loads(current[2])["standard"]
                body = json.dumps({**record, "status": status,
                                   "status_since": "2026-11-01"}).encode()
                connection = http.client.HTTPConnection(HOST, port, timeout=CLIENT_TIMEOUT)
                connection.request("PUT", "/api/standards/gtfs", body=body, headers={
                    "Content-Type": "application/json", "If-Match": current[1]["etag"],
                    **tokens.for_kind("standard")})
                response = connection.getresponse()
                assert response.status == 200, response.read()
                version = int(response.getheader("Registry-Version"))
                connection.close()
                return version

            def status_on_a(answer: bytes) -> str:
                return str(json.loads(answer.split(b"\r\n\r\n", 1)[1])["standard"]["status"])

            first = put(ports[0], "mandatory")
            assert [status_on_a(x) for x in _raw_answers(ports[0], [plain] * 3)] == [
                "mandatory"] * 3
            version = put(ports[1], "recommended", after=first)
            assert _get(ports[0], "/api/standards/gtfs",
                        {"Registry-Min-Version": str(version)})[0] == 200
            assert [status_on_a(x) for x in _raw_answers(ports[0], [plain] * 3)] == [
                "recommended"] * 3
        finally:
            for process in processes:
                stop_group(process)
        for log in logs:
            assert "Traceback" not in log.read_text(errors="replace")
