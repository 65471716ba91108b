"""A catalogue change in one worker's read model: CPU of `Snapshot.apply`, split by stage.

Run from the repository root:  .venv/bin/python -m bench.catalogue_change [--projects N]
                                [--database-url URL]

What it does: stores the shipped catalogue and N synthetic projects (bench.reuse_scale's
generator; every second project written twice, so the trend has old revisions) in a
fresh SQLite file (or a fresh schema of the PostgreSQL database given), builds a
worker's snapshot from the database, then makes the recommended standard that applies
to the most projects mandatory, as an editor would, and measures in the same run:

- **patched**: `Snapshot.apply` of that change, as every worker runs it: in each project
  that reads the standard, only that standard's cell, trend entries and "missing"
  finding are replaced, and the totals move by new minus old (`standard_change.py`);
- **derived again**: the same change applied as before that patch (the findings of
  every standard check, the cells and the trend of each of those projects);
- **reread**: what `apply` did before that: read their revisions back (one query per
  thousand projects), decode them, and derive each project in full;
- the reuse analysis of the snapshot after the change, patched from the last one
  (`ReuseState.with_catalogue`), against the full analysis built at the start.

CPU time (time.process_time) of this process, which is what 8 workers on 2 cores
share; medians of `--rounds` (the change is undone between rounds, not timed). Both
results are compared with `Snapshot.build` from the database (they must be equal).
The same is then measured for a component retired and a vocabulary concept deprecated
(kept only). It does NOT measure propagation across servers (bench.two_servers does).
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import datetime
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import orjson

from bench.reuse_scale import Generator
from bench.scratch import scratch_database
from registry.analysis.reuse import Thresholds
from registry.catalogue.files import load_catalogue, read_records, shipped_root
from registry.readmodel import derived as derived_module
from registry.readmodel import snapshot as snapshot_module
from registry.readmodel.derived import derive, kept_revisions
from registry.readmodel.feed import load_state, project_history
from registry.readmodel.lists import Lists
from registry.readmodel.snapshot import Snapshot
from registry.storage import Store

THRESHOLDS = Thresholds()


class Stages:
    """CPU time spent in named functions while `timing` is on (nested calls not subtracted)."""

    def __init__(self) -> None:
        self.cpu: Counter[str] = Counter()

    @contextlib.contextmanager
    def timing(self, targets: Sequence[tuple[Any, str, str]]) -> Iterator[None]:
        saved = [(owner, name, getattr(owner, name)) for owner, name, _ in targets]
        for (owner, name, stage), (_, _, original) in zip(targets, saved, strict=True):
            setattr(owner, name, self._timed(stage, original))
        try:
            yield
        finally:
            for owner, name, original in saved:
                setattr(owner, name, original)

    def timed_loader(self, store: Store) -> Callable[[Any], Any]:
        """Return the history loader of a worker, timed as "history read"."""
        return self._timed("history read", lambda ids: project_history(store, ids))

    def _timed(self, stage: str, function: Callable[..., Any]) -> Callable[..., Any]:
        def timed(*args: Any, **kwargs: Any) -> Any:
            start = time.process_time()
            try:
                return function(*args, **kwargs)
            finally:
                self.cpu[stage] += time.process_time() - start
        return timed


STAGES = [(snapshot_module.Snapshot, "_depending_on", "projects that read it"),
          (snapshot_module.StandardChange, "patch", "patch (the standard's parts)"),
          (derived_module, "trend", "trend"),
          (derived_module, "stored_findings", "findings (all)"),
          (snapshot_module, "refreshed_findings", "findings (the kind's)"),
          (derived_module, "project_compliance", "cells"),
          (derived_module, "contribution", "totals (contribution)"),
          (Lists, "apply", "lists")]


def _store(url: str, projects: int) -> Store:
    store = Store(url)
    store.migrate()
    store.import_records(read_records([shipped_root()]), author="bench")
    sheets, _ = Generator(load_catalogue(shipped_root())).roadmap(projects)
    sheets = [orjson.loads(orjson.dumps(s)) for s in sheets]
    store.import_records({"project": sheets}, author="bench")
    for sheet in sheets[::2]:
        sheet["title"] = {**sheet.get("title", {}), "en": f"{sheet['title'].get('en')} (2)"}
    store.import_records({"project": sheets[::2]}, author="bench")
    return store


def _reread(snapshot: Snapshot, store: Store, touched: set[str],
            catalogue: Any) -> dict[str, Any]:
    """Derive the touched projects as `apply` did before: revisions read back, in full."""
    histories = project_history(store, touched)
    out = {}
    for pid in sorted(touched):
        project = snapshot.roadmap.projects[pid]
        out[pid] = derive(project, kept_revisions(histories[pid]), catalogue, snapshot.day)
    return out


def _same(kept: Snapshot, rebuilt: Snapshot) -> None:
    if kept.totals != rebuilt.totals or any(
            kept.derived[pid].cells != item.cells
            or kept.derived[pid].report.findings != item.report.findings
            or kept.derived[pid].contribution != item.contribution
            for pid, item in rebuilt.derived.items()):
        raise SystemExit("the kept snapshot differs from a rebuild: a bug, not a figure")


class Timings:
    """CPU seconds of each round, by what was timed."""

    def __init__(self) -> None:
        self.cpu: dict[str, list[float]] = {}

    def add(self, name: str, seconds: float) -> None:
        self.cpu.setdefault(name, []).append(seconds)

    def median_ms(self, name: str) -> float:
        return statistics.median(self.cpu[name]) * 1000 if name in self.cpu else 0.0


@contextlib.contextmanager
def _unpatched() -> Iterator[None]:
    """Apply a standard's change as before `standard_change.py`: every project that
    reads it derived again (the findings of the standard checks, cells, trend)."""
    saved = snapshot_module.StandardChange.of
    snapshot_module.StandardChange.of = lambda *args: None  # type: ignore[method-assign]
    try:
        yield
    finally:
        snapshot_module.StandardChange.of = saved  # type: ignore[method-assign]


def _change(store: Store, snapshot: Snapshot, kind: str, record_id: str,
            edit: Callable[[dict[str, Any]], None], rounds: int, check: bool
            ) -> tuple[Timings, Stages, set[str]]:
    """Apply one catalogue change `rounds` times (undone in between); time each apply,
    the same change applied as before the patch, and the reuse analysis after it."""
    original = copy.deepcopy(dict(snapshot.catalogue.records(kind)[record_id]))
    changed = copy.deepcopy(original)
    edit(changed)
    timings = Timings()
    stages = Stages()
    touched: set[str] = set()
    for round_ in range(rounds):
        store.put(kind, record_id, changed, author="bench")
        changes = store.changes_since(snapshot.version)
        with stages.timing(STAGES) if round_ == 0 else contextlib.nullcontext():
            start = time.process_time()
            after = snapshot.apply(changes, stages.timed_loader(store))
            timings.add("kept", time.process_time() - start)
        if kind == "standard":
            with _unpatched():
                start = time.process_time()
                snapshot.apply(changes, stages.timed_loader(store))
                timings.add("unpatched", time.process_time() - start)
        start = time.process_time()
        after.reuse(THRESHOLDS)
        timings.add("reuse", time.process_time() - start)
        if round_ == 0:
            touched = {pid for pid in after.derived
                       if after.derived[pid] is not snapshot.derived.get(pid)}
            if check:
                state = load_state(store)
                _same(after, Snapshot.build(state.version, state.catalogue, state.projects,
                                            state.history, snapshot.day))
        if kind == "standard":
            start = time.process_time()
            _reread(snapshot, store, touched, after.catalogue)
            timings.add("reread", time.process_time() - start)
        store.put(kind, record_id, original, author="bench")
        snapshot = snapshot.apply(store.changes_since(after.version),
                                  lambda ids: project_history(store, ids))
        snapshot.reuse(THRESHOLDS)  # the next round's change patches it
    return timings, stages, touched


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark; print the medians and the ratio."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--projects", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--database-url", default="")
    parser.add_argument("--no-check", action="store_true",
                        help="skip the comparison with a rebuild (it takes a few seconds)")
    args = parser.parse_args(argv)
    folder = Path(tempfile.mkdtemp(prefix="bench-catalogue-"))
    with scratch_database(args.database_url, folder) as url:
        store = _store(url, args.projects)
        state = load_state(store)
        start = time.process_time()
        snapshot = Snapshot.build(state.version, state.catalogue, state.projects,
                                  state.history, datetime.date.today())
        print(f"{args.projects} projects on {store.engine.dialect.name}; snapshot built in "
              f"{time.process_time() - start:.1f} s CPU")
        start = time.process_time()
        snapshot.reuse(THRESHOLDS)
        print(f"reuse analysis built in full in {time.process_time() - start:.2f} s CPU")
        applying = Counter(c.standard for d in snapshot.derived.values() for c in d.cells
                           if c.applies)
        sid = max((s for s, r in snapshot.catalogue.standards.items()
                   if r["status"] == "recommended" and s in applying), key=applying.get)
        timings, stages, touched = _change(
            store, snapshot, "standard", sid, lambda r: r.update(status="mandatory"),
            args.rounds, not args.no_check)
        kept_ms = timings.median_ms("kept")
        print(f"standard {sid} made mandatory: {len(touched)} projects read it "
              f"(CPU, medians of {args.rounds})")
        print(f"  Snapshot.apply (patched):              {kept_ms:7.0f} ms")
        for name, label in (("unpatched", "derived again, as before the patch"),
                            ("reread", "revisions read back, in full")):
            ms = timings.median_ms(name)
            print(f"  {label + ':':38} {ms:7.0f} ms ({ms / kept_ms:.1f}x)")
        print(f"  then the reuse analysis (patched):     "
              f"{timings.median_ms('reuse'):7.1f} ms")
        print("  stages of the kept apply (first round; nested calls counted in both):")
        for stage, seconds in sorted(stages.cpu.items(), key=lambda i: -i[1]):
            print(f"    {stage:28} {seconds * 1000:7.0f} ms")
        component = next(c for c in ("fixmystreet", "opendata-portal", "csam-fas")
                         if c in snapshot.catalogue.components)
        timings, _, touched = _change(store, snapshot, "component", component,
                                      lambda r: r.update(status="retired"), args.rounds,
                                      False)
        print(f"component {component} retired: {len(touched)} projects, "
              f"{timings.median_ms('kept'):.0f} ms CPU; then the reuse analysis "
              f"(patched) {timings.median_ms('reuse'):.1f} ms")

        def deprecate(record: dict[str, Any]) -> None:
            record["concepts"][0]["deprecated"] = True

        timings, _, touched = _change(store, snapshot, "vocabulary", "capabilities",
                                      deprecate, args.rounds, False)
        print(f"a capability concept deprecated: {len(touched)} projects, "
              f"{timings.median_ms('kept'):.0f} ms CPU; then the reuse analysis "
              f"(in full) {timings.median_ms('reuse'):.0f} ms")
        store.engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
