"""`registry validate` answered without click gives exactly what click gives.

The console script calls `registry.cli.main()` without arguments; the forms of
`registry validate` that a pre-commit hook runs are then answered by
registry.commands.validate_fast without importing click, everything else by click. Each
argument list below is run both ways in a fresh interpreter (`main()`, and
`main(argv)`, which always goes through click): standard output, standard error and
exit code must be the same, and the forms meant for the fast path must not import click.
"""

from __future__ import annotations

import datetime
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from registry.commands.validate_fast import Request, parse

ROOT = Path(__file__).resolve().parents[1]
HUB = str(ROOT / "examples" / "mobility-data-hub.yaml")
INVALID = ROOT / "tests" / "data" / "invalid"
ENUM = str(INVALID / "schema_enum.yaml")
AS_OF = ["--as-of", "2026-11-26"]

# The same start both ways; `main()` is how the console script calls it.
PROLOGUE = (
    "import atexit, sys\n"
    "sys.argv[0] = 'registry'\n"
    "atexit.register(lambda: print('CLICK', 'click' in sys.modules, file=sys.stderr))\n"
    "from registry.cli import main\n"
)
CODE = {"fast": PROLOGUE + "main()\n", "click": PROLOGUE + "main(sys.argv[1:])\n"}


def _run(way: str, args: list[str], stdin: bytes = b"", cache: Path | None = None
         ) -> tuple[int, bytes, bytes, bool]:
    """Return the exit code, standard output, standard error and whether click was
    imported, of `registry ARGS` run one way."""
    env = dict(os.environ)
    if cache is not None:
        env["REGISTRY_CACHE_DIR"] = str(cache)
    done = subprocess.run([sys.executable, "-c", CODE[way], *args], input=stdin,
                          capture_output=True, timeout=120, check=False, env=env, cwd=ROOT)
    *err, last = done.stderr.rstrip(b"\n").split(b"\n")
    assert last.startswith(b"CLICK "), done.stderr
    return done.returncode, done.stdout, b"\n".join(err), last == b"CLICK True"


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("cache")


ESCAPE_SHEET = json.dumps({"sheet": "project-sheet/v1", "status": "\x1b[31mred\x1b[0m"})

# Answered without click.
FAST = [
    ["validate", "--shipped", HUB],
    ["validate", "--shipped", *AS_OF, HUB],
    ["validate", HUB, "--shipped", *AS_OF],
    ["validate", "--format", "json", "--shipped", *AS_OF, HUB, ENUM],
    ["validate", "--format=sarif", "--shipped", "--as-of=2026-11-26", ENUM],
    ["validate", "--shipped", "--jobs", "1", *AS_OF, HUB, HUB],
    ["validate", "--shipped", "--jobs=2", *AS_OF, str(INVALID)],
    ["validate", "--shipped", *AS_OF, "-"],
    ["validate", "--shipped", "--as-of", "2031-01-01", HUB],
]
# Left to click: usage errors, help, and forms whose reading the fast path does not take on.
CLICK = [
    [], ["--help"], ["validate"], ["validate", "--help"], ["validate", "-h"],
    ["validat", "--shipped", HUB], ["--version"],
    ["validate", "--shipped"],
    ["validate", "--shipped", str(ROOT / "no-such-sheet.yaml")],
    ["validate", "--shipped", ""],
    ["validate", "--shipped", "--format", "JSON", HUB],
    ["validate", "--shipped", "--format", HUB],
    ["validate", "--shipped", "--format"],
    ["validate", "--shipped", "--format", "json", "--format", "text", HUB],
    ["validate", "--shipped", "--as-of", "2026-02-30", HUB],
    ["validate", "--shipped", "--as-of", "2026-2-5", HUB],
    ["validate", "--shipped", "--as-of", "26-11-2026", HUB],
    ["validate", "--shipped", "--as-of="],
    ["validate", "--shipped", "--jobs", "0", HUB],
    ["validate", "--shipped", "--jobs", "257", HUB],
    ["validate", "--shipped", "--jobs", "+3", HUB],
    ["validate", "--shipped", "--jobs", " 3", HUB],
    ["validate", "--shipped", "--shipped", HUB],
    ["validate", "--shipped=yes", HUB],
    ["validate", "--shipped", "--", HUB],
    ["validate", "--ship", HUB],
    ["validate", "--shipped", "-x", HUB],
    ["validate", "--catalogue", str(ROOT), *AS_OF, HUB],
    ["validate", "--catalogue", str(ROOT / "missing"), HUB],
    ["validate", *AS_OF, HUB, "--colour"],
]


@pytest.mark.parametrize("args", FAST, ids=lambda a: " ".join(a)[-60:])
def test_a_hook_form_is_answered_without_click_as_click_answers_it(args, cache):
    stdin = Path(HUB).read_bytes() if "-" in args else b""
    fast, slow = _run("fast", args, stdin, cache), _run("click", args, stdin, cache)
    assert fast[:3] == slow[:3]
    assert fast[0] in (0, 1) and fast[1]
    assert fast[3] is False and slow[3] is True


@pytest.mark.parametrize("args", CLICK, ids=lambda a: " ".join(a)[-60:] or "none")
def test_every_other_form_is_click_s(args, cache):
    fast, slow = _run("fast", args, cache=cache), _run("click", args, cache=cache)
    assert fast[:3] == slow[:3]
    assert fast[3] is True


def test_an_escape_sequence_in_the_report_is_stripped_as_click_strips_it(tmp_path, cache):
    sheet = tmp_path / "escape.json"
    sheet.write_text(ESCAPE_SHEET, encoding="utf-8")
    args = ["validate", "--shipped", *AS_OF, str(sheet)]
    fast, slow = _run("fast", args, cache=cache), _run("click", args, cache=cache)
    assert fast[:3] == slow[:3]
    assert fast[0] == 1 and b"red" in fast[1] and b"\x1b" not in fast[1]


def test_parse_reads_what_click_reads():
    assert parse(["validate", "--shipped", "a.yaml", "-", "--format=json", "--jobs", "007",
                  "--as-of", "2026-01-31"]) == Request(("a.yaml", "-"), "json",
                                                       datetime.date(2026, 1, 31), 7)
    assert parse(["validate", "--shipped", "--format", "--shipped", "a.yaml"]) is None
    assert parse(["validate", "--shipped", "--as-of", "２０２６-01-31", "a.yaml"]) is None


def test_an_interruption_is_reported_as_click_reports_it():
    code = ("from registry.commands.validate_fast import _as_click_would\n"
            "_as_click_would(KeyboardInterrupt())\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60, check=False)
    assert done.returncode == 1 and done.stderr == "\nAborted!\n"
