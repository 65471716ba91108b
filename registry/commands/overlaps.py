"""`registry overlaps`: compute the reuse overlaps once for every web worker."""

from __future__ import annotations

import click

from registry.commands.common import open_services

NICENESS = 10  # added to the job's nice value: the workers' requests go first


@click.command()
@click.option("--once", is_flag=True, help="Compute once (if needed) and stop.")
@click.option("--exit-with", "parent", type=int, hidden=True,
              help="Stop when the process of this id is no longer the parent.")
def overlaps(once: bool, parent: int | None) -> None:
    """Compute the reuse overlaps once for every web worker of every server, whenever
    the roadmap changes (one job at a time: an advisory lock on PostgreSQL).

    `registry serve --production` starts it beside its workers; run it yourself when
    the workers are served otherwise, with REGISTRY_REUSE_OVERLAP_JOB=1 for them.
    """
    import logging
    import os
    import signal

    from registry.readmodel.overlap_job import OverlapJob, exit_with
    from registry.services import reuse_thresholds
    from registry.storage.trouble import classify

    # The store is opened as every command opens it: the schema brought up to date, and a
    # database that cannot be reached said in one line, not a traceback.
    services = open_services(import_shipped=False)
    store = services.store
    job = OverlapJob(store, reuse_thresholds(services.settings))
    try:
        if once:
            try:
                version = job.run_once()
            except Exception as exc:
                trouble = classify(exc, store.timeouts)
                if trouble is None:
                    raise
                where = store.engine.url.render_as_string(hide_password=True)
                raise click.ClickException(f"{trouble.message} ({where})") from None
            finally:
                job.lock.release()
            click.echo("another job holds the lock" if version is None
                       else f"overlaps stored for version {version}")
            return
        # The web workers come first: on a machine they share, the job takes the CPU
        # they leave (it computes for a version already answered, only its overlaps lag).
        os.nice(NICENESS)
        logging.basicConfig(level=logging.INFO, format="[overlaps] %(message)s")
        signal.signal(signal.SIGTERM, lambda *_: job.stop())
        signal.signal(signal.SIGINT, lambda *_: job.stop())
        job.run(exit_with(parent) if parent else lambda: True)
    finally:
        store.engine.dispose()
