"""Validation throughput: the registry against check-jsonschema and rdflib + pyshacl.

Run from the repository root:  .venv/bin/python -m bench.validation [--sheets 1000] [--rounds 3]

One run generates N seeded project sheets (YAML, about 5 KB each, a third invalid) in a
temporary folder and measures, each the median of --rounds runs:

a. the registry in-process: the shipped catalogue loaded once, then
   `registry.validation.pipeline.validate_bytes` on every file's bytes (read beforehand),
   one process; all three layers (structure, linked data, policy);
b. `registry validate --shipped --format json --as-of 2026-11-26 DIR` as a subprocess,
   end to end (interpreter start, imports, catalogue, worker pool on all cores, report);
   the same with `--jobs 1` for the single-core figure;
c. `check-jsonschema --schemafile schemas/project-sheet/v1.json FILES...` as a
   subprocess, end to end, with its defaults (format checks on) plus `-o json` so that
   the bench can read which files it rejects: the structure layer only;
d. rdflib JSON-LD + pyshacl, the linked-data layer only, in-process: per sheet
   `yaml.load` + `sheet_to_graph` + the vocabulary and catalogue graph (built once) +
   `pyshacl.validate` against the shapes (parsed once); timed on a subset of the sheets
   (--shacl-sheets, default 100) and extrapolated per sheet;
e. libyaml parsing alone (`yaml.load` with CSafeLoader), for reference;
f. start-up: `registry validate --shipped --as-of 2026-11-26 FILE` on one valid sheet, as
   a pre-commit hook runs it, the median of --startup-runs runs (hyperfine when it is
   installed, else a loop of subprocess runs), with the catalogue cache that the first run
   writes and again without it (REGISTRY_CACHE_DIR=off); check-jsonschema on the same file
   beside it. The registry's modules are byte-compiled first, as an installed package is,
   and the run's catalogue cache is a folder of its own in the temporary folder.

Sanity checks printed with the table: the registry finds exactly the intended third
invalid (same files, and each planted fault is reported with its code); check-jsonschema
rejects exactly the sheets with a structural fault; on the pyshacl subset, the registry's
linked-data findings (vocabulary.* and catalogue.*) agree with pyshacl's results.
Raw results go to bench/out/validation.json.

Sheets are built from the example sheets (titles, summary sentences in en/fr/nl, phase,
contact and KPI names, notes) and the shipped catalogue (concepts, standards, components),
so they are realistic in size and shape; a valid sheet declares every mandatory standard
that applies to it. Invalid sheets carry one fault (70%) or two: schema errors (unknown
field, bad enum, bad e-mail, missing field, bad pattern, wrong type, short note, empty
list), unknown concepts, unknown standards or components, a missing mandatory standard,
an expired explanation, an impossible date or dates in the wrong order.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import random
import re
import resource
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
SCHEMA = ROOT / "schemas" / "project-sheet" / "v1.json"
OUT = ROOT / "bench" / "out" / "validation.json"
BIN = Path(sys.executable).parent
AS_OF = datetime.date(2026, 11, 26)
SEED = 20261126
INVALID_SHARE = 1 / 3
TWO_FAULTS_SHARE = 0.3
TARGETS = {"in_process_per_s": 500.0, "end_to_end_vs_check_jsonschema": 10.0,
           "startup_ms": 150.0}
SUBPROCESS_TIMEOUT = 600
LANGS = ("en", "fr", "nl")
DISTRICTS = ("Anderlecht", "Auderghem", "Berchem-Sainte-Agathe", "Etterbeek", "Evere",
             "Forest", "Ganshoren", "Ixelles", "Jette", "Koekelberg", "Molenbeek",
             "Saint-Gilles", "Saint-Josse", "Schaerbeek", "Uccle", "Watermael-Boitsfort",
             "Woluwe-Saint-Lambert", "Woluwe-Saint-Pierre", "Laeken", "Neder-Over-Heembeek")
SLUG_WORDS = ("data", "hub", "sensor", "open", "mobility", "air", "noise", "waste", "portal",
              "wallet", "forms", "parking", "bike", "tram", "canal", "fibre", "wifi", "map",
              "api", "twin", "energy", "water", "light", "permit", "school", "market")
GENERIC_NOTES = (
    "The current supplier contract runs until the date given; the tender for its "
    "replacement requires this standard.",
    "Only the pilot perimeter is covered; the regional roll-out follows the standard "
    "from its first release.",
    "The team has no budget for this in the current phase; it is planned for the next "
    "budget cycle.",
    "An external audit against this standard is scheduled; findings will be fixed "
    "before the public launch.",
    "The legacy system cannot produce this format; its replacement, planned in phase "
    "two, will.",
)
BAD_IDS = {"standard": ("ngsi-ld-2", "dcat-ap-4", "wcag-3-0", "iso-27002", "gtfs-rt",
                        "openapi-4", "mqtt-5", "ogc-sta-2"),
           "component": ("smart-bxl-platform", "citydash", "brussels-iot-hub", "open-gis")}
# The fault kinds, their weight among invalid sheets, and whether the JSON Schema alone
# (check-jsonschema) can see them.
FAULTS: dict[str, tuple[float, bool]] = {
    "schema.additional-properties": (4, True),
    "schema.enum": (3, True),
    "schema.format": (3, True),
    "schema.required": (4, True),
    "schema.pattern": (3, True),
    "schema.type": (3, True),
    "schema.min-length": (3, True),
    "schema.min-items": (3, True),
    "vocabulary.unknown-concept": (15, False),
    "catalogue.unknown-standard": (10, False),
    "catalogue.unknown-component": (5, False),
    "policy.mandatory-missing": (12, False),
    "policy.explanation-expired": (12, False),
    "sheet.invalid-date": (10, True),
    "sheet.date-order": (10, False),
}


# --- YAML text -------------------------------------------------------------------------

class Raw(str):
    """A scalar written as is, unquoted (e.g. a bare impossible date such as 2026-02-30)."""


_YAML_WORDS = {"y", "n", "yes", "no", "on", "off", "true", "false", "null", "~"}
_FLOW_UNSAFE = set(",[]{}")


def _plain_ok(text: str, flow: bool) -> bool:
    """Return True when a string can be written as a plain YAML scalar and read back."""
    return bool(text) and text[0].isalpha() and text == text.strip() \
        and ": " not in text and " #" not in text and not text.endswith(":") \
        and text.lower() not in _YAML_WORDS and "\n" not in text \
        and not (flow and _FLOW_UNSAFE & set(text))


def _scalar(value: Any, flow: bool = False) -> str:
    if isinstance(value, Raw):
        return str(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, datetime.date):
        return value.isoformat()
    text = str(value)
    return text if _plain_ok(text, flow) else json.dumps(text, ensure_ascii=False)


def emit(mapping: Mapping[str, Any], indent: int = 0) -> list[str]:
    """Return the lines of a mapping written as a person writes a sheet.

    Block mappings, lists of scalars in flow style, lists of objects in block style,
    long texts folded (`>-`).
    """
    pad = " " * indent
    lines: list[str] = []
    for key, value in mapping.items():
        if isinstance(value, Mapping):
            lines.append(f"{pad}{key}:")
            lines.extend(emit(value, indent + 2))
        elif isinstance(value, list) and value and all(isinstance(v, Mapping) for v in value):
            lines.append(f"{pad}{key}:")
            for item in value:
                sub = emit(item, indent + 4)
                lines.append(f"{pad}  - {sub[0].lstrip()}")
                lines.extend(sub[1:])
        elif isinstance(value, list):
            lines.append(f"{pad}{key}: [{', '.join(_scalar(v, flow=True) for v in value)}]")
        elif isinstance(value, str) and not isinstance(value, Raw) \
                and indent + len(key) + len(value) > 96:
            lines.append(f"{pad}{key}: >-")
            lines.extend(f"{pad}  {line}" for line in textwrap.wrap(
                value, width=max(40, 90 - indent), break_on_hyphens=False,
                break_long_words=False))
        else:
            lines.append(f"{pad}{key}: {_scalar(value)}")
    return lines


def to_yaml(sheet: Mapping[str, Any]) -> str:
    """Return the YAML text of a sheet, with the schema comment that editors read."""
    header = "# yaml-language-server: $schema=http://localhost:5000/schemas/project-sheet/v1.json"
    return "\n".join([header, *emit(sheet)]) + "\n"


# --- material: the examples and the shipped catalogue ----------------------------------

@dataclass
class Material:
    """What sheets are made of: texts from the examples, ids from the catalogue."""

    titles: list[dict[str, str]] = field(default_factory=list)
    sentences: dict[str, list[str]] = field(default_factory=dict)
    phases: list[str] = field(default_factory=list)
    contacts: list[str] = field(default_factory=list)
    kpis: list[tuple[dict[str, str], str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    concepts: dict[str, list[str]] = field(default_factory=dict)
    standards: dict[str, dict[str, Any]] = field(default_factory=dict)
    components: list[str] = field(default_factory=list)


def load_material(catalogue: Any) -> Material:
    """Collect texts from examples/*.yaml and ids from the catalogue snapshot."""
    m = Material(sentences={lang: [] for lang in LANGS})
    for path in sorted(EXAMPLES.glob("*.yaml")):
        sheet = yaml.load(path.read_bytes(), Loader=yaml.CSafeLoader)
        if all(lang in sheet["title"] for lang in LANGS):
            m.titles.append({lang: sheet["title"][lang] for lang in LANGS})
        for lang, text in sheet["summary"].items():
            if lang in m.sentences:
                m.sentences[lang].extend(
                    s for s in re.split(r"(?<=\.)\s+(?=[A-ZÀ-Ý])", " ".join(text.split()))
                    if len(s) > 30)
        m.phases.extend(p["name"] for p in sheet["timeline"].get("phases", ()))
        m.contacts.append(sheet["owner"]["contact"]["name"])
        m.kpis.extend((k["name"], k["unit"]) for k in sheet.get("kpis", ())
                      if all(lang in k["name"] for lang in LANGS))
        m.notes.extend(d["note"] for d in sheet.get("standards", ()) if len(d.get("note", "")) >= 20)
    m.notes.extend(GENERIC_NOTES)
    for scheme, concepts in catalogue.concepts.items():
        m.concepts[scheme] = sorted(c.id for c in concepts.values() if not c.deprecated)
    m.standards = {k: v for k, v in catalogue.standards.items()
                   if v.get("status") in ("mandatory", "recommended", "candidate")}
    m.components = sorted(k for k, v in catalogue.components.items()
                          if v.get("status") == "active")
    return m


# --- sheets ----------------------------------------------------------------------------

def _date(rng: random.Random, first: datetime.date, last: datetime.date) -> datetime.date:
    return first + datetime.timedelta(days=rng.randint(0, (last - first).days))


def _slug(rng: random.Random, n: int) -> str:
    return "-".join(rng.sample(SLUG_WORDS, n))


def _summary(rng: random.Random, m: Material, lang: str, sentences: int) -> str:
    return " ".join(rng.sample(m.sentences[lang], min(sentences, len(m.sentences[lang]))))


def _applicable(sheet: Mapping[str, Any], m: Material, status: str) -> list[str]:
    caps = set(sheet["capabilities"]["needs"]) | set(sheet["capabilities"].get("builds", ()))
    if sheet["data"]["open_data"]:
        caps.add("open-data-publication")
    if sheet["data"]["personal_data"]:
        caps.add("personal-data-processing")
    return sorted(k for k, v in m.standards.items()
                  if v.get("status") == status and caps & set(v.get("applies_to", ())))


def _declaration(rng: random.Random, m: Material, standard: str) -> dict[str, Any]:
    conformance = rng.choices(("complies", "partial", "planned", "explain"), (6, 2, 1, 1))[0]
    out: dict[str, Any] = {"id": standard, "conformance": conformance}
    if conformance != "complies":
        out["note"] = rng.choice(m.notes)
    if conformance in ("planned", "explain"):
        out["until"] = _date(rng, datetime.date(2027, 1, 1), datetime.date(2030, 12, 31))
    return out


def make_sheet(rng: random.Random, m: Material, index: int) -> dict[str, Any]:
    """Return one valid sheet (as data, in the order a person writes the fields)."""
    owner = rng.choice(m.concepts["organisations"])
    district = rng.choice(DISTRICTS)
    title = rng.choice(m.titles)
    slug = f"{_slug(rng, 2)}-{district.lower().split('-')[0]}-{index:04d}"
    sheet: dict[str, Any] = {"sheet": "project-sheet/v1", "id": slug,
                             "title": {lang: f"{title[lang]} ({district})" for lang in LANGS}}
    summary = {lang: _summary(rng, m, lang, rng.randint(3, 5)) for lang in LANGS}
    if rng.random() < 0.1:  # only a warning
        del summary[rng.choice(("fr", "nl"))]
    sheet["summary"] = summary
    sheet["owner"] = {"organisation": owner, "contact": {
        "name": rng.choice(m.contacts),
        "email": f"{_slug(rng, 2)}@{owner}.example.brussels"}}
    partners = rng.sample([o for o in m.concepts["organisations"] if o != owner], rng.randint(0, 3))
    if partners:
        sheet["partners"] = partners
    sheet["status"] = rng.choice(("proposed", "selected", "in-progress", "delivered", "stopped"))
    if rng.random() < 0.1:
        sheet["x-funding"] = "ERDF 2021-2027, priority 1"
    sheet["domains"] = rng.sample(m.concepts["domains"], rng.randint(1, 3))
    sheet["data_themes"] = rng.sample(m.concepts["data-themes"], rng.randint(1, 3))
    start = _date(rng, datetime.date(2022, 1, 1), datetime.date(2027, 6, 30))
    end = start + datetime.timedelta(days=rng.randint(365, 5 * 365))
    cuts = sorted(_date(rng, start + datetime.timedelta(days=30), end - datetime.timedelta(days=30))
                  for _ in range(rng.randint(1, 3)))
    bounds = [start, *cuts, end]
    phases = [{"name": rng.choice(m.phases), "start": bounds[i] if i == 0
               else bounds[i] + datetime.timedelta(days=1), "end": bounds[i + 1]}
              for i in range(len(bounds) - 1) if bounds[i] < bounds[i + 1]]
    sheet["timeline"] = {"start": start, "end": end, "phases": phases}
    if rng.random() < 0.8:
        sheet["budget_eur"] = rng.randint(5, 800) * 10_000
    caps = m.concepts["capabilities"]
    needs = rng.sample(caps, rng.randint(1, 5))
    builds = rng.sample([c for c in caps if c not in needs], rng.randint(0, 2))
    sheet["capabilities"] = {"needs": needs, **({"builds": builds} if builds else {})}
    components: dict[str, Any] = {}
    if rng.random() < 0.7:
        components["reuses"] = rng.sample(m.components, rng.randint(1, 3))
    if rng.random() < 0.4:
        components["provides"] = [f"{_slug(rng, 2)}-service"]
    if components:
        sheet["components"] = components
    entities = m.concepts["data-entities"]
    uses, produces = rng.sample(entities, rng.randint(1, 3)), rng.sample(entities, rng.randint(0, 2))
    sheet["data"] = {"uses": uses, **({"produces": produces} if produces else {}),
                     "personal_data": rng.random() < 0.3, "open_data": rng.random() < 0.6}
    declared = _applicable(sheet, m, "mandatory")
    extra = _applicable(sheet, m, "recommended") + _applicable(sheet, m, "candidate")
    declared += [s for s in extra if rng.random() < 0.7]
    others = [s for s in m.standards if s not in declared]
    declared += rng.sample(others, max(0, rng.randint(7, 11) - len(declared)))
    sheet["standards"] = [_declaration(rng, m, s) for s in declared]
    kpis = []
    for number, (name, unit) in enumerate(rng.sample(m.kpis, rng.randint(2, 3))):
        target = rng.randint(1, 100) if unit == "%" else rng.randint(5, 5000)
        kpis.append({"id": f"{_slug(rng, 1)}-kpi-{number + 1}", "name": dict(name), "unit": unit,
                     "baseline": 0, "target": target, "due": end})
    sheet["kpis"] = kpis
    sheet["links"] = {"homepage": f"https://{owner}.example.brussels/{slug}",
                      "repository": f"https://git.example.brussels/{owner}/{slug}"}
    return sheet


# --- faults ----------------------------------------------------------------------------

def _typo(rng: random.Random, word: str, known: Iterable[str]) -> str:
    known = set(known)
    for _ in range(50):
        i = rng.randrange(1, len(word) - 1)
        candidate = word[:i] + word[i + 1:] if rng.random() < 0.5 else word[:i] + word[i] + word[i:]
        if candidate not in known:
            return candidate
    return word + "x"


def add_fault(rng: random.Random, m: Material, sheet: dict[str, Any], kind: str) -> None:
    """Plant one fault of a kind (a key of FAULTS) in a valid sheet."""
    declarations = sheet["standards"]
    # Each kind touches its own fields, so that two faults in one sheet never hide each other.
    if kind == "schema.additional-properties":  # a typo in a field name
        sheet["partner"] = sheet.pop("partners", [rng.choice(m.concepts["organisations"])])
    elif kind == "schema.enum":
        sheet["status"] = rng.choice(("ongoing", "planned", "done", "In progress"))
    elif kind == "schema.format":
        sheet["owner"]["contact"]["email"] = sheet["owner"]["contact"]["email"].replace("@", ".")
    elif kind == "schema.required":
        target = rng.choice(("summary", "unit", "target"))
        if target == "summary":
            del sheet["summary"]
        else:
            del sheet["kpis"][-1][target]
    elif kind == "schema.pattern":
        sheet["id"] = sheet["id"].replace("-", "_").title()
    elif kind == "schema.type":
        if rng.random() < 0.5:
            sheet["budget_eur"] = f"{rng.randint(1, 9)}.{rng.randint(0, 9)} M EUR"
        else:
            sheet["timeline"]["phases"][0]["name"] = Raw("1.10")
    elif kind == "schema.min-length":
        target = rng.choice(declarations)
        if target["conformance"] == "complies":
            target["conformance"] = "partial"
        target["note"] = rng.choice(("To do.", "See plan.", "Later.", "WIP"))
        target["short"] = True  # marks it for the other faults; removed before writing
    elif kind == "schema.min-items":
        sheet["domains"] = []
    elif kind == "vocabulary.unknown-concept":
        where = rng.choice(("needs", "uses", "organisation", "data_themes"))
        if where == "organisation":
            org = sheet["owner"]["organisation"]
            sheet["owner"]["organisation"] = _typo(rng, org, m.concepts["organisations"])
        elif where == "needs":  # added, not changed: which standards apply stays the same
            sheet["capabilities"]["needs"].append(
                _typo(rng, rng.choice(m.concepts["capabilities"]), m.concepts["capabilities"]))
        elif where == "data_themes":
            sheet["data_themes"][0] = rng.choice(("TRANS", "ENV", "MOBI", "GOV"))
        else:
            sheet["data"]["uses"].append(_typo(rng, rng.choice(m.concepts["data-entities"]),
                                               m.concepts["data-entities"]))
    elif kind == "catalogue.unknown-standard":
        bad = rng.choice([s for s in BAD_IDS["standard"] if s not in m.standards])
        declarations.insert(rng.randrange(len(declarations) + 1),
                            {"id": bad, "conformance": "complies"})
    elif kind == "catalogue.unknown-component":
        sheet.setdefault("components", {}).setdefault("reuses", []).append(
            rng.choice(BAD_IDS["component"]))
    elif kind == "policy.mandatory-missing":
        mandatory = _applicable(sheet, m, "mandatory")
        if not mandatory:
            standard = rng.choice([s for s, v in m.standards.items()
                                   if v.get("status") == "mandatory"])
            capability = rng.choice(m.standards[standard]["applies_to"])
            if capability not in sheet["capabilities"]["needs"]:
                sheet["capabilities"]["needs"].append(capability)
            mandatory = _applicable(sheet, m, "mandatory")
        missing = rng.choice(mandatory)
        # Leave out every declaration of it (and of nothing else).
        sheet["standards"] = [d for d in declarations if d["id"] != missing]
    elif kind == "policy.explanation-expired":
        target = rng.choice([d for d in sheet["standards"] if not d.get("short")])
        if target["conformance"] not in ("planned", "explain"):
            target["conformance"] = rng.choice(("planned", "explain"))
            target["note"] = rng.choice(m.notes)
        target["until"] = _date(rng, datetime.date(2024, 1, 1), datetime.date(2026, 10, 31))
    elif kind == "sheet.invalid-date":
        bad = rng.choice(("2026-02-30", "2027-04-31", "2025-13-01", "2026-06-31", "2027-02-29"))
        value: Any = Raw(bad) if rng.random() < 0.5 else bad  # bare or quoted
        where = rng.choice(("kpi", "phase"))
        if where == "kpi":
            sheet["kpis"][0]["due"] = value
        else:
            sheet["timeline"]["phases"][-1]["end"] = value
    elif kind == "sheet.date-order":
        timeline = sheet["timeline"]
        if rng.random() < 0.5:  # the timeline ends before it starts
            timeline["start"], timeline["end"] = timeline["end"], timeline["start"]
        else:  # the first phase starts before the timeline
            phase = timeline["phases"][0]
            phase["start"] = timeline["start"] - datetime.timedelta(days=rng.randint(30, 400))
    else:
        raise ValueError(kind)


@dataclass
class Generated:
    """The sheets of one run, their files and what was planted in them."""

    folder: Path
    files: list[Path]
    data: list[bytes]
    faults: list[list[str]]  # per file: the fault kinds planted ([] for a valid sheet)

    @property
    def invalid(self) -> set[str]:
        """Return the names of the files meant to be invalid."""
        return {f.name for f, k in zip(self.files, self.faults, strict=True) if k}

    @property
    def structural(self) -> set[str]:
        """Return the names of the files with a fault that the JSON Schema alone can see."""
        return {f.name for f, k in zip(self.files, self.faults, strict=True)
                if any(FAULTS[x][1] for x in k)}


def generate(n: int, folder: Path, m: Material, seed: int = SEED) -> Generated:
    """Write n sheets to folder; a third of them (exactly round(n / 3)) invalid."""
    rng = random.Random(seed)
    invalid = set(rng.sample(range(n), round(n * INVALID_SHARE)))
    kinds, weights = list(FAULTS), [w for w, _ in FAULTS.values()]
    order = list(FAULTS)
    files, data, faults = [], [], []
    for i in range(n):
        sheet = make_sheet(rng, m, i)
        planted: list[str] = []
        if i in invalid:
            count = 2 if rng.random() < TWO_FAULTS_SHARE else 1
            while len(planted) < count:
                kind = rng.choices(kinds, weights)[0]
                if kind not in planted:
                    planted.append(kind)
            # Remove a declaration before another fault picks one to change.
            planted.sort(key=lambda k: (k != "policy.mandatory-missing", order.index(k)))
            for kind in planted:
                add_fault(rng, m, sheet, kind)
            for declaration in sheet["standards"]:
                declaration.pop("short", None)
        path = folder / f"sheet-{i:04d}.yaml"
        text = to_yaml(sheet).encode("utf-8")
        path.write_bytes(text)
        files.append(path)
        data.append(text)
        faults.append(planted)
    return Generated(folder, files, data, faults)


# --- measurements ----------------------------------------------------------------------

@dataclass
class Row:
    """One measured tool: how to run it once, and its timed rounds."""

    tool: str
    checks: str
    sheets: int
    run: Callable[[], Any]
    compare_to: str | None = None  # the row whose rate this one is compared with
    note: str = ""
    extrapolated_to: int | None = None
    rounds: list[float] = field(default_factory=list)
    last: Any = None  # what the last round returned

    @property
    def seconds(self) -> float:
        """Return the median wall time of the rounds."""
        return statistics.median(self.rounds)

    @property
    def rate(self) -> float:
        """Return sheets per second."""
        return self.sheets / self.seconds

    def once(self) -> None:
        """Run the tool once and record its wall time."""
        start = time.perf_counter()
        self.last = self.run()
        self.rounds.append(time.perf_counter() - start)


def _burn(n: int) -> int:
    total = 0
    for i in range(n):
        total += i
    return total


def busy_share(interval: float = 2.0) -> float | None:
    """Return the share of CPU time that something was using over `interval` seconds.

    Read from /proc/stat (Linux); None elsewhere.
    """
    def sample() -> tuple[int, int]:
        with open("/proc/stat", encoding="ascii") as handle:
            values = [int(v) for v in handle.readline().split()[1:]]
        return sum(values), values[3] + values[4]  # total, idle + iowait

    try:
        total0, idle0 = sample()
        time.sleep(interval)
        total1, idle1 = sample()
    except (OSError, ValueError, IndexError):
        return None
    return 1 - (idle1 - idle0) / max(1, total1 - total0)


def wait_quiet(limit: float, threshold: float = 0.15) -> float | None:
    """Wait (at most `limit` seconds) until the CPUs are busy less than `threshold`."""
    deadline = time.monotonic() + limit
    busy = busy_share()
    while busy is not None and busy >= threshold and time.monotonic() < deadline:
        print(f"  the machine is {busy:.0%} busy: waiting ...", flush=True)
        time.sleep(8)
        busy = busy_share()
    return busy


def cpu_probe(work: int = 3_000_000) -> dict[str, Any]:
    """Return the load average and how much faster all cores run a CPU-bound task than one.

    Other jobs on the machine show up as a speedup well below the number of cores; the
    end-to-end registry figure (which uses every core) then reads low.
    """
    import multiprocessing

    cores = os.cpu_count() or 1
    start = time.perf_counter()
    for _ in range(cores):
        _burn(work)
    serial = time.perf_counter() - start
    with multiprocessing.get_context("fork").Pool(cores) as pool:
        pool.map(_burn, [1000] * cores)  # start the workers before timing
        start = time.perf_counter()
        pool.map(_burn, [work] * cores, chunksize=1)
        parallel = time.perf_counter() - start
    return {"cores": cores, "loadavg": os.getloadavg(), "busy_before": busy_share(1.0),
            "parallel_speedup": serial / parallel}


def _lenient_loader() -> type:
    """Return a CSafeLoader that keeps an impossible date (2026-02-30) as its string.

    Plain PyYAML raises on such a date, which would stop the pyshacl run; the registry's
    own parser does the same (dates stay strings and the structure layer reports them).
    """
    class Lenient(yaml.CSafeLoader):  # type: ignore[misc, name-defined]
        pass

    def timestamp(loader: Any, node: Any) -> Any:
        try:
            return yaml.constructor.SafeConstructor.construct_yaml_timestamp(loader, node)
        except ValueError:
            return loader.construct_scalar(node)

    Lenient.add_constructor("tag:yaml.org,2002:timestamp", timestamp)
    return Lenient


def registry_in_process(gen: Generated) -> tuple[Row, dict[str, Any]]:
    """(a) validate_bytes on every sheet in this process, catalogue loaded once."""
    from registry.catalogue.files import load_catalogue, shipped_root
    from registry.validation.pipeline import validate_bytes

    start = time.perf_counter()
    catalogue = load_catalogue(shipped_root())
    loaded = time.perf_counter() - start
    validate_bytes(gen.data[0], catalogue, as_of=AS_OF, path="warm-up")  # schema, rule table
    warm = time.perf_counter() - start - loaded
    pairs = list(zip(gen.data, [f.name for f in gen.files], strict=True))

    def run() -> list[Any]:
        return [validate_bytes(b, catalogue, as_of=AS_OF, path=n) for b, n in pairs]

    row = Row("registry, in-process", "structure + linked data + policy", len(pairs), run,
              note=f"catalogue loaded once ({loaded:.2f} s) and first sheet ({warm:.2f} s: "
              "schema, rule table) not timed; one process")
    return row, {"catalogue_load_s": loaded, "first_sheet_s": warm}


def _run(cmd: list[str], env: Mapping[str, str] | None = None
         ) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(cmd, cwd=ROOT, capture_output=True, timeout=SUBPROCESS_TIMEOUT,
                          check=False, env=None if env is None else {**os.environ, **env})


def registry_cli(gen: Generated, jobs: int | None) -> Row:
    """(b) `registry validate --shipped --format json` on the folder, as a subprocess."""
    cmd = [str(BIN / "registry"), "validate", "--shipped", "--format", "json",
           "--as-of", AS_OF.isoformat(), str(gen.folder)]
    if jobs:
        cmd[2:2] = ["--jobs", str(jobs)]
    cores = f"{jobs} core" if jobs else f"all {os.cpu_count()} cores"
    return Row("registry validate" + (f" --jobs {jobs}" if jobs else ""),
               "structure + linked data + policy", len(gen.files), lambda: _run(cmd),
               compare_to="registry validate" if jobs else None,
               note=f"subprocess, end to end, {cores}: {' '.join(cmd[1:-1])} DIR")


def cli_result(row: Row) -> dict[str, Any]:
    """Return the exit code, summary and invalid file names of a registry validate run."""
    proc = row.last
    if proc.returncode not in (0, 1):
        raise RuntimeError(f"registry validate failed ({proc.returncode}): "
                           f"{proc.stderr.decode()[-2000:]}")
    report = json.loads(proc.stdout)
    return {"exit_code": proc.returncode, "summary": report["summary"],
            "invalid": {Path(f["path"]).name for f in report["files"] if not f["valid"]}}


def check_jsonschema(gen: Generated) -> Row | None:
    """(c) check-jsonschema with the same JSON Schema on the same files, as a subprocess."""
    exe = BIN / "check-jsonschema"
    if not exe.exists():
        found = shutil.which("check-jsonschema")
        if found is None:
            return None
        exe = Path(found)
    cmd = [str(exe), "--schemafile", str(SCHEMA.relative_to(ROOT)), "-o", "json",
           *map(str, gen.files)]
    version = metadata.version("check-jsonschema")
    return Row(f"check-jsonschema {version}", "structure (JSON Schema)", len(gen.files),
               lambda: _run(cmd), compare_to="registry validate",
               note=f"subprocess, end to end, one process: {' '.join(cmd[1:5])} FILES...")


def _median_ms(cmd: list[str], runs: int, env: Mapping[str, str] | None = None
               ) -> tuple[float, float, str]:
    """Return a command's median wall time and mean CPU time (user + system) in
    milliseconds, and what measured them. CPU time says what a run costs even when other
    jobs share the machine and stretch the wall time. `env`: variables set for the command."""
    hyperfine = shutil.which("hyperfine")
    if hyperfine:
        with tempfile.TemporaryDirectory(prefix="bench-startup-") as tmp:
            out = Path(tmp) / "hyperfine.json"
            # -N: no intermediate shell, so its start is not counted; -i: exit 1 is an answer.
            subprocess.run([hyperfine, "-N", "-i", "--warmup", "3", "--runs", str(runs),
                            "--export-json", str(out), shlex.join(cmd)], cwd=ROOT,
                           capture_output=True, timeout=SUBPROCESS_TIMEOUT, check=True,
                           env=None if env is None else {**os.environ, **env})
            result = json.loads(out.read_text(encoding="utf-8"))["results"][0]
            return (result["median"] * 1000, (result["user"] + result["system"]) * 1000,
                    "hyperfine")
    for _ in range(3):  # warm-up: the OS file cache, the catalogue cache
        _run(cmd, env)
    times = []
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    for _ in range(runs):
        start = time.perf_counter()
        _run(cmd, env)
        times.append(time.perf_counter() - start)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime) / runs
    return statistics.median(times) * 1000, cpu * 1000, "subprocess loop"


def startup(gen: Generated, runs: int) -> dict[str, Any]:
    """(f) Time `registry validate --shipped FILE` on one valid sheet, start to answer."""
    sheet = next(f for f in gen.files if f.name not in gen.invalid)
    cmd = [str(BIN / "registry"), "validate", "--shipped", "--as-of", AS_OF.isoformat(),
           str(sheet)]
    done = _run(cmd)
    if done.returncode != 0:
        raise RuntimeError(f"registry validate {sheet.name} failed: {done.stdout[-500:]!r}")
    # As a hook runs it: the first run saved the checked catalogue in the cache
    # (registry.catalogue.cache), later runs read it from there.
    ms, cpu, how = _median_ms(cmd, runs)
    # Without the cache: every run parses and checks the 160 catalogue files.
    cold_ms, cold_cpu, _ = _median_ms(cmd, runs, {"REGISTRY_CACHE_DIR": "off"})
    result: dict[str, Any] = {"registry_ms": ms, "registry_cpu_ms": cpu, "measured_with": how,
                              "registry_no_cache_ms": cold_ms,
                              "registry_no_cache_cpu_ms": cold_cpu,
                              "runs": runs, "command": "registry validate --shipped --as-of "
                                                       f"{AS_OF.isoformat()} FILE"}
    # What the interpreter alone costs on this machine now: the floor of any Python tool.
    result["python_ms"], result["python_cpu_ms"], _ = _median_ms([sys.executable, "-c", "pass"],
                                                                 runs)
    exe = BIN / "check-jsonschema"
    if exe.exists():
        cjs = [str(exe), "--schemafile", str(SCHEMA.relative_to(ROOT)), str(sheet)]
        result["check_jsonschema_ms"], result["check_jsonschema_cpu_ms"], _ = \
            _median_ms(cjs, runs)
    return result


def check_jsonschema_result(row: Row) -> dict[str, Any]:
    """Return the exit code and the names of the files check-jsonschema rejected."""
    proc = row.last
    report = json.loads(proc.stdout)
    invalid = {Path(e["filename"]).name for e in report.get("errors", ())}
    invalid |= {Path(e["filename"]).name for e in report.get("parse_errors", ())}
    return {"exit_code": proc.returncode, "invalid": invalid}


def pyshacl_run(gen: Generated, subset: int) -> tuple[Row, Callable[[list[Any]], list[Any]]]:
    """(d) rdflib JSON-LD + pyshacl on the first `subset` sheets: linked data only.

    Returns the row and a function that turns the row's results into the (severity,
    code) pairs of each sheet, codes read from the shapes' reg:code.
    """
    import pyshacl
    from rdflib import SH, URIRef

    from registry.catalogue.files import load_catalogue, shipped_root
    from registry.linked_data.context import sheet_to_graph
    from registry.linked_data.graph import catalogue_ids_graph, shapes_graph, vocabularies_graph
    from registry.linked_data.iris import DEFAULT_BASE

    catalogue = load_catalogue(shipped_root())
    shapes = shapes_graph(DEFAULT_BASE)
    reference = vocabularies_graph(catalogue) + catalogue_ids_graph(catalogue)
    code_of = URIRef(DEFAULT_BASE + "def/code")
    loader = _lenient_loader()
    data = gen.data[:subset]

    def one(text: bytes) -> Any:
        graph = sheet_to_graph(yaml.load(text, Loader=loader))  # noqa: S506 - a safe loader
        graph += reference  # the vocabularies and catalogue ids that SHACL looks up
        return pyshacl.validate(graph, shacl_graph=shapes, inference="none",
                                allow_warnings=True, advanced=False, meta_shacl=False)[1]

    def codes(results: list[Any]) -> list[set[tuple[str, str]]]:
        out = []
        for graph in results:
            found: set[tuple[str, str]] = set()
            for result in graph.objects(None, SH.result):
                shape = graph.value(result, SH.sourceShape)
                severity = "error" if graph.value(result, SH.resultSeverity) == SH.Violation \
                    else "warning"
                found.add((severity, str(shapes.value(shape, code_of))))
            out.append(found)
        return out

    row = Row("rdflib JSON-LD + pyshacl", "linked data (SHACL)", len(data),
              lambda: [one(t) for t in data], compare_to="registry, in-process",
              extrapolated_to=len(gen.files),
              note=f"in-process, {len(data)} of {len(gen.files)} sheets, rate extrapolated; "
              "shapes and vocabulary/catalogue graph built once, not timed")
    return row, codes


def libyaml(gen: Generated) -> Row:
    """(e) parsing alone with libyaml, for reference."""
    loader = _lenient_loader()
    return Row("PyYAML CSafeLoader (libyaml)", "YAML parsing only", len(gen.files),
               lambda: [yaml.load(b, Loader=loader) for b in gen.data],  # noqa: S506
               compare_to="registry, in-process", note="in-process, reference")


# --- report ----------------------------------------------------------------------------

def _linked_codes(report: Any) -> set[tuple[str, str]]:
    return {(f.severity, f.code) for f in report.findings
            if f.code.startswith(("vocabulary.", "catalogue."))}


def sanity(gen: Generated, reports: list[Any], cli: dict[str, Any],
           cjs: dict[str, Any], shacl: list[set[tuple[str, str]]]) -> dict[str, Any]:
    """Compare what each tool rejected with what was planted."""
    intended = gen.invalid
    found = {r.path for r in reports if not r.valid}
    missed: list[str] = []  # planted faults whose code the registry did not report
    for path, kinds, report in zip(gen.files, gen.faults, reports, strict=True):
        codes = {f.code for f in report.findings if f.severity == "error"}
        missed.extend(f"{path.name}: {k} (got {sorted(codes)})" for k in kinds if k not in codes)
    out: dict[str, Any] = {
        "intended_invalid": len(intended),
        "registry_invalid_in_process": len(found),
        "registry_same_files": found == intended,
        "registry_cli_invalid": len(cli["invalid"]),
        "registry_cli_same_files": cli["invalid"] == intended,
        "planted_faults": sum(len(k) for k in gen.faults),
        "planted_faults_reported": sum(len(k) for k in gen.faults) - len(missed),
        "planted_faults_missed": missed[:20],
        "fault_kinds": dict(sorted(Counter(k for ks in gen.faults for k in ks).items())),
        "unexpected_invalid": sorted(found - intended)[:20],
        "unexpected_valid": sorted(intended - found)[:20],
    }
    if "invalid" in cjs:
        structural = gen.structural
        out |= {"structural_invalid": len(structural),
                "check_jsonschema_invalid": len(cjs["invalid"]),
                "check_jsonschema_same_files": cjs["invalid"] == structural,
                "check_jsonschema_extra": sorted(cjs["invalid"] - structural)[:20],
                "check_jsonschema_missed": sorted(structural - cjs["invalid"])[:20]}
    verdicts = same_codes = 0
    disagreements: list[str] = []
    for report, theirs in zip(reports, shacl, strict=False):
        ours = _linked_codes(report)
        verdicts += any(s == "error" for s, _ in ours) == any(s == "error" for s, _ in theirs)
        same_codes += ours == theirs
        if ours != theirs:
            disagreements.append(f"{report.path}: registry {sorted(ours)} pyshacl {sorted(theirs)}")
    out |= {"shacl_subset": len(shacl), "shacl_verdicts_agree": verdicts,
            "shacl_codes_agree": same_codes,
            "shacl_subset_invalid_linked_data": sum(
                any(s == "error" for s, _ in t) for t in shacl),
            "shacl_disagreements": disagreements[:20]}
    return out


def table(rows: list[Row]) -> str:
    """Return the result table as text."""
    by_tool = {r.tool: r for r in rows}
    head = ("tool", "checks", "sheets", "wall s", "sheets/s", "vs registry")
    lines = []
    for r in rows:
        ref = by_tool.get(r.compare_to or "")
        ratio = f"registry {ref.rate / r.rate:,.1f}x faster ({ref.tool})" if ref else "-"
        if r.compare_to == "registry validate" and r.tool.startswith("registry"):
            ratio = f"all cores are {ref.rate / r.rate:,.2f}x as fast" if ref else "-"
        if ref and r.tool.startswith("PyYAML"):
            ratio = f"parsing is {r.seconds / ref.seconds:.0%} of the registry's time"
        sheets = f"{r.sheets}" + (f" (-> {r.extrapolated_to}: {r.extrapolated_to / r.rate:.1f} s)"
                                  if r.extrapolated_to else "")
        lines.append((r.tool, r.checks, sheets, f"{r.seconds:.3f}", f"{r.rate:,.0f}", ratio))
    widths = [max(len(x[i]) for x in [head, *lines]) for i in range(len(head))]
    fmt = "  ".join(f"{{:<{w}}}" for w in widths)
    out = [fmt.format(*head), fmt.format(*("-" * w for w in widths))]
    out += [fmt.format(*line) for line in lines]
    return "\n".join(out)


def _versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for name in ("registry", "jsonschema", "PyYAML", "rdflib", "pyshacl", "check-jsonschema"):
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark, print the table and the checks, write bench/out/validation.json."""
    parser = argparse.ArgumentParser(prog="python -m bench.validation",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("--sheets", type=int, default=1000, help="sheets to generate (1000)")
    parser.add_argument("--rounds", type=int, default=3, help="runs per measure; median (3)")
    parser.add_argument("--shacl-sheets", type=int, default=100,
                        help="sheets timed with pyshacl, rate extrapolated (100)")
    parser.add_argument("--startup-runs", type=int, default=30,
                        help="runs of the one-sheet start-up measure; median (30)")
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--startup-only", action="store_true",
                        help="measure only the one-sheet start-up (f) and print it")
    parser.add_argument("--keep", type=Path, help="also copy the generated sheets to this folder")
    parser.add_argument("--check", action="store_true",
                        help="exit 1 when a target is missed or a correctness check fails")
    parser.add_argument("--wait-quiet", type=float, default=0, metavar="SECONDS",
                        help="first wait up to SECONDS until other jobs leave the CPUs idle")
    args = parser.parse_args(argv)
    if args.sheets < 3 or args.rounds < 1 or args.shacl_sheets < 1:
        parser.error("need --sheets >= 3, --rounds >= 1, --shacl-sheets >= 1")

    import compileall

    from registry.catalogue.files import load_catalogue, shipped_root

    started = time.perf_counter()
    # Byte-compiled as pip compiles an installed package: an editable install run with
    # PYTHONDONTWRITEBYTECODE=1 would compile every module from source at each start.
    compileall.compile_dir(str(ROOT / "registry"), quiet=1)
    with tempfile.TemporaryDirectory(prefix="bench-validation-") as tmp:
        # The catalogue cache of this run (and of the commands it starts) is its own.
        os.environ["REGISTRY_CACHE_DIR"] = str(Path(tmp) / "cache")
        material = load_material(load_catalogue(shipped_root()))
        gen = generate(args.sheets, Path(tmp), material, args.seed)
        if args.keep:
            shutil.copytree(gen.folder, args.keep, dirs_exist_ok=True)
        sizes = [len(b) for b in gen.data]
        print(f"{len(gen.files)} sheets in {gen.folder}: mean {statistics.mean(sizes):,.0f} bytes "
              f"(min {min(sizes):,}, max {max(sizes):,}), {len(gen.invalid)} meant invalid, "
              f"{len(gen.structural)} of them with a structural fault; as of {AS_OF}; "
              f"{os.cpu_count()} cores; median of {args.rounds} rounds", flush=True)

        if args.wait_quiet > 0:
            wait_quiet(args.wait_quiet)
        if args.startup_only:
            load = os.getloadavg()
            result = startup(gen, max(1, args.startup_runs))
            print(f"start-up (median wall, mean CPU of {result['runs']} runs, "
                  f"{result['measured_with']}; load average {load[0]:.1f} before, "
                  f"{os.getloadavg()[0]:.1f} after):")
            for label, key in (("registry validate --shipped, cache", "registry"),
                               ("the same, REGISTRY_CACHE_DIR=off", "registry_no_cache"),
                               ("check-jsonschema, same sheet", "check_jsonschema"),
                               ("python -c pass", "python")):
                if f"{key}_ms" in result:
                    print(f"  {label:<38} {result[f'{key}_ms']:7.0f} ms "
                          f"{result[f'{key}_cpu_ms']:6.0f} ms CPU")
            if "check_jsonschema_cpu_ms" in result:
                print(f"  CPU ratio check-jsonschema / registry: "
                      f"{result['check_jsonschema_cpu_ms'] / result['registry_cpu_ms']:.1f}x")
            return 0
        probe = cpu_probe()
        busy = probe["busy_before"]
        print(f"CPU check: load average {probe['loadavg'][0]:.2f}, "
              + (f"CPUs {busy:.0%} busy before the run, " if busy is not None else "")
              + f"{probe['cores']} cores run {probe['parallel_speedup']:.2f}x faster than one",
              flush=True)
        if probe["parallel_speedup"] < 0.8 * probe["cores"]:
            print("  warning: the machine is busy; figures that use all cores will read low",
                  flush=True)
        ours, setup = registry_in_process(gen)
        shacl_row, shacl_codes = pyshacl_run(gen, min(args.shacl_sheets, args.sheets))
        cjs_row = check_jsonschema(gen)
        rows = [ours, registry_cli(gen, None), registry_cli(gen, 1),
                *([cjs_row] if cjs_row else []), shacl_row, libyaml(gen)]
        # Rounds are interleaved (every tool once, then again) so that a passing load on
        # the machine spreads over the tools instead of hitting one of them.
        for number in range(args.rounds):
            print(f"round {number + 1}/{args.rounds}:", end="", flush=True)
            for row in rows:
                row.once()
                print(f" {row.tool} {row.rounds[-1]:.2f} s;", end="", flush=True)
            print(flush=True)
        print("start-up: one sheet, end to end...", flush=True)
        start_up = startup(gen, max(1, args.startup_runs))
        cli, cli1 = cli_result(rows[1]), cli_result(rows[2])
        cjs = check_jsonschema_result(cjs_row) if cjs_row else {
            "skipped": "check-jsonschema is not installed: .venv/bin/pip install check-jsonschema"}
        checks = sanity(gen, ours.last, cli, cjs, shacl_codes(shacl_row.last))

    by_tool = {r.tool: r for r in rows}
    in_process = by_tool["registry, in-process"].rate
    e2e = by_tool["registry validate"].rate
    cjs_rate = cjs_row.rate if cjs_row else None
    speedup = e2e / cjs_rate if cjs_rate else None
    targets = {
        "in_process_per_s": in_process,
        "in_process_ok": in_process >= TARGETS["in_process_per_s"],
        "end_to_end_vs_check_jsonschema": speedup,
        "end_to_end_ok": speedup is not None
        and speedup >= TARGETS["end_to_end_vs_check_jsonschema"],
        "startup_ms": start_up["registry_ms"],
        "startup_ok": start_up["registry_ms"] <= TARGETS["startup_ms"],
    }

    print()
    print(table(rows))
    print()
    for r in rows:
        print(f"  {r.tool}: {r.note}; rounds {', '.join(f'{t:.3f}' for t in r.rounds)} s")
    print()
    print("Targets:")
    print(f"  in-process full validation >= {TARGETS['in_process_per_s']:.0f} sheets/s: "
          f"{in_process:,.0f}/s -> {'MET' if targets['in_process_ok'] else 'MISSED'}")
    if cjs_rate:
        print(f"  registry validate >= {TARGETS['end_to_end_vs_check_jsonschema']:.0f}x "
              f"check-jsonschema, end to end: {e2e / cjs_rate:.1f}x -> "
              f"{'MET' if targets['end_to_end_ok'] else 'MISSED'}")
    else:
        print(f"  registry validate vs check-jsonschema: not measured ({cjs['skipped']})")
    beside = (f"; check-jsonschema on the same file {start_up['check_jsonschema_ms']:.0f} ms "
              f"(CPU {start_up['check_jsonschema_cpu_ms']:.0f} ms)"
              if "check_jsonschema_ms" in start_up else "")
    print(f"  `{start_up['command']}` starts and answers in <= {TARGETS['startup_ms']:.0f} ms: "
          f"median {start_up['registry_ms']:.0f} ms of {start_up['runs']} runs "
          f"({start_up['measured_with']}; CPU user+system {start_up['registry_cpu_ms']:.0f} ms "
          f"a run) -> {'MET' if targets['startup_ok'] else 'MISSED'}"
          f"{beside}")
    print(f"  the same without the catalogue cache (REGISTRY_CACHE_DIR=off): median "
          f"{start_up['registry_no_cache_ms']:.0f} ms, CPU "
          f"{start_up['registry_no_cache_cpu_ms']:.0f} ms a run; `python -c pass` median "
          f"{start_up['python_ms']:.0f} ms, CPU {start_up['python_cpu_ms']:.0f} ms")
    print()
    print("Correctness:")
    print(f"  registry invalid files: {checks['registry_invalid_in_process']} in-process, "
          f"{checks['registry_cli_invalid']} CLI, of {checks['intended_invalid']} meant invalid "
          f"-> same files: {checks['registry_same_files'] and checks['registry_cli_same_files']}")
    print(f"  planted faults reported with their code: {checks['planted_faults_reported']}"
          f"/{checks['planted_faults']}")
    for line in checks["planted_faults_missed"][:5]:
        print(f"    missed: {line}")
    if "check_jsonschema_invalid" in checks:
        print(f"  check-jsonschema invalid files: {checks['check_jsonschema_invalid']}, sheets with "
              f"a structural fault: {checks['structural_invalid']} -> same files: "
              f"{checks['check_jsonschema_same_files']}")
        for name in checks["check_jsonschema_extra"][:5]:
            print(f"    also rejected: {name}")
        for name in checks["check_jsonschema_missed"][:5]:
            print(f"    not rejected: {name}")
    print(f"  linked-data layer vs pyshacl on {checks['shacl_subset']} sheets "
          f"({checks['shacl_subset_invalid_linked_data']} with a SHACL violation): verdicts agree "
          f"on {checks['shacl_verdicts_agree']}, finding codes (severity, code) agree on "
          f"{checks['shacl_codes_agree']}")
    for line in checks["shacl_disagreements"][:5]:
        print(f"    differs: {line}")
    print(f"  fault kinds planted: {checks['fault_kinds']}")

    OUT.parent.mkdir(parents=True, exist_ok=True)
    cli.pop("invalid")
    cli1.pop("invalid")
    cjs.pop("invalid", None)
    result = {
        "benchmark": "validation", "date": datetime.datetime.now().isoformat(timespec="seconds"),
        "parameters": {"sheets": args.sheets, "rounds": args.rounds, "seed": args.seed,
                       "shacl_sheets": min(args.shacl_sheets, args.sheets),
                       "as_of": AS_OF.isoformat()},
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(), "probe": probe},
        "versions": _versions(),
        "sizes": {"mean": statistics.mean(sizes), "min": min(sizes), "max": max(sizes)},
        "results": [{"tool": r.tool, "checks": r.checks, "sheets": r.sheets,
                     "rounds_s": r.rounds, "median_s": r.seconds, "sheets_per_s": r.rate,
                     "compared_to": r.compare_to, "note": r.note,
                     "extrapolated_to": r.extrapolated_to} for r in rows],
        "setup": setup, "registry_cli": cli, "registry_cli_jobs_1": cli1,
        "check_jsonschema": cjs, "startup": start_up, "targets": targets, "sanity": checks,
        "total_s": time.perf_counter() - started,
    }
    OUT.write_text(json.dumps(result, indent=2, default=str) + "\n", encoding="utf-8")
    print(f"\nwrote {OUT.relative_to(ROOT)} ({result['total_s']:.0f} s in all)")
    correct = (checks["registry_same_files"] and checks["registry_cli_same_files"]
               and not checks["planted_faults_missed"]
               and checks.get("check_jsonschema_same_files", True)
               and checks["shacl_codes_agree"] == checks["shacl_subset"])
    if args.check and not (correct and targets["in_process_ok"] and targets["end_to_end_ok"]
                           and targets["startup_ok"]):
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
