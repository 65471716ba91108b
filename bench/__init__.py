"""Benchmarks of the registry against the tools its users would otherwise use.

Every module here with a `main(argv) -> int` function is one benchmark; run them all
with `python -m bench`, or one with `python -m bench.<module>` (see bench/README.md).
"""
