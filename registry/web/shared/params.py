"""Query parameters every resource reads the same way: `as_of`, allowed names, filters."""

from __future__ import annotations

import datetime
import re
from collections.abc import Mapping

from flask import request

from registry.analysis.reuse import STATUSES as PROJECT_STATUSES
from registry.catalogue.snapshot import Catalogue
from registry.web.shared.errors import ApiError
from registry.web.shared.i18n import gettext

ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", re.ASCII)
AS_OF_RANGE = (datetime.date(1900, 1, 1), datetime.date(2999, 12, 31))


def parse_as_of(raw: str | None) -> datetime.date:
    """Return the date of an `as_of` parameter (default today), or answer 400."""
    if not raw:
        return datetime.date.today()
    try:
        if not ISO_DATE.fullmatch(raw):  # fromisoformat also takes 20260101 and 2026-W01-1
            raise ValueError(raw)
        day = datetime.date.fromisoformat(raw)
    except ValueError:
        raise ApiError(400, f"as_of={raw!r} is not a date: write it as YYYY-MM-DD",
                       detail={"parameter": "as_of"}) from None
    if not AS_OF_RANGE[0] <= day <= AS_OF_RANGE[1]:
        # Lapsing windows and timelines add years to it: near the calendar's ends that
        # would overflow the date type.
        raise ApiError(400, f"as_of={raw!r} is out of range: from "
                       f"{AS_OF_RANGE[0].isoformat()} to {AS_OF_RANGE[1].isoformat()}",
                       detail={"parameter": "as_of"})
    return day


def as_of() -> datetime.date:
    """Return the request's date: ?as_of=YYYY-MM-DD, else today."""
    return parse_as_of(request.args.get("as_of"))


def check_params(allowed: tuple[str, ...]) -> dict[str, str]:
    """Return the query parameters, or answer 400 naming one this resource does not take."""
    args = request.args.to_dict()
    for name in args:
        if name not in allowed:
            raise ApiError(400, f"unknown query parameter {name!r}; this resource accepts "
                           f"{', '.join(allowed)}", detail={"parameter": name,
                                                            "allowed": list(allowed)})
    return args


def no_params() -> None:
    """Answer 400 when a resource that takes no query parameter is given one."""
    if request.args:
        name = next(iter(request.args))
        raise ApiError(400, f"unknown query parameter {name!r}: this resource takes none",
                       detail={"parameter": name})


def page_args() -> dict[str, str]:
    """Return the query parameters that have a value (a page's form leaves some empty)."""
    return {k: v for k, v in request.args.to_dict().items() if v != ""}


def roadmap_filter_error(filters: Mapping[str, str], catalogue: Catalogue) -> str | None:
    """Return why a roadmap filter value (status, owner, domain) is unknown, or None."""
    if "status" in filters and filters["status"] not in PROJECT_STATUSES:
        return gettext("status takes one of %(values)s", values=", ".join(PROJECT_STATUSES))
    for name, scheme in (("owner", "organisations"), ("domain", "domains")):
        if name in filters and catalogue.concept(scheme, filters[name]) is None:
            return gettext("%(name)s=%(value)s is not a concept of the %(scheme)s vocabulary",
                           name=name, value=repr(filters[name]), scheme=scheme)
    return None
