"""What several commands share: the --author option, the settings, the services."""

from __future__ import annotations

from typing import Any

import click

FORMATS = ("text", "json")


def author_option(command: str, recorded_as: str = "the author of the revisions") -> Any:
    """Return the --author option of a command that stores something (default: its name)."""
    return click.option("--author", default=f"registry {command}", show_default=True,
                        help=f"Name recorded as {recorded_as}.")


def settings_module() -> Any:
    """Return the settings module, imported when a command needs it (`validate` does not)."""
    from registry import config

    return config


def open_services(import_shipped: bool = True) -> Any:
    from registry.services import Services

    settings = settings_module().load()
    if not import_shipped:
        settings["AUTO_IMPORT"] = False
    services = Services.from_settings(settings, settings_module().instance_path(settings))
    # Close pooled database connections when the command ends, not at interpreter exit.
    click.get_current_context().call_on_close(services.store.engine.dispose)
    try:
        services.prepare()
    except Exception as exc:  # the store is unreachable or its schema is broken
        raise click.ClickException(f"cannot open the store {services.store.url}: {exc}") \
            from None
    return services
