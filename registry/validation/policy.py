"""Layer 3, policy: comply or explain, and reuse before building, against the catalogue.

The rules are those of the spec's "Policy" section:

- a standard applies when one of its `applies_to` capabilities is in
  `capabilities.needs` or `capabilities.builds`; `data.open_data: true` counts as
  needing `open-data-publication`, `data.personal_data: true` as needing
  `personal-data-processing`;
- an applicable mandatory standard that is not declared is an error, a recommended
  one a warning (candidate and deprecated standards are never "missing");
- a declaration whose `until` is before the day of validation is an error;
- a capability in `builds` that an active component provides is a warning, unless
  the sheet reuses one of those components.

Declared deprecated standards are reported by the linked-data layer
(`catalogue.deprecated-standard`), not here, so that they are reported once.
Values of the wrong type are skipped: the structure layer reports them.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import date, datetime
from typing import Any

from registry.catalogue.snapshot import Catalogue
from registry.documents.findings import (
    ERROR,
    M_,
    WARNING,
    Finding,
    Listing,
    Positions,
    Text,
    finding,
)

OPEN_DATA_CAPABILITY = "open-data-publication"
PERSONAL_DATA_CAPABILITY = "personal-data-processing"

# status -> (code, severity) of a missing declaration
MISSING = {
    "mandatory": ("policy.mandatory-missing", ERROR),
    "recommended": ("policy.recommended-missing", WARNING),
}


# Message templates (registry.documents.localize puts them into French and Dutch).
MESSAGES = {
    "missing.mandatory": M_("mandatory standard {standard} applies because {why} but is not "
                            "declared: declare it in standards with a conformance (complies, "
                            "partial, planned or explain)"),
    "missing.recommended": M_("recommended standard {standard} applies because {why} but is "
                              "not declared: declare it in standards with a conformance "
                              "(complies, partial, planned or explain)"),
    "missing.hint": M_("e.g. `{{id: {id}, conformance: complies}}`; partial, planned and "
                       "explain also need a note, planned and explain an until date"),
    "needs": M_("the project needs `{capability}`"),
    "builds": M_("the project builds `{capability}`"),
    "open-data": M_("data.open_data is true (capability `{capability}`)"),
    "personal-data": M_("data.personal_data is true (capability `{capability}`)"),
    "lapsed.explanation": M_("the explanation{subject} lapsed on {until} (validation as of "
                             "{as_of})"),
    "lapsed.plan": M_("the plan{subject} lapsed on {until} (validation as of {as_of})"),
    "lapsed.declaration": M_("the declaration{subject} lapsed on {until} (validation as of "
                             "{as_of})"),
    "for-standard": M_(" for `{standard}`"),
    "lapsed.hint": M_("review it: update the note and set a new until date, or declare "
                      "conformance complies if the project now conforms"),
    "reuse.one": M_("capability `{capability}` is already provided by the active component "
                    "{components}: consider reusing component {choice}"),
    "reuse.several": M_("capability `{capability}` is already provided by the active "
                        "components {components}: consider reusing component {choice}"),
    "reuse.hint": M_("add {quoted} to components.reuses, or keep building it if the "
                     "existing component cannot serve the project"),
}


def _strings(value: Any) -> list[tuple[int, str]]:
    """Return (index, item) for the string items of a list (nothing for a non-list)."""
    if not isinstance(value, list):
        return []
    return [(i, item) for i, item in enumerate(value) if isinstance(item, str)]


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _date(value: Any) -> date | None:
    """Return a date given as a date or as 'YYYY-MM-DD', or None when it is not one."""
    if isinstance(value, datetime):
        return None
    if isinstance(value, date):
        return value
    if isinstance(value, str) and len(value) == 10:
        try:
            return date.fromisoformat(value)
        except ValueError:
            return None
    return None


def applicable_capabilities(sheet: Mapping[str, Any]) -> dict[str, Text]:
    """Return the capabilities that make standards apply, each with why it counts."""
    capabilities = _mapping(sheet.get("capabilities"))
    data = _mapping(sheet.get("data"))
    reasons: dict[str, Text] = {}
    for _, capability in _strings(capabilities.get("needs")):
        reasons.setdefault(capability, Text(MESSAGES["needs"], capability=capability))
    for _, capability in _strings(capabilities.get("builds")):
        reasons.setdefault(capability, Text(MESSAGES["builds"], capability=capability))
    if data.get("open_data") is True:
        reasons.setdefault(OPEN_DATA_CAPABILITY,
                           Text(MESSAGES["open-data"], capability=OPEN_DATA_CAPABILITY))
    if data.get("personal_data") is True:
        reasons.setdefault(PERSONAL_DATA_CAPABILITY, Text(MESSAGES["personal-data"],
                                                          capability=PERSONAL_DATA_CAPABILITY))
    return reasons


def _declarations(sheet: Mapping[str, Any]) -> list[tuple[int, Mapping[str, Any]]]:
    standards = sheet.get("standards")
    if not isinstance(standards, list):
        return []
    return [(i, item) for i, item in enumerate(standards) if isinstance(item, Mapping)]


def _name(record: Mapping[str, Any], standard_id: str) -> str:
    acronym = record.get("acronym")
    return f"`{standard_id}` ({acronym})" if isinstance(acronym, str) and acronym else \
        f"`{standard_id}`"


def missing_standards(sheet: Mapping[str, Any], catalogue: Catalogue,
                      positions: Positions | None = None) -> Iterator[Finding]:
    """Yield a finding per applicable mandatory or recommended standard not declared."""
    declared = {item["id"] for _, item in _declarations(sheet)
                if isinstance(item.get("id"), str)}
    why: dict[str, list[Text]] = {}
    for capability, reason in applicable_capabilities(sheet).items():
        for standard_id in catalogue.standards_by_capability.get(capability, ()):
            why.setdefault(standard_id, []).append(reason)
    for standard_id in sorted(why):
        if standard_id not in declared:
            found = missing_finding(standard_id, catalogue.standards[standard_id],
                                    why[standard_id], positions)
            if found is not None:
                yield found


def missing_finding(standard_id: str, record: Mapping[str, Any], why: Sequence[Text],
                    positions: Positions | None = None) -> Finding | None:
    """Return the finding of an applicable standard not declared (None: its status asks
    for none); `why`: the reasons it applies, from `applicable_capabilities`."""
    if record.get("status") not in MISSING:
        return None
    code, severity = MISSING[record["status"]]
    message = Text(MESSAGES["missing." + record["status"]],
                   standard=_name(record, standard_id), why=Listing(why))
    hint = Text(MESSAGES["missing.hint"], id=standard_id)
    return finding(severity, code, "/standards", message, positions=positions, hint=hint)


def missing_reasons(sheet: Mapping[str, Any], catalogue: Catalogue, standard_id: str
                    ) -> list[Text]:
    """Return why one standard applies to a sheet, as `missing_standards` says it."""
    return [reason for capability, reason in applicable_capabilities(sheet).items()
            if standard_id in catalogue.standards_by_capability.get(capability, ())]


def expired_explanations(sheet: Mapping[str, Any], as_of: date,
                         positions: Positions | None = None) -> Iterator[Finding]:
    """Yield a finding per declaration whose `until` date is before as_of."""
    for i, item in _declarations(sheet):
        until = _date(item.get("until"))
        if until is None or until >= as_of:
            continue
        standard = item.get("id")
        conformance = item.get("conformance")
        what = ("explanation" if conformance == "explain"
                else "plan" if conformance == "planned" else "declaration")
        subject: Any = Text(MESSAGES["for-standard"], standard=standard) \
            if isinstance(standard, str) else ""
        message = Text(MESSAGES["lapsed." + what], subject=subject, until=until.isoformat(),
                       as_of=as_of.isoformat())
        hint = Text(MESSAGES["lapsed.hint"])
        yield finding(ERROR, "policy.explanation-expired", f"/standards/{i}/until", message,
                      positions=positions, hint=hint)


def reuse_opportunities(sheet: Mapping[str, Any], catalogue: Catalogue,
                        positions: Positions | None = None) -> Iterator[Finding]:
    """Yield a finding per built capability that an active component already provides."""
    reused = {c for _, c in _strings(_mapping(sheet.get("components")).get("reuses"))}
    for i, capability in _strings(_mapping(sheet.get("capabilities")).get("builds")):
        active = [c for c in catalogue.components_by_capability.get(capability, ())
                  if catalogue.components[c].get("status") == "active"]
        if not active or reused.intersection(active):
            continue
        quoted = [f"`{c}`" for c in active]
        message = Text(MESSAGES["reuse.one" if len(active) == 1 else "reuse.several"],
                       capability=capability, components=Listing(quoted),
                       choice=Listing(active, "or"))
        hint = Text(MESSAGES["reuse.hint"], quoted=Listing(quoted, "or"))
        yield finding(WARNING, "policy.reuse-available", f"/capabilities/builds/{i}",
                      message, positions=positions, hint=hint)


# The kind of catalogue record each finding code reads (None: no catalogue record), so
# that a catalogue change re-runs only the checks that read the changed kind.
CODE_READS: dict[str, str | None] = {
    **{code: "standard" for code, _ in MISSING.values()},
    "policy.explanation-expired": None,
    "policy.reuse-available": "component",
}


def checks_reading(sheet: Mapping[str, Any], catalogue: Catalogue, kinds: Iterable[str],
                   positions: Positions | None = None) -> Iterator[Finding]:
    """Yield the policy findings that read catalogue records of `kinds`, as `check` does."""
    kinds = set(kinds)
    if "standard" in kinds:
        yield from missing_standards(sheet, catalogue, positions)
    if "component" in kinds:
        yield from reuse_opportunities(sheet, catalogue, positions)


def check(sheet: Any, catalogue: Catalogue, positions: Positions | None = None,
          as_of: date | None = None) -> Iterator[Finding]:
    """Yield the policy findings of a sheet as of a day (today when not given)."""
    if not isinstance(sheet, Mapping):
        return
    day = as_of if as_of is not None else date.today()
    if isinstance(day, datetime):
        day = day.date()  # a date and a datetime do not compare
    yield from missing_standards(sheet, catalogue, positions)
    yield from expired_explanations(sheet, day, positions)
    yield from reuse_opportunities(sheet, catalogue, positions)
