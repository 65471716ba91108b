"""What many test modules share: the date the example sheets are judged on, app creation,
the network guard's error, hostile inputs. Not a test module: tests import from here,
never from each other (tests/test_architecture.py checks it)."""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import yaml

from registry import create_app

# The date the example sheets and test roadmaps are valid on (their explanations and
# plans have not lapsed yet): as a query argument, and as a date.
AS_OF = "2026-11-26"
AS_OF_DATE = datetime.date.fromisoformat(AS_OF)


def make_app(url: str, instance: Path, **extra: object) -> Any:
    """Create an app on a database, loading the shipped catalogue."""
    return create_app({"DATABASE_URL": url, "INSTANCE_PATH": str(instance),
                       "TESTING": True, "SNAPSHOT_TTL": 0.0,
                       # Overlaps recomputed before answering: tests read what they wrote.
                       "REUSE_OVERLAP_WAIT": 60.0, **extra})


class NetworkRefused(RuntimeError):
    """A test tried to reach another machine."""


# A "billion laughs" YAML document: nine levels of nine aliases (387,420,489 items if
# expanded). The parsers must refuse it, not expand it.
BOMB = """\
a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
"""


def bearer(store: Any, role: str, *orgs: str) -> dict[str, str]:
    """Return the Authorization header of a new token of a role (for some organisations)."""
    from registry.storage.tokens import create_token

    secret, _ = create_token(store, role=role, organisations=list(orgs), name=f"{role} t")
    return {"Authorization": f"Bearer {secret}"}


def json_paths(node: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Yield the path of every value of a JSON document, the document's own () first."""
    yield prefix
    if isinstance(node, dict):
        for key, value in node.items():
            yield from json_paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from json_paths(value, (*prefix, index))


def stored_sheet(path: Path) -> dict[str, Any]:
    """Return a YAML sheet as plain JSON data, as the API stores it (dates as strings)."""
    return orjson.loads(orjson.dumps(yaml.safe_load(path.read_text(encoding="utf-8"))))


EXAMPLES = sorted((Path(__file__).resolve().parents[1] / "examples").glob("*.yaml"))


def example_roadmap(rng: Any, owners: list[str], copies: int) -> dict[str, dict[str, Any]]:
    """Return the example sheets `copies` times over (ids suffixed -0, -1...), each owned
    by an organisation `rng` picks from `owners`: a roadmap whose projects look alike."""
    sheets = {}
    for n in range(copies):
        for path in EXAMPLES:
            sheet = stored_sheet(path)
            sheet["id"] = f"{sheet['id']}-{n}"
            sheet["owner"]["organisation"] = rng.choice(owners)
            sheets[sheet["id"]] = sheet
    return sheets
