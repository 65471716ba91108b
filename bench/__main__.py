"""Run every benchmark of bench/ with its default options: `python -m bench [NAME ...]`."""

from __future__ import annotations

import importlib
import pkgutil
import sys
from collections.abc import Sequence

import bench


def benchmarks() -> list[str]:
    """Return the names of the bench modules that define a `main` function."""
    names = []
    for info in pkgutil.iter_modules(bench.__path__):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"bench.{info.name}")
        if callable(getattr(module, "main", None)):
            names.append(info.name)
    return sorted(names)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the named benchmarks (all when none is named); return the worst exit status."""
    names = list(sys.argv[1:] if argv is None else argv)
    available = benchmarks()
    unknown = [n for n in names if n not in available]
    if unknown:
        print(f"unknown benchmark(s): {', '.join(unknown)}; "
              f"available: {', '.join(available)}", file=sys.stderr)
        return 2
    status = 0
    for name in names or available:
        print(f"== bench.{name}", flush=True)
        module = importlib.import_module(f"bench.{name}")
        status = max(status, int(module.main([]) or 0))
    return status


if __name__ == "__main__":
    sys.exit(main())
