"""JSON Schema errors as findings: `schema.<keyword in kebab case>`, one sentence each.

A message is built from what the error carries (its keyword, the keyword's value in the
schema, the instance at fault) through MESSAGES, a table of templates with named
parameters; jsonschema's own English message text is never read, so its wording may
change without changing ours. Templates are plain strings marked with `M_()` for
extraction into translation catalogues.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from registry.documents.findings import M_, Finding, Listing, Positions, Text
from registry.documents.results import json_type
from registry.validation.places import (
    LANGUAGES,
    Hint,
    SheetContext,
    join,
    label,
    normal,
    short,
    split,
)
from registry.validation.schema import DATE_SHAPE, def_name, fast_valid, resolve, schema, validator

if TYPE_CHECKING:
    from jsonschema import ValidationError

_KEBAB = re.compile(r"(?<!^)(?=[A-Z])")

# keyword (or keyword.variant) -> template. Parameters: `name` is the place at fault in
# words ("note of standard 2 (dcat-ap)"), `value` the keyword's value in the schema,
# the others as named.
MESSAGES: dict[str, str] = {
    "enum": M_("{name} must be one of {choices}"),
    "const": M_("{name} must be `{value}`"),
    "pattern": M_("{name} must match the pattern {value}"),
    # Patterns by the name of the $defs entry that holds them.
    "pattern.slug": M_("{name} must be a slug: 3 to 64 lower-case letters, digits and "
                       "hyphens, such as `mobility-data-hub`"),
    "pattern.catalogueId": M_("{name} must be a catalogue id: lower-case letters, digits and "
                              "hyphens, such as `dcat-ap`"),
    "pattern.concept": M_("{name} must be a concept id: letters, digits, hyphens and "
                          "underscores, such as `mobility`"),
    "pattern.date": M_("{name} must be a date written YYYY-MM-DD, such as 2026-03-01"),
    "pattern.uri": M_("{name} must be an absolute http or https address, such as "
                      "https://example.brussels"),
    "format": M_("{name} must be a valid {value}"),
    "format.email": M_("{name} must be an e-mail address, such as name@example.brussels"),
    "format.date": M_("{name} must be a date written YYYY-MM-DD, such as 2026-03-01"),
    "minLength": M_("{name} must have at least {value} characters (it has {length})"),
    "minLength.1": M_("{name} must not be empty"),
    "maxLength": M_("{name} must have at most {value} characters (it has {length}): "
                    "shorten it"),
    "minItems": M_("{name} must list at least {value} values"),
    "minItems.1": M_("{name} must list at least one value"),
    "maxItems": M_("{name} must list at most {value} values"),
    "minimum": M_("{name} must be {value} or more"),
    "maximum": M_("{name} must be {value} or less"),
    "exclusiveMinimum": M_("{name} must be more than {value}"),
    "exclusiveMaximum": M_("{name} must be less than {value}"),
    "minProperties": M_("{name} must not be empty"),
    "minProperties.text": M_("{name} has no text: add it in fr and nl (and en)"),
    "required": M_("{owner} has no {field}: {advice}"),
    "additionalProperties": M_("{name} has an unknown field `{field}`: fix its name or "
                               "remove it"),
    "additionalProperties.top": M_("{name} has an unknown field `{field}`: fix its name, "
                                   "remove it, or start it with x- to keep it as an "
                                   "extension"),
    "additionalProperties.language": M_("{name} has the unknown language `{field}`: use en, "
                                        "fr, nl or de"),
    "uniqueItems": M_("{name} lists `{item}` twice (items {first} and {second}): remove "
                      "the duplicate"),
    "type": M_("{name} must be {wanted}, not {kind}"),
    "type.yaml-reads": M_("{name} must be {wanted}, but YAML reads `{source}` as {kind}: put "
                          "it in quotes, \"{source}\""),
    "type.quote": M_("{name} must be {wanted}, not {kind}: put the value in quotes"),
    "type.unquote": M_("{name} must be {wanted}, not {kind}: write it without quotes"),
    "type.list": M_("{name} must be {wanted}, not {kind}: write it as [{text}]"),
    "type.empty": M_("{name} is empty: give it {wanted}"),
    "type.empty-advice": M_("{name} is empty: {advice}"),
    # A keyword this table does not foresee: still a finding, said from the error's data.
    "*": M_("{name} breaks the schema's rule `{keyword}: {value}`"),
}

DID_YOU_MEAN = M_("did you mean `{suggestion}`?")

# What a JSON type is called in a message.
TYPE_NAMES = {
    "string": M_("a text"), "object": M_("a mapping of fields"), "array": M_("a list"),
    "number": M_("a number"), "integer": M_("a whole number"), "boolean": M_("true or false"),
    "null": M_("null"),
}

# What a value is, in a message.
KINDS = {
    "null": M_("empty (null)"), "boolean": M_("the boolean {value}"),
    "number": M_("the number {value}"), "string": M_("a text"), "array": M_("a list"),
    "object": M_("a mapping"),
}

# What to write when a field is missing, by pointer with list indexes replaced by `*`.
ADVICE = {
    "/sheet": M_("add `sheet: project-sheet/v1`"),
    "/id": M_("add a slug such as `mobility-data-hub`"),
    "/title": M_("add it in fr and nl (and en)"),
    "/summary": M_("add it in fr and nl (and en), 20 characters or more each"),
    "/owner": M_("add organisation and contact"),
    "/owner/organisation": M_("add the id of the owner organisation, such as "
                              "`brussels-mobility`"),
    "/owner/contact": M_("add name and email"),
    "/owner/contact/name": M_("add the name of the person or role to contact"),
    "/owner/contact/email": M_("add an e-mail address"),
    "/status": M_("add one of proposed, selected, in-progress, delivered, stopped"),
    "/domains": M_("add one or more smart-city domains, such as [mobility]"),
    "/timeline": M_("add start and end dates"),
    "/timeline/start": M_("add the start date, YYYY-MM-DD"),
    "/timeline/end": M_("add the end date, YYYY-MM-DD"),
    "/timeline/phases/*/name": M_("add the name of the phase"),
    "/timeline/phases/*/start": M_("add the start date of the phase, YYYY-MM-DD"),
    "/timeline/phases/*/end": M_("add the end date of the phase, YYYY-MM-DD"),
    "/capabilities": M_("add needs, the capabilities the project needs"),
    "/capabilities/needs": M_("add one or more capabilities the project needs"),
    "/data": M_("add personal_data and open_data (true or false)"),
    "/data/personal_data": M_("add true or false: does the project process personal data?"),
    "/data/open_data": M_("add true or false: does the project publish open data?"),
    "/standards/*/id": M_("add the catalogue id of the standard, such as `ngsi-ld`"),
    "/standards/*/conformance": M_("add one of complies, partial, planned, explain"),
    "/kpis/*/id": M_("add a slug unique in the sheet"),
    "/kpis/*/name": M_("add the name of the indicator, such as {{en: Datasets published}}"),
    "/kpis/*/unit": M_("add the unit of the indicator, such as count"),
    "/kpis/*/target": M_("add the number to reach"),
}

# What a declaration needs beyond the base rule, by pointer (the if/then of the schema).
DECLARATION_ADVICE = {
    "/standards/*/note": M_("a `{conformance}` declaration needs a note of 20 characters or "
                            "more saying what is done, planned or why not"),
    "/standards/*/until": M_("a `{conformance}` declaration needs the date when it lapses "
                             "and must be reviewed, YYYY-MM-DD"),
}

# What to write for a missing field none of the above names, read from the schema.
SCHEMA_ADVICE = {
    "required": M_("add {fields}"),
    "enum": M_("add one of {choices}"),
    "const": M_("add `{field}: {value}`"),
    "*": M_("add {field}"),
}


def code_of(keyword: str) -> str:
    """Return the finding code of a JSON Schema keyword (`minLength` -> schema.min-length)."""
    return "schema." + _KEBAB.sub("-", keyword).lower()


def check_schema(sheet: Any, positions: Positions | None = None, *,
                 key_positions: Positions | None = None,
                 sources: Mapping[str, str] | None = None) -> Iterator[Finding]:
    """Yield a finding for every JSON Schema violation of a sheet."""
    if fast_valid(sheet):
        return
    context = SheetContext(sheet, positions, key_positions, sources)
    errors = list(validator().iter_errors(sheet))
    pattern_paths = {join(list(e.absolute_path)) for e in errors if e.validator == "pattern"}
    seen: dict[tuple[str, str], int] = {}
    out: list[Finding] = []
    for error in errors:
        items = list(_findings(error, context, pattern_paths))
        if not items and not (error.validator == "format" and error.validator_value == "date"):
            # A case the message builders do not foresee must still be reported.
            path = join(list(error.absolute_path))
            items = [_unforeseen(context, error, path)]
        for item in items:
            key = (item.code, item.path)
            if key in seen:
                # The same keyword failing twice at one place (a base rule and a stricter
                # conditional one, e.g. a note's length; or one `required` error per missing
                # property, each answered with all of them): keep the later, stricter one.
                out[seen[key]] = item
            else:
                seen[key] = len(out)
                out.append(item)
    yield from out


def _unforeseen(ctx: SheetContext, error: ValidationError, path: str) -> Finding:
    keyword = str(error.validator)
    return ctx.error(code_of(keyword), path, MESSAGES["*"], name=label(path, ctx.sheet),
                     keyword=keyword, value=short(error.validator_value, 200))


def _findings(error: ValidationError, ctx: SheetContext, pattern_paths: set[str]
              ) -> Iterator[Finding]:
    keyword = str(error.validator)
    path = join(list(error.absolute_path))
    instance = error.instance
    value = error.validator_value
    name = label(path, ctx.sheet)
    code = code_of(keyword)

    if keyword in ("anyOf", "oneOf") and error.context:
        from jsonschema.exceptions import best_match

        best = best_match(error.context)
        if best is not None:
            yield from _findings(best, ctx, pattern_paths)
            return
    if keyword == "required":
        # jsonschema reports each missing property as an error of its own, naming it only
        # in its English text: answer every missing one from the instance instead (the
        # repeats are merged by check_schema).
        if isinstance(instance, dict):
            for prop in value:
                if prop not in instance:
                    yield _required(ctx, path, prop, instance)
        return
    if keyword == "additionalProperties":
        yield from _unknown_fields(ctx, error, code, path, name)
        return
    if keyword == "type":
        yield _type(ctx, code, path, name, value, instance)
        return
    if keyword == "uniqueItems":
        first: dict[str, int] = {}
        for index, item in enumerate(instance):
            marker = json.dumps(item, sort_keys=True, default=str)
            if marker in first:
                yield ctx.error(code, f"{path}/{index}", MESSAGES["uniqueItems"], name=name,
                                item=short(item), first=first[marker] + 1, second=index + 1)
            else:
                first[marker] = index
        return
    if keyword == "format" and value == "date":
        # A string of the right shape that is not a real date is sheet.invalid-date's; a
        # string of the wrong shape already failed the pattern.
        if isinstance(instance, str) and (DATE_SHAPE.fullmatch(instance)
                                          or path in pattern_paths):
            return
        yield ctx.error(code, path, MESSAGES["format.date"], name=name)
        return
    template, params, hint = _message(keyword, path, value, instance, error)
    yield ctx.error(code, path, template, hint=hint, name=name, **params)


def _unknown_fields(ctx: SheetContext, error: ValidationError, code: str, path: str,
                    name: Text) -> Iterator[Finding]:
    allowed = list(error.schema.get("properties", {}))
    patterns = list(error.schema.get("patternProperties", {}))
    for key in error.instance:
        if key in allowed or any(re.search(p, key) for p in patterns):
            continue
        where = join([*split(path), key])
        if path and set(allowed) <= set(LANGUAGES):
            template = MESSAGES["additionalProperties.language"]
        elif path:
            template = MESSAGES["additionalProperties"]
        else:
            template = MESSAGES["additionalProperties.top"]
        yield ctx.error(code, where, template, key=True, hint=_did_you_mean(key, allowed),
                        name=name, field=short(key))


def _required(ctx: SheetContext, path: str, prop: str, instance: dict[str, Any]) -> Finding:
    where = join([*split(path), prop])
    advice = _advice(normal(where), prop, path, instance)
    return ctx.error("schema.required", where, MESSAGES["required"], where=path,
                     owner=label(path, ctx.sheet), field=prop, advice=advice)


def _advice(normal_path: str, prop: str, parent: str, instance: Mapping[str, Any]) -> Text:
    """Return what to write for a missing field: from ADVICE, else from the schema."""
    if normal_path in DECLARATION_ADVICE:
        return Text(DECLARATION_ADVICE[normal_path],
                    conformance=str(instance.get("conformance")))
    if normal_path in ADVICE:
        return Text(ADVICE[normal_path])
    sub: Any = schema()
    for part in split(parent):
        sub = resolve(sub)
        sub = sub.get("items", {}) if part.isdigit() else sub.get("properties", {}).get(part, {})
    target = resolve(resolve(sub).get("properties", {}).get(prop, {}))
    if "required" in target:
        return Text(SCHEMA_ADVICE["required"],
                    fields=Listing(target["required"], "and", commas=False))
    if "enum" in target:
        return Text(SCHEMA_ADVICE["enum"], choices=", ".join(map(str, target["enum"])))
    if "const" in target:
        return Text(SCHEMA_ADVICE["const"], field=prop, value=str(target["const"]))
    return Text(SCHEMA_ADVICE["*"], field=prop)


def kind(value: Any) -> Text:
    """Return what a value is, in words: `the number 3`, `a list`."""
    shown = str(value).lower() if isinstance(value, bool) else str(value)
    return Text(KINDS[json_type(value)], value=shown)


def _type(ctx: SheetContext, code: str, path: str, name: Text, expected: Any,
          instance: Any) -> Finding:
    types = [expected] if isinstance(expected, str) else list(expected)
    wanted = Listing([Text(TYPE_NAMES[t]) if t in TYPE_NAMES else t for t in types], "or",
                     commas=False)
    params: dict[str, Any] = {"name": name, "wanted": wanted, "kind": kind(instance)}
    if "string" in types and isinstance(instance, (bool, int, float)):
        # YAML 1.1 turned what the author wrote into something else: say what, and how
        # to keep the text.
        source = ctx.sources.get(path)
        if source is not None:
            return ctx.error(code, path, MESSAGES["type.yaml-reads"], source=source, **params)
        return ctx.error(code, path, MESSAGES["type.quote"], **params)
    if instance is None:
        advice = ADVICE.get(normal(path))
        if advice:
            return ctx.error(code, path, MESSAGES["type.empty-advice"], advice=Text(advice),
                             **params)
        return ctx.error(code, path, MESSAGES["type.empty"], **params)
    if isinstance(instance, str) and (
            ("boolean" in types and instance.lower() in ("true", "false", "yes", "no"))
            or (("number" in types or "integer" in types) and _is_number(instance))):
        return ctx.error(code, path, MESSAGES["type.unquote"], **params)
    if "array" in types and isinstance(instance, (str, int, float)) and \
            not isinstance(instance, bool):
        return ctx.error(code, path, MESSAGES["type.list"], text=instance, **params)
    return ctx.error(code, path, MESSAGES["type"], **params)


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _message(keyword: str, path: str, value: Any, instance: Any, error: ValidationError
             ) -> tuple[str, dict[str, Any], Hint | None]:
    """Return the template, parameters and hint of a keyword not handled above."""
    params: dict[str, Any] = {"value": value}
    variant: str | None = None
    hint: Hint | None = None
    if keyword == "enum":
        params["choices"] = ", ".join(map(str, value))
        hint = _did_you_mean(instance, value)
    elif keyword == "const":
        hint = _did_you_mean(instance, [value])
    elif keyword == "pattern":
        variant = def_name(error.schema)
        if variant in ("slug", "catalogueId") and isinstance(instance, str):
            slug = _slugify(instance, 3 if variant == "slug" else 2)
            hint = (DID_YOU_MEAN, {"suggestion": slug}) if slug else None
    elif keyword == "format":
        variant = str(value)
    elif keyword in ("minLength", "maxLength"):
        params["length"] = len(instance)
        variant = "1" if keyword == "minLength" and value == 1 else None
    elif keyword == "minItems":
        variant = "1" if value == 1 else None
    elif keyword == "minProperties":
        parts = split(path)
        variant = "text" if parts and parts[-1] in ("title", "summary", "name") else None
    template = MESSAGES.get(f"{keyword}.{variant}") or MESSAGES.get(keyword)
    if template is None:
        return MESSAGES["*"], {"keyword": keyword, "value": short(value, 200)}, None
    return template, params, hint


def _closest(word: Any, choices: Any) -> str | None:
    # difflib is quadratic: a hint for a huge value is neither useful nor cheap.
    if not isinstance(word, str) or len(word) > 100:
        return None
    options = [str(c) for c in choices]
    lowered = {c.lower(): c for c in options}
    if word.lower() in lowered:
        return lowered[word.lower()]
    import difflib  # only for a misspelt field name

    match = difflib.get_close_matches(word, options, n=1, cutoff=0.6)
    return match[0] if match else None


def _did_you_mean(word: Any, choices: Any) -> Hint | None:
    close = _closest(word, choices)
    return (DID_YOU_MEAN, {"suggestion": close}) if close and close != word else None


def _slugify(value: str, minimum: int = 3) -> str | None:
    slug = re.sub(r"[^a-z0-9]+", "-", value.lower()).strip("-")
    return slug if len(slug) >= minimum and slug != value else None
