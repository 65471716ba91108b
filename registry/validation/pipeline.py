"""Validate one sheet: parse -> structure -> linked data -> policy, into one FileReport.

Parse findings are reported alone (there is no data to check). Otherwise every layer
runs, even when an earlier one found errors, so that a sheet's author sees every
problem at once; each layer skips only the values whose type is wrong. The stages are
imported by name: a stage that cannot be imported (renamed, deleted, broken) makes the
import of the pipeline fail; it is never skipped in silence.
"""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from registry.documents.findings import ERROR, FileReport, Finding, Positions
from registry.documents.parse import DEFAULT_LIMITS, Limits, parse_document
from registry.documents.reading import read_limited, unreadable
from registry.validation import linked_data, policy, structure

if TYPE_CHECKING:
    from collections.abc import Mapping

    from registry.catalogue.snapshot import Catalogue

def check_data(sheet: Any, catalogue: Catalogue, as_of: datetime.date,
               positions: Positions | None = None, *,
               key_positions: Positions | None = None,
               sources: Mapping[str, str] | None = None) -> list[Finding]:
    """Return the findings of every layer for already parsed sheet data."""
    if not isinstance(sheet, dict):
        return [Finding(ERROR, "parse.not-a-mapping", "",
                        "the sheet is not a mapping of fields: send an object such as "
                        "{\"sheet\": \"project-sheet/v1\", ...}")]
    findings = list(structure.check(sheet, positions, key_positions=key_positions,
                                    sources=sources))
    findings.extend(linked_data.check(sheet, catalogue, positions))
    findings.extend(policy.check(sheet, catalogue, positions, as_of))
    return findings


def validate_data(obj: Any, catalogue: Catalogue, as_of: datetime.date,
                  positions: Positions | None = None, *, path: str = "-",
                  key_positions: Positions | None = None,
                  sources: Mapping[str, str] | None = None) -> FileReport:
    """Validate sheet data that is already parsed (e.g. a JSON request body)."""
    return FileReport(path, check_data(obj, catalogue, as_of, positions,
                                       key_positions=key_positions, sources=sources))


def validate_and_load(data: bytes | str, catalogue: Catalogue, *, as_of: datetime.date,
                      path: str = "-", limits: Limits = DEFAULT_LIMITS
                      ) -> tuple[FileReport, Any]:
    """Parse and validate one sheet; return the report and the parsed data (None when
    it could not be parsed), so that callers storing the sheet parse it only once."""
    parsed = parse_document(data, limits, filename=None if path == "-" else path)
    if parsed.findings:
        return FileReport(path, list(parsed.findings)), None
    report = validate_data(parsed.value, catalogue, as_of, parsed.positions, path=path,
                           key_positions=parsed.key_positions, sources=parsed.sources)
    return report, parsed.value


def validate_bytes(data: bytes | str, catalogue: Catalogue, *, as_of: datetime.date,
                   path: str = "-", limits: Limits = DEFAULT_LIMITS) -> FileReport:
    """Parse and validate the text of one sheet; `path` names it in the report."""
    return validate_and_load(data, catalogue, as_of=as_of, path=path, limits=limits)[0]


def validate_file(path: Path, catalogue: Catalogue, *, as_of: datetime.date,
                  limits: Limits = DEFAULT_LIMITS, display: str | None = None) -> FileReport:
    """Read (at most max_bytes + 1 bytes of) a file and validate it; never raises for I/O."""
    name = str(path) if display is None else display
    try:
        data = read_limited(path, limits)
    except OSError as exc:
        return unreadable(name, exc)
    return validate_bytes(data, catalogue, as_of=as_of, path=name, limits=limits)
