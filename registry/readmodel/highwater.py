"""The newest version any worker of one server has answered, shared by its processes.

gunicorn forks a server's workers from one master, where the app (and this object) is
built: the value lives in shared memory, so every worker reads what the others wrote.
A worker that learned of a write first (its LISTEN notification came first, or it
polled first, or the write was its own) raises the mark as soon as its snapshot holds
that version; every other worker, on its next request, sees the mark above its own
snapshot and catches up before answering. So a client reading one server on any of
its connections never gets an older state after a newer one, without carrying
Registry-Min-Version (which it still needs across servers).
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.sharedctypes
from ctypes import c_longlong


class HighWater:
    """A version shared by the processes forked after it was made; it only goes up."""

    def __init__(self) -> None:
        # Anonymous shared memory and a process-shared lock: both survive fork.
        self._value = multiprocessing.sharedctypes.RawValue(c_longlong, 0)
        self._lock = multiprocessing.Lock()

    @property
    def value(self) -> int:
        """Return the highest version raised to so far (0 before any)."""
        return int(self._value.value)

    def raise_to(self, version: int) -> None:
        """Make the mark at least `version` (never lower it)."""
        if version <= self._value.value:
            return
        with self._lock:
            if version > self._value.value:
                self._value.value = version
