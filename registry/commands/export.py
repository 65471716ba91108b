"""`registry export`: the stored catalogue as YAML, or the registry as RDF."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from registry.commands.common import open_services

RDF_EXPORT_FORMATS = ("turtle", "jsonld", "nt")


@click.command()
@click.argument("folder", type=click.Path(file_okay=False))
@click.option("--format", "fmt", type=click.Choice(RDF_EXPORT_FORMATS), default="turtle",
              show_default=True, help="With `export rdf`: the RDF format.")
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path),
              help="With `export rdf`: write to this file (default: standard output).")
def export(folder: str, fmt: str, output: Path | None) -> None:
    """Write the stored catalogue to FOLDER in the layout that `registry import` reads.

    `registry export rdf [--format turtle|jsonld|nt] [--output FILE]` writes instead the
    whole registry (catalogue, vocabularies, projects, DCAT-AP description) as RDF, with
    IRIs under REGISTRY_BASE_IRI (default https://registry.smartcity.brussels/). To
    write YAML into a folder literally named rdf, write it ./rdf.
    """
    services = open_services()
    if folder == "rdf":
        _export_rdf(services, fmt, output)
        return
    if output is not None or fmt != "turtle":
        raise click.UsageError("--format and --output go with `registry export rdf`; a "
                               "folder named rdf is written ./rdf")
    from registry.catalogue.files import write_catalogue

    count = write_catalogue(services.store.export(), Path(folder))
    click.echo(f"wrote {count} records under {folder}")


def _export_rdf(services: Any, fmt: str, output: Path | None) -> None:
    from registry.linked_data.formats import BY_KEY
    from registry.linked_data.iris import DEFAULT_BASE
    from registry.linked_data.service import LinkedData

    base = services.settings.get("BASE_IRI") or DEFAULT_BASE
    base = base if base.endswith("/") else base + "/"
    linked = LinkedData(services)
    try:
        graph = linked.graph(base)
        data = graph.dump(BY_KEY[fmt])
    finally:
        linked.close()
    if output is None:
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
    else:
        output.write_bytes(data)
    click.echo(f"wrote {graph.triples} triples ({len(data):,} bytes) "
               f"to {output or 'standard output'}", err=True)
