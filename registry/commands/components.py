"""`registry components`: import components from publiccode.yml."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from registry.commands.common import author_option, open_services


@click.group()
def components() -> None:
    """Import reusable components from other descriptions."""


@components.command("import-publiccode")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--id", "record_id", metavar="ID",
              help="Id of the component (default: made from the name).")
@click.option("--owner", metavar="ORGANISATION",
              help="Owner organisation (a concept id of the organisations vocabulary); "
                   "default: the one named by organisation.name or legal.repoOwner.")
@click.option("--update", is_flag=True,
              help="Allow changing an existing component (only one imported from the same "
                   "publiccode.yml url, unless --force); what the file lacks is kept.")
@click.option("--force", is_flag=True,
              help="With --update: change the component even if it was curated by hand or "
                   "imported from another url.")
@author_option("components import-publiccode", "the author of the revision")
@click.option("--dry-run", is_flag=True,
              help="Check, map and show the field-by-field difference; store nothing.")
def components_import_publiccode(file: Path, record_id: str | None, owner: str | None,
                                 update: bool, force: bool, author: str,
                                 dry_run: bool) -> None:
    """Check the publiccode.yml FILE against its standard, map it to a component, store it.

    The file is checked first against the version of the standard it declares (required
    keys, types, enumerations, SPDX licence, URLs, e-mails, language tags, dates, unknown
    keys), each problem a FILE:LINE:COLUMN finding. Then it prints what was mapped from
    which field and every field that could not be mapped. Creating a component needs no
    flag; an existing one is changed only with --update (see --force), keeping what the
    file does not carry.

    Exit codes: 0 stored (or unchanged, or checked with --dry-run), 1 refused (the file,
    the component, or the replacement of an existing one), 2 bad usage.
    """
    from registry.catalogue.publiccode_import import ImportOptions, import_publiccode
    from registry.catalogue.publiccode_standard import NOT_CHECKED
    from registry.validation.report import text_line

    if force and not update:
        raise click.UsageError("--force only makes sense with --update")
    services = open_services()
    catalogue = services.snapshots.get()
    if owner is not None and owner not in catalogue.concepts.get("organisations", {}):
        raise click.BadParameter(f"unknown organisation {owner!r}; see "
                                 "/vocabularies/organisations", param_hint="--owner")
    max_bytes = services.settings["IMPORT_MAX_BYTES"]
    if file.stat().st_size > max_bytes:
        click.echo(f"{file}:0:0: error parse.too-large / the file is larger than the limit of "
                   f"{max_bytes:,} bytes (REGISTRY_IMPORT_MAX_BYTES)", err=True)
        sys.exit(1)
    options = ImportOptions(record_id=record_id, owner=owner, update=update, force=force,
                            dry_run=dry_run, author=author, file_name=file.name,
                            max_bytes=max_bytes)
    outcome = import_publiccode(file.read_bytes(), options, store=services.store,
                                catalogue=catalogue)
    mapping = outcome.mapping
    for target, source in mapping.mapped:
        click.echo(f"mapped      {target} <- {source}")
    for what in mapping.not_mapped:
        click.echo(f"not mapped  {what}")
    for item in sorted(mapping.findings, key=lambda f: f.sort_key()):
        click.echo(text_line(str(file), item))
    click.echo(f"note: {NOT_CHECKED}")
    if outcome.record is not None and (dry_run or outcome.action == "refused"):
        for line in outcome.changes:
            click.echo(f"change      {line}")
    name = f"component {outcome.record['id']}" if outcome.record else str(file)
    if outcome.action == "refused":
        click.echo(f"{name}: not stored: {outcome.reason}", err=True)
        sys.exit(1)
    if outcome.action != "checked":
        services.snapshots.invalidate()
    click.echo(f"{name}: {outcome.action}"
               + (f" (revision {outcome.revision})" if outcome.revision else ""), err=True)
