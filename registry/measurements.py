"""KPI measurements: what a value must be, who may report it, CSV import (no Flask).

A sheet gives each KPI a `unit`, a `baseline` and a `target`; the values measured over
time are reported separately (API or CSV), so a project's sheet does not need a new
revision every month. A value is checked against its KPI: it is a number; a `count`
is a whole number, never negative; a `%` lies between 0 and 100.
"""

from __future__ import annotations

import csv
import datetime
import io
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from registry.analysis.roadmap import Roadmap
from registry.errors import RegistryError
from registry.storage.tokens import Identity

ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", re.ASCII)
NOTE_MAX = 2000
CSV_COLUMNS = ("project", "kpi", "date", "value", "note")
CSV_MAX_ROWS = 100_000


class MeasurementError(RegistryError):
    """A measurement that cannot be stored; `status` is the HTTP status that says why."""

    def __init__(self, status: int, message: str, **detail: Any) -> None:
        super().__init__(status, message, detail=detail or None)


def find_kpi(sheet: Mapping[str, Any], kpi_id: str) -> Mapping[str, Any] | None:
    """Return the KPI of this id in a sheet, or None."""
    items = sheet.get("kpis")
    for kpi in items if isinstance(items, list) else []:
        if isinstance(kpi, Mapping) and kpi.get("id") == kpi_id:
            return kpi
    return None


def kpi_ids(sheet: Mapping[str, Any]) -> list[str]:
    """Return the ids of a sheet's KPIs."""
    items = sheet.get("kpis")
    return [k["id"] for k in items if isinstance(k, Mapping) and isinstance(k.get("id"), str)] \
        if isinstance(items, list) else []


def parse_day(text: str, today: datetime.date) -> datetime.date:
    """Return the date of a measurement (YYYY-MM-DD, not in the future)."""
    try:
        if not ISO_DATE.fullmatch(text):
            raise ValueError(text)
        day = datetime.date.fromisoformat(text)
    except ValueError:
        raise MeasurementError(400, f"{text!r} is not a date: write it as YYYY-MM-DD",
                               parameter="date") from None
    if day > today:
        raise MeasurementError(422, f"{day.isoformat()} is in the future: report a value "
                               "once it has been measured", date=day.isoformat())
    return day


def check_value(kpi: Mapping[str, Any], value: Any) -> float:
    """Return the value as a number when it is of the KPI's kind, else raise (422)."""
    unit = str(kpi.get("unit", ""))
    kpi_id = kpi.get("id")
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise MeasurementError(422, f"the value of KPI {kpi_id!r} must be a number "
                               f"(in {unit}), not {type(value).__name__}", field="value")
    number = float(value)
    if not math.isfinite(number):
        raise MeasurementError(422, f"the value of KPI {kpi_id!r} must be a finite number",
                               field="value")
    if unit == "count" and (number < 0 or not number.is_integer()):
        raise MeasurementError(422, f"KPI {kpi_id!r} counts things: its value is a whole "
                               f"number, 0 or more, not {value}", field="value")
    if unit == "%" and not 0 <= number <= 100:
        raise MeasurementError(422, f"KPI {kpi_id!r} is a percentage: its value lies "
                               f"between 0 and 100, not {value}", field="value")
    return number


def check_note(note: Any) -> str | None:
    """Return the note (None when absent or empty), or raise when it is not short text."""
    if note is None or note == "":
        return None
    if not isinstance(note, str):
        raise MeasurementError(422, "note must be text", field="note")
    if len(note) > NOTE_MAX:
        raise MeasurementError(422, f"note is {len(note)} characters; at most {NOTE_MAX}",
                               field="note")
    return note


def check_body(body: Any) -> tuple[Any, Any]:
    """Return (value, note) of a request body, refusing any other shape (422)."""
    if not isinstance(body, Mapping):
        raise MeasurementError(422, 'send an object: {"value": <number>, "note": <text>}')
    unknown = sorted(set(body) - {"value", "note"})
    if unknown:
        raise MeasurementError(422, f"unknown field {unknown[0]!r}: a measurement has "
                               "value and note", field=unknown[0])
    if "value" not in body:
        raise MeasurementError(422, "value is required", field="value")
    return body["value"], body.get("note")


def authorise(who: Identity, sheet: Mapping[str, Any]) -> None:
    """Raise (403) unless `who` reports for this project: its lead's organisation or the Office."""
    owner = (sheet.get("owner") or {}).get("organisation")
    if who.role not in ("lead", "office", "admin") or not who.can_write_project(owner):
        orgs = ", ".join(who.organisations) or "no organisation"
        raise MeasurementError(403, f"a {who.role} token of {orgs} may not report values "
                               f"for a project owned by {owner}")


@dataclass(frozen=True)
class CsvRow:
    """One valid line of a measurements CSV file."""

    line: int
    project: str
    kpi: str
    day: datetime.date
    value: float
    note: str | None


def read_csv(data: bytes, roadmap: Roadmap, today: datetime.date
             ) -> tuple[list[CsvRow], list[tuple[int, str]]]:
    """Return the rows of a CSV file and its problems as (line, message), every one of them.

    The header is `project,kpi,date,value,note` (note may be left out); values use a
    dot as decimal separator. A file with any problem should be stored not at all.
    """
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return [], [(1, f"the file is not UTF-8 text (byte {exc.start})")]
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [h.strip() for h in next(reader)]
    except StopIteration:
        return [], [(1, "the file is empty: the first line names the columns "
                     + ",".join(CSV_COLUMNS))]
    except csv.Error as exc:
        return [], [(1, f"the header cannot be read as CSV: {exc}")]
    missing = [c for c in CSV_COLUMNS[:4] if c not in header]
    unknown = [h for h in header if h not in CSV_COLUMNS]
    if missing or unknown:
        what = f"missing column {missing[0]!r}" if missing else f"unknown column {unknown[0]!r}"
        return [], [(1, f"{what}: the first line names the columns "
                     + ",".join(CSV_COLUMNS))]
    rows: list[CsvRow] = []
    problems: list[tuple[int, str]] = []
    seen: dict[tuple[str, str, datetime.date], int] = {}
    try:
        for cells in reader:
            line = reader.line_num
            if not any(c.strip() for c in cells):
                continue
            if len(rows) + len(problems) >= CSV_MAX_ROWS:
                problems.append((line, f"more than {CSV_MAX_ROWS} rows: split the file"))
                break
            if len(cells) != len(header):
                problems.append((line, f"{len(cells)} cells where the header has "
                                 f"{len(header)}"))
                continue
            row = dict(zip(header, (c.strip() for c in cells), strict=True))
            try:
                rows.append(_csv_row(line, row, roadmap, today, seen))
            except MeasurementError as exc:
                problems.append((line, exc.message))
    except csv.Error as exc:
        problems.append((reader.line_num, f"not readable as CSV: {exc}"))
    return rows, problems


def _csv_row(line: int, row: Mapping[str, str], roadmap: Roadmap, today: datetime.date,
             seen: dict[tuple[str, str, datetime.date], int]) -> CsvRow:
    project = roadmap.projects.get(row["project"])
    if project is None:
        raise MeasurementError(422, f"no project {row['project']!r} in the registry")
    kpi = find_kpi(project.sheet, row["kpi"])
    if kpi is None:
        raise MeasurementError(422, f"project {project.id!r} has no KPI {row['kpi']!r} "
                               f"(its KPIs: {', '.join(kpi_ids(project.sheet)) or 'none'})")
    day = parse_day(row["date"], today)
    try:
        number: Any = float(row["value"])
        if number.is_integer() and re.fullmatch(r"-?[0-9]+", row["value"]):
            number = int(row["value"])
    except ValueError:
        raise MeasurementError(422, f"value {row['value']!r} is not a number (write "
                               "decimals with a dot)") from None
    value = check_value(kpi, number)
    key = (project.id, row["kpi"], day)
    if key in seen:
        raise MeasurementError(422, f"the same project, KPI and date as line {seen[key]}")
    seen[key] = line
    return CsvRow(line, project.id, row["kpi"], day, value, check_note(row.get("note")))
