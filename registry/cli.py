"""The `registry` command: serve, import and export the catalogue, look things up.

Thin: every command translates its options into calls of the core and back. Each command
lives in a module of `registry.commands`, imported only when that command runs: a
pre-commit hook's `registry validate` pays for no other command's options and imports.
`registry --help` lists the commands from the table below without importing them
(tests/test_cli_commands.py keeps the table equal to the commands themselves).

click itself is imported only when the group is first used: the console script calls
`main()` without arguments, and the form of `registry validate` that a pre-commit hook
runs is answered without click (registry.commands.validate_fast); everything else,
and every use of `main` as a click group (tests' CliRunner), goes to the group.
"""

from __future__ import annotations

import sys
from typing import Any

# Name -> (module of registry.commands, attribute, first paragraph of its help).
COMMANDS: dict[str, tuple[str, str, str]] = {
    "backup": ("backup", "backup_cmd",
               "Write a consistent snapshot of everything stored to FILE "
               "(e.g. registry.backup.tar.gz)."),
    "components": ("components", "components",
                   "Import reusable components from other descriptions."),
    "db": ("db", "db", "Manage the database schema."),
    "export": ("export", "export",
               "Write the stored catalogue to FOLDER in the layout that `registry import` "
               "reads."),
    "import": ("catalogue_import", "import_",
               "Import catalogue YAML from FOLDERS (each holding standards/ and "
               "reference_arch/)."),
    "lint": ("lint", "lint_cmd",
             "Check the catalogue itself: reviews due, contradictions, dead links."),
    "measurements": ("measurements", "measurements",
                     "Report the measured values of projects' KPIs."),
    "overlaps": ("overlaps", "overlaps",
                 "Compute the reuse overlaps once for every web worker of every server, "
                 "whenever the roadmap changes (one job at a time: an advisory lock on "
                 "PostgreSQL)."),
    "projects": ("projects", "projects", "Load and list the roadmap's projects."),
    "restore": ("backup", "restore_cmd",
                "Load the backup FILE into the empty database of REGISTRY_DATABASE_URL."),
    "reuse": ("reuse", "reuse",
              "Find where roadmap projects should reuse a component, pool an effort, talk "
              "before both proceed, share data, or align their standards."),
    "serve": ("serve", "serve",
              "Serve the registry: the development server, or with --production the "
              "production one."),
    "settings": ("settings", "settings_cmd",
                 "List every setting, its environment variable, current value and meaning."),
    "standards": ("standards", "standards",
                  "List the standards of the catalogue, e.g. `registry standards --status "
                  "mandatory`."),
    "token": ("token", "token",
              "Create, list and revoke API tokens (reads are public; writes need a token)."),
    "validate": ("validate", "validate",
                 "Validate project sheets: files, folders (*.yaml, *.yml, *.json) or - for "
                 "stdin."),
    "vocab": ("vocab", "vocab", "Import published SKOS vocabularies into the catalogue."),
}


def _build() -> Any:
    """Return the `registry` click group."""
    import importlib

    import click

    class LazyGroup(click.Group):
        """A group whose commands are imported from `registry.commands` when first used."""

        def list_commands(self, ctx: click.Context) -> list[str]:
            return sorted(COMMANDS)

        def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
            if cmd_name not in self.commands and cmd_name in COMMANDS:
                module, attribute, _ = COMMANDS[cmd_name]
                command = getattr(importlib.import_module(f"registry.commands.{module}"), attribute)
                self.add_command(command, cmd_name)
            return self.commands.get(cmd_name)

        def format_commands(self, ctx: click.Context, formatter: Any) -> None:
            # As click's, with each short help made (by click, from a bare command) from the
            # table instead of the real command, so that --help imports no command module.
            if not COMMANDS:
                return
            limit = formatter.width - 6 - max(len(name) for name in COMMANDS)
            rows = [(name, click.Command(name, help=COMMANDS[name][2]).get_short_help_str(limit))
                    for name in self.list_commands(ctx)]
            with formatter.section("Commands"):
                formatter.write_dl(rows)


    @click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
    @click.version_option(package_name="registry")
    def main() -> None:
        """The open-architecture registry of a Smart City Office.

        Settings come from REGISTRY_* environment variables (see `registry settings`);
        the store is SQLite in the instance folder unless REGISTRY_DATABASE_URL names
        another database.
        """

    return main


class _Registry:
    """`main`: the click group of _build(), built (and click imported) on first use."""

    _group: Any = None

    def _real(self) -> Any:
        if _Registry._group is None:
            _Registry._group = _build()
        return _Registry._group

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if not args and not kwargs:  # as the console script calls it: argv is the command
            from registry.commands.validate_fast import answer

            answer(sys.argv[1:])  # exits when it answers
        return self._real()(*args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real(), name)


main: Any = _Registry()
