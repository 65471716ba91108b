"""`registry backup` and `registry restore`: a consistent snapshot of the store."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from registry.commands.common import settings_module


def _bare_store() -> Any:
    """Open the store without migrating or importing anything (backup and restore)."""
    from registry.services import Services

    settings = settings_module().load()
    services = Services.from_settings(settings, settings_module().instance_path(settings))
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


@click.command("backup")
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


@click.command("restore")
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
