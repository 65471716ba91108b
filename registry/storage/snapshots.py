"""Per-process cache of the catalogue snapshot, rebuilt when the stored revision moves."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from registry.catalogue.snapshot import Catalogue
from registry.storage.store import Store


class SnapshotCache:
    """Serve one immutable Catalogue per catalogue revision, and memoise derived answers.

    The store is asked for the catalogue version at most every `ttl` seconds, so every
    worker of a multi-process deployment follows a change within `ttl`; a write made by
    this process invalidates at once.
    """

    def __init__(self, store: Store, ttl: float = 1.0, memo_size: int = 512) -> None:
        self.store = store
        self.ttl = ttl
        self.memo_size = memo_size
        self._lock = threading.Lock()
        self._catalogue: Catalogue | None = None
        self._checked = 0.0
        self._memo: OrderedDict[Any, Any] = OrderedDict()

    def get(self) -> Catalogue:
        """Return the current catalogue snapshot."""
        now = time.monotonic()
        current = self._catalogue
        if current is not None and now - self._checked < self.ttl:
            return current
        with self._lock:
            if self._catalogue is not None and now - self._checked < self.ttl:
                return self._catalogue
            version = str(self.store.catalogue_version())
            if self._catalogue is None or self._catalogue.version != version:
                self._catalogue = self.store.load_catalogue()
                self._memo.clear()
            self._checked = time.monotonic()
            return self._catalogue

    def invalidate(self) -> None:
        """Forget the snapshot so the next `get` reads the store."""
        with self._lock:
            self._catalogue = None
            self._memo.clear()

    def memo(self, key: Any, compute: Callable[[], Any]) -> Any:
        """Return a value derived from the current snapshot, computing it once per revision."""
        catalogue = self.get()
        full_key = (catalogue.version, key)
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
