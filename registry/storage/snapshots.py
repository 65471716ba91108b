"""Per-process caches of the catalogue and roadmap snapshots, rebuilt when the store moves."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, Generic, TypeVar

from registry.catalogue.snapshot import Catalogue
from registry.storage.store import CATALOGUE_STATE, ROADMAP_STATE, Store

T = TypeVar("T")


class VersionedCache(Generic[T]):
    """Serve one immutable value per stored version, and memoise what is derived from it.

    The store is asked for the version at most every `ttl` seconds, so every worker of a
    multi-process deployment follows a change within `ttl`; a write made by this process
    invalidates at once.
    """

    def __init__(self, store: Store, state: int, load: Callable[[], T], ttl: float = 1.0,
                 memo_size: int = 512) -> None:
        self.store = store
        self.state = state
        self.load = load
        self.ttl = ttl
        self.memo_size = memo_size
        self._lock = threading.Lock()
        self._value: T | None = None
        self._version: int | None = None
        self._checked = 0.0
        self._memo: OrderedDict[Any, Any] = OrderedDict()

    def _fresh(self) -> bool:
        return self._value is not None and time.monotonic() - self._checked < self.ttl

    def get(self) -> T:
        """Return the current snapshot."""
        if self._fresh():
            return self._value  # type: ignore[return-value]
        with self._lock:
            if self._fresh():
                return self._value  # type: ignore[return-value]
            version = self.store.version(self.state)
            if self._value is None or self._version != version:
                # Read the version first: a write landing during the load makes the
                # next check reload rather than keep a stale value.
                self._value = self.load()
                self._version = version
                self._memo.clear()
            self._checked = time.monotonic()
            return self._value

    @property
    def version(self) -> int:
        """Return the stored version of the current snapshot."""
        self.get()
        return self._version or 0

    def invalidate(self) -> None:
        """Forget the snapshot so the next `get` reads the store."""
        with self._lock:
            self._value = None
            self._memo.clear()

    def memo(self, key: Any, compute: Callable[[], Any]) -> Any:
        """Return a value derived from the current snapshot, computing it once per version."""
        self.get()
        full_key = (self._version, key)
        try:
            value = self._memo[full_key]
            self._memo.move_to_end(full_key)
            return value
        except KeyError:
            pass
        value = compute()
        with self._lock:
            self._memo[full_key] = value
            while len(self._memo) > self.memo_size:
                self._memo.popitem(last=False)
        return value


class SnapshotCache(VersionedCache[Catalogue]):
    """The catalogue snapshot of the current stored catalogue revision."""

    def __init__(self, store: Store, ttl: float = 1.0, memo_size: int = 512) -> None:
        super().__init__(store, CATALOGUE_STATE, store.load_catalogue, ttl, memo_size)


class RoadmapCache(VersionedCache[Any]):
    """The roadmap snapshot (every stored project) of the current roadmap revision."""

    def __init__(self, store: Store, ttl: float = 1.0, memo_size: int = 256) -> None:
        from registry.analysis.roadmap import Roadmap

        super().__init__(store, ROADMAP_STATE,
                         lambda: Roadmap.from_records(store.all("project")), ttl, memo_size)
