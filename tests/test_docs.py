"""The README documents every setting, command and API route (kept true by this test)."""

from __future__ import annotations

from pathlib import Path

import click

from registry.cli import main
from registry.config import SETTINGS

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")


def test_readme_starts_with_the_two_setup_commands():
    head = "\n".join(README.splitlines()[:8])
    assert "make serve" in head and "make test" in head


def test_every_setting_is_documented():
    for setting in SETTINGS:
        assert f"`{setting.env}`" in README, setting.env


def _subcommands(group: click.Group) -> list[tuple[str, click.Command]]:
    # Through the group's interface: `main` imports its commands only when asked.
    ctx = click.Context(group)
    return [(name, command) for name in group.list_commands(ctx)
            if (command := group.get_command(ctx, name)) is not None]


def _commands(group: click.Group, prefix: str = "registry") -> list[str]:
    out = []
    for name, command in _subcommands(group):
        out.append(f"{prefix} {name}")
        if isinstance(command, click.Group):
            out.extend(_commands(command, f"{prefix} {name}"))
    return out


def test_every_command_is_documented_and_has_help():
    for command in _commands(main):
        if command.count(" ") == 1 and command.split()[1] in ("db",):
            continue
        assert command in README, command
    assert len(_subcommands(main)) >= 16
    for name, command in _subcommands(main):
        assert command.help, name


def test_every_api_route_is_named_in_the_readme(read_app):
    for rule in read_app.url_map.iter_rules():
        if rule.rule.startswith("/api/"):
            base = rule.rule.split("/<")[0]
            assert base in README, rule.rule
