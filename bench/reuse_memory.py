"""What the reuse analysis a web worker keeps holds, field by field, and what its build costs.

Run from the repository root:  .venv/bin/python -m bench.reuse_memory [--keep PATH]
                                [--projects N] [--rounds N]

What it does: opens the SQLite file bench.worker_memory makes (`--keep`, made here when
missing: the shipped catalogue and N synthetic projects), builds the worker's first
snapshot, then
- builds the reuse analysis in full (`ReuseState.build`, overlaps computed in it, as a
  worker without the overlap job does) once under tracemalloc, first (as a worker's
  first reuse view: the tables that share values across builds empty): the traced
  peak above what was held before is the build's transient peak (working sets and
  everything kept), what is held after it the state itself; then `--rounds` times,
  timed;
- makes each opportunity's JSON-ready dict (`Opportunity.as_dict`, made by the first
  reuse view and kept on the opportunity);
- walks the state's attributes, each object counted once, in the order printed (the
  catalogue first, left out: the snapshot holds it anyway; `bench.worker_memory`'s
  Walker), then the analysed projects by field and the opportunities by field;
- times a write's patch (`ReuseState.apply` of one project, its title changed, as
  bench.readmodel_scale does) and `of_project` (what `/api/reuse?project=` reads),
  medians of `--rounds` writes and of 200 projects.
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import gc
import inspect
import os
import statistics
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path
from typing import Any

from bench.worker_memory import Walker, prepare, vm_rss_mb


def _mb(size: int) -> str:
    return f"{size / 2**20:7.2f} MB"


def breakdown(state: Any) -> list[tuple[str, int]]:
    """Return (what, bytes) of a state, each object counted once, in the order walked."""
    from registry.analysis.reuse import Opportunity, Project

    walker = Walker()
    walker.size(state.catalogue)  # the snapshot's: not the state's own
    rows: list[tuple[str, int]] = []
    projects = list(state.projects.values())
    # The analysed projects first, field by field (the ids as the projects' own).
    for name in Project._fields:
        rows.append((f"projects.{name}", walker.size(*(getattr(p, name) for p in projects))))
    rows.append(("projects (tuples, mapping)", walker.size(state.projects, *projects)))
    items = list(state.opportunities())
    slots = [f.name for f in Opportunity.__dataclass_fields__.values()]
    for name in slots:
        rows.append((f"opportunities.{name}", walker.size(*(getattr(o, name) for o in items))))
    rows.append(("opportunities.as_dict", walker.size(
        *(o.__dict__.get("as_dict") for o in items if hasattr(o, "__dict__")))))
    rows.append(("opportunities (objects)", walker.size(*items)))
    skip = {"catalogue", "projects", "items"}
    for name, value in vars(state).items():
        if name not in skip:
            rows.append((name, walker.size(value)))
    return rows


def main() -> None:
    """Build, measure and print."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--projects", type=int, default=10_000)
    parser.add_argument("--keep", default="", help="a SQLite file to make once and reuse")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="bench-reuse-memory-"))
    path = Path(args.keep) if args.keep else folder / "registry.sqlite"
    url = f"sqlite:///{path}"
    if not path.exists():
        prepare(url, folder, args.projects)
    copied = folder / "copy.sqlite"  # the writes below go to a copy
    copied.write_bytes(path.read_bytes())
    url = f"sqlite:///{copied}"

    from registry import create_app
    from registry.readmodel.reuse import ReuseState
    from registry.services import reuse_thresholds

    app = create_app({"DATABASE_URL": url, "INSTANCE_PATH": str(folder),
                      "LOAD_EXAMPLES": False, "RESPONSE_CACHE_MB": 0})
    services = app.extensions["registry"]
    thresholds = reuse_thresholds(services.settings)
    snapshot = services.readmodel.catch_up()
    print(f"{len(snapshot.roadmap.projects)} projects; load average "
          f"{os.getloadavg()[0]:.1f}; VmRSS after the snapshot {vm_rss_mb():.0f} MB",
          flush=True)

    projects = snapshot.roadmap.projects

    def sheet_of(pid: str) -> Any:
        return projects[pid].sheet if pid in projects else None

    # As the snapshot builds it (Snapshot.reuse); older code (to measure before a
    # change with this same benchmark) took no `sheet_of` and held the summaries.
    lookup = ({"sheet_of": sheet_of}
              if "sheet_of" in inspect.signature(ReuseState.build).parameters else {})

    def build() -> ReuseState:
        return ReuseState.build(snapshot.roadmap.sheets(), snapshot.catalogue, thresholds,
                                snapshot.version, None, **lookup)

    # Traced first, as a worker's first reuse view builds it: the tables sharing equal
    # values across builds (`reuse._kept`) are then empty, as they are in a worker.
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    tracemalloc.reset_peak()
    state = build()
    held, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(f"full build traced (the process' first): held {(held - before) / 2**20:.1f} MB "
          f"after, peak {(peak - before) / 2**20:.1f} MB above what was held before")
    times = []
    for _ in range(args.rounds):
        state = None
        gc.collect()
        start = time.perf_counter()
        state = build()
        times.append(time.perf_counter() - start)
    print(f"full build: median {statistics.median(times):.2f} s "
          f"({', '.join(f'{t:.2f}' for t in times)}); VmRSS after {vm_rss_mb():.0f} MB")
    for o in state.opportunities():
        o.as_dict  # noqa: B018  # made by the first reuse view, kept on the opportunity
    counts: dict[str, int] = {}
    for o in state.opportunities():
        counts[o.type] = counts.get(o.type, 0) + 1
    print(f"opportunities: {len(state.opportunities())} "
          f"({', '.join(f'{k} {v}' for k, v in counts.items())}); "
          f"postings {len(state.postings)}")
    rows = breakdown(state)
    for name, size in rows:
        print(f"  {name:34} {_mb(size)}")
    print(f"  {'total walked':34} {_mb(sum(size for _, size in rows))}")

    pids = sorted(projects)
    patch = []
    for round_ in range(args.rounds):
        sheet = copy.deepcopy(dict(projects[pids[round_ * 7 % len(pids)]].sheet))
        sheet["title"] = {**sheet.get("title", {}), "en": f"Changed {round_}"}
        start = time.perf_counter()
        state.apply({sheet["id"]: sheet}, snapshot.version + 1, **lookup)
        patch.append(time.perf_counter() - start)
    print(f"a write's patch (apply of one project): median "
          f"{statistics.median(patch) * 1000:.1f} ms "
          f"({', '.join(f'{t * 1000:.1f}' for t in patch)})")
    reads = []
    for pid in pids[::max(1, len(pids) // 200)]:
        start = time.perf_counter()
        state.of_project(pid)
        reads.append(time.perf_counter() - start)
    print(f"of_project: median {statistics.median(reads) * 1000:.2f} ms, "
          f"max {max(reads) * 1000:.2f} ms ({len(reads)} projects)")
    services.readmodel.close()
    with contextlib.suppress(OSError):
        copied.unlink()


if __name__ == "__main__":
    sys.exit(main())
