"""`registry vocab`: import published SKOS vocabularies."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from registry.commands.common import author_option, open_services


@click.group()
def vocab() -> None:
    """Import published SKOS vocabularies into the catalogue."""


@vocab.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--scheme", "scheme_id", required=True, metavar="ID",
              help="Id of the vocabulary in the registry (created or updated).")
@click.option("--format", "fmt", type=click.Choice(["turtle", "rdfxml", "jsonld", "ntriples"]),
              help="RDF format (default: from the suffix: .ttl .rdf/.xml/.owl .jsonld/.json "
                   ".nt).")
@click.option("--scheme-iri", metavar="IRI",
              help="Which concept scheme of the file to import, when it holds several.")
@author_option("vocab import", "the author of the revision")
@click.option("--dry-run", is_flag=True, help="Check and report; store nothing.")
def vocab_import(file: Path, scheme_id: str, fmt: str | None, scheme_iri: str | None,
                 author: str, dry_run: bool) -> None:
    """Import the SKOS concept scheme of FILE as the vocabulary --scheme ID.

    Reads Turtle, RDF/XML, JSON-LD or N-Triples from the local file only (no remote
    @context, owl:imports or XML entity is ever fetched; RDF/XML with a DOCTYPE is
    refused). SKOS integrity problems are reported as FILE:LINE:COLUMN findings before
    anything is stored; with any error nothing is stored. IRIs and every language's
    labels are kept. Importing again creates a new revision; concepts that left the
    file are kept, marked deprecated (never deleted).

    Exit codes: 0 stored (or unchanged, or checked with --dry-run), 1 the file was
    refused, 2 bad usage.
    """
    import re

    from registry.linked_data.rdf_input import format_for
    from registry.linked_data.skos import import_vocabulary
    from registry.validation.report import text_line

    if not re.fullmatch(r"[a-z0-9][a-z0-9-]{0,62}[a-z0-9]", scheme_id):
        raise click.BadParameter("lower-case letters, digits and hyphens, 2 to 64 "
                                 "characters", param_hint="--scheme")
    fmt = format_for(file, fmt)
    if fmt is None:
        raise click.UsageError(f"cannot tell the RDF format of {file.name} from its suffix: "
                               "give --format")
    services = open_services()
    max_bytes = services.settings["IMPORT_MAX_BYTES"]
    if file.stat().st_size > max_bytes:
        click.echo(f"{file}:0:0: error rdf.too-large / the file is larger than the limit of "
                   f"{max_bytes:,} bytes (REGISTRY_IMPORT_MAX_BYTES)", err=True)
        sys.exit(1)
    outcome = import_vocabulary(
        file.read_bytes(), fmt, scheme_id, store=services.store,
        catalogue=services.snapshots.get(), roadmap=services.roadmap.get(),
        scheme_iri=scheme_iri, file_name=file.name, author=author, dry_run=dry_run)
    result = outcome.result
    for item in sorted(result.findings, key=lambda f: f.sort_key()):
        click.echo(text_line(str(file), item))
    if outcome.action == "refused":
        click.echo(f"{result.errors} error(s): nothing was stored", err=True)
        sys.exit(1)
    services.snapshots.invalidate()
    click.echo(f"{scheme_id}: {outcome.action}"
               + (f" (revision {outcome.revision})" if outcome.revision else "")
               + f"; {len(result.added)} concept(s) added, {len(result.updated)} updated, "
               f"{len(result.deprecated)} deprecated because they left the file", err=True)
    if result.used_deprecated:
        click.echo(f"kept and deprecated although still used: "
                   f"{', '.join(result.used_deprecated)}", err=True)
