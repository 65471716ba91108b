"""`registry reuse`: reuse, pooling and alignment opportunities."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from registry.commands.common import open_services, settings_module


@click.command()
@click.option("--format", "fmt", type=click.Choice(["text", "json", "csv"]), default="text",
              show_default=True)
@click.option("--roadmap", "roadmap_dir",
              type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="Analyse the sheets of this folder (validated first; invalid ones are "
                   "skipped and reported) instead of the stored roadmap: no database needed.")
@click.option("--type", "kind", type=click.Choice(["reuse", "pooling", "overlap",
                                                   "data-sharing", "standard-divergence"]),
              help="Only opportunities of this type.")
@click.option("--min-score", type=click.FloatRange(0, 1), default=0.0,
              help="Only opportunities scoring at least this (0 to 1).")
def reuse(fmt: str, roadmap_dir: Path | None, kind: str | None, min_score: float) -> None:
    """Find where roadmap projects should reuse a component, pool an effort, talk
    before both proceed, share data, or align their standards.

        registry reuse --roadmap examples/ --type pooling
    """
    import csv
    import datetime
    import io

    from registry.analysis.reuse import find_opportunities
    from registry.catalogue.files import load_catalogue, shipped_root
    from registry.csv_cells import safe_row
    from registry.documents.reading import read_limited
    from registry.services import reuse_thresholds
    from registry.validation.batch import expand_paths
    from registry.validation.pipeline import validate_and_load

    settings = settings_module().load()
    if roadmap_dir is not None:
        catalogue = load_catalogue(shipped_root())
        sheets = []
        for path in expand_paths([str(roadmap_dir)]):
            report, sheet = validate_and_load(read_limited(Path(path)), catalogue,
                                              as_of=datetime.date.today(), path=path)
            if report.valid:
                sheets.append(sheet)
            else:
                click.echo(f"skipped {path}: {report.errors} error(s); see "
                           f"`registry validate {path}`", err=True)
    else:
        services = open_services()
        catalogue = services.snapshots.get()
        sheets = services.roadmap.get().sheets()
    found = [o.to_dict() for o in find_opportunities(sheets, catalogue,
                                                     reuse_thresholds(settings),
                                                     own_process=True)
             if (kind is None or o.type == kind) and o.score >= min_score]
    if fmt == "json":
        import orjson

        sys.stdout.buffer.write(orjson.dumps({"opportunities": found},
                                             option=orjson.OPT_INDENT_2) + b"\n")
    elif fmt == "csv":
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(["type", "score", "projects", "organisations", "link", "explanation"])
        for o in found:
            link = ";".join(f"{k}={','.join(v) if isinstance(v, list) else v}"
                            for k, v in o["link"].items())
            writer.writerow(safe_row([o["type"], o["score"], " ".join(o["projects"]),
                                      " ".join(o["organisations"]), link,
                                      o["explanation"]]))
        click.echo(out.getvalue(), nl=False)
    else:
        for o in found:
            click.echo(f"{o['type']:<19} {o['score']:.2f}  {', '.join(o['projects'])}\n"
                       f"    {o['explanation']}")
        click.echo(f"{len(found)} opportunit{'y' if len(found) == 1 else 'ies'}", err=True)
