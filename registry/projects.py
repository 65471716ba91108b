"""Projects of the roadmap: validating, authorising and storing sheets (no Flask)."""

from __future__ import annotations

import datetime
import functools
import os
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from registry.analysis.compliance import project_compliance
from registry.analysis.roadmap import Project, Roadmap
from registry.catalogue.snapshot import Catalogue
from registry.documents.findings import FileReport
from registry.documents.reading import read_limited, unreadable
from registry.measurements import kpi_ids
from registry.storage.store import Store, digest
from registry.storage.tokens import Identity
from registry.validation import linked_data, policy
from registry.validation.batch import expand_paths
from registry.validation.pipeline import validate_and_load


class Forbidden(Exception):
    """The identity may not make this change to this project."""


def token_organisations(who: Identity) -> str:
    return ", ".join(who.organisations) or "no organisation"


def authorise(who: Identity, sheet: Mapping[str, Any], current: Mapping[str, Any] | None
              ) -> None:
    """Raise Forbidden unless `who` may store `sheet` over `current`.

    Leads write the projects of their organisations (before and after the change);
    only the Office (and admins) decide a project's status beyond `proposed`.
    """
    new_owner = (sheet.get("owner") or {}).get("organisation")
    old_owner = (current.get("owner") or {}).get("organisation") if current else None
    for owner in {new_owner, old_owner} - {None}:
        if not who.can_write_project(owner):
            raise Forbidden(f"a {who.role} token of {token_organisations(who)} may not write a project owned by {owner}")
    if who.role == "lead":
        old_status = current.get("status") if current else "proposed"
        if sheet.get("status") != old_status:
            raise Forbidden(f"only the Smart City Office changes a project's status "
                            f"(from {old_status} to {sheet.get('status')}): keep "
                            f"status: {old_status}")
    elif who.role not in ("office", "admin"):
        raise Forbidden(f"a {who.role} token may not write projects")


def stored_findings(sheet: Mapping[str, Any], catalogue: Catalogue, as_of: datetime.date
                    ) -> FileReport:
    """Return the catalogue-dependent findings of a stored sheet.

    Stored sheets passed the structure layer when they were written and the schema of
    `project-sheet/v1` does not change, so only the linked-data and policy layers, which
    read the catalogue and the date, are run again.
    """
    findings = [*linked_data.check(sheet, catalogue, None),
                *policy.check(sheet, catalogue, None, as_of)]
    return FileReport(f"projects/{sheet.get('id')}", findings)


# The catalogue kind whose records each linked-data target is checked against.
_TARGET_KINDS = {"concept": "vocabulary", "standard": "standard", "component": "component"}
_UNKNOWN = "?"


@functools.cache
def _code_reads() -> dict[str, str | None]:
    linked = {code: _TARGET_KINDS[target]
              for code, target in linked_data.code_targets().items()}
    return {**linked, **policy.CODE_READS}


def finding_reads(code: str) -> str | None:
    """Return the catalogue kind a stored finding of `code` reads (None: none, "?": unknown)."""
    return _code_reads().get(code, _UNKNOWN)


@functools.cache
def _hints_read() -> dict[str, str]:
    out = {}
    for rules in linked_data.rule_table():
        kind = _TARGET_KINDS[rules.target]
        out[rules.exists.code] = kind  # "did you mean": the ids close to the unknown one
        if rules.target == "component":
            for rule in rules.others:  # the active components that replace this one
                out[rule.code] = kind
    return out


def hint_reads(code: str) -> str | None:
    """Return the kind whose other records (not the one named) a finding's hint reads."""
    return _hints_read().get(code)


def refreshed_findings(report: FileReport, sheet: Mapping[str, Any], catalogue: Catalogue,
                       as_of: datetime.date, kinds: Iterable[str]) -> FileReport:
    """Return `stored_findings` after a change to the catalogue records of `kinds`.

    `report` is the sheet's stored findings at `as_of` under the catalogue before the
    change: the findings that read no record of `kinds` are kept, the checks that do
    are run again. Each code comes from one check (ties in the report's order are
    among findings of one code, kept in the order their check made them), so the
    result equals `stored_findings` under the new catalogue.
    """
    kinds = set(kinds)
    if any(finding_reads(f.code) == _UNKNOWN for f in report.findings):
        return stored_findings(sheet, catalogue, as_of)  # a check this does not know
    kept = [f for f in report.findings if finding_reads(f.code) not in kinds]
    targets = [t for t, kind in _TARGET_KINDS.items() if kind in kinds]
    fresh = [*linked_data.check(sheet, catalogue, None, targets=targets),
             *policy.checks_reading(sheet, catalogue, kinds)]
    return FileReport(report.path, kept + fresh)


def project_view(project: Project, catalogue: Catalogue, as_of: datetime.date,
                 measured: Iterable[Mapping[str, Any]] = (),
                 report: FileReport | None = None) -> dict[str, Any]:
    """Return a project with its current validation, compliance and KPI measurements.

    `measured` are the reported values ({kpi, date, value, ...}); only those of the
    KPIs the sheet lists now are shown, oldest first. `report` is the project's
    `stored_findings` when the caller has them already (to say them in a language).
    """
    if report is None:
        report = stored_findings(project.sheet, catalogue, as_of)
    by_kpi: dict[str, list[dict[str, Any]]] = {kid: [] for kid in kpi_ids(project.sheet)}
    for m in measured:
        if m["kpi"] in by_kpi:
            by_kpi[m["kpi"]].append({k: v for k, v in m.items() if k != "kpi"})
    return {
        "measurements": by_kpi,
        "project": project.sheet,
        "revision": project.revision,
        "updated_at": project.updated_at.isoformat(),
        "updated_by": project.updated_by,
        "validation": {"valid": report.valid, "as_of": as_of.isoformat(),
                       "findings": [f.to_dict() for f in report.findings],
                       "summary": {"errors": report.errors, "warnings": report.warnings}},
        "compliance": [c.to_dict() for c in project_compliance(project.sheet, catalogue,
                                                               as_of)],
    }


def project_summary(project: Project, report: FileReport) -> dict[str, Any]:
    """Return the short form of a project used in lists."""
    sheet = project.sheet
    return {"id": project.id, "title": sheet.get("title"), "owner": project.owner,
            "status": sheet.get("status"), "domains": project.listed("domains"),
            "revision": project.revision, "valid": report.valid,
            "errors": report.errors, "warnings": report.warnings}


FILTERS = ("owner", "status", "domain", "capability", "standard", "validity")


def matches(project: Project, filters: Mapping[str, str]) -> bool:
    """Return whether a project passes every filter but `validity` (which needs findings)."""
    return not (
        ("owner" in filters and project.owner != filters["owner"])
        or ("status" in filters and project.sheet.get("status") != filters["status"])
        or ("domain" in filters and filters["domain"] not in project.listed("domains"))
        or ("capability" in filters and filters["capability"] not in project.capabilities())
        or ("standard" in filters and filters["standard"] not in project.declared()))


def select_projects(roadmap: Roadmap, catalogue: Catalogue, as_of: datetime.date,
                    filters: Mapping[str, str]) -> Iterator[tuple[Project, FileReport]]:
    """Yield the projects (with their current findings) that match every filter."""
    for project in roadmap.projects.values():
        if not matches(project, filters):
            continue
        report = stored_findings(project.sheet, catalogue, as_of)
        if "validity" in filters and report.valid != (filters["validity"] == "valid"):
            continue
        yield project, report


@dataclass
class ImportOutcome:
    """What `import_projects` did with one file."""

    path: str
    report: FileReport
    action: str  # created, updated, unchanged, refused


def import_projects(folder: Path, store: Store, catalogue: Catalogue, as_of: datetime.date,
                    author: str) -> list[ImportOutcome]:
    """Validate every sheet of a folder and store the valid ones as new revisions."""
    import orjson

    from registry.storage import NotFound

    outcomes = []
    # Revision messages are public: name the file relative to what was imported, never
    # the server's own folders.
    base = folder if folder.is_dir() else folder.parent
    for path in expand_paths([str(folder)]):
        try:
            data = read_limited(Path(path))
        except OSError as exc:
            outcomes.append(ImportOutcome(path, unreadable(path, exc), "refused"))
            continue
        report, sheet = validate_and_load(data, catalogue, as_of=as_of, path=path)
        if not report.valid:
            outcomes.append(ImportOutcome(path, report, "refused"))
            continue
        sheet = orjson.loads(orjson.dumps(sheet))  # plain JSON data, as the API stores it
        try:
            current = store.get("project", sheet["id"])
        except NotFound:
            current = None
        if current is not None and current.digest == digest(sheet):
            outcomes.append(ImportOutcome(path, report, "unchanged"))
            continue
        store.put("project", sheet["id"], sheet, author=author,
                  if_match=current.revision if current else None,
                  create_only=current is None,
                  message=f"imported from {os.path.relpath(path, base)}")
        outcomes.append(ImportOutcome(path, report, "updated" if current else "created"))
    return outcomes


# The author of the example projects' revisions: a project is an example while its
# current revision is the one the loader stored (an edited example has been adopted).
EXAMPLES_AUTHOR = "registry (example roadmap)"
# The examples are written to be valid as of this date (see examples/README.md); the
# loader judges them then, so a first start in a later year still shows the roadmap
# (its pages report what has lapsed since).
EXAMPLES_AS_OF = datetime.date(2026, 11, 26)


def examples_dir() -> Path:
    """Return the folder of the shipped example roadmap."""
    from registry.paths import data_root

    return data_root() / "examples"


def load_examples(store: Store, catalogue: Catalogue) -> list[ImportOutcome]:
    """Store the example roadmap's sheets, marked as examples by their author."""
    folder = examples_dir()
    if not folder.is_dir():
        return []
    return import_projects(folder, store, catalogue, EXAMPLES_AS_OF, EXAMPLES_AUTHOR)


def is_example(project: Any) -> bool:
    """Return True for a project (stored record or roadmap project) loaded as an example."""
    return bool(project.updated_by == EXAMPLES_AUTHOR)


def remove_examples(store: Store, author: str) -> list[str]:
    """Delete every project that is still an example, in one transaction; return their ids."""
    return store.delete_where("project", lambda record: not is_example(record),
                              author=author, message="example project removed")
