"""Guards of the fuzzing and hostile-input tests: no outbound connection, no stray file read.

Every test of this package runs with two guards, and fails when either caught something:

- sockets: `socket.socket.connect` (and `connect_ex`) and `socket.create_connection`
  refuse any address that is not loopback (or a Unix socket), so a remote JSON-LD
  context, a SPARQL `SERVICE` or an XML external entity cannot reach the network;
- files: an audit hook (``sys.addaudithook``; permanent for the process, so installed once,
  at import, and armed only while a test of this package runs) records every `open` of a
  path outside the places a Python process legitimately reads: the repository, the
  temporary folder, the interpreter's prefixes (stdlib, site-packages) and a few system
  files (/proc, /sys, /dev, TLS certificates, time zones, locale and MIME tables...).
"""

from __future__ import annotations

import ipaddress
import os
import site
import socket
import sys
import sysconfig
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]

# System paths that Python and its libraries read on their own (never user data).
SYSTEM_PREFIXES = ("/proc/", "/sys/", "/dev/", "/etc/ssl/", "/usr/share/zoneinfo/",
                   "/usr/lib/ssl/", "/etc/localtime", "/usr/share/locale/",
                   "/usr/lib/locale/", "/etc/mime.types", "/etc/apache2/mime.types",
                   "/etc/httpd/mime.types", "/usr/share/mime/", "/etc/ld.so",
                   "/usr/lib/x86_64-linux-gnu/", "/lib/x86_64-linux-gnu/", "/usr/lib64/",
                   "/etc/nsswitch.conf", "/etc/hosts", "/etc/resolv.conf", "/etc/host.conf",
                   "/etc/gai.conf")


def _allowed_roots() -> tuple[str, ...]:
    roots = {str(ROOT), tempfile.gettempdir(), os.path.realpath(tempfile.gettempdir()),
             sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix,
             *(p for p in site.getsitepackages()), site.getusersitepackages(),
             *(v for k, v in sysconfig.get_paths().items()),
             os.path.realpath(sys.base_prefix)}
    if os.environ.get("PYTEST_DEBUG_TEMPROOT"):
        roots.add(os.environ["PYTEST_DEBUG_TEMPROOT"])
    return tuple(sorted({r.rstrip("/") + "/" for r in roots if r}))


ALLOWED_ROOTS = _allowed_roots()


class FileGuard:
    """Records opens of paths outside the allowed places, while armed."""

    def __init__(self) -> None:
        self.armed = False
        self.seen: list[str] = []
        self._lock = threading.Lock()

    def allowed(self, path: str) -> bool:
        """Return True for a path a test may open."""
        full = os.path.abspath(path)
        if full.startswith(ALLOWED_ROOTS) or full.startswith(SYSTEM_PREFIXES):
            return True
        return full.rstrip("/") + "/" in ALLOWED_ROOTS  # a root itself (os.scandir...)

    def hook(self, event: str, args: tuple[Any, ...]) -> None:
        """The audit hook: note an `open` of a path outside the allowed places."""
        if not self.armed or event != "open" or not args:
            return
        path = args[0]
        if isinstance(path, int) or path is None:
            return  # a file descriptor, already open
        try:
            text = os.fsdecode(path)
        except (TypeError, ValueError):
            return
        if not self.allowed(text):
            with self._lock:
                self.seen.append(text)


FILES = FileGuard()
sys.addaudithook(FILES.hook)


def _is_loopback(host: Any) -> bool:
    if not isinstance(host, str):
        return False
    if host in ("localhost", "localhost.localdomain", ""):
        return True
    try:
        return ipaddress.ip_address(host.split("%", 1)[0]).is_loopback
    except ValueError:
        return False  # a name other than localhost: it would be resolved, then reached


class NetworkGuard:
    """Refuses connections to non-loopback addresses and remembers the attempts."""

    def __init__(self) -> None:
        self.attempts: list[str] = []

    def check(self, family: int, address: Any) -> None:
        """Raise (and remember) when `address` is outside this machine."""
        if family == getattr(socket, "AF_UNIX", None):
            return
        host = address[0] if isinstance(address, tuple) and address else address
        if not _is_loopback(host):
            self.attempts.append(repr(address))
            raise ConnectionRefusedError(f"test guard: no outbound connection ({address!r})")


@pytest.fixture(autouse=True)
def no_outbound_connections(monkeypatch: pytest.MonkeyPatch) -> Iterator[NetworkGuard]:
    """Make every socket connection to a non-loopback address fail, and fail the test."""
    guard = NetworkGuard()
    connect, connect_ex = socket.socket.connect, socket.socket.connect_ex
    create_connection = socket.create_connection

    def guarded_connect(self: socket.socket, address: Any) -> None:
        guard.check(self.family, address)
        return connect(self, address)

    def guarded_connect_ex(self: socket.socket, address: Any) -> int:
        guard.check(self.family, address)
        return connect_ex(self, address)

    def guarded_create_connection(address: Any, *args: Any, **kwargs: Any) -> socket.socket:
        guard.check(socket.AF_INET, address)
        return create_connection(address, *args, **kwargs)

    monkeypatch.setattr(socket.socket, "connect", guarded_connect)
    monkeypatch.setattr(socket.socket, "connect_ex", guarded_connect_ex)
    monkeypatch.setattr(socket, "create_connection", guarded_create_connection)
    yield guard
    assert not guard.attempts, f"outbound connections attempted: {guard.attempts}"


@pytest.fixture(autouse=True)
def no_stray_file_reads() -> Iterator[FileGuard]:
    """Fail a test that opened a file outside the project and the interpreter's places."""
    FILES.seen.clear()
    FILES.armed = True
    try:
        yield FILES
    finally:
        FILES.armed = False
    seen, FILES.seen[:] = list(FILES.seen), []
    assert not seen, f"files opened outside the project: {sorted(set(seen))}"
