"""What pausing the garbage collector saves the reuse analysis, and why the web never does.

Run from the repository root:  .venv/bin/python -m bench.reuse_gc [--sizes 1000 10000]

`find_opportunities(..., own_process=True)` pauses the cyclic collector during the
analysis; a web worker calls it without, since the switch is process-wide (it would stop
collection for the worker's other requests). This measures the analysis of synthetic
roadmaps (bench.reuse_scale's generator) three ways, alternating, median of --runs:
paused (the command line), plain (a web request) and frozen (gc.freeze() first, the
other process-wide alternative). CPU seconds of this process, so that a machine shared
with other work disturbs the figures less than wall time would.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import time
from collections.abc import Callable, Sequence

WAYS = ("paused", "plain", "frozen")


def measure(size: int, runs: int) -> dict[str, float]:
    """Return the median CPU seconds of each way for a roadmap of `size` projects."""
    from bench.reuse_scale import Generator
    from registry.analysis.reuse import find_opportunities
    from registry.catalogue.files import load_catalogue, shipped_root

    catalogue = load_catalogue(shipped_root())
    sheets, _planted = Generator(catalogue).roadmap(size)

    def paused() -> object:
        return find_opportunities(sheets, catalogue, own_process=True)

    def plain() -> object:
        return find_opportunities(sheets, catalogue)

    def frozen() -> object:
        gc.collect()
        gc.freeze()
        try:
            return find_opportunities(sheets, catalogue)
        finally:
            gc.unfreeze()

    calls: dict[str, Callable[[], object]] = {"paused": paused, "plain": plain,
                                              "frozen": frozen}
    times: dict[str, list[float]] = {way: [] for way in WAYS}
    for _ in range(runs):
        for way in WAYS:
            start = time.process_time()
            calls[way]()
            times[way].append(time.process_time() - start)
    return {way: statistics.median(values) for way, values in times.items()}


def main(argv: Sequence[str] | None = None) -> int:
    """Print the CPU seconds of each way and the cost of not pausing, per size."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10_000])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)
    print(f"{'projects':>9} {'paused s':>9} {'plain s':>8} {'frozen s':>9} {'plain/paused':>13}")
    for size in args.sizes:
        row = measure(size, args.runs)
        print(f"{size:>9,} {row['paused']:>9.3f} {row['plain']:>8.3f} {row['frozen']:>9.3f} "
              f"{row['plain'] / row['paused']:>12.2f}x", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
