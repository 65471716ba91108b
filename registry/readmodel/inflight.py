"""The requests a worker is answering, so that background work gives way to them.

The overlap refresh (`reuse.py`) recomputes the whole roadmap's overlaps in a thread of
the worker, for seconds; in Python that thread shares one interpreter lock with the
request threads, so every request answered meanwhile waited behind it (a page of 3 ms
of CPU answered in 50 ms). The refresh now stops at regular points while a request is
being answered, for at most `most` seconds each time, so it still finishes under a
steady stream of requests.
"""

from __future__ import annotations

import contextlib
import threading
from collections import Counter
from collections.abc import Iterator


class InFlight:
    """Counts the requests being answered, by thread."""

    def __init__(self) -> None:
        self._threads: Counter[int] = Counter()
        self._lock = threading.Lock()
        self._idle = threading.Event()
        self._idle.set()

    def begin(self) -> None:
        """Note that this thread started answering a request."""
        with self._lock:
            self._threads[threading.get_ident()] += 1
            self._idle.clear()

    def end(self) -> None:
        """Note that this thread finished answering a request."""
        with self._lock:
            ident = threading.get_ident()
            self._threads[ident] -= 1
            if self._threads[ident] <= 0:
                del self._threads[ident]
            if not self._threads:
                self._idle.set()

    @contextlib.contextmanager
    def aside(self) -> Iterator[None]:
        """Leave this thread's requests out while it waits for the background work."""
        with self._lock:
            held = self._threads.pop(threading.get_ident(), 0)
            if not self._threads:
                self._idle.set()
        try:
            yield
        finally:
            if held:
                with self._lock:
                    self._threads[threading.get_ident()] += held
                    self._idle.clear()

    def give_way(self, most: float = 0.05) -> None:
        """Wait while a request is being answered, at most `most` seconds."""
        if not self._idle.is_set():
            self._idle.wait(most)

    def __len__(self) -> int:
        return sum(self._threads.values())
