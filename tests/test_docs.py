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


def test_no_merge_conflict_markers_are_left_in_tracked_text():
    """A conflicted merge landed once with its markers in bench/README.md."""
    import re
    import subprocess

    root = Path(__file__).resolve().parents[1]
    listed = subprocess.run(["git", "ls-files", "-z"], cwd=root, capture_output=True,
                            check=False)
    if listed.returncode != 0:  # not a git checkout (an sdist): nothing to look at
        return
    marker = re.compile(rb"^(<{7} |>{7} |={7}$)", re.MULTILINE)
    text = {".md", ".py", ".toml", ".yaml", ".yml", ".cfg", ".txt", ".html", ".css",
            ".json", ".ttl"}
    found = [name for name in listed.stdout.decode().split("\0")
             if name and (root / name).suffix in text and (root / name).is_file()
             and marker.search((root / name).read_bytes())]
    assert not found, f"merge conflict markers in {found}"
