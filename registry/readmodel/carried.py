"""Parts of answers that outlive the snapshot they were made for, keyed by what they read.

A snapshot's memo dies with it, so after one write every page would be made again
whole, although the write changes few of its parts. A part whose key names everything
it reads (the revisions of the records it shows, the catalogue's version, the language,
its place on the page) is the same in the next snapshot whenever its key is: `Carried`
keeps such parts from one snapshot to the next, bounded (the least recently used go).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any

_MISSING = object()


class Carried:
    """A bounded map from a part's key (everything it reads) to the part."""

    def __init__(self, size: int = 4096) -> None:
        self.size = size
        self._items: OrderedDict[Hashable, Any] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable, compute: Callable[[], Any]) -> Any:
        """Return the part kept under `key`, computing and keeping it when absent."""
        with self._lock:
            found = self._items.get(key, _MISSING)
            if found is not _MISSING:
                self._items.move_to_end(key)
                return found
        # Computed outside the lock: two requests may both compute a missing part (the
        # same value); neither waits for the other's rendering.
        value = compute()
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)
        return value

    def __len__(self) -> int:
        return len(self._items)
