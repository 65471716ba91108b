"""The sheet.* checks: the rules of project-sheet/v1 that a JSON Schema cannot state.

Real dates, date order, duplicates by id, the owner among the partners, missing
languages. Each check skips only the values that have the wrong type, so a sheet broken
in one place is still checked everywhere else.
"""

from __future__ import annotations

import calendar
import datetime
from collections.abc import Iterator
from typing import Any

from registry.documents.findings import M_, WARNING, Finding, Listing, Positions, Text
from registry.validation.places import LANGUAGES, SheetContext, label, short
from registry.validation.schema import DATE_SHAPE

MESSAGES = {
    "invalid-date": M_("{name} {value} is not a real date: {why}"),
    "no-month": M_("there is no month {month}"),
    "no-year-0": M_("there is no year 0000"),
    "no-day-0": M_("days start at 01"),
    "month-days": M_("{month} {year} has {days} days"),
    "timeline-order": M_("the timeline ends ({end}) before it starts ({start}): fix one of "
                         "the two dates"),
    "phase-order": M_("{name} ends ({end}) before it starts ({start})"),
    "phase-starts-early": M_("{name} starts ({start}) before the timeline ({timeline_start}): "
                             "keep phases inside the timeline"),
    "phase-starts-late": M_("{name} starts ({start}) after the timeline ends ({timeline_end}): "
                            "keep phases inside the timeline"),
    "phase-ends-late": M_("{name} ends ({end}) after the timeline ({timeline_end}): keep "
                          "phases inside the timeline"),
    "phase-ends-early": M_("{name} ends ({end}) before the timeline starts ({timeline_start}): "
                           "keep phases inside the timeline"),
    "duplicate-standard": M_("standard {id} is declared twice (standards {first} and "
                             "{second}): keep one declaration per standard"),
    "duplicate-kpi": M_("two KPIs have the id {id} (KPIs {first} and {second}): give each "
                        "KPI its own id"),
    "partner-is-owner": M_("partners lists the owner {owner}: remove it from partners"),
    "missing-language": M_("{field} has no {codes} text: add the {field} in {names}, as a "
                           "Brussels regional project gives fr and nl"),
}


# calendar.month_name without the locale: the English names, translated like the rest.
MONTHS = (M_("January"), M_("February"), M_("March"), M_("April"), M_("May"), M_("June"),
          M_("July"), M_("August"), M_("September"), M_("October"), M_("November"),
          M_("December"))


def check_sheet(sheet: Any, positions: Positions | None = None) -> Iterator[Finding]:
    """Yield the sheet.* findings: the rules a JSON Schema cannot state."""
    if not isinstance(sheet, dict):
        return
    ctx = SheetContext(sheet, positions)
    yield from _invalid_dates(sheet, ctx)
    yield from _date_order(sheet, ctx)
    yield from _duplicates(sheet, ctx)
    yield from _partner_is_owner(sheet, ctx)
    yield from _missing_languages(sheet, ctx)


def _date(value: Any) -> datetime.date | None:
    if isinstance(value, str) and DATE_SHAPE.fullmatch(value):
        try:
            return datetime.date.fromisoformat(value)
        except ValueError:
            return None
    return None


def _why_not_a_date(value: str) -> Text:
    year, month, day = (int(p) for p in value.split("-"))
    if not 1 <= month <= 12:
        return Text(MESSAGES["no-month"], month=f"{month:02d}")
    if year == 0:
        return Text(MESSAGES["no-year-0"])
    days = calendar.monthrange(year, month)[1]
    if day == 0:
        return Text(MESSAGES["no-day-0"])
    return Text(MESSAGES["month-days"], month=Text(MONTHS[month - 1]), year=str(year),
                days=str(days))


def _date_fields(sheet: dict[str, Any]) -> Iterator[tuple[str, Any]]:
    timeline = sheet.get("timeline")
    if isinstance(timeline, dict):
        yield "/timeline/start", timeline.get("start")
        yield "/timeline/end", timeline.get("end")
        phases = timeline.get("phases")
        if isinstance(phases, list):
            for i, phase in enumerate(phases):
                if isinstance(phase, dict):
                    yield f"/timeline/phases/{i}/start", phase.get("start")
                    yield f"/timeline/phases/{i}/end", phase.get("end")
    for field, key in (("standards", "until"), ("kpis", "due")):
        items = sheet.get(field)
        if isinstance(items, list):
            for i, item in enumerate(items):
                if isinstance(item, dict):
                    yield f"/{field}/{i}/{key}", item.get(key)


def _invalid_dates(sheet: dict[str, Any], ctx: SheetContext) -> Iterator[Finding]:
    for path, value in _date_fields(sheet):
        if isinstance(value, str) and DATE_SHAPE.fullmatch(value) and _date(value) is None:
            yield ctx.error("sheet.invalid-date", path, MESSAGES["invalid-date"],
                            name=label(path, sheet), value=value, why=_why_not_a_date(value))


def _date_order(sheet: dict[str, Any], ctx: SheetContext) -> Iterator[Finding]:
    timeline = sheet.get("timeline")
    if not isinstance(timeline, dict):
        return
    start, end = _date(timeline.get("start")), _date(timeline.get("end"))
    if start and end and end < start:
        yield ctx.error("sheet.date-order", "/timeline/end", MESSAGES["timeline-order"],
                        start=start, end=end)
    phases = timeline.get("phases")
    if not isinstance(phases, list):
        return
    for i, phase in enumerate(phases):
        if not isinstance(phase, dict):
            continue
        name = label(f"/timeline/phases/{i}", sheet)
        p_start, p_end = _date(phase.get("start")), _date(phase.get("end"))
        at_start, at_end = f"/timeline/phases/{i}/start", f"/timeline/phases/{i}/end"
        dates: dict[str, Any] = {"name": name, "start": p_start, "end": p_end, "timeline_start": start,
                 "timeline_end": end}
        if p_start and p_end and p_end < p_start:
            yield ctx.error("sheet.date-order", at_end, MESSAGES["phase-order"], **dates)
            continue
        if p_start and start and p_start < start:
            yield ctx.error("sheet.date-order", at_start, MESSAGES["phase-starts-early"],
                            **dates)
        elif p_start and end and p_start > end:
            yield ctx.error("sheet.date-order", at_start, MESSAGES["phase-starts-late"],
                            **dates)
        if p_end and end and p_end > end:
            yield ctx.error("sheet.date-order", at_end, MESSAGES["phase-ends-late"], **dates)
        elif p_end and start and p_end < start:
            yield ctx.error("sheet.date-order", at_end, MESSAGES["phase-ends-early"], **dates)


def _duplicates(sheet: dict[str, Any], ctx: SheetContext) -> Iterator[Finding]:
    for field in ("standards", "kpis"):
        items = sheet.get(field)
        if not isinstance(items, list):
            continue
        first: dict[str, int] = {}
        template = MESSAGES["duplicate-standard" if field == "standards" else "duplicate-kpi"]
        for i, item in enumerate(items):
            ident = item.get("id") if isinstance(item, dict) else None
            if not isinstance(ident, str):
                continue
            if ident in first:
                yield ctx.error("sheet.duplicate", f"/{field}/{i}/id", template,
                                id=short(ident), first=first[ident] + 1, second=i + 1)
            else:
                first[ident] = i


def _partner_is_owner(sheet: dict[str, Any], ctx: SheetContext) -> Iterator[Finding]:
    owner = sheet.get("owner")
    organisation = owner.get("organisation") if isinstance(owner, dict) else None
    partners = sheet.get("partners")
    if not isinstance(organisation, str) or not isinstance(partners, list):
        return
    for i, partner in enumerate(partners):
        if partner == organisation:
            yield ctx.error("sheet.partner-is-owner", f"/partners/{i}",
                            MESSAGES["partner-is-owner"], owner=short(organisation))


def _missing_languages(sheet: dict[str, Any], ctx: SheetContext) -> Iterator[Finding]:
    for field in ("title", "summary"):
        text = sheet.get(field)
        if not isinstance(text, dict):
            continue
        missing = [lang for lang in ("fr", "nl") if lang not in text]
        if not missing:
            continue
        yield ctx.finding(WARNING, "sheet.missing-language", f"/{field}",
                          MESSAGES["missing-language"], field=field,
                          codes=Listing(missing, commas=False),
                          names=Listing([Text(LANGUAGES[lang]) for lang in missing],
                                        commas=False))
