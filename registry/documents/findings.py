"""The one findings model shared by every validation layer and every reporter.

A finding's `message` is English, as the API and the reports give it. Where a message
was built from a template (a plain string with `{name}` placeholders, marked with
`M_()`), the finding also keeps the template and its parameters, so that a page can show
it in another language; they are not part of the finding's JSON.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

ERROR = "error"
WARNING = "warning"

# JSON Pointer -> (line, column), both 1-based, of the node in the source text.
Positions = Mapping[str, tuple[int, int]]


def M_(template: str) -> str:
    """Mark a finding's message template for extraction into translation catalogues.

    It returns the template unchanged: messages are rendered in English here, and
    translated (if ever) where they are shown.
    """
    return template


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem found in a sheet, located by JSON Pointer (and line/column in the source)."""

    severity: str
    code: str
    path: str
    message: str
    line: int | None = None
    column: int | None = None
    hint: str | None = None
    # The untranslated template of `message` (and of `hint`) and their parameters, when
    # the message was built from one; never compared, never serialised.
    template: str | None = field(default=None, compare=False, repr=False)
    hint_template: str | None = field(default=None, compare=False, repr=False)
    params: Mapping[str, str] | None = field(default=None, compare=False, repr=False)

    def to_dict(self) -> dict[str, Any]:
        """Return the finding as the spec's JSON object (key order fixed)."""
        return {"severity": self.severity, "code": self.code, "path": self.path,
                "line": self.line, "column": self.column, "message": self.message,
                "hint": self.hint}

    def sort_key(self) -> tuple[int, int, int, str, str]:
        """Order errors first, then by position in the file."""
        return (0 if self.severity == ERROR else 1, self.line or 0, self.column or 0,
                self.path, self.code)


def locate(positions: Positions | None, pointer: str) -> tuple[int | None, int | None]:
    """Return the line and column of a pointer, or of its nearest located ancestor."""
    if not positions:
        return None, None
    current = pointer
    while True:
        if current in positions:
            return positions[current]
        if not current:
            return None, None
        current = current.rsplit("/", 1)[0]


def finding(severity: str, code: str, path: str, message: str, *,
            positions: Positions | None = None, hint: str | None = None,
            at: str | None = None) -> Finding:
    """Build a finding located through `positions` (at `at` if given, else at `path`)."""
    line, column = locate(positions, path if at is None else at)
    return Finding(severity, code, path, message, line, column, hint)


@dataclass
class FileReport:
    """The findings of one file."""

    path: str
    findings: list[Finding] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.findings.sort(key=Finding.sort_key)

    @property
    def errors(self) -> int:
        """Return the number of error findings."""
        return sum(1 for f in self.findings if f.severity == ERROR)

    @property
    def warnings(self) -> int:
        """Return the number of warning findings."""
        return sum(1 for f in self.findings if f.severity == WARNING)

    @property
    def valid(self) -> bool:
        """Return True when the file has no error finding."""
        return self.errors == 0

    def to_dict(self) -> dict[str, Any]:
        """Return the file's entry of the JSON report."""
        return {"path": self.path, "valid": self.valid,
                "findings": [f.to_dict() for f in self.findings]}


def summary(reports: Iterable[FileReport]) -> dict[str, int]:
    """Return the report's summary counts."""
    reports = list(reports)
    valid = sum(1 for r in reports if r.valid)
    return {"files": len(reports), "valid": valid, "invalid": len(reports) - valid,
            "errors": sum(r.errors for r in reports),
            "warnings": sum(r.warnings for r in reports)}


def report_dict(reports: Iterable[FileReport]) -> dict[str, Any]:
    """Return the machine-readable report of the spec for several files."""
    reports = list(reports)
    return {"valid": all(r.valid for r in reports),
            "files": [r.to_dict() for r in reports],
            "summary": summary(reports)}


def single_report_dict(report: FileReport) -> dict[str, Any]:
    """Return the body of `POST /api/validate`: the file's entry plus its summary."""
    return {**report.to_dict(), "summary": summary([report])}
