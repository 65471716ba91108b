"""Read an input file without reading more than the limits allow; never raise for I/O."""

from __future__ import annotations

from pathlib import Path

from registry.documents.findings import ERROR, FileReport, Finding
from registry.documents.limits import DEFAULT_LIMITS, Limits


def read_limited(path: Path, limits: Limits = DEFAULT_LIMITS) -> bytes:
    """Return at most `limits.max_bytes + 1` bytes of a file: enough to tell it is too large."""
    with path.open("rb") as handle:
        return handle.read(limits.read_size)


def unreadable(path: str, exc: OSError) -> FileReport:
    """Return the report of a file that could not be read."""
    if isinstance(exc, FileNotFoundError):
        why = "there is no such file"
    elif isinstance(exc, IsADirectoryError):
        why = "it is a folder, not a file: give the files, or the folder to check all of them"
    elif isinstance(exc, PermissionError):
        why = "permission denied"
    else:
        why = exc.strerror or type(exc).__name__
    return FileReport(path, [Finding(ERROR, "parse.unreadable", "",
                                     f"the file cannot be read: {why}")])
