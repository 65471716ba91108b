"""Backup and restore: time and size for a registry with the examples and N synthetic projects.

    .venv/bin/python -m bench.backup_restore [--projects 2000] [--postgresql URL]

1. fills a SQLite registry: the shipped catalogue, the example roadmap, N synthetic
   projects (variations of the examples, written through the store: record, revision,
   audit event each) and a second revision of a quarter of them;
2. `backup` it (wall time, archive size, rows), `restore` it into a new SQLite file and,
   with --postgresql (default: $REGISTRY_TEST_DATABASE_URL), into an empty PostgreSQL
   schema; backs that up and restores it into SQLite again (the move back);
3. checks each restored database holds the same rows as the source (the re-backups'
   members are compared by content).

The archive is what `registry backup FILE` writes and the times are those of the same
functions the CLI calls (without its progress bar). Raw results go to bench/out/.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tarfile
import tempfile
import time
from pathlib import Path
from typing import Any

import orjson

from bench.compliance_scale import example_sheets, synthetic_sheet
from registry import config
from registry.services import Services
from registry.storage import Store
from registry.storage.backup import backup, restore
from registry.storage.scratch import scratch_schema

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "out"
SEED = 20261206


def fill(url: str, folder: Path, projects: int) -> None:
    """Fill a registry: catalogue, examples, `projects` synthetic sheets, some updated."""
    settings = config.load({"DATABASE_URL": url, "LOAD_EXAMPLES": True, "AUTO_IMPORT": True})
    services = Services.from_settings(settings, str(folder))
    services.prepare()
    store = services.store
    rng = random.Random(SEED)
    catalogue = services.snapshots.get()
    status_of = {sid: r["status"] for sid, r in catalogue.standards.items()}
    bases = example_sheets()
    sheets = [synthetic_sheet(bases[n % len(bases)], n, rng, status_of)
              for n in range(projects)]
    store.import_records({"project": sheets}, author="bench")
    for sheet in sheets[::4]:
        changed = {**sheet, "status": "stopped"}
        store.put("project", sheet["id"], changed, author="bench", if_match=1,
                  message="second revision")
    store.engine.dispose()


def timed_backup(url: str, path: Path) -> dict[str, Any]:
    store = Store(url)
    try:
        start = time.perf_counter()
        manifest = backup(store, path)
        seconds = time.perf_counter() - start
    finally:
        store.engine.dispose()
    rows = sum(t["rows"] for t in manifest["tables"])
    return {"seconds": round(seconds, 3), "bytes": path.stat().st_size, "rows": rows,
            "json_bytes": sum(t["bytes"] for t in manifest["tables"]),
            "tables": {t["name"]: t["rows"] for t in manifest["tables"]}}


def timed_restore(url: str, path: Path) -> dict[str, Any]:
    store = Store(url)
    try:
        start = time.perf_counter()
        restore(store, path)
        return {"seconds": round(time.perf_counter() - start, 3)}
    finally:
        store.engine.dispose()


def contents(path: Path) -> dict[str, list[Any]]:
    """Return each table of an archive as sorted parsed rows (key order aside)."""
    out = {}
    with tarfile.open(path, "r:gz") as archive:
        for info in archive:
            if info.name.startswith("tables/"):
                lines = archive.extractfile(info).read().splitlines()  # type: ignore[union-attr]
                rows = [orjson.loads(line) for line in lines]
                out[info.name] = sorted(orjson.dumps(r, option=orjson.OPT_SORT_KEYS)
                                        for r in rows)
    return out


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; print the figures."""
    parser = argparse.ArgumentParser(prog="python -m bench.backup_restore",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--projects", type=int, default=2000)
    parser.add_argument("--postgresql", default=os.environ.get("REGISTRY_TEST_DATABASE_URL"),
                        help="PostgreSQL URL whose database gets a scratch schema")
    args = parser.parse_args(argv)
    results: dict[str, Any] = {"projects": args.projects}
    with tempfile.TemporaryDirectory(prefix="bench-backup-") as scratch:
        folder = Path(scratch)
        source = f"sqlite:///{folder / 'source.sqlite'}"
        start = time.perf_counter()
        fill(source, folder, args.projects)
        results["fill_seconds"] = round(time.perf_counter() - start, 2)
        archive = folder / "sqlite.tar.gz"
        results["backup_sqlite"] = timed_backup(source, archive)
        results["restore_into_sqlite"] = timed_restore(
            f"sqlite:///{folder / 'copy.sqlite'}", archive)
        reference = contents(archive)
        again = folder / "copy.tar.gz"
        timed_backup(f"sqlite:///{folder / 'copy.sqlite'}", again)
        results["sqlite_copy_identical"] = contents(again) == reference
        if args.postgresql:
            with scratch_schema(args.postgresql, "h_backup_bench_") as pg:
                results["restore_into_postgresql"] = timed_restore(pg, archive)
                moved = folder / "postgresql.tar.gz"
                results["backup_postgresql"] = timed_backup(pg, moved)
                results["postgresql_identical"] = contents(moved) == reference
                back = f"sqlite:///{folder / 'back.sqlite'}"
                results["restore_back_into_sqlite"] = timed_restore(back, moved)
                final = folder / "back.tar.gz"
                timed_backup(back, final)
                results["back_identical"] = contents(final) == reference
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "backup_restore.json").write_bytes(orjson.dumps(results, option=orjson.OPT_INDENT_2))
    b = results["backup_sqlite"]
    print(f"registry: shipped catalogue + examples + {args.projects} synthetic projects "
          f"({b['tables']}); filled in {results['fill_seconds']} s")
    print(f"backup  (SQLite)          {b['seconds']:7.2f} s  {b['bytes'] / 1e6:6.2f} MB "
          f"archive ({b['json_bytes'] / 1e6:.1f} MB of JSON lines, {b['rows']:,} rows)")
    print(f"restore into SQLite       {results['restore_into_sqlite']['seconds']:7.2f} s  "
          f"identical: {results['sqlite_copy_identical']}")
    if "restore_into_postgresql" in results:
        print(f"restore into PostgreSQL   {results['restore_into_postgresql']['seconds']:7.2f} s"
              f"  identical: {results['postgresql_identical']}")
        print(f"backup  (PostgreSQL)      {results['backup_postgresql']['seconds']:7.2f} s  "
              f"{results['backup_postgresql']['bytes'] / 1e6:6.2f} MB archive")
        print(f"restore back into SQLite  {results['restore_back_into_sqlite']['seconds']:7.2f}"
              f" s  identical: {results['back_identical']}")
    ok = all(v for k, v in results.items() if k.endswith("identical"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
