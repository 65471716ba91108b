"""Filters of the catalogue's list views, shared by the API, the pages and the CLI."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from registry.catalogue.snapshot import Catalogue, Record

STATUSES = ("mandatory", "recommended", "candidate", "deprecated")
LAYERS = ("legal", "organisational", "semantic", "technical")
COMPONENT_STATUSES = ("active", "pilot", "retired")
SOURCES = ("eif", "brussels")
JURISDICTIONS = ("EU", "BE", "BE-BRU")
LEGAL_TYPES = ("regulation", "implementing-regulation", "delegated-regulation", "directive",
               "law", "ordinance", "joint-decree-ordinance", "royal-decree",
               "cooperation-agreement")
PAGING = ("page", "per_page")
MAX_PAGE = 1_000_000
WHOLE = re.compile(r"([0-9]{1,18})(?:\.0+)?", re.ASCII)


class QueryError(ValueError):
    """A query parameter is unknown or has a value outside its allowed values."""

    def __init__(self, param: str, message: str, allowed: list[str] | None = None) -> None:
        super().__init__(message)
        self.param = param
        self.message = message
        self.allowed = allowed


@dataclass(frozen=True)
class Filter:
    """One filter: which values it allows and how a record matches a value."""

    name: str
    help: str
    allowed: Callable[[Catalogue], list[str]] | None
    matches: Callable[[Record, str], bool]


def _field_is(field: str) -> Callable[[Record, str], bool]:
    return lambda record, value: record.get(field) == value


def _field_has(field: str) -> Callable[[Record, str], bool]:
    return lambda record, value: value in record.get(field, ())


def _concepts(scheme: str) -> Callable[[Catalogue], list[str]]:
    return lambda catalogue: sorted(catalogue.concepts.get(scheme, {}))


def _fixed(values: tuple[str, ...]) -> Callable[[Catalogue], list[str]]:
    return lambda _catalogue: list(values)


FILTERS: dict[str, dict[str, Filter]] = {
    "standard": {f.name: f for f in (
        Filter("status", "status of the standard", _fixed(STATUSES), _field_is("status")),
        Filter("category", "concept of standard-categories", _concepts("standard-categories"),
               _field_is("category")),
        Filter("body", "standards body (part of its name, any case)", None,
               lambda r, v: v.lower() in str(r.get("body", "")).lower()),
        Filter("layer", "EIF interoperability layer", _fixed(LAYERS), _field_is("layer")),
        Filter("applies_to", "capability the standard applies to", _concepts("capabilities"),
               _field_has("applies_to")),
        Filter("principle", "principle the standard realises",
               lambda c: sorted(c.principles), _field_has("principles")),
    )},
    "component": {f.name: f for f in (
        Filter("provides", "capability the component provides", _concepts("capabilities"),
               _field_has("provides")),
        Filter("implements", "standard the component implements",
               lambda c: sorted(c.standards), _field_has("implements")),
        Filter("status", "status of the component", _fixed(COMPONENT_STATUSES),
               _field_is("status")),
        Filter("owner", "owner organisation", _concepts("organisations"), _field_is("owner")),
    )},
    "principle": {f.name: f for f in (
        Filter("source", "where the principle comes from", _fixed(SOURCES),
               _field_is("source")),
    )},
    "legal": {f.name: f for f in (
        Filter("jurisdiction", "EU, Belgian federal (BE) or Brussels-Capital Region (BE-BRU)",
               _fixed(JURISDICTIONS), _field_is("jurisdiction")),
        Filter("type", "kind of act", _fixed(LEGAL_TYPES), _field_is("type")),
    )},
}


def parameters(kind: str) -> list[str]:
    """Return every query parameter a list of this kind accepts."""
    return [*FILTERS[kind], "q", *PAGING]


def parse_filters(kind: str, args: Mapping[str, str], catalogue: Catalogue,
                  ignore: tuple[str, ...] = ()) -> dict[str, list[str]]:
    """Check query parameters and return the filters; raise QueryError on a bad one.

    A filter takes one value or several separated by commas (any of them matches).
    """
    known = parameters(kind)
    filters: dict[str, list[str]] = {}
    for name, raw in args.items():
        if name in ignore or name in PAGING:
            continue
        if name not in known:
            raise QueryError(name, f"unknown query parameter {name!r}; this list accepts "
                             f"{', '.join(known)}", known)
        value = raw.strip()
        if name == "q":
            if len(value) > 200:
                raise QueryError("q", "q is longer than 200 characters: search for fewer words")
            if value:
                filters["q"] = [value]
            continue
        values = [v.strip() for v in value.split(",") if v.strip()]
        if not values:
            raise QueryError(name, f"{name} is empty: give a value or leave it out")
        spec = FILTERS[kind][name]
        if spec.allowed is not None:
            allowed = spec.allowed(catalogue)
            bad = [v for v in values if v not in allowed]
            if bad:
                raise QueryError(name, f"{name}={bad[0]!r} is not allowed; {name} takes "
                                 f"one of: {', '.join(allowed)}", allowed)
        filters[name] = values
    return filters


def select(kind: str, filters: Mapping[str, list[str]], catalogue: Catalogue) -> list[Record]:
    """Return the records of a kind that match every filter, in catalogue order."""
    specs = FILTERS[kind]
    out = []
    for record_id, record in catalogue.records(kind).items():
        if "q" in filters and not catalogue.matches(kind, record_id, filters["q"][0]):
            continue
        if all(any(specs[name].matches(record, v) for v in values)
               for name, values in filters.items() if name != "q"):
            out.append(record)
    return out


def whole_number(raw: str) -> int | None:
    """Return the whole number a parameter spells in ASCII digits (10, or 10.0), else None.

    JSON Schema (and so the OpenAPI document) counts 10.0 as the integer 10.
    """
    match = WHOLE.fullmatch(raw.strip())
    return int(match.group(1)) if match else None


def parse_paging(args: Mapping[str, str], max_per_page: int, default: int = 50
                 ) -> tuple[int, int]:
    """Return (page, per_page) from query parameters; raise QueryError when out of range."""
    out = []
    for name, fallback, upper in (("page", 1, MAX_PAGE), ("per_page", default, max_per_page)):
        raw = args.get(name)
        if raw is None or raw == "":
            out.append(fallback)
            continue
        number = whole_number(raw)
        if number is None or not 1 <= number <= upper:
            raise QueryError(name, f"{name} must be a whole number from 1 to {upper}")
        out.append(number)
    return out[0], out[1]


def page_count(total: int, per_page: int) -> int:
    """Return how many pages `total` items fill (one, even when there are none)."""
    return max(1, -(-total // per_page))


def paginate(items: list[Any], page: int, per_page: int) -> list[Any]:
    """Return one page of items."""
    start = (page - 1) * per_page
    return items[start:start + per_page]
