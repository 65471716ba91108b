"""How much of an input the registry reads: size, nesting depth, digits of a number."""

from __future__ import annotations

from registry.documents.values import Value

MIB = 1024 * 1024


class Limits(Value):
    """Bounds on what the parser accepts; a reader reads at most `max_bytes + 1` bytes."""

    __slots__ = ("max_bytes", "max_depth", "max_digits")
    max_bytes: int
    max_depth: int
    # Python refuses to convert longer decimal strings to int (CVE-2020-10735); refuse them
    # ourselves, with a finding, so that the answer does not depend on sys.set_int_max_str_digits.
    max_digits: int

    def __init__(self, max_bytes: int = MIB, max_depth: int = 32, max_digits: int = 4300
                 ) -> None:
        self._init(max_bytes, max_depth, max_digits)

    @property
    def read_size(self) -> int:
        """Return how many bytes a reader should read: one more than allowed, to detect excess."""
        return self.max_bytes + 1


DEFAULT_LIMITS = Limits()


def size_text(n: int) -> str:
    """Return a number of bytes as people write it (1 MiB, 64 KiB, 100 bytes)."""
    if n >= MIB and n % MIB == 0:
        return f"{n // MIB} MiB"
    if n >= 1024 and n % 1024 == 0:
        return f"{n // 1024} KiB"
    return f"{n} bytes"

