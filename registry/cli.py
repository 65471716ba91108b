"""The `registry` command: serve, import and export the catalogue, look things up.

Thin: every command translates its options into calls of the core and back.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

FORMATS = ("text", "json")


def _author(command: str, recorded_as: str = "the author of the revisions") -> Any:
    """Return the --author option of a command that stores something (default: its name)."""
    return click.option("--author", default=f"registry {command}", show_default=True,
                        help=f"Name recorded as {recorded_as}.")


def _settings() -> Any:
    """Return the settings module, imported when a command needs it (`validate` does not)."""
    from registry import config

    return config


def _services(import_shipped: bool = True) -> Any:
    from registry.services import Services

    settings = _settings().load()
    if not import_shipped:
        settings["AUTO_IMPORT"] = False
    services = Services.from_settings(settings, _settings().instance_path(settings))
    # Close pooled database connections when the command ends, not at interpreter exit.
    click.get_current_context().call_on_close(services.store.engine.dispose)
    try:
        services.prepare()
    except Exception as exc:  # the store is unreachable or its schema is broken
        raise click.ClickException(f"cannot open the store {services.store.url}: {exc}") \
            from None
    return services


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="registry")
def main() -> None:
    """The open-architecture registry of a Smart City Office.

    Settings come from REGISTRY_* environment variables (see `registry settings`);
    the store is SQLite in the instance folder unless REGISTRY_DATABASE_URL names
    another database.
    """


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=5000, show_default=True, type=click.IntRange(1, 65535),
              help="Port to listen on.")
@click.option("--debug", is_flag=True, help="Reload on code changes and show tracebacks.")
@click.option("--production", is_flag=True,
              help="Serve with the production server (gunicorn, threaded workers that drop "
                   "slow clients) in production mode (REGISTRY_PRODUCTION).")
@click.option("--workers", default=2, show_default=True, type=click.IntRange(1, 64),
              help="With --production: worker processes (about one per core).")
@click.option("--threads", default=32, show_default=True, type=click.IntRange(2, 256),
              help="With --production: threads per worker (slow clients and SPARQL "
                   "queries each hold one while they last).")
@click.option("--header-timeout", default=10.0, show_default=True,
              type=click.FloatRange(0.5, 300),
              help="With --production: seconds a client has to send a request's headers.")
@click.option("--body-timeout", default=30.0, show_default=True,
              type=click.FloatRange(0.5, 600),
              help="With --production: seconds a client has to send a request's body.")
@click.option("--access-log", metavar="FILE",
              help="With --production: write an access log line per request (- for "
                   "standard output).")
def serve(host: str, port: int, debug: bool, production: bool, workers: int, threads: int,
          header_timeout: float, body_timeout: float, access_log: str | None) -> None:
    """Serve the registry: the development server, or with --production the production one.

    Loads the shipped catalogue into an empty store first (not in production, where
    `registry db upgrade` and `registry import` come first). In production:

        registry serve --production --host 0.0.0.0 --port 8000 --workers 2
    """
    from registry import create_app

    if production and debug:
        raise click.UsageError("--debug and --production exclude each other")
    if not production and (workers, threads, access_log) != (2, 32, None):
        raise click.UsageError("--workers, --threads and --access-log go with --production")
    try:
        app = create_app({"PRODUCTION": True} if production else None)
    except Exception as exc:  # an unsafe configuration, a damaged or unreachable store
        raise click.ClickException(str(exc)) from None
    if debug and app.config["REGISTRY"]["PRODUCTION"]:
        raise click.UsageError("--debug is refused in production mode (REGISTRY_PRODUCTION)")
    if production:
        from registry.serving import ServeOptions
        from registry.serving import serve as serve_production

        click.echo(f"Serving the registry on http://{host}:{port}/ with {workers} workers "
                   f"of {threads} threads (Ctrl+C stops it)", err=True)
        serve_production(app, ServeOptions(host=host, port=port, workers=workers,
                                           threads=threads, header_timeout=header_timeout,
                                           body_timeout=body_timeout, access_log=access_log))
        return
    click.echo(f"Serving the registry on http://{host}:{port}/ (Ctrl+C stops it)", err=True)
    app.run(host=host, port=port, debug=debug, use_reloader=debug)


@main.command("import")
@click.argument("folders", nargs=-1, required=True,
                type=click.Path(exists=True, file_okay=False, path_type=Path))
@_author("import")
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
    services = _services(import_shipped=False)
    result = services.store.import_records(records, author=author)
    from registry.catalogue.records import PLURALS

    for kind in records:
        click.echo(f"{PLURALS[kind]}: {result.created[kind]} created, {result.updated[kind]} updated, "
                   f"{result.unchanged[kind]} unchanged")


RDF_EXPORT_FORMATS = ("turtle", "jsonld", "nt")


@main.command()
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
    services = _services()
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


@main.command()
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

    catalogue = _services().snapshots.get()
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


@main.command()
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
    from registry.validation.batch import NoSuchFile, expand_paths, validate_paths
    from registry.validation.report import render

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
        catalogue = _services().snapshots.get
    if len(files) > 20 and sys.stderr.isatty():
        with click.progressbar(length=len(files), label="Validating", file=sys.stderr) as bar:
            reports = validate_paths(list(paths), catalogue, date, jobs=jobs,
                                     progress=bar.update)
    else:  # no bar at all (not a hidden one): the bar's module costs start-up time
        reports = validate_paths(list(paths), catalogue, date, jobs=jobs)
    output = render(reports, fmt)
    click.echo(output, nl=not output.endswith("\n"))
    sys.exit(0 if all(r.valid for r in reports) else 1)


@main.command("lint")
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
        catalogue = _services().snapshots.get()
    report = lint(catalogue, date)
    if fmt == "json":
        import orjson

        click.echo(orjson.dumps(report.to_dict(), option=orjson.OPT_INDENT_2).decode())
    else:
        for line in render_text(report):
            click.echo(line)
    sys.exit(report.exit_code)


@main.group()
def db() -> None:
    """Manage the database schema."""


@db.command()
def upgrade() -> None:
    """Apply pending migrations (run once before starting production workers)."""
    from registry.services import Services

    settings = _settings().load()
    services = Services.from_settings(settings, _settings().instance_path(settings))
    click.get_current_context().call_on_close(services.store.engine.dispose)
    from registry.storage.store import SchemaTooNew

    try:
        pending = services.store.pending_migrations()
        services.store.migrate()
    except SchemaTooNew as exc:
        raise click.ClickException(f"{exc}. Nothing was changed.") from None
    click.echo(f"applied {len(pending)} migration(s)" if pending else "already up to date")


def _bare_store() -> Any:
    """Open the store without migrating or importing anything (backup and restore)."""
    from registry.services import Services

    settings = _settings().load()
    services = Services.from_settings(settings, _settings().instance_path(settings))
    click.get_current_context().call_on_close(services.store.engine.dispose)
    return services.store


class _Bar:
    """A progress bar on standard error, shown for long work on a terminal only."""

    def __init__(self, label: str) -> None:
        self.bar = click.progressbar(length=1, label=label, file=sys.stderr,
                                     hidden=not sys.stderr.isatty())
        self.done = 0

    def __call__(self, done: int, total: int) -> None:
        self.bar.length = max(total, 1)
        self.bar.update(done - self.done)
        self.done = done

    def __enter__(self) -> _Bar:
        self.bar.__enter__()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.bar.__exit__(*exc)


def _summary(manifest: dict[str, Any]) -> str:
    return ", ".join(f"{t['name']} {t['rows']:,}" for t in manifest["tables"])


@main.command("backup")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Replace FILE if it exists.")
def backup_cmd(file: Path, force: bool) -> None:
    """Write a consistent snapshot of everything stored to FILE (e.g. registry.backup.tar.gz).

    Records with every revision, the audit trail, token hashes, the catalogue state and
    every other table, read in one transaction: safe while the server runs. FILE is a
    gzip-compressed tar of JSON lines with a manifest (format version, schema revision,
    row counts, SHA-256 of each member). `registry restore FILE` loads it into an empty
    database of either engine.

    Exit codes: 0 written, 1 the backup could not be taken (nothing is left at FILE).
    """
    from sqlalchemy.exc import SQLAlchemyError

    from registry.storage.backup import BackupError, backup

    if file.exists() and not force:
        raise click.ClickException(f"{file} exists: give --force to replace it")
    store = _bare_store()
    try:
        with _Bar("Backing up") as bar:
            manifest = backup(store, file, progress=bar)
    except (BackupError, SQLAlchemyError, OSError) as exc:
        raise click.ClickException(f"no backup written: {exc}") from None
    click.echo(f"wrote {file} ({file.stat().st_size:,} bytes, schema revision "
               f"{manifest['schema_revision']}): {_summary(manifest)}")


@main.command("restore")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def restore_cmd(file: Path) -> None:
    """Load the backup FILE into the empty database of REGISTRY_DATABASE_URL.

    The whole archive is checked first (format version, every member's SHA-256, row
    counts); a corrupt or truncated archive, one of a newer format or schema, or a
    database that already holds data is refused and nothing is written. Everything is
    loaded in one transaction, sequences are moved past the restored ids, and the
    schema is upgraded to this registry's migrations. Moving between engines is a
    backup on one and a restore on the other.

    Exit codes: 0 restored, 1 refused (nothing was written).
    """
    from sqlalchemy.exc import SQLAlchemyError

    from registry.storage.backup import RestoreRefused, restore

    store = _bare_store()
    try:
        with _Bar("Restoring") as bar:
            manifest = restore(store, file, progress=bar)
    except RestoreRefused as exc:
        raise click.ClickException(f"{exc}; nothing was written") from None
    except (SQLAlchemyError, OSError) as exc:
        raise click.ClickException(f"restore failed, nothing was written: {exc}") from None
    click.echo(f"restored {file} into {store.engine.url.render_as_string()} (taken "
               f"{manifest['created_at']} from {manifest['engine']}): {_summary(manifest)}")


@main.group()
def projects() -> None:
    """Load and list the roadmap's projects."""


@projects.command("import")
@click.argument("folder", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--as-of", "as_of", type=click.DateTime(["%Y-%m-%d"]),
              help="Validate as of this date (default today).")
@_author("projects import")
def projects_import(folder: Path, as_of: Any, author: str) -> None:
    """Validate every sheet of FOLDER and store the valid ones, reporting per file.

    A file with errors is not stored (its findings are printed); an unchanged sheet
    creates no revision. Exits 1 when any file was refused.
    """
    import datetime

    from registry.projects import import_projects
    from registry.validation.report import text_line

    services = _services()
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
@_author("projects remove", "the author of the deletions")
def projects_remove(examples: bool, author: str) -> None:
    """Remove the example roadmap: `registry projects remove --examples`.

    Every example project whose current revision is still the loaded one is deleted in
    one transaction; each deletion is a revision and an audit event. A project edited
    since it was loaded has been adopted and is kept.
    """
    from registry.projects import remove_examples

    if not examples:
        raise click.UsageError("say what to remove: --examples")
    services = _services(import_shipped=False)
    removed = remove_examples(services.store, author)
    services.roadmap.invalidate()
    if removed:
        click.echo(f"removed {len(removed)} example project(s): {', '.join(removed)}")
    else:
        click.echo("no example project to remove")


@main.group()
def measurements() -> None:
    """Report the measured values of projects' KPIs."""


@measurements.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@_author("measurements import", "who reported the values")
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

    services = _services()
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


@main.group()
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
@_author("vocab import", "the author of the revision")
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
    services = _services()
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


@main.group()
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
@_author("components import-publiccode", "the author of the revision")
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
    services = _services()
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


@main.command()
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

    settings = _settings().load()
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
        services = _services()
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


@main.group()
def token() -> None:
    """Create, list and revoke API tokens (reads are public; writes need a token)."""


@token.command("create")
@click.option("--role", required=True, type=click.Choice(["lead", "architect", "office",
                                                         "admin"]),
              help="lead: projects of its organisations; architect: the catalogue; "
                   "office: any project; admin: everything.")
@click.option("--org", "orgs", multiple=True, metavar="ORGANISATION",
              help="Organisation (concept id) whose projects a lead may write; repeatable.")
@click.option("--expires", type=click.IntRange(1, 3650), metavar="DAYS",
              help="Days until the token expires (default: never).")
@click.option("--name", default="", help="Who or what the token is for (shown in the audit).")
def token_create(role: str, orgs: tuple[str, ...], expires: int | None, name: str) -> None:
    """Create a token; its secret is printed once, as the last line."""
    from registry.storage.tokens import create_token

    services = _services()
    known = services.snapshots.get().concepts.get("organisations", {})
    unknown = [o for o in orgs if o not in known]
    if unknown:
        raise click.BadParameter(f"unknown organisation {unknown[0]!r}; see "
                                 "/vocabularies/organisations", param_hint="--org")
    try:
        secret, info = create_token(services.store, role=role, organisations=list(orgs),
                                    name=name or f"{role} token", expires_days=expires)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    expiry = info["expires_at"].date().isoformat() if info["expires_at"] else "never"
    click.echo(f"token {info['id']} for {info['name']}: role {role}, organisations "
               f"{', '.join(orgs) or '-'}, expires {expiry}. Keep the secret below: it is "
               "not shown again.")
    click.echo(secret)


@token.command("list")
def token_list() -> None:
    """List tokens (never their secrets)."""
    from registry.storage.tokens import list_tokens

    for t in list_tokens(_services().store):
        state = "revoked" if t["revoked_at"] else "active"
        expiry = t["expires_at"].date().isoformat() if t["expires_at"] else "never"
        click.echo(f"{t['id']}  {t['role']:<9}  {state:<7}  expires {expiry:<10}  "
                   f"{','.join(t['organisations']) or '-':<24}  {t['name']}")


@token.command("revoke")
@click.argument("token_id")
def token_revoke(token_id: str) -> None:
    """Revoke the token TOKEN_ID (the id shown by `registry token list`)."""
    from registry.storage.tokens import revoke_token

    if not revoke_token(_services().store, token_id):
        raise click.ClickException(f"no active token {token_id!r}")
    click.echo(f"revoked token {token_id}")


@main.command("settings")
def settings_cmd() -> None:
    """List every setting, its environment variable, current value and meaning."""
    values = _settings().load()
    for s in _settings().SETTINGS:
        value = values[s.name]
        shown = "(set)" if s.name == "SECRET_KEY" and value else value
        click.echo(f"{s.env} = {shown!r}\n    {s.help}")
