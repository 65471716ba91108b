"""Validate many files: expand folders, fan out over all cores, keep the input order.

One bad file never stops the batch: every file gets a FileReport, even one that cannot
be read or that trips a bug in a layer. A path that does not exist is a usage error,
raised as NoSuchFile before anything is validated, so that the CLI can exit 2.
"""

from __future__ import annotations

import datetime
import os
import sys
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

from registry.catalogue.snapshot import Catalogue
from registry.documents.findings import ERROR, FileReport, Finding
from registry.documents.parse import DEFAULT_LIMITS, Limits
from registry.documents.reading import unreadable
from registry.validation.pipeline import check_data, validate_bytes, validate_file
from registry.validation.schema import SHEET_FORMAT

if TYPE_CHECKING:
    from concurrent.futures import Future

SUFFIXES = (".yaml", ".yml", ".json")
# Below this many files, starting worker processes costs more than it saves.
PARALLEL_THRESHOLD = 20

CatalogueSource = Catalogue | Callable[[], Catalogue]
Progress = Callable[[int], Any]


class NoSuchFile(FileNotFoundError):
    """Some of the paths given do not exist."""

    def __init__(self, paths: Sequence[str]) -> None:
        self.paths = list(paths)
        super().__init__(f"no such file: {', '.join(self.paths)}")


def expand_paths(paths: Iterable[str]) -> list[str]:
    """Return the files to validate: folders expanded recursively, in input order."""
    paths = list(paths)
    missing = [p for p in paths if p != "-" and not os.path.lexists(p)]
    if missing:
        raise NoSuchFile(missing)
    files: list[str] = []
    seen: set[str] = set()
    for given in paths:
        found = _walk(given) if given != "-" and os.path.isdir(given) else [given]
        for path in found:
            if path not in seen or path == "-":
                seen.add(path)
                files.append(path)
    return files


def _walk(folder: str) -> list[str]:
    found: list[str] = []
    for root, dirs, names in os.walk(folder):
        # Hidden folders (.git, .venv, ...) hold no sheets and can be huge.
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        found.extend(os.path.join(root, n) for n in names
                     if n.lower().endswith(SUFFIXES) and not n.startswith("."))
    return sorted(found, key=lambda p: Path(p).parts)


def _crashed(path: str, exc: BaseException) -> FileReport:
    # A bug in a layer must not take the other files down with it; say so plainly.
    return FileReport(path, [Finding(
        ERROR, "internal.error", "", f"the validator failed on this file "
        f"({type(exc).__name__}: {exc}): please report it to the registry's maintainers")])


def _one(path: str, catalogue: Catalogue, as_of: datetime.date, limits: Limits) -> FileReport:
    try:
        return validate_file(Path(path), catalogue, as_of=as_of, limits=limits, display=path)
    except Exception as exc:  # a bug in a layer: see _crashed
        return _crashed(path, exc)


# Per worker process, set once by the pool's initializer: the catalogue crosses the
# process boundary once per worker, not once per file.
_WORKER: dict[str, Any] = {}


def _init_worker(source: CatalogueSource, as_of: datetime.date, limits: Limits) -> None:
    _WORKER["catalogue"] = source if isinstance(source, Catalogue) else source()
    _WORKER["as_of"] = as_of
    _WORKER["limits"] = limits


def _chunk(items: list[tuple[int, str]]) -> list[tuple[int, FileReport]]:
    catalogue, as_of, limits = _WORKER["catalogue"], _WORKER["as_of"], _WORKER["limits"]
    return [(index, _one(path, catalogue, as_of, limits)) for index, path in items]


def _cores() -> int:
    # The cores this process may run on, which a container can set below os.cpu_count().
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0)) or 1
    return os.cpu_count() or 1


def _context(source: CatalogueSource) -> Any:
    # Imported here: one sheet (a pre-commit hook) never starts a pool.
    import multiprocessing

    methods = multiprocessing.get_all_start_methods()
    if "fork" in methods:
        # Forked workers inherit the catalogue as it is in memory: nothing is pickled.
        return multiprocessing.get_context("fork")
    if isinstance(source, Catalogue):
        return None  # a snapshot cannot be pickled to a spawned worker: stay in-process
    return multiprocessing.get_context()


def validate_paths(paths: Sequence[str], catalogue: CatalogueSource, as_of: datetime.date,
                   jobs: int | None = None, progress: Progress | None = None, *,
                   limits: Limits = DEFAULT_LIMITS, stdin: BinaryIO | None = None
                   ) -> list[FileReport]:
    """Validate files and folders (`-` is standard input); return one report per file.

    Raises NoSuchFile, before validating anything, when a path does not exist.
    `progress` is called with the number of files just finished (e.g. a progress bar's
    `update`); `jobs` caps the worker processes (default: all cores; 1: no pool).
    """
    files = expand_paths(paths)
    reports: list[FileReport | None] = [None] * len(files)
    pending = [(i, p) for i, p in enumerate(files) if p != "-"]

    def done(count: int) -> None:
        if progress is not None and count:
            progress(count)

    resolved: Catalogue | None = catalogue if isinstance(catalogue, Catalogue) else None

    def snapshot() -> Catalogue:
        nonlocal resolved
        if resolved is None:
            resolved = catalogue() if callable(catalogue) else catalogue
        return resolved

    stdin_indexes = [i for i, p in enumerate(files) if p == "-"]
    if stdin_indexes:
        stream = stdin if stdin is not None else sys.stdin.buffer
        try:
            data = stream.read(limits.read_size)
        except OSError as exc:
            report = unreadable("-", exc)
        else:
            try:
                report = validate_bytes(data, snapshot(), as_of=as_of, path="-", limits=limits)
            except Exception as exc:  # a bug in a layer: see _crashed
                report = _crashed("-", exc)
        for i in stdin_indexes:  # standard input can only be read once
            reports[i] = report
        done(len(stdin_indexes))

    workers = min(jobs or _cores(), len(pending))
    parallel = len(pending) >= PARALLEL_THRESHOLD and workers > 1
    context = _context(catalogue) if parallel else None
    if context is not None:
        source: CatalogueSource = catalogue
        if context.get_start_method() == "fork":
            # Forked workers inherit what is in memory: build the snapshot once here and
            # warm the layers' caches (compiled schema, rule tables) before forking, so
            # that no worker pays for them again.
            source = snapshot()
            check_data({"sheet": SHEET_FORMAT}, source, as_of)
        pending = _run_pool(pending, source, as_of, limits, workers, context, reports, done)
    if pending:
        current = snapshot()
        for index, path in pending:
            reports[index] = _one(path, current, as_of, limits)
            done(1)
    return [r for r in reports if r is not None]


def _run_pool(pending: list[tuple[int, str]], catalogue: CatalogueSource,
              as_of: datetime.date, limits: Limits, workers: int, context: Any,
              reports: list[FileReport | None], done: Callable[[int], None]
              ) -> list[tuple[int, str]]:
    """Validate in worker processes; return what is left if the pool broke down."""
    from concurrent.futures import ProcessPoolExecutor, as_completed
    from concurrent.futures.process import BrokenProcessPool

    # Chunks amortise the inter-process round trip but stay small enough to balance load
    # and to move the progress bar.
    size = max(1, min(64, len(pending) // (workers * 4)))
    chunks = [pending[i:i + size] for i in range(0, len(pending), size)]
    left: dict[Future[list[tuple[int, FileReport]]], list[tuple[int, str]]] = {}
    with ProcessPoolExecutor(max_workers=workers, mp_context=context,
                             initializer=_init_worker,
                             initargs=(catalogue, as_of, limits)) as pool:
        for chunk in chunks:
            left[pool.submit(_chunk, chunk)] = chunk
        try:
            for future in as_completed(list(left)):
                for index, report in future.result():
                    reports[index] = report
                done(len(left.pop(future)))
        except BrokenProcessPool:
            # A worker died (out of memory, killed): finish the rest in this process.
            pass
    return sorted(item for chunk in left.values() for item in chunk)
