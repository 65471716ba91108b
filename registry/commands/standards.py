"""`registry standards`: list the standards of the catalogue."""

from __future__ import annotations

import sys

import click

from registry.commands.common import FORMATS, open_services


@click.command()
@click.option("--status", type=click.Choice(["mandatory", "recommended", "candidate",
                                             "deprecated"]), multiple=True,
              help="Only standards with this status (repeat for several).")
@click.option("--applies-to", "applies_to", metavar="CAPABILITY",
              help="Only standards that apply to this capability.")
@click.option("-q", "--query", help="Words that must occur in the title (any language).")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text",
              show_default=True)
def standards(status: tuple[str, ...], applies_to: str | None, query: str | None,
              fmt: str) -> None:
    """List the standards of the catalogue, e.g. `registry standards --status mandatory`."""
    from registry.catalogue.query import QueryError, parse_filters, select

    catalogue = open_services().snapshots.get()
    args = {"status": ",".join(status), "applies_to": applies_to or "", "q": query or ""}
    try:
        filters = parse_filters("standard", {k: v for k, v in args.items() if v}, catalogue)
    except QueryError as exc:
        raise click.BadParameter(exc.message) from None
    items = select("standard", filters, catalogue)
    if fmt == "json":
        import orjson

        sys.stdout.buffer.write(orjson.dumps(items, option=orjson.OPT_INDENT_2) + b"\n")
        return
    width = max((len(s["id"]) for s in items), default=2)
    for s in items:
        click.echo(f"{s['id']:<{width}}  {s['status']:<11}  {s['version'][:24]:<24}  "
                   f"{s['title']['en']}")
    click.echo(f"{len(items)} standard(s)", err=True)
