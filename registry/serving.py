"""The production server: gunicorn with threaded workers that drop slow clients.

`registry serve --production` runs this. Why this shape (measured, see bench/README):

* Threads, not one process per request: a worker's threads wait on slow SPARQL
  queries (answered by separate worker processes, see linked_data.sparql) and on slow
  clients while other threads answer /health and cheap reads. gunicorn's sync workers
  block whole processes on either, which is how eight slow queries or ten slowloris
  connections took /health down.
* A deadline on reading each request: its request line and headers must arrive within
  `header_timeout` seconds of the first byte, its body within `body_timeout` seconds of
  the headers, and a response must be taken by the client within `send_timeout`
  seconds. A slowloris client trickling one byte at a time is dropped at the deadline,
  whatever its pace; a thread is never held longer than these bounds.
* Cached reads answered from the request's bytes (registry.hit_path): a plain GET whose
  answer the response cache holds fresh is answered in the worker's event loop (or
  the thread holding the connection) without gunicorn's parser, WSGI environ or a
  thread hand-off, a fifth to a seventh of the CPU time it took through them; everything
  else goes through gunicorn as before, with what was read of it.
* A listening socket per worker (SO_REUSEPORT; gunicorn's `reuse_port`): the kernel
  spreads new connections over the workers. With one socket shared by the workers
  (gunicorn's default, `--shared-socket`), whichever worker wakes first takes a
  connection, so connections opened together split unevenly (8:24, even 32:0) and
  the tail of the busier worker is the server's: on a quiet machine, at a fixed 10x
  Datasette's rate, the p99 of one standard was 4.2 ms per worker against 7.7 ms
  shared, lower in every one of 6 paired rounds (bench/README.md, catalogue_http).
  The cost: a worker that is replaced resets the connections still waiting in its
  queue (unless Linux's net.ipv4.tcp_migrate_req is 1), and a read took 20-40% more
  CPU time on a busy machine.
* The app is loaded once in the master (preload): a configuration that must not serve
  (production without a base IRI, a damaged database...) stops the command with its
  message before any worker starts; workers then share its memory (frozen for the
  collector, so their collections leave its pages shared), and their threads share
  two C heaps (registry.readmodel.memory.limit_arenas).
* The reuse overlaps are computed by one process beside the workers
  (`registry overlaps`, see registry/readmodel/overlap_job.py), not in each worker:
  a process of its own, not a thread of the master, because the master forks the
  workers (a respawned worker would inherit the computation's garbage) and must stay
  free to supervise them; a fresh interpreter, not a fork, so that it shares nothing
  with the app. The master starts it when ready, starts it again if it dies (checked
  in its loop, at most every RESTART_AFTER seconds) and stops it on exit; it stops by
  itself if the master is gone. On PostgreSQL one of them computes across every
  server (an advisory lock).
* SPARQL queries are answered by each worker's own pool of SPARQL processes, or,
  opted in (REGISTRY_SPARQL_SHARED_POOL, `--sparql-shared-pool`), by one pool beside
  the workers (registry/linked_data/shared_pool.py), kept running as the overlap job
  is: one Oxigraph store of the derived graph for the server, not one per SPARQL
  process of each worker. The workers ask it over a Unix socket in a directory of the
  master's (removed on exit); with an external SPARQL store it is not started. Not the
  default: it halves a server's memory at 10,000 projects but a write takes longer to
  reach its SPARQL answers (bench/README.md).
"""

from __future__ import annotations

import contextlib
import os
import select
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from gunicorn.app.base import BaseApplication
from gunicorn.arbiter import Arbiter
from gunicorn.http.errors import NoMoreData
from gunicorn.workers.gthread import ThreadWorker

from registry.hit_path import MAX_REQUEST_BYTES, HitWriter
from registry.response_cache import ResponseCache

HOLD_BYTES = 64 * 1024  # a response's first bytes held back to go out together
# How long a thread that answered a request on a kept-alive connection waits for the
# next one on it (when no other connection waits for a thread) before handing the
# connection back to the worker's poller. Clients that send request after request
# (browsers loading a page, API clients, load balancers) are then served without a
# round trip through the poller thread, which costs more than a cached answer itself.
KEEPALIVE_LINGER = 0.005
LINGER_REQUESTS = 1000  # then the poller takes the connection back once
# How long a thread waits for its turn (see Gate) before it answers without one.
GATE_WAIT = 0.02


class Gate:
    """Turns to answer requests: at most `size` threads of a worker at once (0: no limit).

    With 32 threads, a worker's kept-alive connections each have a thread, and every
    request wakes its own: up to 16 threads at once take the interpreter lock from each
    other at every system call. With a limit the others wait their turn blocked, in
    order, not contending for the lock. A thread waiting on its client gives its turn
    up meanwhile (`stepped_out`). One held up in the app (a slow SPARQL query, a
    database lock) keeps it, so nobody waits more than GATE_WAIT for a turn: then it
    answers without one, as all do without a limit. Off by default (`--active-threads
    0`): on a busy machine a limit of 2 cost less CPU a read and had a shorter p99 in
    some runs and more in others (bench/README, catalogue_http).
    """

    def __init__(self, size: int) -> None:
        self._semaphore = threading.Semaphore(size) if size > 0 else None
        self._held = threading.local()

    def holding(self) -> bool:
        """Return True when the calling thread has a turn."""
        return bool(getattr(self._held, "on", False))

    def enter(self) -> None:
        """Take a turn, waiting GATE_WAIT at most (none when it is not given)."""
        if self._semaphore is not None and not self.holding():
            self._held.on = self._semaphore.acquire(timeout=GATE_WAIT)

    def leave(self) -> None:
        """Give the turn back, if the calling thread has one."""
        if self._semaphore is not None and self.holding():
            self._held.on = False
            self._semaphore.release()

    @contextlib.contextmanager
    def stepped_out(self) -> Iterator[None]:
        """Give the turn up while waiting on a client; take it again after."""
        held = self.holding()
        if held:
            self.leave()
        try:
            yield
        finally:
            if held:
                self.enter()


GATE = Gate(0)  # each worker sets its own (post_fork)


@dataclass(frozen=True)
class ServeOptions:
    """How the production server runs."""

    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = 2
    threads: int = 32
    header_timeout: float = 10.0
    body_timeout: float = 30.0
    send_timeout: float = 30.0
    keepalive: float = 5.0
    active_threads: int = 0
    access_log: str | None = None
    overlap_job: bool = False  # start `registry overlaps` beside the workers
    socket_per_worker: bool = True  # False: one socket shared by the workers
    hit_path: bool = True  # cached answers straight from the request (registry.hit_path)

    @property
    def bind(self) -> str:
        """Return gunicorn's bind address."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"


class DeadlineSocket:
    """A client socket whose reads and writes give up at a deadline.

    Every recv waits at most until `deadline` (a time.monotonic() value), however
    little each call receives: a per-call timeout alone would let a client that sends
    a byte a second keep the thread forever.

    Its timeout and blocking mode are kept here, not set on the socket: gunicorn sets
    them several times per request (a system call or two each), while what arrived
    already is read, and a short answer sent, without waiting at all. Only a read or a
    write that would wait polls the socket, for at most what the timeout, the deadline
    or send_timeout allow.
    """

    def __init__(self, sock: socket.socket, send_timeout: float) -> None:
        self._sock = sock
        sock.setblocking(True)  # for good: waits go through poll() below
        self._timeout: float | None = None  # what gunicorn asked for: None blocks
        self.deadline: float | None = None
        self.quiet = True  # at the deadline: close quietly (headers) or raise (body)
        self.send_timeout = send_timeout
        self._holding = False
        self._held: list[bytes] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self._sock, name)

    def fileno(self) -> int:
        """Return the file descriptor (for selectors)."""
        return self._sock.fileno()

    def settimeout(self, value: float | None) -> None:
        """Keep the timeout for the next reads (the socket itself is not touched)."""
        self._timeout = value

    def gettimeout(self) -> float | None:
        """Return the timeout set last."""
        return self._timeout

    def setblocking(self, flag: bool) -> None:
        """Block (no timeout) or not at all, as socket.setblocking."""
        self._timeout = None if flag else 0.0

    def _wait(self, events: int, seconds: float | None) -> bool:
        poller = select.poll()
        poller.register(self._sock.fileno(), events)
        with GATE.stepped_out():
            return bool(poller.poll(None if seconds is None else max(0.0, seconds) * 1000))

    def recv(self, size: int, *flags: int) -> bytes:
        """Receive, waiting at most the timeout and until the deadline."""
        self.flush()  # a client may wait for what was held back (100 Continue)
        flag = flags[0] if flags else 0
        try:
            return self._sock.recv(size, flag | socket.MSG_DONTWAIT)
        except BlockingIOError:
            if self._timeout == 0.0:
                raise
        wait = self._timeout
        by_deadline = False
        if self.deadline is not None:
            remaining = self.deadline - time.monotonic()
            if remaining <= 0:
                self._expired()
            if wait is None or remaining < wait:
                wait, by_deadline = remaining, True
        if not self._wait(select.POLLIN, wait):
            if by_deadline:
                self._expired()
            raise TimeoutError("timed out")
        return self._sock.recv(size, flag)

    def _expired(self) -> None:
        if self.quiet:
            # gunicorn closes the connection and logs a premature disconnection (debug).
            raise NoMoreData(b"")
        raise TimeoutError("the request body did not arrive in time")

    def hold(self) -> None:
        """Keep small writes back until flush(): a response's head goes with its body."""
        self._holding = True

    def flush(self) -> None:
        """Send what was held back, and stop holding."""
        self._holding = False
        if self._held:
            data, self._held = b"".join(self._held), []
            self._send_all(data)

    def sendall(self, data: Any, *flags: int) -> None:
        """Send everything, or give up after send_timeout (a client that reads nothing)."""
        if self._holding and not flags:
            # gunicorn writes a response's head and then its body: one packet and one
            # system call instead of two, for the short answers most reads are.
            self._held.append(bytes(data))
            if sum(map(len, self._held)) < HOLD_BYTES:
                return
            data, self._held = b"".join(self._held), []
        elif self._held:
            self.flush()
        self._send_all(data, *flags)

    def _send_all(self, data: Any, *flags: int) -> None:
        view = memoryview(data)
        if not flags:
            # Most answers fit the socket's buffer: sent at once, the timeout untouched.
            try:
                sent = self._sock.send(view, socket.MSG_DONTWAIT)
            except BlockingIOError:
                sent = 0
            if sent == len(view):
                return
            view = view[sent:]
        self._sock.settimeout(self.send_timeout)
        try:
            with GATE.stepped_out():
                self._sock.sendall(view, *flags)
        finally:
            self._sock.settimeout(None)

    def send(self, data: Any, *flags: int) -> int:
        """Send some bytes, waiting at most send_timeout."""
        self.flush()
        self._sock.settimeout(self.send_timeout)
        try:
            return self._sock.send(data, *flags)
        finally:
            self._sock.settimeout(None)

    def recv_now(self, size: int) -> bytes | None:
        """Return what arrived (b"" at the end), or None when nothing did; never waits."""
        if self._held:
            return None  # the client may wait for those bytes before it sends more
        try:
            return self._sock.recv(size, socket.MSG_DONTWAIT)
        except (BlockingIOError, InterruptedError):
            return None

    def send_now(self, data: bytes) -> bool:
        """Send what fits without waiting; keep the rest for flush(). True: all sent."""
        try:
            sent = self._sock.send(data, socket.MSG_DONTWAIT)
        except (BlockingIOError, InterruptedError):
            sent = 0
        if sent < len(data):
            self._held.append(data[sent:])
            return False
        return True

    def close(self) -> None:
        """Send what was held back (best effort), then close."""
        with contextlib.suppress(OSError):
            self.flush()
        self._sock.close()


class GuardedThreadWorker(ThreadWorker):
    """gunicorn's threaded worker with read and write deadlines on every request."""

    def accept(self, listener: Any) -> None:
        """Accept a connection; its socket gets deadlines."""
        original = listener.accept

        class _Wrapping:
            def __init__(self, worker: GuardedThreadWorker) -> None:
                self.worker = worker

            def accept(self) -> tuple[Any, Any]:
                client, address = original()
                return DeadlineSocket(client, self.worker.cfg.registry_send_timeout), address

            def __getattr__(self, name: str) -> Any:
                return getattr(listener, name)

        super().accept(_Wrapping(self))

    hit_writer: HitWriter | None = None

    def run(self) -> None:
        """Serve until stopped, answering kept answers at once where they can be."""
        self.hit_writer = _hit_writer(self.wsgi, self.cfg)
        super().run()

    def on_client_socket_readable(self, conn: Any, client: Any) -> None:
        """Answer a kept-alive connection's request here when the cache holds it.

        In the worker's event loop, not a thread of the pool: no thread is woken and
        handed the connection back for a cached answer. Anything else goes to a thread
        as before, with what was read of it.
        """
        answered = self._answer_at_once(conn)
        if answered is True:
            # It stays registered with the poller; its keep-alive time starts again.
            with contextlib.suppress(ValueError):
                self.keepalived_conns.remove(conn)
            conn.set_timeout()
            self.keepalived_conns.append(conn)
            return
        # Not answered, or the answer did not all fit in the socket's buffer: a thread
        # sends the rest (within send_timeout) before it reads the next request.
        super().on_client_socket_readable(conn, client)

    def _answer_at_once(self, conn: Any) -> bool | None:
        """Answer the request that arrived on `conn` from the response cache.

        True: answered in full; False: answered, part of it still held in the socket
        (sent by the next read); None: not answered, and what was read of the request
        is back in gunicorn's parser (or the client is gone).
        """
        writer, sock = self.hit_writer, conn.sock
        if (writer is None or not isinstance(sock, DeadlineSocket) or conn.parser is None
                or conn.is_http2 or not self.alive
                # gunicorn would close the connection after this request.
                or self.nr + 1 >= self.max_requests
                or len(self.keepalived_conns) + 1 >= self.max_keepalived
                or conn.parser.unreader.buf.getvalue()):
            return None
        try:
            data = sock.recv_now(MAX_REQUEST_BYTES + 2)
        except OSError:
            return None  # gunicorn's own read meets the error too
        if not data:
            return None
        try:
            answer = writer.answer(data)
        except Exception:  # noqa: BLE001 - the app's own path answers (or reports) it
            answer = None
        if answer is None:
            conn.parser.unreader.unread(data)
            return None
        self.nr += 1
        try:
            return sock.send_now(answer)
        except OSError:
            # The client is gone (reset, broken pipe): gunicorn's read of the connection
            # meets the end too and closes it, as for any request. Never raised here,
            # in the worker's event loop, which would stop.
            return None

    def handle(self, conn: Any) -> Any:
        """Answer requests on a connection: the first, and those that follow at once."""
        result = self._handle_one(conn)
        served = 1
        while (result is True and served < LINGER_REQUESTS and self.alive
               and self._next_request_ready(conn)):
            result = self._answer_at_once(conn) or self._handle_one(conn)
            served += 1
        return result

    def _next_request_ready(self, conn: Any) -> bool:
        """Return True when the connection's next request is here or comes at once.

        Only while no other connection waits for a thread: a waiting client is never
        held back for one that keeps sending.
        """
        if getattr(conn, "is_http2", False) or not self.tpool._work_queue.empty():
            return False
        if conn.parser is not None and conn.parser.unreader.buf.getvalue():
            return True  # pipelined: already read
        poller = select.poll()
        try:
            poller.register(conn.sock.fileno(), select.POLLIN)
            return bool(poller.poll(KEEPALIVE_LINGER * 1000))
        except (OSError, ValueError):
            return False

    def _handle_one(self, conn: Any) -> Any:
        """Read and answer one request, with the header deadline from now."""
        sock = conn.sock
        if isinstance(sock, DeadlineSocket):
            # Counted from when a thread takes the connection: the first byte may take
            # gunicorn's own data timeout, the rest of the headers this long.
            sock.deadline = time.monotonic() + self.cfg.registry_header_timeout
            sock.quiet = True
        GATE.enter()
        try:
            return super().handle(conn)
        finally:
            GATE.leave()
            if isinstance(sock, DeadlineSocket):
                sock.deadline = None

    def handle_request(self, req: Any, conn: Any) -> Any:
        """Answer a request whose headers arrived; its body gets its own deadline."""
        sock = conn.sock
        if isinstance(sock, DeadlineSocket):
            sock.deadline = time.monotonic() + self.cfg.registry_body_timeout
            sock.quiet = False
            sock.hold()
        try:
            return super().handle_request(req, conn)
        finally:
            if isinstance(sock, DeadlineSocket):
                sock.flush()


def _hit_writer(app: Any, cfg: Any) -> HitWriter | None:
    """Return what answers cached reads at once for this app, or None (all go to it).

    None when there is no response cache (or no way to ask it without waiting), when
    requests are logged (the access log is written by gunicorn's path), over TLS, or
    when the server was asked not to (`hit_path`).
    """
    cache = getattr(app, "wsgi_app", None)
    if (not isinstance(cache, ResponseCache) or cache.fresh is None or cfg.accesslog
            or cfg.is_ssl or not getattr(cfg, "registry_hit_path", True)):
        return None
    return HitWriter(cache)


RESTART_AFTER = 5.0  # seconds between two starts of the overlap job


class Sidecar:
    """A process of its own beside the workers (the overlap job), kept running."""

    def __init__(self, command: list[str]) -> None:
        self.command = command
        self.process: subprocess.Popen[bytes] | None = None
        self.started = 0.0

    def ensure(self) -> None:
        """Start the process unless it runs (not twice within RESTART_AFTER seconds)."""
        if self.process is not None and self._running(self.process.pid):
            return
        if time.monotonic() - self.started < RESTART_AFTER:
            return
        self.started = time.monotonic()
        self.process = subprocess.Popen([*self.command, "--exit-with", str(os.getpid())],
                                        stdin=subprocess.DEVNULL, close_fds=True)

    @staticmethod
    def _running(pid: int) -> bool:
        # gunicorn's master reaps every child (waitpid(-1)): once reaped, the id is gone.
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        with contextlib.suppress(ChildProcessError):
            done, _status = os.waitpid(pid, os.WNOHANG)
            if done:
                return False
        return True

    def stop(self, wait: float = 10.0) -> None:
        """Stop the process (SIGTERM, then SIGKILL after `wait` seconds)."""
        process, self.process = self.process, None
        if process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            process.send_signal(signal.SIGTERM)
        try:
            process.wait(wait)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                process.kill()
        except ChildProcessError:
            pass


def _share_sparql_pool(app: Any) -> Any:
    """Point the app at a SPARQL pool for the whole server; return its directory (or None)."""
    from registry.linked_data.shared_pool import PoolDirectory

    linked = getattr(app, "extensions", {}).get("linked_data")
    if linked is None:
        return None
    directory = PoolDirectory()
    if not linked.share_pool(directory.address):
        directory.remove()
        return None
    return directory


class _Arbiter(Arbiter):  # type: ignore[misc]
    """gunicorn's master, also keeping the sidecars running."""

    def manage_workers(self) -> None:
        super().manage_workers()
        for sidecar in getattr(self.app, "sidecars", ()):
            sidecar.ensure()


class ProductionServer(BaseApplication):  # type: ignore[misc]
    """gunicorn, configured from ServeOptions, serving an app built once in the master."""

    def __init__(self, app: Any, options: ServeOptions) -> None:
        self.application = app
        self.options = options
        self.sidecars: list[Sidecar] = []
        if options.overlap_job:
            self.sidecars.append(Sidecar(
                [sys.executable, "-c", "from registry.cli import main; main()", "overlaps"]))
        # One SPARQL pool for every worker (registry.linked_data.shared_pool), if asked.
        self.sparql_directory = _share_sparql_pool(app) \
            if app.config["REGISTRY"].get("SPARQL_SHARED_POOL") else None
        if self.sparql_directory is not None:
            self.sidecars.append(Sidecar(self.sparql_directory.command(
                app.config["REGISTRY"])))
        super().__init__()

    def run(self) -> None:
        """Run the master (and the sidecars) until stopped."""
        try:
            if self.sparql_directory is not None:
                # Listening before the workers answer: SPARQL works once /health does.
                self.sidecars[-1].ensure()
                self.sparql_directory.wait_listening()
            _Arbiter(self).run()
        finally:
            for sidecar in self.sidecars:
                sidecar.stop()
            if self.sparql_directory is not None:
                self.sparql_directory.remove()

    def load_config(self) -> None:
        """Set gunicorn's settings."""
        o = self.options
        settings = {
            "bind": [o.bind],
            "workers": o.workers,
            "worker_class": "registry.serving.GuardedThreadWorker",
            "threads": o.threads,
            "keepalive": max(1, round(o.keepalive)),
            # Heartbeat: a worker whose main loop stalls this long is replaced.
            "timeout": 60,
            "graceful_timeout": 30,
            "preload_app": True,
            "limit_request_line": 8190,
            "limit_request_fields": 100,
            "limit_request_field_size": 8190,
            "accesslog": o.access_log,
            "proc_name": "registry",
            "post_fork": _post_fork,
            "control_socket_disable": True,  # no shared socket in $HOME to steer it by
            # Each worker binds its own socket to the address (see the module's notes).
            "reuse_port": o.socket_per_worker,
        }
        for key, value in settings.items():
            self.cfg.set(key, value)
        # Read by GuardedThreadWorker (gunicorn's config has no such settings).
        self.cfg.registry_header_timeout = o.header_timeout
        self.cfg.registry_body_timeout = o.body_timeout
        self.cfg.registry_send_timeout = o.send_timeout
        self.cfg.registry_active_threads = o.active_threads
        self.cfg.registry_hit_path = o.hit_path

    def load(self) -> Any:
        """Return the WSGI app (already built)."""
        return self.application


SWITCH_INTERVAL = 0.0005  # seconds; Python's default of 5 ms shows in every tail latency


def _post_fork(_server: Any, worker: Any) -> None:
    import sys

    global GATE
    GATE = Gate(getattr(worker.cfg, "registry_active_threads", 0))

    # A worker's main thread (the poller) and its request threads hand the GIL to each
    # other on every request: a short switch interval keeps a ready answer from
    # waiting behind another thread's computation.
    sys.setswitchinterval(SWITCH_INTERVAL)
    # Database connections opened by the master while it built the app must not be
    # shared with the workers: each worker opens its own.
    app = worker.app.application if hasattr(worker.app, "application") else None
    services = getattr(app, "extensions", {}).get("registry") if app is not None else None
    if services is not None:
        services.store.engine.dispose(close=False)


class AddressInUse(Exception):
    """Something already listens on the address the server was asked to listen on."""


def check_address_free(options: ServeOptions) -> None:
    """Raise AddressInUse when a socket is already bound to the server's address.

    With a socket per worker, SO_REUSEPORT would let the workers join the sockets of
    another server of the same user on that port (each then answering part of the
    requests) instead of failing: a plain bind tells first.
    """
    family = socket.AF_INET6 if ":" in options.host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        # Like gunicorn's sockets: a port left in TIME_WAIT by a stopped server is free.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((options.host, options.port))
        except OSError as exc:
            raise AddressInUse(f"cannot listen on {options.bind}: {exc.strerror}") from None


# Compiled libraries the workers load anyway: pyoxigraph (IRI checks of the derived
# graph, RDF conversions) and jsonschema_rs (every write's validation). Loaded by the
# master, a forked worker's resident memory holds only the pages of them it touches;
# loaded by a worker, its dynamic loader touches most of the file (pyoxigraph: 12.3 MB
# resident in a worker that loaded it, 4.8 MB in one forked from a master that had).
# Pure-Python libraries are no cheaper preloaded (their objects are copied into each
# worker's memory either way), so rdflib stays where it is used (bench/README.md).
PRELOADED = ("pyoxigraph", "jsonschema_rs")


def preload_libraries() -> None:
    """Import the compiled libraries every worker will use (see PRELOADED)."""
    import importlib

    for name in PRELOADED:
        importlib.import_module(name)


def serve(app: Any, options: ServeOptions) -> None:
    """Run the production server until it is stopped (SIGTERM or Ctrl+C)."""
    import gc

    from registry.readmodel.memory import give_back, limit_arenas

    if options.socket_per_worker:
        check_address_free(options)
    # Inherited by every worker: their threads share two C heaps instead of one each
    # (see registry.readmodel.memory).
    limit_arenas()
    preload_libraries()
    # What the master built (libraries, the app, the catalogue) is shared with the
    # workers copy-on-write; frozen, the workers' collections never write to it, so
    # its pages stay shared (it counts in each worker's RSS still, once in PSS).
    gc.collect()
    gc.freeze()
    # What building the app freed (some 2 MB of glibc's heap) would otherwise be copied
    # into every worker's resident memory by the fork.
    give_back()
    ProductionServer(app, options).run()
