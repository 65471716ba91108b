"""`registry` imports a command's module only when that command runs.

registry.cli lists the commands from a static table (name, module, first paragraph of
the help): these tests keep the table equal to the commands themselves, and check that
the help lists every command while `registry validate` imports no other command.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

import registry.commands
from registry.cli import COMMANDS, main

ROOT = Path(__file__).resolve().parents[1]
HUB = ROOT / "examples" / "mobility-data-hub.yaml"


def _real(name: str) -> click.Command:
    module, attribute, _ = COMMANDS[name]
    command = getattr(importlib.import_module(f"registry.commands.{module}"), attribute)
    assert isinstance(command, click.Command), name
    return command


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_the_table_matches_the_command(name: str) -> None:
    command = _real(name)
    assert command.name == name
    assert command.help is not None and not command.hidden and not command.short_help
    first_paragraph = " ".join(inspect.cleandoc(command.help).split("\n\n")[0].split())
    assert COMMANDS[name][2] == first_paragraph


def test_every_command_of_the_package_is_in_the_table() -> None:
    listed = {(module, attribute) for module, attribute, _ in COMMANDS.values()}
    found = set()
    for info in pkgutil.iter_modules(registry.commands.__path__):
        module = importlib.import_module(f"registry.commands.{info.name}")
        commands = {attr: value for attr, value in vars(module).items()
                    if isinstance(value, click.Command)}
        subcommands = {id(sub) for value in commands.values() if isinstance(value, click.Group)
                       for sub in value.commands.values()}
        found |= {(info.name, attr) for attr, value in commands.items()
                  if id(value) not in subcommands}
    assert found == listed


@pytest.mark.parametrize("width", [40, 80, 200])
def test_the_help_is_that_of_a_group_holding_the_real_commands(width: int) -> None:
    eager = click.Group(main.name, commands={name: _real(name) for name in COMMANDS},
                        params=main.params, help=main.help,
                        context_settings=main.context_settings)
    lazy = CliRunner().invoke(main, ["--help"], terminal_width=width, prog_name="registry")
    real = CliRunner().invoke(eager, ["--help"], terminal_width=width, prog_name="registry")
    assert lazy.exit_code == real.exit_code == 0
    assert lazy.output == real.output
    for name in COMMANDS:
        assert f"\n  {name} " in lazy.output


def _modules_after(*args: str) -> tuple[int, str, set[str]]:
    """Run `registry ARGS` in a fresh interpreter; return its exit code, standard output
    and the registry.commands modules it imported."""
    code = (
        "import sys\n"
        "from registry.cli import main\n"
        "try:\n"
        f"    main({list(args)!r}, prog_name='registry')\n"
        "except SystemExit as exc:\n"
        "    code = exc.code\n"
        "print(code, ' '.join(sorted(sys.modules)), file=sys.stderr)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120, check=False)
    status, names = done.stderr.strip().splitlines()[-1].split(" ", 1)
    return int(status), done.stdout, {m for m in names.split()
                                      if m.startswith("registry.commands.")}


def test_the_help_lists_every_command_and_imports_none() -> None:
    status, output, imported = _modules_after("--help")
    assert status == 0
    listed = output.split("Commands:\n", 1)[1].splitlines()
    names = [line.split()[0] for line in listed if line[:2] == "  " and line[2:3] != " "]
    assert names == sorted(COMMANDS)
    assert imported == set()


def test_validate_imports_no_other_command() -> None:
    status, output, imported = _modules_after("validate", "--shipped", "--as-of",
                                              "2026-11-26", str(HUB))
    assert status == 0 and "1 valid" in output
    assert imported == {"registry.commands.validate", "registry.commands.common",
                        "registry.commands.validate_fast"}
