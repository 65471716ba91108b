"""`registry lint`: check the catalogue itself."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from registry.commands.common import FORMATS, open_services


@click.command("lint")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text",
              show_default=True, help="text: one line per finding and a summary; json: "
              "the report as JSON.")
@click.option("--as-of", "as_of", type=click.DateTime(["%Y-%m-%d"]), metavar="YYYY-MM-DD",
              help="Judge reviews due as of this date (default: today).")
@click.option("--catalogue", "catalogue_dir",
              type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="Lint the YAML catalogue of this folder instead of the store.")
@click.option("--shipped", is_flag=True,
              help="Lint the catalogue shipped with this registry instead of the store.")
def lint_cmd(fmt: str, as_of: Any, catalogue_dir: Path | None, shipped: bool) -> None:
    """Check the catalogue itself: reviews due, contradictions, dead links.

    Lists records not reviewed for 12 months, descriptions that contradict the status
    (a candidate described as recommended or mandatory), mandatory standards whose
    principle or legal basis requires a standard that is not mandatory, and links to
    records that do not exist:

        registry lint --shipped
        registry lint --format json --as-of 2027-12-01

    Exit codes: 0 no contradiction (reviews due allowed), 1 at least one contradiction
    or dead link, 2 bad usage (unreadable catalogue).
    """
    import datetime

    from registry.catalogue.files import CatalogueLoadError, load_catalogue, shipped_root
    from registry.catalogue.lint import lint, render_text

    date = as_of.date() if as_of else datetime.date.today()
    if shipped and catalogue_dir is None:
        catalogue_dir = shipped_root()
    if catalogue_dir is not None:
        try:
            catalogue: Any = load_catalogue(catalogue_dir, check_links=False)
        except CatalogueLoadError as exc:
            for error in exc.errors[:20]:
                click.echo(str(error), err=True)
            raise click.UsageError(f"the catalogue in {catalogue_dir} cannot be read "
                                   f"({len(exc.errors)} problem(s))") from None
    else:
        catalogue = open_services().snapshots.get()
    report = lint(catalogue, date)
    if fmt == "json":
        import orjson

        click.echo(orjson.dumps(report.to_dict(), option=orjson.OPT_INDENT_2).decode())
    else:
        for line in render_text(report):
            click.echo(line)
    sys.exit(report.exit_code)
