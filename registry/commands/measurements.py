"""`registry measurements`: import reported KPI values."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from registry.commands.common import author_option, open_services


@click.group()
def measurements() -> None:
    """Report the measured values of projects' KPIs."""


@measurements.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@author_option("measurements import", "who reported the values")
def measurements_import(file: Path, author: str) -> None:
    """Store the KPI values of a CSV FILE (columns project,kpi,date,value,note).

    Every row is checked first (the project and its KPI exist, the date is not in the
    future, the value is of the KPI's kind); a file with any problem stores nothing and
    exits 1, naming each problem with its line. A value already reported for that
    project, KPI and date is replaced as a new revision; an identical one is unchanged.
    """
    import datetime

    from registry.measurements import read_csv
    from registry.storage import measurements as stored

    services = open_services()
    limit = services.settings["MAX_UPLOAD_BYTES"]
    if file.stat().st_size > limit:
        click.echo(f"{file}: {file.stat().st_size} bytes, over the limit of {limit} "
                   "(REGISTRY_MAX_UPLOAD_BYTES): split the file", err=True)
        sys.exit(1)
    rows, problems = read_csv(file.read_bytes(), services.roadmap.get(),
                              datetime.date.today())
    for line, message in problems:
        click.echo(f"{file}:{line}: {message}", err=True)
    if problems:
        click.echo(f"{len(problems)} problem(s): nothing was stored", err=True)
        sys.exit(1)
    created, replaced, unchanged = stored.put_many(
        services.store, ((r.project, r.kpi, r.day, r.value, r.note) for r in rows),
        author=author, source=f"csv {file.name}")
    click.echo(f"{len(rows)} value(s): {created} created, {replaced} replaced, "
               f"{unchanged} unchanged")
