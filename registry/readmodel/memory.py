"""Giving freed memory back to the system after a large recomputation.

A full build (the first snapshot, a new day, a catalogue change, the reuse overlaps)
allocates and frees far more than the snapshot keeps. CPython returns its own small-object
arenas when they empty, but glibc keeps the larger blocks it freed for later unless asked
to trim: at 10,000 projects that is some 30 MB of every worker's resident memory.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools


@functools.cache
def _trim() -> object | None:
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name) if name else None
    except OSError:
        return None
    return getattr(libc, "malloc_trim", None)  # glibc only (not musl, not macOS)


def give_back() -> None:
    """Return the C heap's free memory to the system (glibc; elsewhere nothing).

    No collection first: a full one over 10,000 projects' objects would cost a request
    a few hundred ms; what is freed by reference counting (nearly all) is given back.
    """
    trim = _trim()
    if trim is not None:
        trim(0)  # type: ignore[operator]  # ctypes releases the GIL meanwhile
