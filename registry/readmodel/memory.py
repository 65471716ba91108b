"""Giving freed memory back to the system after a large recomputation.

A full build (the first snapshot, a new day, a catalogue change, the reuse overlaps)
allocates and frees far more than the snapshot keeps. CPython returns its own small-object
arenas when they empty, but glibc keeps the larger blocks it freed for later unless asked
to trim: at 10,000 projects that is some 30 MB of every worker's resident memory.
A threaded worker also makes glibc keep a heap per thread unless told otherwise
(`limit_arenas`, set by the production server).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import os
from typing import Any


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


M_ARENA_MAX = -8  # mallopt's parameter number (glibc's malloc.h)
SERVER_ARENAS = 2


@functools.cache
def _mallopt() -> Any:
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name) if name else None
    except OSError:
        return None
    return getattr(libc, "mallopt", None)


def limit_arenas(arenas: int = SERVER_ARENAS) -> bool:
    """Make glibc's threads share at most `arenas` heaps; return whether it was set.

    glibc gives each thread that allocates while another holds a heap a heap of its own,
    up to 8 a core: a worker's 32 request threads, the LISTEN thread and the overlap
    thread each leave freed blocks in their own heap, which other threads cannot reuse
    and malloc_trim gives back only when whole pages are free. Called by the production
    server in its master, before gunicorn forks the workers (who inherit the limit);
    heaps made before the call stay. MALLOC_ARENA_MAX, when set, is left to decide.
    """
    if os.environ.get("MALLOC_ARENA_MAX"):
        return False
    setting = _mallopt()
    return bool(setting is not None and setting(M_ARENA_MAX, arenas))  # 1 when set
