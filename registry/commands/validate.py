"""`registry validate`: check project sheets (the pre-commit hook's command)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from registry.commands.common import open_services


@click.command()
@click.argument("paths", nargs=-1, required=True)
@click.option("--format", "fmt", type=click.Choice(["text", "json", "sarif"]), default="text",
              show_default=True, help="text: one line per finding; json: the report of the "
              "spec; sarif: SARIF 2.1.0 for code-scanning tools.")
@click.option("--as-of", "as_of", type=click.DateTime(["%Y-%m-%d"]), metavar="YYYY-MM-DD",
              help="Judge lapsed explanations as of this date (default: today).")
@click.option("--catalogue", "catalogue_dir",
              type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="Validate against the YAML catalogue of this folder (holding standards/ "
                   "and reference_arch/), without a database: for a project's own CI.")
@click.option("--shipped", is_flag=True,
              help="Validate against the catalogue shipped with this registry, without a "
                   "database (what the pre-commit hook does).")
@click.option("--jobs", type=click.IntRange(1, 256), help="Worker processes (default: all "
              "cores).")
def validate(paths: tuple[str, ...], fmt: str, as_of: Any, catalogue_dir: Path | None,
             shipped: bool, jobs: int | None) -> None:
    """Validate project sheets: files, folders (*.yaml, *.yml, *.json) or - for stdin.

    Every problem is reported at once, located by line and column:

        registry validate sheets/
        registry validate --format json --as-of 2027-01-01 my-project.yaml
        cat sheet.yaml | registry validate -

    Exit codes: 0 every file is valid (warnings allowed), 1 at least one file is not,
    2 bad usage (unknown option, no such file, unreadable catalogue).
    """
    import datetime

    from registry.catalogue.files import CatalogueLoadError, load_catalogue, shipped_root
    from registry.commands.validate_fast import BAR_ABOVE, check
    from registry.validation.batch import NoSuchFile, expand_paths

    date = as_of.date() if as_of else datetime.date.today()
    try:
        files = expand_paths(paths)
    except NoSuchFile as exc:
        raise click.UsageError(f"no such file: {', '.join(exc.paths)}") from None
    if shipped and catalogue_dir is None:
        catalogue_dir = shipped_root()
    if catalogue_dir is not None:
        try:
            catalogue: Any = load_catalogue(catalogue_dir)
        except CatalogueLoadError as exc:
            for error in exc.errors[:20]:
                click.echo(str(error), err=True)
            raise click.UsageError(f"the catalogue in {catalogue_dir} cannot be read "
                                   f"({len(exc.errors)} problem(s))") from None
    else:
        catalogue = open_services().snapshots.get
    if len(files) > BAR_ABOVE and sys.stderr.isatty():
        with click.progressbar(length=len(files), label="Validating", file=sys.stderr) as bar:
            output, status = check(paths, catalogue, date, fmt, jobs, progress=bar.update)
    else:  # no bar at all (not a hidden one): the bar's module costs start-up time
        output, status = check(paths, catalogue, date, fmt, jobs)
    click.echo(output, nl=not output.endswith("\n"))
    sys.exit(status)
