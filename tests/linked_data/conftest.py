"""Fixtures of the linked-data tests: no network, the shipped catalogue, example sheets."""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from registry.documents.parse import parse_document

ROOT = Path(__file__).resolve().parents[2]
SKOS_DATA = ROOT / "tests" / "data" / "skos"
EXAMPLES = sorted((ROOT / "examples").glob("*.yaml"))


class NetworkRefused(RuntimeError):
    """A test tried to reach another machine."""


def _loopback(address: Any) -> bool:
    host = address[0] if isinstance(address, tuple) else address
    if not isinstance(host, str):
        return True  # AF_UNIX paths (the SPARQL workers' pipes) and the like
    if host in ("localhost", ""):
        return True
    try:
        return ipaddress.ip_address(host.split("%")[0]).is_loopback
    except ValueError:
        return False  # a host name other than localhost: it would need DNS


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Make connecting to anything but this machine (and resolving names) raise."""
    real_connect = socket.socket.connect
    real_getaddrinfo = socket.getaddrinfo

    def connect(self: socket.socket, address: Any) -> Any:
        if self.family in (socket.AF_INET, socket.AF_INET6) and not _loopback(address):
            raise NetworkRefused(f"a test tried to connect to {address!r}")
        return real_connect(self, address)

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        if host is not None and not _loopback((host,)):
            raise NetworkRefused(f"a test tried to resolve {host!r}")
        return real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    yield


@pytest.fixture(autouse=True)
def _guard(no_network: None) -> None:
    """Every test of this package runs without network."""


@pytest.fixture(scope="session")
def example_sheets() -> list[dict[str, Any]]:
    """Return the example roadmap's sheets."""
    return [parse_document(path.read_bytes()).value for path in EXAMPLES]


@pytest.fixture(scope="session")
def example_projects(example_sheets: list[dict[str, Any]]) -> list[Any]:
    """Return the example sheets as stored projects (what GraphBuilder reads)."""
    return [SimpleNamespace(id=s["id"], sheet=s, revision=1, digest=f"d-{s['id']}",
                            updated_at=None) for s in example_sheets]
