"""Catalogue lint: what an architect should fix or re-check in the catalogue itself.

Four checks, each a generator of findings:

- `review-due` (warning): a record whose facts were last checked more than twelve
  months before the as-of date, or never (no `reviewed` date);
- `status-contradiction` (error): a description that calls a standard recommended or
  mandatory while its status says otherwise;
- `requires-non-mandatory` (error): a mandatory standard whose principle or legal basis
  requires a standard that is not mandatory;
- `dead-link` (error): a link to a record or concept that does not exist.

Errors are contradictions: `registry lint` exits 1 on any of them, 0 when only reviews
are due.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from registry.catalogue.records import KINDS
from registry.catalogue.snapshot import Catalogue

ERROR = "error"
WARNING = "warning"
REVIEW_MONTHS = 12

# Words that state a status, per language. A candidate (or deprecated) standard whose
# description uses them claims a status the catalogue does not give it.
_STATUS_WORDS: Mapping[str, Mapping[str, re.Pattern[str]]] = {
    "recommended": {
        "en": re.compile(r"\brecommended\b", re.I),
        "fr": re.compile(r"\brecommandée?s?\b", re.I),
        "nl": re.compile(r"\baanbevolen\b", re.I),
    },
    "mandatory": {
        "en": re.compile(r"\bmandatory\b", re.I),
        "fr": re.compile(r"\bobligatoires?\b", re.I),
        "nl": re.compile(r"\bverplicht(e)?\b", re.I),
    },
}
# Which claimed statuses contradict which actual status.
_CONTRADICTS = {
    "candidate": ("recommended", "mandatory"),
    "deprecated": ("recommended", "mandatory"),
    "recommended": ("mandatory",),
}


@dataclass(frozen=True, slots=True)
class LintFinding:
    """One thing to fix or re-check in a catalogue record."""

    severity: str
    code: str
    kind: str
    id: str
    path: str
    message: str

    def to_dict(self) -> dict[str, Any]:
        """Return the finding as a JSON object (key order fixed)."""
        return {"severity": self.severity, "code": self.code, "kind": self.kind,
                "id": self.id, "path": self.path, "message": self.message}

    def __str__(self) -> str:
        return f"{self.severity}: {self.kind} {self.id}{self.path}: {self.code}: {self.message}"


@dataclass(frozen=True)
class LintReport:
    """All findings of one lint run, errors first."""

    as_of: datetime.date
    findings: tuple[LintFinding, ...]

    @property
    def errors(self) -> tuple[LintFinding, ...]:
        """Return the contradictions and dead links."""
        return tuple(f for f in self.findings if f.severity == ERROR)

    @property
    def reviews_due(self) -> tuple[LintFinding, ...]:
        """Return the records whose review is due."""
        return tuple(f for f in self.findings if f.code == "review-due")

    @property
    def exit_code(self) -> int:
        """Return 1 when there is a contradiction or a dead link, else 0."""
        return 1 if self.errors else 0

    def counts(self) -> dict[str, int]:
        """Return the number of findings per code."""
        out: dict[str, int] = {}
        for f in self.findings:
            out[f.code] = out.get(f.code, 0) + 1
        return out

    def to_dict(self) -> dict[str, Any]:
        """Return the report as JSON data."""
        return {"as_of": self.as_of.isoformat(), "errors": len(self.errors),
                "reviews_due": len(self.reviews_due), "counts": self.counts(),
                "findings": [f.to_dict() for f in self.findings]}


def lint(catalogue: Catalogue, as_of: datetime.date | None = None) -> LintReport:
    """Check the catalogue and return every finding, errors first."""
    as_of = as_of or datetime.date.today()
    findings = [*dead_links(catalogue), *status_contradictions(catalogue),
                *requirements(catalogue), *reviews(catalogue, as_of)]
    order = {ERROR: 0, WARNING: 1}
    findings.sort(key=lambda f: (order[f.severity], f.code, f.kind, f.id, f.path))
    return LintReport(as_of, tuple(findings))


def review_cutoff(as_of: datetime.date) -> datetime.date:
    """Return the oldest review date still current on `as_of` (twelve months back)."""
    try:
        return as_of.replace(year=as_of.year - 1)
    except ValueError:  # 29 February: a year back is 28 February
        return as_of.replace(year=as_of.year - 1, day=28)


def reviews(catalogue: Catalogue, as_of: datetime.date) -> Iterator[LintFinding]:
    """Yield the records not reviewed in the twelve months before `as_of`."""
    cutoff = review_cutoff(as_of)
    for kind in KINDS:
        for record_id, record in catalogue.records(kind).items():
            if kind == "vocabulary" and record.get("source"):
                continue  # imported schemes are reviewed by their publisher
            reviewed = _date(record.get("reviewed"))
            if reviewed is None:
                yield LintFinding(WARNING, "review-due", kind, record_id, "/reviewed",
                                  "never reviewed: check its facts against its sources "
                                  "and set `reviewed`")
            elif reviewed < cutoff:
                yield LintFinding(WARNING, "review-due", kind, record_id, "/reviewed",
                                  f"last reviewed on {reviewed.isoformat()}, more than "
                                  f"{REVIEW_MONTHS} months before {as_of.isoformat()}")


def status_contradictions(catalogue: Catalogue) -> Iterator[LintFinding]:
    """Yield the standards whose description claims a status they do not have."""
    for record_id, record in catalogue.standards.items():
        claims = _CONTRADICTS.get(record.get("status", ""), ())
        description = record.get("description") or {}
        for lang, text in sorted(description.items()):
            for claimed in claims:
                pattern = _STATUS_WORDS[claimed].get(lang)
                match = pattern.search(text) if pattern else None
                if match:
                    yield LintFinding(
                        ERROR, "status-contradiction", "standard", record_id,
                        f"/description/{lang}",
                        f"the description says {match.group(0)!r} ({claimed}) but the "
                        f"status is {record['status']}")


def requirements(catalogue: Catalogue) -> Iterator[LintFinding]:
    """Yield mandatory standards whose principle or legal basis requires a weaker one."""
    for record_id, record in catalogue.standards.items():
        if record.get("status") != "mandatory":
            continue
        bases: list[tuple[str, str, str]] = []
        for i, principle_id in enumerate(record.get("principles", ())):
            bases.append(("principle", principle_id, f"/principles/{i}"))
        for i, act_id in enumerate(record.get("mandated_by", ())):
            bases.append(("legal", act_id, f"/mandated_by/{i}"))
        for kind, basis_id, path in bases:
            basis = catalogue.records(kind).get(basis_id)
            if basis is None:
                continue  # a dead link, reported by dead_links
            for required in basis.get("requires", ()):
                target = catalogue.standards.get(required)
                if target is None or required == record_id:
                    continue
                if target.get("status") != "mandatory":
                    yield LintFinding(
                        ERROR, "requires-non-mandatory", "standard", record_id, path,
                        f"mandatory, but its {_noun(kind)} {basis_id!r} requires "
                        f"{required!r}, which is {target.get('status')}")


def dead_links(catalogue: Catalogue) -> Iterator[LintFinding]:
    """Yield every link to a record or concept that does not exist."""
    from registry.catalogue.files import cross_check

    records = {kind: list(catalogue.records(kind).values()) for kind in KINDS}
    for error in cross_check(records):
        kind, _, record_id = error.file.partition(" ")
        yield LintFinding(ERROR, "dead-link", kind, record_id, error.path, error.message)
    # A standard replaced by a deprecated one points readers to a dead end.
    for record_id, record in catalogue.standards.items():
        target = catalogue.standards.get(record.get("replaced_by") or "")
        if target is not None and target.get("status") == "deprecated":
            yield LintFinding(ERROR, "dead-link", "standard", record_id, "/replaced_by",
                              f"replaced by {target['id']!r}, which is itself deprecated")


def _noun(kind: str) -> str:
    return "legal basis" if kind == "legal" else kind


def _date(value: Any) -> datetime.date | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        return None


def render_text(report: LintReport) -> Iterable[str]:
    """Yield the report as lines of text, a summary last."""
    for f in report.findings:
        yield str(f)
    yield (f"{len(report.errors)} contradiction(s) or dead link(s), "
           f"{len(report.reviews_due)} review(s) due as of {report.as_of.isoformat()}")
