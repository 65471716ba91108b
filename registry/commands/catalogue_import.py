"""`registry import`: load catalogue YAML folders into the store."""

from __future__ import annotations

from pathlib import Path

import click

from registry.commands.common import author_option, open_services


@click.command("import")
@click.argument("folders", nargs=-1, required=True,
                type=click.Path(exists=True, file_okay=False, path_type=Path))
@author_option("import")
def import_(folders: tuple[Path, ...], author: str) -> None:
    """Import catalogue YAML from FOLDERS (each holding standards/ and reference_arch/).

    All or nothing: a single bad file imports nothing and every problem is listed
    as FILE:LINE:COLUMN: FIELD MESSAGE. Importing the same files again changes
    nothing (no new revision for an unchanged record).
    """
    from registry.catalogue.files import CatalogueLoadError, read_records

    try:
        records = read_records(list(folders))
    except CatalogueLoadError as exc:
        for error in exc.errors:
            click.echo(str(error), err=True)
        raise click.ClickException(f"{len(exc.errors)} problem(s): nothing was imported") \
            from None
    services = open_services(import_shipped=False)
    result = services.store.import_records(records, author=author)
    from registry.catalogue.records import PLURALS

    for kind in records:
        click.echo(f"{PLURALS[kind]}: {result.created[kind]} created, {result.updated[kind]} updated, "
                   f"{result.unchanged[kind]} unchanged")
