"""One SPARQL pool per production server: one process, one store, every web worker asks it.

Opt-in (REGISTRY_SPARQL_SHARED_POOL, `registry serve --production --sparql-shared-pool`):
by default each web worker runs its own `SparqlPool`, whose worker processes each hold an
Oxigraph store of the whole derived graph (190 MB at 10,000 projects): a 4-worker server
holds up to eight copies. That default follows writes faster (bench/README.md, "One
SPARQL pool per server"); this saves the memory. Here the gunicorn master
starts one process beside the workers (`PoolServer`, a sidecar like the overlap job:
restarted if it dies, stopped on exit), listening on a Unix socket in a directory only
the server's user may enter; the workers ask it with `SharedPool`, which answers like
`SparqlPool.run` (same refusals, limits, formats and errors).

The process is single-threaded and holds the one store. Each query is run by a child
forked from it at that moment: the child sees the store as it was at the fork (its
pages shared, copy-on-write; a query only reads them), answers the web worker on the
connection it inherited and exits. A child that outlives the time limit is killed, as
a `SparqlPool` worker is, and only it: the store lives on in the parent. At most `size`
children run at once, at most `waiting` queries wait (for at most `timeout` seconds),
and one beyond both is refused at once: `503` with Retry-After, as today.

Versions. A query says the feed version of the graph its request pinned. If the store
is older (or of another base), the process answers `stale` with the digest of every
chunk it holds; the web worker sends the chunks that differ from its graph and the keys
gone, and the query runs once they are in. The store only moves forward: a query pinned
to an older version than the store's is answered from the newer store, never the
reverse, so an answer is never older than its request's snapshot (read-your-writes and
monotonic reads hold as they do for the worker's own views). A write thus reaches the
store with the first query after it that pinned it, one small chunk at a time.
"""

from __future__ import annotations

import contextlib
import os
import selectors
import shutil
import signal
import socket
import sys
import tempfile
import time
from collections import deque
from collections.abc import Callable
from dataclasses import asdict
from multiprocessing.connection import Client, Connection
from typing import Any

from registry.linked_data.packing import unpack
from registry.linked_data.sparql import (
    SYNC_TIMEOUT,
    WORKER_NICENESS,
    Answer,
    QueryRequest,
    QueryTimeout,
    SparqlError,
    WorkerState,
    limit_memory,
)

SOCKET_NAME = "sparql.sock"
READ_TIMEOUT = 5.0  # a worker sends its request as soon as it connects
VERDICT_MAX = 16_384  # longer query texts are not remembered (a pipe's buffer or less)


def _busy(size: int, waiting: int, timeout: float) -> SparqlError:
    return SparqlError(503, "busy", f"{size} SPARQL queries are running and {waiting} "
                       "waiting: try again shortly", {"running": size, "waiting": waiting},
                       retry_after=max(1, round(timeout)))


def _quit(signum: int, frame: Any) -> None:
    os._exit(0)


class PoolServer:
    """The one process of a server that holds the store and runs its queries."""

    def __init__(self, address: str, size: int = 2, timeout: float = 10.0,
                 max_rows: int = 10_000, memory_mb: int = 0, waiting: int = 4) -> None:
        self.size = max(1, size)
        self.timeout = timeout
        self.max_rows = max_rows
        self.memory_mb = memory_mb
        self.waiting = max(0, waiting)
        self.state = WorkerState()
        self.base: str | None = None
        self.version = -1
        # key -> (compressed N-Triples, digest): what the store holds, to take a chunk
        # out again when it changes (11 MB at 10,000 projects, against 190 MB of store).
        self.held: dict[str, tuple[bytes, str]] = {}
        # child pid -> (its connection, its deadline, the pipe its verdict comes on)
        self.running: dict[int, tuple[Connection, float, int]] = {}
        self.queue: deque[tuple[Connection, tuple[Any, ...], float]] = deque()
        self.pending: dict[Connection, float] = {}  # connected, request not yet read
        self.stopping = False
        self.selector = selectors.DefaultSelector()
        with contextlib.suppress(FileNotFoundError):
            os.unlink(address)  # left by a process that was killed
        self.listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.listener.bind(address)
        self.listener.listen(64)
        self.listener.setblocking(False)
        self.address = address

    # -- the loop --------------------------------------------------------------------

    def serve(self, alive: Callable[[], bool] = lambda: True) -> None:
        """Answer queries until stopped (SIGTERM) or until `alive()` says no."""
        self.selector.register(self.listener, selectors.EVENT_READ)
        try:
            while not self.stopping and alive():
                self._expire()
                self._dispatch()
                for key, _ in self.selector.select(self._next_wake()):
                    if key.fileobj is self.listener:
                        self._accept()
                    elif isinstance(key.data, Connection):
                        self._receive(key.data)
                    else:
                        self._finish(key.data)
        finally:
            self.close()

    def _next_wake(self) -> float:
        now = time.monotonic()
        wakes = [deadline for _, deadline, _ in self.running.values()]
        wakes += [arrived + self.timeout for _, _, arrived in self.queue]
        wakes += [accepted + READ_TIMEOUT for accepted in self.pending.values()]
        # At least twice a second: `alive()` is asked then.
        return max(0.0, min([*wakes, now + 0.5]) - now)

    def _accept(self) -> None:
        try:
            sock, _ = self.listener.accept()
        except (BlockingIOError, InterruptedError):
            return
        sock.setblocking(True)
        conn = Connection(sock.detach())
        # Read when its request arrives: a connection that sends nothing holds no one up.
        self.pending[conn] = time.monotonic()
        self.selector.register(conn, selectors.EVENT_READ, conn)

    def _receive(self, conn: Connection) -> None:
        self.selector.unregister(conn)
        del self.pending[conn]
        try:
            message = conn.recv()
        except (EOFError, OSError, ValueError):
            conn.close()
            return
        if len(self.running) < self.size and not self.queue:
            self._start(conn, message)
        elif len(self.queue) < self.waiting:
            self.queue.append((conn, message, time.monotonic()))
        else:
            self._answer(conn, _busy(self.size, self.waiting, self.timeout).as_tuple())

    def _dispatch(self) -> None:
        while self.queue and len(self.running) < self.size:
            conn, message, _ = self.queue.popleft()
            self._start(conn, message)

    def _expire(self) -> None:
        now = time.monotonic()
        for conn, accepted in list(self.pending.items()):
            if now - accepted > READ_TIMEOUT:
                self.selector.unregister(conn)
                del self.pending[conn]
                conn.close()
        while self.queue and now - self.queue[0][2] > self.timeout:
            conn, _, _ = self.queue.popleft()
            self._answer(conn, SparqlError(
                503, "busy", f"every SPARQL worker is busy (more than {self.timeout:g} s): "
                "try again shortly", retry_after=max(1, round(self.timeout))).as_tuple())
        for pid, (conn, deadline, verdicts) in list(self.running.items()):
            if now >= deadline:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
                with contextlib.suppress(ChildProcessError):
                    os.waitpid(pid, 0)
                del self.running[pid]
                self.selector.unregister(verdicts)
                os.close(verdicts)
                self._answer(conn, QueryTimeout(
                    503, "query-timeout", f"the query ran longer than the limit of "
                    f"{self.timeout:g} s and was stopped: narrow it (fewer unbound "
                    "patterns, a LIMIT, simpler FILTERs)", {"timeout_seconds": self.timeout}
                ).as_tuple())

    def _finish(self, pid: int) -> None:
        """A child closed its pipe: it has answered (or died); its slot is free."""
        conn, _, verdicts = self.running.pop(pid)
        self.selector.unregister(verdicts)
        self._remember(verdicts)
        _, status = os.waitpid(pid, 0)
        if os.waitstatus_to_exitcode(status) == 0:
            conn.close()  # the child answered
        else:
            self._answer(conn, ("error", 503, "query-too-big", "the SPARQL worker stopped "
                                "while answering (it ran out of memory?): narrow the query",
                                {}))

    def _remember(self, verdicts: int) -> None:
        """Keep the form a child found for a query text (parsing costs ~20 ms)."""
        try:
            with os.fdopen(verdicts, "rb") as pipe:
                data = pipe.read()
        except OSError:
            return
        if data:
            form, _, text = data.decode("utf-8", "replace").partition("\n")
            self.state.verdicts.items[text] = form

    @staticmethod
    def _answer(conn: Connection, reply: tuple[Any, ...]) -> None:
        with contextlib.suppress(OSError, ValueError):
            conn.send(reply)
        conn.close()

    # -- a query ---------------------------------------------------------------------

    def _start(self, conn: Connection, message: tuple[Any, ...]) -> None:
        kind, base, version, fields = message
        if kind != "query":
            self._answer(conn, ("error", 400, "bad-request", "unknown request", {}))
            return
        try:
            if base != self.base or version > self.version:
                self._catch_up(conn, base, version)
        except (EOFError, OSError, TimeoutError):
            conn.close()  # the worker gave up; it says so to its client
            return
        except Exception as exc:
            self._answer(conn, SparqlError(503, "unavailable", "the SPARQL pool could not "
                                           f"load the registry's graph ({exc}): try again",
                                           retry_after=1).as_tuple())
            return
        request = QueryRequest(**fields)
        request = QueryRequest(request.text, request.result_format, request.graph_format,
                               min(request.max_rows, self.max_rows))
        read_end, write_end = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: answer, then go
            os.close(read_end)
            self._child(conn, request, base, write_end)
        os.close(write_end)
        self.running[pid] = (conn, time.monotonic() + self.timeout, read_end)
        self.selector.register(read_end, selectors.EVENT_READ, pid)

    def _catch_up(self, conn: Connection, base: str, version: int) -> None:
        """Bring the store to the worker's graph: it sends the chunks that differ."""
        same_base = base == self.base
        conn.send(("stale", {k: d for k, (_, d) in self.held.items()} if same_base else {}))
        if not conn.poll(SYNC_TIMEOUT):
            raise TimeoutError
        _, gone, added = conn.recv()
        if not same_base:
            self.state.reset()
            self.held = {}
            self.base = base
        out = [self.held.pop(k)[0] for k in [*gone, *(k for k, _, _ in added)]
               if k in self.held]
        try:
            self.state.sync(b"".join(unpack(p) for p in out),
                            b"".join(unpack(p) for _, p, _ in added))
        except Exception:
            # Half applied: start again from nothing, the next query loads it all.
            self.state.reset()
            self.base, self.version, self.held = None, -1, {}
            raise
        self.held.update({k: (p, d) for k, p, d in added})
        self.version = version

    def _child(self, conn: Connection, request: QueryRequest, base: str, verdicts: int
               ) -> None:
        code = 0
        try:
            # A server's SIGINT or SIGTERM to its process group ends a query at once.
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            signal.signal(signal.SIGINT, _quit)
            self.listener.close()
            limit_memory(self.memory_mb)
            # A runaway query must not take the CPU from /health and cheap reads: the
            # kernel gives the web processes first call. Not the pool itself: it starts
            # every query and brings in every write's chunks, which requests wait for.
            with contextlib.suppress(OSError):
                os.nice(WORKER_NICENESS)
            known = request.text in self.state.verdicts.items
            try:
                reply: tuple[Any, ...] = ("answer", asdict(self.state.query(request, base)))
            except SparqlError as exc:
                reply = exc.as_tuple()
            except MemoryError:
                reply = ("error", 503, "query-too-big", "the query needed more memory than "
                         "a SPARQL worker may use", {})
            except Exception as exc:  # report rather than die
                reply = ("error", 500, "internal-error", f"the SPARQL worker failed: {exc}",
                         {})
            form = self.state.verdicts.items.get(request.text)
            if not known and isinstance(form, str) and len(request.text) <= VERDICT_MAX:
                os.write(verdicts, f"{form}\n{request.text}".encode())
            conn.send(reply)
            # The pipe closes as the child exits: the parent frees its slot then.
        except BaseException:
            code = 1
        finally:
            os._exit(code)

    def stop(self, *_: Any) -> None:
        """Stop after the current turn of the loop (a signal handler)."""
        self.stopping = True

    def close(self) -> None:
        """Stop every child and the listener."""
        for pid, (conn, _, verdicts) in list(self.running.items()):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, 0)
            os.close(verdicts)
            conn.close()
        self.running.clear()
        self.selector.close()
        while self.queue:
            self.queue.popleft()[0].close()
        for conn in self.pending:
            conn.close()
        self.listener.close()
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.address)


class SharedPool:
    """A web worker's side of the server's pool: `run` as `SparqlPool.run` answers."""

    def __init__(self, address: str, timeout: float = 10.0, max_rows: int = 10_000) -> None:
        self.address = address
        self.timeout = timeout
        self.max_rows = max_rows

    def run(self, graph: Any, request: QueryRequest, store: Any = None) -> Answer:
        """Answer a query over `graph` (a DerivedGraph), or raise SparqlError."""
        request = QueryRequest(request.text, request.result_format, request.graph_format,
                               min(request.max_rows, self.max_rows))
        try:
            conn = Client(self.address, family="AF_UNIX")
        except OSError:
            raise SparqlError(503, "unavailable", "the SPARQL pool of this server is "
                              "starting again: try again shortly", retry_after=5) from None
        try:
            reply = self._ask(conn, graph, request)
        except (EOFError, OSError, ValueError, TypeError, IndexError) as exc:
            raise SparqlError(503, "unavailable", "the SPARQL pool of this server stopped "
                              "while answering: try again shortly", retry_after=5) from exc
        finally:
            conn.close()
        if reply[0] == "error":
            raise SparqlError(reply[1], reply[2], reply[3], reply[4],
                              retry_after=reply[5] if len(reply) > 5 else None)
        return Answer(**reply[1])

    def _ask(self, conn: Connection, graph: Any, request: QueryRequest) -> tuple[Any, ...]:
        conn.send(("query", graph.base, int(graph.key[1]), asdict(request)))
        # The pool bounds the wait (queue) and the query (limit); this is a backstop.
        wait = 2 * self.timeout + READ_TIMEOUT
        while True:
            if not conn.poll(wait):
                raise QueryTimeout(503, "query-timeout", f"the query ran longer than the "
                                   f"limit of {self.timeout:g} s", {"timeout_seconds":
                                                                   self.timeout})
            reply = conn.recv()
            if reply[0] != "stale":
                return reply  # type: ignore[no-any-return]
            held: dict[str, str] = reply[1]
            chunks = graph.chunks
            gone = [k for k in held if k not in chunks]
            added = [(k, c.packed, c.digest) for k, c in chunks.items()
                     if held.get(k) != c.digest]
            conn.send(("sync", gone, added))
            wait = SYNC_TIMEOUT

    def close(self) -> None:
        """Nothing to stop: the pool is the server's."""


class PoolDirectory:
    """The directory of a server's pool socket: only the server's user may enter it."""

    def __init__(self) -> None:
        self.path = tempfile.mkdtemp(prefix="registry-sparql-")  # mode 0700
        self.address = os.path.join(self.path, SOCKET_NAME)

    def command(self, settings: dict[str, Any]) -> list[str]:
        """Return the command that runs the pool with a registry's settings."""
        # SIGINT ignored until the pool's handler is in place: a quick shutdown (Ctrl+C
        # to the server's process group) during its imports would print a traceback.
        return [sys.executable, "-c", "import signal; signal.signal(signal.SIGINT, "
                "signal.SIG_IGN); from registry.linked_data.shared_pool import main; main()",
                "--socket", self.address,
                "--workers", str(int(settings.get("SPARQL_WORKERS", 2))),
                "--timeout", str(float(settings.get("SPARQL_TIMEOUT", 10.0))),
                "--max-rows", str(int(settings.get("SPARQL_MAX_ROWS", 10_000))),
                "--memory-mb", str(int(settings.get("SPARQL_MAX_MEMORY_MB", 0))),
                "--queue", str(int(settings.get("SPARQL_QUEUE", 4)))]

    def wait_listening(self, most: float = 60.0) -> bool:
        """Wait until the pool accepts connections (at most `most` seconds)."""
        deadline = time.monotonic() + most
        while time.monotonic() < deadline:
            with socket.socket(socket.AF_UNIX) as probe:
                try:
                    probe.connect(self.address)
                    return True
                except OSError:
                    pass
            time.sleep(0.05)
        return False

    def remove(self) -> None:
        """Remove the directory and the socket in it."""
        shutil.rmtree(self.path, ignore_errors=True)


def main(argv: list[str] | None = None) -> None:
    """Run the pool of one server (started by `registry serve --production`)."""
    import argparse

    parser = argparse.ArgumentParser(prog="python -m registry.linked_data.shared_pool")
    parser.add_argument("--socket", required=True)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--timeout", type=float, default=10.0)
    parser.add_argument("--max-rows", type=int, default=10_000)
    parser.add_argument("--memory-mb", type=int, default=0)
    parser.add_argument("--queue", type=int, default=4)
    parser.add_argument("--exit-with", type=int, default=0,
                        help="stop when the process of this id is no longer the parent")
    args = parser.parse_args(argv)
    # Parsed in each child: imported once here, shared by every fork.
    import rdflib.plugins.sparql.parser  # noqa: F401
    # pyparsing needs ~20 frames per level of nesting; the children may go deep.
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 4000))
    server = PoolServer(args.socket, args.workers, args.timeout, args.max_rows,
                        args.memory_mb, args.queue)
    signal.signal(signal.SIGTERM, server.stop)
    signal.signal(signal.SIGINT, server.stop)
    parent = args.exit_with
    server.serve((lambda: os.getppid() == parent) if parent else (lambda: True))


if __name__ == "__main__":
    main()
