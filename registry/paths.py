"""Where the shipped catalogue and the schemas are: the checkout, or the installed share/."""

from __future__ import annotations

import sys
from functools import cache
from pathlib import Path


@cache
def data_root() -> Path:
    """Return the folder holding schemas/, standards/ and reference_arch/."""
    checkout = Path(__file__).resolve().parents[1]
    if (checkout / "schemas").is_dir() and (checkout / "standards").is_dir():
        return checkout
    # A wheel installs them as data files (see pyproject.toml).
    return Path(sys.prefix) / "share" / "registry"


def schemas_dir() -> Path:
    """Return the schemas/ folder."""
    return data_root() / "schemas"
