"""The write path: what one project PUT costs, and the read mix while 20 writes/s go on.

Two parts, on a PostgreSQL database made as bench.two_servers makes it (the shipped
catalogue, the example hub and N synthetic projects; kept with --reuse):

1. **One PUT, in-process.** The app on the database, a project updated again and again
   through Flask's test client: the SQL statements and connection check-outs of one PUT
   (counted by SQLAlchemy's events) and its CPU time (`time.process_time`), median over
   the writes. Nothing else runs in the process, so these are the PUT's own costs.
2. **The read mix under writes, one server.** `registry serve --production --workers 4`,
   wrk reading the mix of bench.two_servers (one standard, projects page 1, compliance
   page 1) while writer threads update projects at `--write-rate` a second, as
   bench.two_servers does. Reported: req/s, p50 and p99 of the reads, writes/s done and
   refused, the writes' p50 and p99, and the CPU the workers spent per request (read
   from /proc before and after).
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench import two_servers
from bench.two_servers import (
    HUB,
    HUB_ID,
    MIX,
    database_url,
    make_database,
    project_count,
    read_mix,
    request,
    reuse_database,
    server,
    warm,
    workers_cpu_s,
)

OUT = Path(__file__).resolve().parent / "out" / "write_mix.json"


def sheet_for(project_id: str, status: str) -> bytes:
    """The hub's sheet under another id, with the status given."""
    text = HUB.replace(f"id: {HUB_ID}", f"id: {project_id}")
    return text.replace("status: proposed", f"status: {status}").encode()


def one_put(url: str, folder: Path, tokens: dict[str, str], writes: int) -> dict[str, Any]:
    """Update one project `writes` times in-process; count what each PUT costs."""
    from sqlalchemy import event

    from registry import create_app

    app = create_app({"DATABASE_URL": url, "INSTANCE_PATH": str(folder / "inproc"),
                      "LOAD_EXAMPLES": False})
    services = app.extensions["registry"]
    engine = services.store.engine
    counts = {"statements": 0, "checkouts": 0}

    def statement(*_args: Any) -> None:
        counts["statements"] += 1

    def checkout(*_args: Any) -> None:
        counts["checkouts"] += 1

    project_id = "write-mix-inproc"
    client = app.test_client()
    headers = {"Authorization": tokens["office"], "Content-Type": "application/yaml"}
    try:
        client.get("/api/projects?page=1")  # the first snapshot, outside the figures
        answer = client.put(f"/api/projects/{project_id}", data=sheet_for(project_id, "proposed"),
                            headers=headers)
        etag = answer.headers["ETag"]
        client.get("/api/projects?page=1")
        event.listen(engine, "before_cursor_execute", statement)
        event.listen(engine.pool, "checkout", checkout)
        rows = []
        for index in range(writes):
            before = dict(counts)
            started = time.process_time()
            answer = client.put(f"/api/projects/{project_id}",
                                data=sheet_for(project_id, ("selected", "proposed")[index % 2]),
                                headers={**headers, "If-Match": etag})
            cpu = time.process_time() - started
            if answer.status_code != 200:
                raise RuntimeError(f"PUT: {answer.status_code} {answer.data[:300]!r}")
            etag = answer.headers["ETag"]
            rows.append({"cpu_ms": 1000 * cpu,
                         **{k: counts[k] - before[k] for k in counts}})
            # Catch up between writes (as a worker does on its next read), outside the PUT.
            event.remove(engine, "before_cursor_execute", statement)
            client.get("/api/projects?page=1")
            event.listen(engine, "before_cursor_execute", statement)
    finally:
        services.readmodel.close()
        engine.dispose()
    return {"writes": writes,
            "statements": statistics.median(r["statements"] for r in rows),
            "checkouts": statistics.median(r["checkouts"] for r in rows),
            "cpu_ms_p50": statistics.median(r["cpu_ms"] for r in rows)}


def mix(url: str, folder: Path, tokens: dict[str, str], args: argparse.Namespace
        ) -> dict[str, Any]:
    """One production server; the read mix by wrk while writers update projects."""
    with server("w", url, folder, args.workers) as (port, master):
        warm(port, list(MIX), 2)
        # Projects of a page near the end, as bench.two_servers writes projects it created
        # (not on page 1 of the mix): a write changes what the mix reads only through
        # the totals, never by replacing a project the page shows.
        total = json.loads(request(port, "GET", "/api/projects?per_page=1")[2])["total"]
        last = max(1, total // args.projects_written)  # a full page, near the end
        status, _, body = request(port, "GET", f"/api/projects?per_page="
                                  f"{args.projects_written}&page={last}")
        ids = [p["id"] for p in json.loads(body)["projects"]]
        etags = {}
        for project_id in ids:
            status, headers, _ = request(port, "GET", f"/api/projects/{project_id}")
            etags[project_id] = headers["etag"]
        warm(port, list(MIX), 2)
        cpu = workers_cpu_s(master)
        result = read_mix([port], tokens, etags, args.mix_seconds, args.connections,
                          args.write_rate, folder, args.writers)
        result["worker_cpu_s"] = workers_cpu_s(master) - cpu
    seconds = args.mix_seconds
    requests = sum(r["rps"] for r in result["servers"]) * seconds
    writes = result["writes_per_s"] * seconds
    result["cpu_ms_per_request"] = 1000 * result["worker_cpu_s"] / max(1.0, requests + writes)
    return result


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--projects", type=int, default=2000)
    parser.add_argument("--database", default="registry_write_mix")
    parser.add_argument("--reuse", action="store_true",
                        help="keep the database when it holds the projects already")
    parser.add_argument("--admin-url", default="postgresql+psycopg://postgres@127.0.0.1:5432")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--writes", type=int, default=40, help="in-process PUTs measured")
    parser.add_argument("--projects-written", type=int, default=100,
                        help="how many projects the mix's writers update in turn")
    parser.add_argument("--mix-seconds", type=float, default=15.0)
    parser.add_argument("--connections", type=int, default=16, help="wrk connections")
    parser.add_argument("--write-rate", type=float, default=20.0)
    parser.add_argument("--writers", type=int, default=two_servers.WRITERS,
                        help="client threads sharing the writes")
    parser.add_argument("--skip-mix", action="store_true", help="only the in-process PUT")
    parser.add_argument("--ports", metavar="FIRST-LAST", help="take ports from this range")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    if args.ports:
        first, _, last = args.ports.partition("-")
        two_servers.PORTS[:] = range(int(first), int(last) + 1)
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    folder = Path(tempfile.mkdtemp(prefix="bench-write-mix-"))
    url = database_url(args.admin_url, args.database)
    if args.reuse and project_count(url) >= args.projects:
        tokens = reuse_database(args.admin_url, args.database, folder)
    else:
        tokens = make_database(args.admin_url, args.database, args.projects, folder)
    result: dict[str, Any] = {
        "started": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "projects": project_count(url), "loadavg_before": os.getloadavg()}
    put = one_put(url, folder, tokens, args.writes)
    result["put"] = put
    print(f"one PUT in-process ({put['writes']} writes): {put['statements']:.0f} statements, "
          f"{put['checkouts']:.0f} connection check-outs, {put['cpu_ms_p50']:.1f} ms CPU "
          "(median)", flush=True)
    if not args.skip_mix:
        found = mix(url, folder, tokens, args)
        result["mix"] = found
        print(f"read mix, one server x {args.workers} workers: {found['rps']:.0f} req/s, p50 "
              f"{found['p50_ms']:.1f} ms, p99 {found['p99_ms']:.1f} ms, non-2xx "
              f"{found['non_2xx']}; writes {found['writes_per_s']:.1f}/s of "
              f"{args.write_rate:.0f} asked ({found['writes_refused']} refused "
              f"{found['refused_statuses']}, p50 "
              f"{found['write_p50_ms']:.0f} ms, p99 {found['write_p99_ms']:.0f} ms); "
              f"{found['cpu_ms_per_request']:.2f} ms worker CPU a request", flush=True)
    result["loadavg_after"] = os.getloadavg()
    print(f"load average {result['loadavg_before'][0]:.1f} before, "
          f"{result['loadavg_after'][0]:.1f} after", flush=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
