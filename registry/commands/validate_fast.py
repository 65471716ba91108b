"""`registry validate --shipped FILE...` as a pre-commit hook runs it, answered without click.

Importing click and building its parser is about a quarter of what this command costs a
hook on every commit. The console script (`registry.cli.main` called without arguments)
first offers its arguments here, and only forms whose meaning under click is certain are
answered: `validate`, then in any order `--shipped`, `--format X` or `--format=X` (X one
of the choices, exactly), `--as-of YYYY-MM-DD` (ASCII digits, a real date), `--jobs N`
(ASCII digits, 1 to 256) and paths that do not begin with `-` (or are exactly `-`), each
option at most once. Anything else returns before anything is written: help, any other
option or spelling, `--`, `--catalogue`, no `--shipped`, a repeated option, a value that
click would refuse, no path, a missing file, a catalogue that cannot be read, more than
20 files on a terminal (click's progress bar), shell completion, Windows. click then runs
the whole command as always, so every message and exit code of those cases is click's.
`tests/test_validate_fast.py` compares both ways on many argument lists.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

FORMATS = ("text", "json", "sarif")
MAX_JOBS = 256
# More files than this on a terminal get click's progress bar.
BAR_ABOVE = 20


class Request(NamedTuple):
    """What click would pass to the `validate` callback, for a form answered here."""

    paths: tuple[str, ...]
    fmt: str
    as_of: Any  # datetime.date | None
    jobs: int | None


def parse(argv: Sequence[str]) -> Request | None:
    """Return the request of `registry ARGV` when it is a form answered here, else None."""
    if not argv or argv[0] != "validate":
        return None
    options: dict[str, str | None] = {}
    paths: list[str] = []
    rest = list(argv[1:])
    while rest:
        token = rest.pop(0)
        if token == "-" or not token.startswith("-"):
            paths.append(token)
            continue
        name, equals, value = token.partition("=")
        if name not in ("--shipped", "--format", "--as-of", "--jobs") or name in options:
            return None
        if name == "--shipped":
            if equals:
                return None
            options[name] = None
            continue
        if not equals:
            if not rest:
                return None
            value = rest.pop(0)  # as click: the next word, whatever it looks like
        options[name] = value
    if "--shipped" not in options or not paths:
        return None
    fmt = options.get("--format", "text")
    if fmt not in FORMATS:
        return None
    as_of = _date(options["--as-of"]) if "--as-of" in options else None
    jobs = _jobs(options["--jobs"]) if "--jobs" in options else None
    if ("--as-of" in options and as_of is None) or ("--jobs" in options and jobs is None):
        return None
    return Request(tuple(paths), str(fmt), as_of, jobs)


def _ascii_digits(text: str) -> bool:
    return text.isascii() and text.isdigit()


def _date(value: str | None) -> Any:
    # click reads it with strptime("%Y-%m-%d"); on four, two and two ASCII digits that
    # gives the same date, or refuses the same impossible one (the fallback reports it).
    import datetime

    if value is None or len(value) != 10 or value[4] != "-" or value[7] != "-" \
            or not all(_ascii_digits(p) for p in (value[:4], value[5:7], value[8:])):
        return None
    try:
        return datetime.date(int(value[:4]), int(value[5:7]), int(value[8:]))
    except ValueError:
        return None


def _jobs(value: str | None) -> int | None:
    if value is None or not _ascii_digits(value) or len(value) > 6:
        return None
    number = int(value)
    return number if 1 <= number <= MAX_JOBS else None


def check(paths: Sequence[str], catalogue: Any, date: Any, fmt: str, jobs: int | None,
          progress: Callable[[int], Any] | None = None) -> tuple[str, int]:
    """Validate the files; return the report in `fmt` and the exit status (0 or 1)."""
    from registry.validation.batch import validate_paths
    from registry.validation.report import render

    reports = validate_paths(list(paths), catalogue, date, jobs=jobs, progress=progress)
    return render(reports, fmt), 0 if all(r.valid for r in reports) else 1


def answer(argv: Sequence[str]) -> None:
    """Run `registry ARGV` and exit when it is a form answered here; else return, having
    written nothing, for click to run it."""
    if os.name != "posix" or any(k.startswith("_") and k.endswith("_COMPLETE")
                                 for k in os.environ):
        return
    request = parse(argv)
    if request is None:
        return
    import datetime

    from registry.catalogue.files import CatalogueLoadError, load_catalogue, shipped_root
    from registry.validation.batch import NoSuchFile, expand_paths

    try:
        files = expand_paths(request.paths)
        if len(files) > BAR_ABOVE and sys.stderr.isatty():
            return  # click's progress bar
        catalogue = load_catalogue(shipped_root())
    except (NoSuchFile, CatalogueLoadError):
        return
    date = request.as_of or datetime.date.today()
    try:
        output, status = check(request.paths, catalogue, date, request.fmt, request.jobs)
        _echo(output)
    except (EOFError, KeyboardInterrupt, OSError) as exc:
        _as_click_would(exc)  # exits
        raise
    sys.exit(status)


def _echo(output: str) -> None:
    """Write as `click.echo(output, nl=...)` does: for a text with no escape sequence to
    a standard output that click uses as it is, that is a write and a flush."""
    text = output if output.endswith("\n") else output + "\n"
    stream = sys.stdout
    if "\x1b" in text or not _plain_text_stream(stream):
        import click

        click.echo(output, nl=not output.endswith("\n"))
        return
    stream.write(text)
    stream.flush()


def _plain_text_stream(stream: Any) -> bool:
    # click rewraps a stream without an encoding or with an ASCII one, and writes bytes
    # to a binary one; everything else it writes to as it is.
    import codecs
    import io

    if type(stream) is not io.TextIOWrapper or not stream.encoding:
        return False
    try:
        return codecs.lookup(stream.encoding).name != "ascii"
    except LookupError:
        return False


def _as_click_would(exc: BaseException) -> None:
    """Hand an interruption or a broken pipe to click's own handling (\"Aborted!\", exit
    1, a quiet exit on EPIPE, the traceback of any other OSError)."""
    import click

    def again() -> None:
        raise exc

    click.Command("validate", callback=again).main([], prog_name="registry")
