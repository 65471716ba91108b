"""`registry settings`: list every setting."""

from __future__ import annotations

import click

from registry.commands.common import settings_module


@click.command("settings")
def settings_cmd() -> None:
    """List every setting, its environment variable, current value and meaning."""
    values = settings_module().load()
    for s in settings_module().SETTINGS:
        value = values[s.name]
        shown = "(set)" if s.name == "SECRET_KEY" and value else value
        click.echo(f"{s.env} = {shown!r}\n    {s.help}")
