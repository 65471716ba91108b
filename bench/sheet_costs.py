"""What packing the sheets and the derived graph's chunks costs a worker, at 10,000 projects.

Run from the repository root, on a file `bench.worker_memory --keep PATH` made:
    .venv/bin/python -m bench.sheet_costs PATH

A worker's read model over a copy of that SQLite file (the response cache off), then,
timed: the first snapshot (CPU), a full pass decoding every sheet (`Roadmap.sheets()`),
a filter's pass (every project's owner and declared standards), ten distinct pages of
500 projects of `/api/projects` and five of `/projects`, every project's chunk of the
derived graph made and read back, and a write's catch-up with its chunk made again
(medians). It prints what the sheets and the chunks hold (their packed bytes).
"""

from __future__ import annotations

import copy
import gc
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

BASE_IRI = "https://registry.example.org/"


def _ms(seconds: list[float]) -> float:
    return statistics.median(seconds) * 1000


def _timed(work: Callable[[], object], rounds: int = 5) -> float:
    out = []
    for _ in range(rounds):
        gc.collect()
        start = time.perf_counter()
        work()
        out.append(time.perf_counter() - start)
    return _ms(out)


def main() -> None:
    """Print the costs for the database file given."""
    from registry import create_app
    from registry.linked_data.derived import GraphBuilder

    folder = Path(tempfile.mkdtemp(prefix="bench-sheet-costs-"))
    database = folder / "registry.sqlite"
    shutil.copy(sys.argv[1], database)
    app = create_app({"DATABASE_URL": f"sqlite:///{database}", "INSTANCE_PATH": str(folder),
                      "LOAD_EXAMPLES": False, "RESPONSE_CACHE_MB": 0,
                      "REUSE_OVERLAP_WAIT": 600.0})
    readmodel = app.extensions["registry"].readmodel
    store = app.extensions["registry"].store
    cpu = time.process_time()
    snapshot = readmodel.catch_up()
    print(f"first snapshot (CPU): {(time.process_time() - cpu) * 1000:.0f} ms")
    roadmap = snapshot.roadmap
    projects = list(roadmap.projects.values())
    held = sum(len(p._blob or b"") for p in projects)
    print(f"{len(projects)} sheets held: {held / 2**20:.2f} MB")
    print(f"full pass, list(roadmap.sheets()): {_timed(lambda: list(roadmap.sheets())):.0f} ms")
    print("a filter's pass, every project's owner and declared(): "
          f"{_timed(lambda: [(p.owner, p.declared()) for p in projects]):.0f} ms")
    client = app.test_client(use_cookies=False)

    def pages(view: str, numbers: range) -> float:
        out = []
        for number in numbers:
            start = time.perf_counter()
            answer = client.get(f"{view}?per_page=500&page={number}")
            out.append(time.perf_counter() - start)
            assert answer.status_code == 200, (view, answer.status_code)
        return _ms(out)

    print(f"a page of 500, /api/projects (10 distinct pages): {pages('/api/projects', range(2, 12)):.1f} ms")
    print(f"a page of 500, /projects HTML (5 distinct pages): {pages('/projects', range(12, 17)):.1f} ms")
    made = _timed(lambda: GraphBuilder().project_chunks(projects, BASE_IRI), 3)
    print(f"every project's chunk made (GraphBuilder): {made:.0f} ms")
    builder = GraphBuilder()
    chunks = builder.project_chunks(projects, BASE_IRI)
    print(f"chunks held: {sum(len(c.packed) for c in chunks.values()) / 2**20:.2f} MB packed, "
          f"{sum(len(c.data) for c in chunks.values()) / 2**20:.1f} MB of N-Triples")
    print(f"every chunk read back: {_timed(lambda: [c.data for c in chunks.values()]):.0f} ms")
    pid = projects[len(projects) // 2].id
    writes = []
    for number in range(7):
        sheet = copy.deepcopy(dict(readmodel.current().roadmap.projects[pid].sheet))
        sheet["title"] = {**sheet.get("title", {}), "en": f"Changed {number}"}
        store.put("project", pid, sheet, author="bench")
        start = time.perf_counter()
        readmodel.catch_up()
        builder.project_chunks(readmodel.current().roadmap.projects.values(), BASE_IRI)
        writes.append(time.perf_counter() - start)
    print(f"a write's catch-up and its chunk (median of 7): {_ms(writes):.1f} ms")
    readmodel.close()
    shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
