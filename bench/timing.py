"""The timing checks: the tests that hold a wall-clock or thread-timing bound.

Run from the repository root:  .venv/bin/python -m bench.timing [pytest options]

They are marked `timing` and left out of the default suite (pyproject's addopts), since
a machine busy with other work would fail them without any fault of the code: parse
limits within their time (a YAML bomb in 100 ms, a 50 MB file and huge integers in a
second), the example sheet validated in 20 ms, every fuzzed sheet within a second, and
/health answered while a runaway SPARQL query runs.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    """Run the tests marked `timing`; return pytest's exit status."""
    extra = list(sys.argv[1:] if argv is None else argv)
    command = [sys.executable, "-m", "pytest", "-q", "-m", "timing", *extra]
    return subprocess.call(command)


if __name__ == "__main__":
    raise SystemExit(main())
