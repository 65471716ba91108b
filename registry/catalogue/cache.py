"""A cache of checked catalogue records, so that a command does not parse 160 YAML files.

Reading the shipped catalogue (parse every file with positions, check every record
against its schema, check the links) is most of what `registry validate --shipped FILE`
costs, and a pre-commit hook pays it on every commit although the files rarely change.
Once a folder has been read without a problem, its records are saved here with a
fingerprint of what they were read from: a digest of the name and content of every
record file, of the record schemas and of the code that reads them. A later read whose
fingerprint is the same takes the saved records instead; any change to a file, a new or
a removed file, a new registry or Python version gives another fingerprint, and the
files are read again. The digest is of the contents, not of modification times: reading
160 small files and hashing them costs a few milliseconds, and an edit is never missed
(two writes within one tick of the file system's clock, a checkout that restores old
times, a copy that keeps them).

Hashing is still most of what a hit costs, so the cache file also keeps the stat
signature of those files (names, sizes, modification and change times in nanoseconds,
inode numbers) and the time it was taken. A later read whose signature is the same takes
the records without reading the files, unless a file was modified or changed less than
RACY_NS before the signature was taken (the same precaution as git's "racy" index
entries: a write within one tick of the clock after the signature leaves the times as
they were). Any other difference falls back to the content digest: a file touched but
not changed is a hit (and the signature is saved anew), an edit whose times were put
back is still seen, because putting the times back changes the inode's change time,
which no program can set.

The cache is only ever a shortcut: a missing, unreadable, truncated or corrupt cache
file, or one that cannot be written (a read-only home), means the files are read as
without it. Records that fail their checks are never saved.

Where: `$REGISTRY_CACHE_DIR` when set (`off` turns the cache off), else
`$XDG_CACHE_HOME/registry`, else `~/.cache/registry`. One small file per catalogue
folder (and link-check setting), written atomically.
"""

from __future__ import annotations

import contextlib
import marshal
import os
import sys
import time
import zlib
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, NamedTuple

from registry.version import __version__

ENV = "REGISTRY_CACHE_DIR"
OFF = "off"
# Bumped when the layout of a cache file changes.
FORMAT = 2
MAGIC = b"registry-catalogue-cache\n"

# A stat signature is only trusted for files last written this long before it was taken.
RACY_NS = 2_000_000_000

Fingerprint = tuple[Any, ...]
Records = dict[str, list[dict[str, Any]]]
StatSignature = tuple[Any, ...]


class Saved(NamedTuple):
    """What a cache file holds."""

    key: Fingerprint
    signature: StatSignature | None
    taken_ns: int
    records: Records


def cache_dir() -> Path | None:
    """Return the folder of the cache, or None when it is turned off."""
    configured = os.environ.get(ENV)
    if configured is not None:
        if configured.strip().lower() in ("", OFF):
            return None
        return Path(configured)
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg) if xdg and os.path.isabs(xdg) else Path.home() / ".cache"
    return base / "registry"


def fingerprint(roots: Sequence[Path], files: Iterable[Path], inputs: Iterable[Path],
                check_links: bool) -> Fingerprint:
    """Return what the records read from `files` depend on, to compare with a saved one.

    `inputs` are the other files the result depends on (schemas, the reading code).
    Raises OSError when a file cannot be read (the caller then reads the files itself).
    """
    import hashlib  # not at the top: only a changed stat signature needs it (2-3 ms)

    digest = hashlib.blake2b(digest_size=32)
    for group in (files, inputs):
        for path in group:
            data = path.read_bytes()
            name = str(path).encode("utf-8", "surrogateescape")
            # Lengths first, so that no two different lists of files hash the same.
            digest.update(len(name).to_bytes(8, "big") + name)
            digest.update(len(data).to_bytes(8, "big") + data)
        digest.update(b"\0" * 16)  # the end of a group
    return (FORMAT, __version__, sys.version, check_links,
            tuple(str(r.resolve()) for r in roots), digest.hexdigest())


def stat_signature(files: Iterable[Path]) -> tuple[int, StatSignature]:
    """Return the time now and the stat signature of `files` (raises OSError)."""
    taken_ns = time.time_ns()
    entries = []
    for path in files:
        st = os.stat(path)
        entries.append((str(path), st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino,
                        st.st_dev))
    return taken_ns, tuple(entries)


def unchanged(saved: Saved, signature: StatSignature) -> bool:
    """Whether the files are those the saved records were read from, judged by stat alone.

    False when a file's times are within RACY_NS of the moment the saved signature was
    taken: a later write in the same tick of the clock would not have moved them.
    """
    if saved.signature is None or saved.signature != signature:
        return False
    newest = max((max(entry[2], entry[3]) for entry in signature), default=0)
    return newest < saved.taken_ns - RACY_NS


def _file_for(folder: Path, roots: Sequence[Path], check_links: bool) -> Path:
    # One cache file per catalogue folder (and setting): another folder never evicts it.
    # 64 bits of checksums name it (hashlib would load OpenSSL on every run): two folders
    # that shared a name would only evict each other, since the saved key holds the roots.
    name = "\0".join([*(str(r.resolve()) for r in roots), str(check_links)]).encode(
        "utf-8", "surrogateescape")
    return folder / f"catalogue-{zlib.crc32(name):08x}{zlib.adler32(name):08x}.marshal"


def read_saved(roots: Sequence[Path], check_links: bool) -> Saved | None:
    """Return what the cache file of these folders holds, or None (no cache, corrupt)."""
    folder = cache_dir()
    if folder is None:
        return None
    try:
        blob = _file_for(folder, roots, check_links).read_bytes()
    except OSError:
        return None
    # Layout: MAGIC, CRC-32 of the payload (4 bytes, big-endian), payload (marshal).
    # The checksum catches a truncated or damaged file before marshal reads it.
    head = len(MAGIC)
    if not blob.startswith(MAGIC) or len(blob) < head + 4:
        return None
    payload = blob[head + 4:]
    if zlib.crc32(payload) != int.from_bytes(blob[head:head + 4], "big"):
        return None
    try:
        saved = Saved(*marshal.loads(payload))
    except (ValueError, EOFError, TypeError):
        return None
    if not isinstance(saved.key, tuple) or not isinstance(saved.taken_ns, int) \
            or not isinstance(saved.signature, tuple | None) or not _plausible(saved.records):
        return None
    return saved


def load(roots: Sequence[Path], key: Fingerprint, check_links: bool) -> Records | None:
    """Return the saved records of this fingerprint, or None (no cache, stale, corrupt)."""
    saved = read_saved(roots, check_links)
    if saved is None or saved.key != key:
        return None
    return saved.records


def _plausible(records: Any) -> bool:
    return isinstance(records, dict) and all(
        isinstance(k, str) and isinstance(v, list) and all(isinstance(r, dict) for r in v)
        for k, v in records.items())


def save(roots: Sequence[Path], key: Fingerprint, check_links: bool, records: Records,
         signature: tuple[int, StatSignature] | None = None) -> None:
    """Save checked records under their fingerprint (and the stat signature of the files
    they were read from, taken before they were read); a failure to write is ignored."""
    folder = cache_dir()
    if folder is None:
        return
    try:
        taken_ns, stats = signature if signature is not None else (0, None)
        payload = marshal.dumps(tuple(Saved(key, stats, taken_ns, records)))
    except ValueError:  # a value marshal cannot write: no cache for these records
        return
    blob = MAGIC + zlib.crc32(payload).to_bytes(4, "big") + payload
    target = _file_for(folder, roots, check_links)
    temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        temporary.write_bytes(blob)
        # Atomic: a reader sees the old file or the new one, never half of one.
        os.replace(temporary, target)
    except OSError:
        with contextlib.suppress(OSError):
            temporary.unlink(missing_ok=True)
