"""The structure layer: the JSON Schema of project-sheet/v1, then the sheet.* checks.

Every jsonschema error becomes a finding `schema.<keyword in kebab case>` with a JSON
Pointer to the value at fault and a one-sentence message that says how to fix it. The
sheet.* checks are the rules a JSON Schema cannot state (real dates, date order,
duplicates by id, the owner among the partners, missing languages). Each check skips
only the values that have the wrong type, so a sheet broken in one place is still
checked everywhere else.
"""

from __future__ import annotations

import calendar
import datetime
import difflib
import json
import re
from collections.abc import Iterator, Mapping
from functools import cache
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker, ValidationError, validators
from jsonschema.exceptions import best_match

from registry.documents.findings import ERROR, WARNING, Finding, Positions, locate
from registry.paths import schemas_dir

SCHEMA_PATH = schemas_dir() / "project-sheet" / "v1.json"
SCHEMA_ID = "https://registry.smartcity.brussels/schemas/project-sheet/v1.json"
SHEET_FORMAT = "project-sheet/v1"

_DATE_SHAPE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
# A conservative e-mail check (jsonschema's own only looks for an "@"): one @, a dot in
# the domain, no spaces.
_EMAIL = re.compile(r"[^@\s]+@[^@\s.]+(\.[^@\s.]+)+")
_KEBAB = re.compile(r"(?<!^)(?=[A-Z])")


# ---------------------------------------------------------------------------------------
# The compiled schema


@cache
def schema() -> dict[str, Any]:
    """Return the JSON Schema of project-sheet/v1."""
    with SCHEMA_PATH.open(encoding="utf-8") as handle:
        result: dict[str, Any] = json.load(handle)
    return result


@cache
def _compiled(pattern: str) -> re.Pattern[str]:
    # ECMA-262's `$` (what editors use) matches only at the very end; Python's also matches
    # before a final newline, which would let "abc\n" (a YAML `|` block) pass as a slug.
    if pattern.endswith("$") and not pattern.endswith("\\$"):
        pattern = pattern[:-1] + r"\Z"
    return re.compile(pattern)


def _pattern(validator: Any, pattern: str, instance: Any, schema: Any) -> Iterator[ValidationError]:
    if validator.is_type(instance, "string") and not _compiled(pattern).search(instance):
        yield ValidationError(f"{instance!r} does not match {pattern!r}")


def _format_checker() -> FormatChecker:
    checker = FormatChecker(formats=())

    @checker.checks("email")
    def is_email(instance: object) -> bool:
        return not isinstance(instance, str) or bool(_EMAIL.fullmatch(instance))

    @checker.checks("date", raises=ValueError)
    def is_date(instance: object) -> bool:
        if not isinstance(instance, str):
            return True
        return bool(_DATE_SHAPE.fullmatch(instance) and datetime.date.fromisoformat(instance))

    return checker


_Validator = validators.extend(Draft202012Validator, {"pattern": _pattern})


@cache
def validator() -> Any:
    """Return the compiled validator of project-sheet/v1 (built once per process)."""
    document = schema()
    _Validator.check_schema(document)
    # Validating against a copy with the local $refs inlined is about 40% faster: the
    # reference lookups dominate jsonschema's time on a sheet of a few kilobytes.
    return _Validator(_inline(document, document.get("$defs", {})),
                      format_checker=_format_checker())


@cache
def _fast() -> Any:
    """Return a compiled (Rust) validator that only says whether a sheet is valid.

    Most sheets are valid or nearly so: answering "valid" in microseconds and running
    jsonschema only for the rejected ones (for its detailed errors) makes structure
    checking about fifty times cheaper. It must never accept what jsonschema rejects:
    the same format checks are plugged in, and its regex `$` already matches only at
    the very end, like `_compiled`; tests run every test sheet through both.
    """
    import jsonschema_rs

    checker = _format_checker()
    formats = {name: (lambda value, name=name: checker.conforms(value, name))
               for name in ("email", "date")}
    return jsonschema_rs.validator_for(schema(), formats=formats, validate_formats=True,
                                       offline=True)


def fast_valid(sheet: Any) -> bool:
    """Return True when the sheet certainly has no JSON Schema violation."""
    try:
        return bool(_fast().is_valid(sheet))
    except (ValueError, TypeError, OverflowError):
        return False  # data it cannot represent (huge ints...): let jsonschema decide


def _inline(node: Any, defs: Mapping[str, Any], depth: int = 0) -> Any:
    if depth > 20:  # the schema is not recursive; this only guards against a future edit
        raise ValueError("the project-sheet schema's $refs nest too deeply to inline")
    if isinstance(node, dict):
        if isinstance(node.get("$ref"), str) and node["$ref"].startswith("#/$defs/"):
            target = _inline(defs[node["$ref"][len("#/$defs/"):]], defs, depth + 1)
            return {**target, **{k: _inline(v, defs, depth + 1)
                                 for k, v in node.items() if k != "$ref"}}
        return {k: _inline(v, defs, depth + 1) for k, v in node.items() if k != "$defs"}
    if isinstance(node, list):
        return [_inline(v, defs, depth + 1) for v in node]
    return node


def _resolve(subschema: Any) -> dict[str, Any]:
    """Follow local `$ref`s (the schema has no other kind)."""
    seen = 0
    while isinstance(subschema, Mapping) and "$ref" in subschema and seen < 10:
        ref = subschema["$ref"]
        if not ref.startswith("#/"):
            break
        target: Any = schema()
        for part in ref[2:].split("/"):
            target = target[part]
        subschema = target
        seen += 1
    return dict(subschema) if isinstance(subschema, Mapping) else {}


# ---------------------------------------------------------------------------------------
# Plain-language names of places in a sheet


_ITEM_NAMES = {
    "standards": "standard", "kpis": "KPI", "phases": "phase", "partners": "partner",
    "domains": "domain", "data_themes": "data theme", "needs": "needed capability",
    "builds": "built capability", "reuses": "reused component",
    "provides": "provided component", "uses": "used data entity",
    "produces": "produced data entity",
}
_LANGUAGES = {"en": "English", "fr": "French", "nl": "Dutch", "de": "German"}


def split(pointer: str) -> list[str]:
    """Return the unescaped reference tokens of a JSON Pointer."""
    if not pointer:
        return []
    return [p.replace("~1", "/").replace("~0", "~") for p in pointer[1:].split("/")]


def join(parts: list[Any]) -> str:
    """Return the JSON Pointer of a sequence of keys and indexes."""
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in parts)


def _get(data: Any, parts: list[str]) -> Any:
    for part in parts:
        if isinstance(data, dict):
            data = data.get(part)
        elif isinstance(data, list) and part.isdigit() and int(part) < len(data):
            data = data[int(part)]
        else:
            return None
    return data


def label(pointer: str, sheet: Any = None) -> str:
    """Return a short plain-language name for the place a pointer designates."""
    parts = split(pointer)
    if not parts:
        return "the sheet"
    words: list[str] = []
    for i, part in enumerate(parts):
        parent = parts[i - 1] if i else None
        if part.isdigit() and parent is not None and parent in _ITEM_NAMES:
            name = f"{_ITEM_NAMES[parent]} {int(part) + 1}"
            item = _get(sheet, parts[:i + 1])
            if isinstance(item, dict) and isinstance(item.get("id"), str):
                name += f" ({short(item['id'], 40)})"
            # The item's name says where it is: "needed capability 2", not
            # "capabilities needs needed capability 2".
            words = [name]
        elif part.isdigit():
            words.append(f"item {int(part) + 1}")
        else:
            words.append(part)
    if len(words) >= 2 and parts[-2].isdigit():
        # "note of standard 2 (dcat-ap)" reads better than "standard 2 (dcat-ap) note".
        return f"{words[-1]} of {' '.join(words[:-1])}"
    return " ".join(words)


def _kind(value: Any) -> str:
    if value is None:
        return "empty (null)"
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, (int, float)):
        return f"the number {value}"
    if isinstance(value, str):
        return "a text"
    if isinstance(value, list):
        return "a list"
    return "a mapping"


_TYPE_NAMES = {
    "string": "a text", "object": "a mapping of fields", "array": "a list",
    "number": "a number", "integer": "a whole number", "boolean": "true or false",
    "null": "null",
}

# What to write when a field is missing, by pointer with list indexes replaced by `*`.
_ADD = {
    "/sheet": "add `sheet: project-sheet/v1`",
    "/id": "add a slug such as `mobility-data-hub`",
    "/title": "add it in fr and nl (and en)",
    "/summary": "add it in fr and nl (and en), 20 characters or more each",
    "/owner": "add organisation and contact",
    "/owner/organisation": "add the id of the owner organisation, such as `brussels-mobility`",
    "/owner/contact": "add name and email",
    "/owner/contact/name": "add the name of the person or role to contact",
    "/owner/contact/email": "add an e-mail address",
    "/status": "add one of proposed, selected, in-progress, delivered, stopped",
    "/domains": "add one or more smart-city domains, such as [mobility]",
    "/timeline": "add start and end dates",
    "/timeline/start": "add the start date, YYYY-MM-DD",
    "/timeline/end": "add the end date, YYYY-MM-DD",
    "/timeline/phases/*/name": "add the name of the phase",
    "/timeline/phases/*/start": "add the start date of the phase, YYYY-MM-DD",
    "/timeline/phases/*/end": "add the end date of the phase, YYYY-MM-DD",
    "/capabilities": "add needs, the capabilities the project needs",
    "/capabilities/needs": "add one or more capabilities the project needs",
    "/data": "add personal_data and open_data (true or false)",
    "/data/personal_data": "add true or false: does the project process personal data?",
    "/data/open_data": "add true or false: does the project publish open data?",
    "/standards/*/id": "add the catalogue id of the standard, such as `ngsi-ld`",
    "/standards/*/conformance": "add one of complies, partial, planned, explain",
    "/kpis/*/id": "add a slug unique in the sheet",
    "/kpis/*/name": "add the name of the indicator, such as {en: Datasets published}",
    "/kpis/*/unit": "add the unit of the indicator, such as count",
    "/kpis/*/target": "add the number to reach",
}

# Messages for the schema's patterns, by the name of the $defs entry that holds them.
_PATTERNS = {
    "slug": "must be a slug: 3 to 64 lower-case letters, digits and hyphens, such as "
            "`mobility-data-hub`",
    "catalogueId": "must be a catalogue id: lower-case letters, digits and hyphens, such as "
                   "`dcat-ap`",
    "concept": "must be a concept id: letters, digits, hyphens and underscores, such as "
               "`mobility`",
    "date": "must be a date written YYYY-MM-DD, such as 2026-03-01",
    "uri": "must be an absolute http or https address, such as https://example.brussels",
}


def _normal(pointer: str) -> str:
    return join(["*" if p.isdigit() else p for p in split(pointer)])


def short(value: Any, limit: int = 60) -> str:
    """Return a value as text for a message, cut so that a huge value stays readable."""
    text = value if isinstance(value, str) else json.dumps(value, default=str,
                                                           ensure_ascii=False)
    text = " ".join(text.split()) if any(c in text for c in "\n\r\t") else text
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _closest(word: Any, choices: Any) -> str | None:
    # difflib is quadratic: a hint for a huge value is neither useful nor cheap.
    if not isinstance(word, str) or len(word) > 100:
        return None
    options = [str(c) for c in choices]
    lowered = {c.lower(): c for c in options}
    if word.lower() in lowered:
        return lowered[word.lower()]
    match = difflib.get_close_matches(word, options, n=1, cutoff=0.6)
    return match[0] if match else None


def _did_you_mean(word: Any, choices: Any) -> str | None:
    close = _closest(word, choices)
    return f"did you mean `{close}`?" if close and close != word else None


def _slugify(value: str, minimum: int = 3) -> str | None:
    slug = re.sub(r"[^a-z0-9]+", "-", value.lower()).strip("-")
    return slug if len(slug) >= minimum and slug != value else None


# ---------------------------------------------------------------------------------------
# Schema findings


class _Context:
    """What the message builders need to know about the sheet being checked."""

    def __init__(self, sheet: Any, positions: Positions | None,
                 key_positions: Positions | None, sources: Mapping[str, str] | None) -> None:
        self.sheet = sheet
        self.positions = positions
        self.key_positions = key_positions or {}
        self.sources = sources or {}

    def at(self, path: str, where: str | None = None, *, key: bool = False) -> tuple[Any, Any]:
        if key and path in self.key_positions:
            return self.key_positions[path]
        return locate(self.positions, path if where is None else where)

    def error(self, code: str, path: str, message: str, *, where: str | None = None,
              key: bool = False, hint: str | None = None) -> Finding:
        line, column = self.at(path, where, key=key)
        return Finding(ERROR, code, path, message, line, column, hint)


def check_schema(sheet: Any, positions: Positions | None = None, *,
                 key_positions: Positions | None = None,
                 sources: Mapping[str, str] | None = None) -> Iterator[Finding]:
    """Yield a finding for every JSON Schema violation of a sheet."""
    if fast_valid(sheet):
        return
    context = _Context(sheet, positions, key_positions, sources)
    errors = list(validator().iter_errors(sheet))
    pattern_paths = {join(list(e.absolute_path)) for e in errors if e.validator == "pattern"}
    seen: dict[tuple[str, str], int] = {}
    out: list[Finding] = []
    for error in errors:
        items = list(_findings(error, context, pattern_paths))
        if not items and not (error.validator == "format" and error.validator_value == "date"):
            # A case the message builders do not foresee must still be reported.
            path = join(list(error.absolute_path))
            items = [context.error("schema." + _KEBAB.sub("-", str(error.validator)).lower(),
                                   path, f"{label(path, sheet)}: {short(error.message, 200)}")]
        for item in items:
            key = (item.code, item.path)
            if key in seen:
                # The same keyword failing twice at one place (a base rule and a stricter
                # conditional one, e.g. a note's length): keep the later, stricter one.
                out[seen[key]] = item
            else:
                seen[key] = len(out)
                out.append(item)
    yield from out


def _findings(error: ValidationError, ctx: _Context, pattern_paths: set[str]
              ) -> Iterator[Finding]:
    keyword = str(error.validator)
    path = join(list(error.absolute_path))
    instance = error.instance
    value = error.validator_value
    name = label(path, ctx.sheet)
    code = "schema." + _KEBAB.sub("-", keyword).lower()

    if keyword in ("anyOf", "oneOf") and error.context:
        best = best_match(error.context)
        if best is not None:
            yield from _findings(best, ctx, pattern_paths)
            return
    if keyword == "required":
        for prop in value:
            if isinstance(instance, dict) and prop not in instance and \
                    error.message == f"{prop!r} is a required property":
                yield _required(ctx, path, prop, instance)
        return
    if keyword == "additionalProperties":
        allowed = list(error.schema.get("properties", {}))
        patterns = list(error.schema.get("patternProperties", {}))
        for key in instance:
            if key in allowed or any(re.search(p, key) for p in patterns):
                continue
            where = join([*split(path), key])
            fix = ("fix its name, remove it, or start it with x- to keep it as an extension"
                   if not path else "fix its name or remove it")
            if path and set(allowed) <= set(_LANGUAGES):
                message = f"{name} has the unknown language `{short(key)}`: use en, fr, nl or de"
            else:
                message = f"{name} has an unknown field `{short(key)}`: {fix}"
            yield ctx.error(code, where, message, key=True,
                            hint=_did_you_mean(key, allowed))
        return
    if keyword == "type":
        yield ctx.error(code, path, _type_message(ctx, path, name, value, instance))
        return
    if keyword == "uniqueItems":
        first: dict[str, int] = {}
        for index, item in enumerate(instance):
            marker = json.dumps(item, sort_keys=True, default=str)
            if marker in first:
                yield ctx.error(code, f"{path}/{index}",
                                f"{name} lists `{short(item)}` twice (items {first[marker] + 1} "
                                f"and {index + 1}): remove the duplicate")
            else:
                first[marker] = index
        return
    if keyword == "format" and value == "date":
        # A string of the right shape that is not a real date is sheet.invalid-date's; a
        # string of the wrong shape already failed the pattern.
        if isinstance(instance, str) and (_DATE_SHAPE.fullmatch(instance)
                                          or path in pattern_paths):
            return
        yield ctx.error(code, path, f"{name} {_PATTERNS['date']}")
        return
    message, hint = _message(keyword, ctx, path, name, value, instance, error)
    yield ctx.error(code, path, message, hint=hint)


def _required(ctx: _Context, path: str, prop: str, instance: dict[str, Any]) -> Finding:
    where = join([*split(path), prop])
    owner = label(path, ctx.sheet)
    normal = _normal(where)
    conformance = instance.get("conformance")
    if normal == "/standards/*/note":
        advice = (f"a `{conformance}` declaration needs a note of 20 characters or more "
                  "saying what is done, planned or why not")
    elif normal == "/standards/*/until":
        advice = (f"a `{conformance}` declaration needs the date when it lapses and must be "
                  "reviewed, YYYY-MM-DD")
    elif normal in _ADD:
        advice = _ADD[normal]
    else:
        advice = _add_from_schema(prop, path)
    return ctx.error("schema.required", where, f"{owner} has no {prop}: {advice}", where=path)


def _add_from_schema(prop: str, parent: str) -> str:
    sub: Any = schema()
    for part in split(parent):
        sub = _resolve(sub)
        sub = sub.get("items", {}) if part.isdigit() else sub.get("properties", {}).get(part, {})
    target = _resolve(_resolve(sub).get("properties", {}).get(prop, {}))
    if "required" in target:
        return "add " + " and ".join(target["required"])
    if "enum" in target:
        return "add one of " + ", ".join(map(str, target["enum"]))
    if "const" in target:
        return f"add `{prop}: {target['const']}`"
    return f"add {prop}"


def _type_message(ctx: _Context, path: str, name: str, expected: Any, instance: Any) -> str:
    types = [expected] if isinstance(expected, str) else list(expected)
    wanted = " or ".join(_TYPE_NAMES.get(t, t) for t in types)
    if "string" in types and isinstance(instance, (bool, int, float)):
        # YAML 1.1 turned what the author wrote into something else: say what, and how
        # to keep the text.
        source = ctx.sources.get(path)
        if source is not None:
            return (f"{name} must be {wanted}, but YAML reads `{source}` as "
                    f"{_kind(instance)}: put it in quotes, \"{source}\"")
        return f"{name} must be {wanted}, not {_kind(instance)}: put the value in quotes"
    if instance is None:
        advice = _ADD.get(_normal(path))
        if advice:
            return f"{name} is empty: {advice}"
        return f"{name} is empty: give it {wanted}"
    if isinstance(instance, str) and (
            ("boolean" in types and instance.lower() in ("true", "false", "yes", "no"))
            or (("number" in types or "integer" in types) and _is_number(instance))):
        return f"{name} must be {wanted}, not {_kind(instance)}: write it without quotes"
    if "array" in types and isinstance(instance, (str, int, float)) and \
            not isinstance(instance, bool):
        return f"{name} must be {wanted}, not {_kind(instance)}: write it as [{instance}]"
    return f"{name} must be {wanted}, not {_kind(instance)}"


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _def_name(subschema: Mapping[str, Any]) -> str | None:
    pattern = subschema.get("pattern")
    for def_name, definition in schema()["$defs"].items():
        if pattern is not None and definition.get("pattern") == pattern:
            return str(def_name)
    return None


def _message(keyword: str, ctx: _Context, path: str, name: str, value: Any, instance: Any,
             error: ValidationError) -> tuple[str, str | None]:
    if keyword == "enum":
        return (f"{name} must be one of {', '.join(map(str, value))}",
                _did_you_mean(instance, value))
    if keyword == "const":
        return f"{name} must be `{value}`", _did_you_mean(instance, [value])
    if keyword == "pattern":
        def_name = _def_name(error.schema)
        if def_name in _PATTERNS:
            hint = None
            if def_name in ("slug", "catalogueId") and isinstance(instance, str):
                slug = _slugify(instance, 3 if def_name == "slug" else 2)
                hint = f"did you mean `{slug}`?" if slug else None
            return f"{name} {_PATTERNS[def_name]}", hint
        return f"{name} must match the pattern {value}", None
    if keyword == "format":
        if value == "email":
            return f"{name} must be an e-mail address, such as name@example.brussels", None
        return f"{name} must be a valid {value}", None
    if keyword == "minLength":
        if value == 1:
            return f"{name} must not be empty", None
        return (f"{name} must have at least {value} characters (it has {len(instance)})",
                None)
    if keyword == "maxLength":
        return (f"{name} must have at most {value} characters (it has {len(instance)}): "
                "shorten it", None)
    if keyword == "minItems":
        what = "value" if value == 1 else "values"
        count = "one" if value == 1 else str(value)
        return f"{name} must list at least {count} {what}", None
    if keyword == "maxItems":
        return f"{name} must list at most {value} values", None
    if keyword == "minimum":
        return f"{name} must be {value} or more", None
    if keyword == "maximum":
        return f"{name} must be {value} or less", None
    if keyword == "exclusiveMinimum":
        return f"{name} must be more than {value}", None
    if keyword == "exclusiveMaximum":
        return f"{name} must be less than {value}", None
    if keyword == "minProperties":
        if split(path) and split(path)[-1] in ("title", "summary", "name"):
            return f"{name} has no text: add it in fr and nl (and en)", None
        return f"{name} must not be empty", None
    return f"{name}: {error.message}", None


# ---------------------------------------------------------------------------------------
# sheet.* checks


def _date(value: Any) -> datetime.date | None:
    if isinstance(value, str) and _DATE_SHAPE.fullmatch(value):
        try:
            return datetime.date.fromisoformat(value)
        except ValueError:
            return None
    return None


def _why_not_a_date(value: str) -> str:
    year, month, day = (int(p) for p in value.split("-"))
    if not 1 <= month <= 12:
        return f"there is no month {month:02d}"
    if year == 0:
        return "there is no year 0000"
    days = calendar.monthrange(year, month)[1]
    if day == 0:
        return "days start at 01"
    return f"{calendar.month_name[month]} {year} has {days} days"


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


def check_sheet(sheet: Any, positions: Positions | None = None) -> Iterator[Finding]:
    """Yield the sheet.* findings: the rules a JSON Schema cannot state."""
    if not isinstance(sheet, dict):
        return
    ctx = _Context(sheet, positions, None, None)
    yield from _invalid_dates(sheet, ctx)
    yield from _date_order(sheet, ctx)
    yield from _duplicates(sheet, ctx)
    yield from _partner_is_owner(sheet, ctx)
    yield from _missing_languages(sheet, ctx)


def _invalid_dates(sheet: dict[str, Any], ctx: _Context) -> Iterator[Finding]:
    for path, value in _date_fields(sheet):
        if isinstance(value, str) and _DATE_SHAPE.fullmatch(value) and _date(value) is None:
            yield ctx.error("sheet.invalid-date", path,
                            f"{label(path, sheet)} {value} is not a real date: "
                            f"{_why_not_a_date(value)}")


def _date_order(sheet: dict[str, Any], ctx: _Context) -> Iterator[Finding]:
    timeline = sheet.get("timeline")
    if not isinstance(timeline, dict):
        return
    start, end = _date(timeline.get("start")), _date(timeline.get("end"))
    if start and end and end < start:
        yield ctx.error("sheet.date-order", "/timeline/end",
                        f"the timeline ends ({end}) before it starts ({start}): fix one of "
                        "the two dates")
    phases = timeline.get("phases")
    if not isinstance(phases, list):
        return
    for i, phase in enumerate(phases):
        if not isinstance(phase, dict):
            continue
        name = label(f"/timeline/phases/{i}", sheet)
        p_start, p_end = _date(phase.get("start")), _date(phase.get("end"))
        at_start, at_end = f"/timeline/phases/{i}/start", f"/timeline/phases/{i}/end"
        if p_start and p_end and p_end < p_start:
            yield ctx.error("sheet.date-order", at_end,
                            f"{name} ends ({p_end}) before it starts ({p_start})")
            continue
        if p_start and start and p_start < start:
            yield ctx.error("sheet.date-order", at_start,
                            f"{name} starts ({p_start}) before the timeline ({start}): keep "
                            "phases inside the timeline")
        elif p_start and end and p_start > end:
            yield ctx.error("sheet.date-order", at_start,
                            f"{name} starts ({p_start}) after the timeline ends ({end}): keep "
                            "phases inside the timeline")
        if p_end and end and p_end > end:
            yield ctx.error("sheet.date-order", at_end,
                            f"{name} ends ({p_end}) after the timeline ({end}): keep phases "
                            "inside the timeline")
        elif p_end and start and p_end < start:
            yield ctx.error("sheet.date-order", at_end,
                            f"{name} ends ({p_end}) before the timeline starts ({start}): keep "
                            "phases inside the timeline")


def _duplicates(sheet: dict[str, Any], ctx: _Context) -> Iterator[Finding]:
    for field in ("standards", "kpis"):
        items = sheet.get(field)
        if not isinstance(items, list):
            continue
        first: dict[str, int] = {}
        for i, item in enumerate(items):
            ident = item.get("id") if isinstance(item, dict) else None
            if not isinstance(ident, str):
                continue
            if ident in first:
                if field == "standards":
                    message = (f"standard {short(ident)} is declared twice (standards "
                               f"{first[ident] + 1} and {i + 1}): keep one declaration per "
                               "standard")
                else:
                    message = (f"two KPIs have the id {short(ident)} (KPIs {first[ident] + 1} and "
                               f"{i + 1}): give each KPI its own id")
                yield ctx.error("sheet.duplicate", f"/{field}/{i}/id", message)
            else:
                first[ident] = i


def _partner_is_owner(sheet: dict[str, Any], ctx: _Context) -> Iterator[Finding]:
    owner = sheet.get("owner")
    organisation = owner.get("organisation") if isinstance(owner, dict) else None
    partners = sheet.get("partners")
    if not isinstance(organisation, str) or not isinstance(partners, list):
        return
    for i, partner in enumerate(partners):
        if partner == organisation:
            yield ctx.error("sheet.partner-is-owner", f"/partners/{i}",
                            f"partners lists the owner {short(organisation)}: remove it from "
                            "partners")


def _missing_languages(sheet: dict[str, Any], ctx: _Context) -> Iterator[Finding]:
    for field in ("title", "summary"):
        text = sheet.get(field)
        if not isinstance(text, dict):
            continue
        missing = [lang for lang in ("fr", "nl") if lang not in text]
        if not missing:
            continue
        codes = " and ".join(missing)
        names = " and ".join(_LANGUAGES[lang] for lang in missing)
        line, column = locate(ctx.positions, f"/{field}")
        yield Finding(WARNING, "sheet.missing-language", f"/{field}",
                      f"{field} has no {codes} text: add the {field} in {names}, as a Brussels "
                      "regional project gives fr and nl", line, column)


def check(sheet: Any, positions: Positions | None = None, *,
          key_positions: Positions | None = None,
          sources: Mapping[str, str] | None = None) -> Iterator[Finding]:
    """Yield the findings of the structure layer: schema.* then sheet.*."""
    yield from check_schema(sheet, positions, key_positions=key_positions, sources=sources)
    yield from check_sheet(sheet, positions)
