"""`registry projects`: import or remove project sheets in the store."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from registry.commands.common import author_option, open_services


@click.group()
def projects() -> None:
    """Load and list the roadmap's projects."""


@projects.command("import")
@click.argument("folder", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--as-of", "as_of", type=click.DateTime(["%Y-%m-%d"]),
              help="Validate as of this date (default today).")
@author_option("projects import")
def projects_import(folder: Path, as_of: Any, author: str) -> None:
    """Validate every sheet of FOLDER and store the valid ones, reporting per file.

    A file with errors is not stored (its findings are printed); an unchanged sheet
    creates no revision. Exits 1 when any file was refused.
    """
    import datetime

    from registry.projects import import_projects
    from registry.validation.report import text_line

    services = open_services()
    date = as_of.date() if as_of else datetime.date.today()
    outcomes = import_projects(folder, services.store, services.snapshots.get(), date, author)
    for outcome in outcomes:
        click.echo(f"{outcome.action:<9} {outcome.path} ({outcome.report.errors} errors, "
                   f"{outcome.report.warnings} warnings)")
        if outcome.action == "refused":
            for item in outcome.report.findings:
                click.echo("    " + text_line(outcome.path, item))
    refused = sum(1 for o in outcomes if o.action == "refused")
    click.echo(f"{len(outcomes)} file(s): {len(outcomes) - refused} stored or unchanged, "
               f"{refused} refused", err=True)
    if refused:
        sys.exit(1)


@projects.command("remove")
@click.option("--examples", is_flag=True,
              help="Remove the example projects loaded on first start (those not edited "
                   "since).")
@author_option("projects remove", "the author of the deletions")
def projects_remove(examples: bool, author: str) -> None:
    """Remove the example roadmap: `registry projects remove --examples`.

    Every example project whose current revision is still the loaded one is deleted in
    one transaction; each deletion is a revision and an audit event. A project edited
    since it was loaded has been adopted and is kept.
    """
    from registry.projects import remove_examples

    if not examples:
        raise click.UsageError("say what to remove: --examples")
    services = open_services(import_shipped=False)
    removed = remove_examples(services.store, author)
    services.roadmap.invalidate()
    if removed:
        click.echo(f"removed {len(removed)} example project(s): {', '.join(removed)}")
    else:
        click.echo("no example project to remove")
