"""`registry serve`: the development or the production server."""

from __future__ import annotations

import click


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=5000, show_default=True, type=click.IntRange(1, 65535),
              help="Port to listen on.")
@click.option("--debug", is_flag=True, help="Reload on code changes and show tracebacks.")
@click.option("--production", is_flag=True,
              help="Serve with the production server (gunicorn, threaded workers that drop "
                   "slow clients) in production mode (REGISTRY_PRODUCTION).")
@click.option("--workers", default=2, show_default=True, type=click.IntRange(1, 64),
              help="With --production: worker processes (about one per core).")
@click.option("--threads", default=32, show_default=True, type=click.IntRange(2, 256),
              help="With --production: threads per worker (slow clients and SPARQL "
                   "queries each hold one while they last).")
@click.option("--active-threads", default=0, show_default=True, type=click.IntRange(0, 256),
              help="With --production: threads of a worker answering at once; the others "
                   "wait their turn in order (0: no limit).")
@click.option("--header-timeout", default=10.0, show_default=True,
              type=click.FloatRange(0.5, 300),
              help="With --production: seconds a client has to send a request's headers.")
@click.option("--body-timeout", default=30.0, show_default=True,
              type=click.FloatRange(0.5, 600),
              help="With --production: seconds a client has to send a request's body.")
@click.option("--socket-per-worker/--shared-socket", default=True, show_default=True,
              help="With --production: a listening socket per worker (SO_REUSEPORT), the "
                   "kernel spreading connections over them, or one socket shared by the "
                   "workers (gunicorn's default: the first worker awake takes each "
                   "connection).")
@click.option("--sparql-shared-pool", is_flag=True,
              help="With --production: one SPARQL process for the whole server instead of "
                   "a pool in each worker (less memory, slower to follow writes; "
                   "REGISTRY_SPARQL_SHARED_POOL).")
@click.option("--no-hit-path", is_flag=True,
              help="With --production: send every request through gunicorn and the app, "
                   "cached answers too (for comparison; see registry/hit_path.py).")
@click.option("--access-log", metavar="FILE",
              help="With --production: write an access log line per request (- for "
                   "standard output).")
def serve(host: str, port: int, debug: bool, production: bool, workers: int, threads: int,
          active_threads: int, header_timeout: float, body_timeout: float, socket_per_worker: bool,
          sparql_shared_pool: bool, no_hit_path: bool, access_log: str | None) -> None:
    """Serve the registry: the development server, or with --production the production one.

    Loads the shipped catalogue into an empty store first (not in production, where
    `registry db upgrade` and `registry import` come first). In production:

        registry serve --production --host 0.0.0.0 --port 8000 --workers 2
    """
    from registry import create_app

    if production and debug:
        raise click.UsageError("--debug and --production exclude each other")
    if not production and ((workers, threads, active_threads, access_log) != (2, 32, 0, None)
                           or not socket_per_worker or no_hit_path or sparql_shared_pool):
        raise click.UsageError("--workers, --threads, --active-threads, --shared-socket, "
                               "--sparql-shared-pool, --no-hit-path and --access-log go "
                               "with --production")
    try:
        # In production one process beside the workers computes the reuse overlaps for
        # all of them (registry.serving starts it), instead of each worker its own.
        overrides = {"PRODUCTION": True, "REUSE_OVERLAP_JOB": True}
        if sparql_shared_pool:
            overrides["SPARQL_SHARED_POOL"] = True
        app = create_app(overrides if production else None)
    except Exception as exc:  # an unsafe configuration, a damaged or unreachable store
        raise click.ClickException(str(exc)) from None
    if debug and app.config["REGISTRY"]["PRODUCTION"]:
        raise click.UsageError("--debug is refused in production mode (REGISTRY_PRODUCTION)")
    if production:
        from registry.serving import AddressInUse, ServeOptions
        from registry.serving import serve as serve_production

        click.echo(f"Serving the registry on http://{host}:{port}/ with {workers} workers "
                   f"of {threads} threads (Ctrl+C stops it)", err=True)
        options = ServeOptions(host=host, port=port, workers=workers, threads=threads,
                               active_threads=active_threads,
                               header_timeout=header_timeout, body_timeout=body_timeout,
                               socket_per_worker=socket_per_worker, access_log=access_log,
                               hit_path=not no_hit_path, overlap_job=True)
        try:
            serve_production(app, options)
        except AddressInUse as exc:
            raise click.ClickException(str(exc)) from None
        return
    click.echo(f"Serving the registry on http://{host}:{port}/ (Ctrl+C stops it)", err=True)
    app.run(host=host, port=port, debug=debug, use_reloader=debug)
