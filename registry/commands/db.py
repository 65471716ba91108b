"""`registry db`: manage the database schema."""

from __future__ import annotations

import click

from registry.commands.common import settings_module


@click.group()
def db() -> None:
    """Manage the database schema."""


@db.command()
def upgrade() -> None:
    """Apply pending migrations (run once before starting production workers)."""
    from registry.services import Services

    settings = settings_module().load()
    services = Services.from_settings(settings, settings_module().instance_path(settings))
    click.get_current_context().call_on_close(services.store.engine.dispose)
    from registry.storage.store import SchemaTooNew

    try:
        pending = services.store.pending_migrations()
        services.store.migrate()
    except SchemaTooNew as exc:
        raise click.ClickException(f"{exc}. Nothing was changed.") from None
    click.echo(f"applied {len(pending)} migration(s)" if pending else "already up to date")
