"""The `registry` command: serve, import and export the catalogue, look things up.

Thin: every command translates its options into calls of the core and back.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click
import orjson

from registry import config as settings_module

FORMATS = ("text", "json")


def _services(import_shipped: bool = True) -> Any:
    from registry.services import Services

    settings = settings_module.load()
    if not import_shipped:
        settings["AUTO_IMPORT"] = False
    services = Services.from_settings(settings, settings_module.instance_path(settings))
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
def serve(host: str, port: int, debug: bool) -> None:
    """Serve the registry with the development server.

    Loads the shipped catalogue into an empty store first. In production run
    gunicorn instead:  gunicorn -w 4 'registry:create_app()'
    """
    from registry import create_app

    app = create_app()
    if debug and app.config["REGISTRY"]["PRODUCTION"]:
        raise click.UsageError("--debug is refused in production mode (REGISTRY_PRODUCTION)")
    click.echo(f"Serving the registry on http://{host}:{port}/ (Ctrl+C stops it)", err=True)
    app.run(host=host, port=port, debug=debug, use_reloader=debug)


@main.command("import")
@click.argument("folders", nargs=-1, required=True,
                type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--author", default="registry import", show_default=True,
              help="Name recorded as the author of the revisions.")
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
    for kind in records:
        click.echo(f"{kind}s: {result.created[kind]} created, {result.updated[kind]} updated, "
                   f"{result.unchanged[kind]} unchanged")


@main.command()
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
def export(folder: Path) -> None:
    """Write the stored catalogue to FOLDER in the layout that `registry import` reads."""
    from registry.catalogue.files import write_catalogue

    services = _services()
    count = write_catalogue(services.store.export(), folder)
    click.echo(f"wrote {count} records under {folder}")


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
    show_bar = len(files) > 20 and sys.stderr.isatty()
    with click.progressbar(length=len(files), label="Validating", file=sys.stderr,
                           hidden=not show_bar) as bar:
        reports = validate_paths(list(paths), catalogue, date, jobs=jobs, progress=bar.update)
    output = render(reports, fmt)
    click.echo(output, nl=not output.endswith("\n"))
    sys.exit(0 if all(r.valid for r in reports) else 1)


@main.group()
def db() -> None:
    """Manage the database schema."""


@db.command()
def upgrade() -> None:
    """Apply pending migrations (run once before starting production workers)."""
    from registry.services import Services

    settings = settings_module.load()
    services = Services.from_settings(settings, settings_module.instance_path(settings))
    click.get_current_context().call_on_close(services.store.engine.dispose)
    pending = services.store.pending_migrations()
    services.store.migrate()
    click.echo(f"applied {len(pending)} migration(s)" if pending else "already up to date")


@main.group()
def projects() -> None:
    """Load and list the roadmap's projects."""


@projects.command("import")
@click.argument("folder", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--as-of", "as_of", type=click.DateTime(["%Y-%m-%d"]),
              help="Validate as of this date (default today).")
@click.option("--author", default="registry projects import", show_default=True,
              help="Name recorded as the author of the revisions.")
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
    values = settings_module.load()
    for s in settings_module.SETTINGS:
        value = values[s.name]
        shown = "(set)" if s.name == "SECRET_KEY" and value else value
        click.echo(f"{s.env} = {shown!r}\n    {s.help}")
