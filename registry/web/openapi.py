"""The OpenAPI 3.1 document of the API, built from the record schemas it serves."""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from registry.analysis.compliance import STATES
from registry.catalogue.query import FILTERS, MAX_PAGE, PAGING, Filter
from registry.catalogue.records import SCHEMA_DIR
from registry.catalogue.snapshot import Catalogue
from registry.validation.schema import SCHEMA_PATH as SHEET_SCHEMA_PATH
from registry.version import __version__


def _inline(node: Any, defs: dict[str, Any]) -> Any:
    """Replace references to common.schema.json by the definitions themselves."""
    if isinstance(node, dict):
        ref = node.get("$ref", "")
        if ref.startswith(("common.schema.json#/$defs/", "#/$defs/")):
            target = _inline(defs[ref.rsplit("/", 1)[1]], defs)
            extra = {k: v for k, v in node.items() if k != "$ref"}
            return {**target, **extra}
        return {k: _inline(v, defs) for k, v in node.items() if k not in ("$schema", "$id")}
    if isinstance(node, list):
        return [_inline(v, defs) for v in node]
    return node


def _record_schema(name: str) -> dict[str, Any]:
    defs = json.loads((SCHEMA_DIR / "common.schema.json").read_text("utf-8"))["$defs"]
    schema = json.loads((SCHEMA_DIR / f"{name}.schema.json").read_text("utf-8"))
    return _inline(schema, defs)


# The app takes an empty value of these optional parameters as no value (as forms send it).
EMPTY = {"allowEmptyValue": True}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


ERRORS = {
    "400": {"$ref": "#/components/responses/BadRequest"},
    "401": {"$ref": "#/components/responses/Unauthorized"},
    "403": {"$ref": "#/components/responses/Forbidden"},
    "404": {"$ref": "#/components/responses/NotFound"},
    "412": {"$ref": "#/components/responses/PreconditionFailed"},
    "413": {"$ref": "#/components/responses/TooLarge"},
    "415": {"$ref": "#/components/responses/UnsupportedMediaType"},
    "422": {"$ref": "#/components/responses/Invalid"},
    "428": {"$ref": "#/components/responses/PreconditionRequired"},
    "429": {"$ref": "#/components/responses/TooManyRequests"},
}
WRITE_ERRORS = ("401", "403", "412", "413", "415", "422", "428", "429")
CACHED = {"ETag": {"$ref": "#/components/headers/ETag"},
          "Cache-Control": {"$ref": "#/components/headers/CacheControl"},
          "Registry-Version": {"$ref": "#/components/headers/RegistryVersion"}}


def _read(summary: str, schema: dict[str, Any], *, params: list[dict[str, Any]] | None = None,
          errors: tuple[str, ...] = ("400", "404"), tag: str) -> dict[str, Any]:
    responses: dict[str, Any] = {
        "200": {**_json(schema, "the answer"), "headers": CACHED},
        "304": {"description": "the client's copy (If-None-Match) is current"},
    }
    responses.update({code: ERRORS[code] for code in errors})
    return {"get": {"summary": summary, "tags": [tag], "operationId": _op_id(summary),
                    "parameters": [*(params or []),
                                   {"$ref": "#/components/parameters/IfNoneMatch"}],
                    "responses": responses}}


def _write(summary: str, body: dict[str, Any], answer: dict[str, Any], *,
           params: list[dict[str, Any]], tag: str,
           errors: tuple[str, ...] = WRITE_ERRORS) -> dict[str, Any]:
    """Describe a PUT guarded by a bearer token and If-Match."""
    return {"summary": summary, "tags": [tag], "operationId": _op_id(summary),
            "security": [{"bearer": []}],
            "parameters": [*params, {"$ref": "#/components/parameters/IfMatch"},
                           {"$ref": "#/components/parameters/IfNoneMatch"}],
            "requestBody": {"required": True, "content": {
                "application/json": {"schema": body}, "application/yaml": {"schema": body}}},
            "responses": {
                "200": {**_json(answer, "updated: a new revision"), "headers": {
                    "ETag": {"$ref": "#/components/headers/ETag"}}},
                "201": {**_json(answer, "created: revision 1"), "headers": {
                    "ETag": {"$ref": "#/components/headers/ETag"}}},
                **{code: ERRORS[code] for code in errors}}}


def _op_id(summary: str) -> str:
    words = [w for w in summary.replace(",", "").split() if w.isalnum()]
    return words[0].lower() + "".join(w.capitalize() for w in words[1:])


def _filter_schema(spec: Filter) -> dict[str, Any]:
    """Return the schema of a list filter: its values, comma-separated (style form)."""
    if spec.allowed is None:  # free text (part of a name): anything but blanks and commas
        return {"type": "string", "pattern": "[^\\s,]"}
    values = spec.allowed(Catalogue())
    # A fixed set of values is listed; ids of the catalogue (concepts, standards,
    # principles) are not, since they change with it: an unknown one is a 400.
    item = {"enum": values} if values else {"type": "string", "pattern": "\\S"}
    return {"type": "array", "minItems": 1, "items": item}


def _list_params(kind: str) -> list[dict[str, Any]]:
    out = [{"name": f.name, "in": "query", "required": False,
            "description": f"{f.help}; several values separated by commas match any",
            **({} if f.allowed is None else {"style": "form", "explode": False}),
            "schema": _filter_schema(f)} for f in FILTERS[kind].values()]
    out.append({"name": "q", "in": "query", "required": False,
                "description": "words that must all occur in the title or name, any language",
                "schema": {"type": "string", "maxLength": 200}})
    out.append({"name": "page", "in": "query", "required": False, **EMPTY,
                "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE, "default": 1}})
    out.append({"name": "per_page", "in": "query", "required": False, **EMPTY,
                "schema": {"type": "integer", "minimum": 1, "maximum": 500, "default": 50}})
    assert all(p in [o["name"] for o in out] for p in PAGING)
    return out


def _id_param(name: str = "record_id", description: str = "the record's id") -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "description": description,
            "schema": {"type": "string", "pattern": NO_CONTROL}}


def _record_paths(kind: str, path: str, plural: str, one: str, schema: str
                  ) -> dict[str, Any]:
    """Return the list and the detail path of one kind of catalogue record."""
    return {
        path: _read(f"List {plural}", _ref(f"{schema}Page"), params=_list_params(kind),
                    errors=("400",), tag="catalogue"),
        path + "/{record_id}": _read(f"Get {one}", _ref(f"{schema}Detail"),
                                     params=[_id_param()], errors=("404",), tag="catalogue"),
    }


# No id has a control character: a path with one is answered 400 before any look-up.
NO_CONTROL = "^[^\\u0000-\\u001f\\u007f]+$"


def _page_of(item: str, key: str) -> dict[str, Any]:
    return {"type": "object", "required": ["total", "page", "per_page", key],
            "properties": {"total": {"type": "integer", "minimum": 0},
                           "page": {"type": "integer", "minimum": 1},
                           "per_page": {"type": "integer", "minimum": 1},
                           key: {"type": "array", "items": _ref(item)}}}


REF_ITEM = {"type": "object", "required": ["id"], "properties": {"id": {"type": "string"}}}
REVISION = {"type": "object", "required": ["revision", "action", "author", "created_at"],
            "properties": {"revision": {"type": "integer"}, "action": {"type": "string"},
                           "author": {"type": "string"},
                           "message": {"type": ["string", "null"]},
                           "created_at": {"type": "string"}}}
CONCEPT = {"type": "object", "required": ["id", "scheme", "label", "broader", "narrower"],
           "properties": {"id": {"type": "string"}, "scheme": {"type": "string"},
                          "label": {"type": "object"}, "definition": {"type": "object"},
                          "broader": {"type": "array", "items": {"type": "string"}},
                          "narrower": {"type": "array", "items": {"type": "string"}},
                          "exact_match": {"type": "array", "items": {"type": "string"}},
                          "deprecated": {"type": "boolean"}}}


def _saved(kind: str, schema: str) -> dict[str, Any]:
    return {"type": "object", "required": [kind, "revision"],
            "properties": {kind: _ref(schema), "revision": {"type": "integer"}}}


def _refs() -> dict[str, Any]:
    return {"type": "array", "items": REF_ITEM}


@cache
def openapi_document() -> dict[str, Any]:
    """Return the OpenAPI 3.1 document of every route of the API."""
    schemas: dict[str, Any] = {
        "Standard": _record_schema("standard"),
        "Principle": _record_schema("principle"),
        "Component": _record_schema("component"),
        "Vocabulary": _record_schema("vocabulary"),
        "LegalAct": _record_schema("legal"),
        "Concept": CONCEPT,
        "Revision": REVISION,
        "Error": {
            "type": "object", "required": ["error"],
            "properties": {"error": {
                "type": "object", "required": ["status", "code", "message", "detail"],
                "properties": {"status": {"type": "integer"}, "code": {"type": "string"},
                               "message": {"type": "string"},
                               "detail": {"type": ["object", "null"]}}}}},
        "StandardPage": _page_of("Standard", "standards"),
        "PrinciplePage": _page_of("Principle", "principles"),
        "ComponentPage": _page_of("Component", "components"),
        "LegalActPage": _page_of("LegalAct", "legal"),
        "LegalActDetail": {
            "type": "object",
            "required": ["legal", "standards", "principles", "requires", "amends",
                         "amended_by", "revisions"],
            "properties": {"legal": _ref("LegalAct"), "standards": _refs(),
                           "principles": _refs(), "requires": _refs(), "amends": _refs(),
                           "amended_by": _refs(),
                           "revisions": {"type": "array", "items": _ref("Revision")}}},
        "StandardDetail": {
            "type": "object",
            "required": ["standard", "principles", "components", "capabilities",
                         "replaced_by", "replaces", "status_history", "revisions"],
            "properties": {
                "standard": _ref("Standard"), "principles": _refs(),
                "components": _refs(), "capabilities": _refs(),
                "replaced_by": {"oneOf": [REF_ITEM, {"type": "null"}]},
                "replaces": _refs(), "status_history": {"type": "array"},
                "mandated_by": _refs(),
                "revisions": {"type": "array", "items": _ref("Revision")}}},
        "PrincipleDetail": {
            "type": "object", "required": ["principle", "standards", "revisions"],
            "properties": {"principle": _ref("Principle"), "standards": _refs(),
                           "mandated_by": _refs(), "requires": _refs(),
                           "revisions": {"type": "array", "items": _ref("Revision")}}},
        "ComponentDetail": {
            "type": "object",
            "required": ["component", "owner", "capabilities", "standards", "revisions"],
            "properties": {"component": _ref("Component"), "owner": REF_ITEM,
                           "capabilities": _refs(), "standards": _refs(),
                           "revisions": {"type": "array", "items": _ref("Revision")}}},
        "VocabularyList": {
            "type": "object", "required": ["vocabularies"],
            "properties": {"vocabularies": {"type": "array", "items": {
                "type": "object", "required": ["id", "title", "concepts"],
                "properties": {"id": {"type": "string"}, "title": {"type": "object"},
                               "concepts": {"type": "integer"}}}}}},
        "VocabularyDetail": {
            "type": "object", "required": ["vocabulary", "concepts"],
            "properties": {"vocabulary": {"type": "object"},
                           "concepts": {"type": "array", "items": _ref("Concept")}}},
        "ConceptDetail": {
            "type": "object", "required": ["concept"],
            "properties": {"concept": _ref("Concept"), "standards": _refs(),
                           "components": _refs()}},
        "Health": {"type": "object", "required": ["status"],
                   "properties": {"status": {"enum": ["ok", "unavailable"]},
                                  "database": {"type": "string"},
                                  "catalogue_version": {"type": "integer"}}},
    }
    paths: dict[str, Any] = {
        **_record_paths("standard", "/api/standards", "standards", "a standard", "Standard"),
        **_record_paths("principle", "/api/principles", "principles", "a principle",
                        "Principle"),
        **_record_paths("component", "/api/components", "components", "a component",
                        "Component"),
        **_record_paths("legal", "/api/legal", "legal acts", "a legal act", "LegalAct"),
        "/api/vocabularies": _read("List vocabularies", _ref("VocabularyList"),
                                   errors=("400",), tag="vocabularies"),
        "/api/vocabularies/{scheme}": _read(
            "Get a vocabulary", _ref("VocabularyDetail"),
            params=[_id_param("scheme", "the concept scheme's id")], tag="vocabularies"),
        "/api/vocabularies/{scheme}/{concept}": _read(
            "Get a concept", _ref("ConceptDetail"),
            params=[_id_param("scheme", "the concept scheme's id"),
                    _id_param("concept", "the concept's id")], tag="vocabularies"),
        "/health": {"get": {
            "summary": "Check health", "operationId": "checkHealth", "tags": ["service"],
            "responses": {"200": _json(_ref("Health"), "the store answers"),
                          "503": _json(_ref("Health"), "the store does not answer")}}},
        "/openapi.json": {"get": {
            "summary": "Get this document", "operationId": "getOpenapi", "tags": ["service"],
            "responses": {"200": _json({"type": "object"}, "the OpenAPI document"),
                          "304": {"description": "not modified"}}}},
    }
    for kind, schema in (("standard", "Standard"), ("principle", "Principle"),
                         ("component", "Component")):
        paths[f"/api/{kind}s/{{record_id}}"]["put"] = _write(
            f"Put a {kind}", _ref(schema), _saved(kind, schema), params=[_id_param()],
            tag="curation")
    paths["/api/legal/{record_id}"]["put"] = _write(
        "Put a legal act", _ref("LegalAct"), _saved("legal", "LegalAct"),
        params=[_id_param()], tag="curation")
    paths["/api/vocabularies/{scheme}"]["put"] = _write(
        "Put a vocabulary", _ref("Vocabulary"), _saved("vocabulary", "Vocabulary"),
        params=[_id_param("scheme", "the concept scheme's id")], tag="curation")
    paths["/api/vocabularies/{scheme}/{concept}"]["put"] = _write(
        "Put a concept", {"type": "object"}, _saved("vocabulary", "Vocabulary"),
        params=[_id_param("scheme", "the concept scheme's id"),
                _id_param("concept", "the concept's id")], tag="curation",
        errors=(*WRITE_ERRORS, "404"))
    paths["/api/audit"] = {"get": {
        "summary": "List audit events", "operationId": "listAuditEvents", "tags": ["curation"],
        "security": [{"bearer": []}],
        "parameters": [{"name": "limit", "in": "query", "required": False,
                        "schema": {"type": "integer", "minimum": 1, "maximum": 1000}}],
        "responses": {"200": _json({"type": "object", "required": ["events"], "properties": {
            "events": {"type": "array", "items": {"type": "object"}}}}, "newest first"),
            **{c: ERRORS[c] for c in ("400", "401", "403", "429")}}}}
    schemas.update(PROJECT_SCHEMAS)
    schemas["ProjectSheet"] = _sheet_schema()
    paths.update(_project_paths())
    paths.update(_linked_data_paths())
    for operations in paths.values():
        for operation in operations.values():
            if isinstance(operation, dict) and any(
                    p.get("in") == "path" for p in operation.get("parameters", [])):
                # A path carrying a control character is refused before any look-up.
                operation.setdefault("responses", {}).setdefault("400", ERRORS["400"])
    return {
        "openapi": "3.1.0",
        "info": {"title": "Open-architecture registry API", "version": __version__,
                 "description": "Principles, standards, reusable components and "
                                "vocabularies of the Smart City Office's open architecture. "
                                "Reads are public. Every error has the Error body."},
        "jsonSchemaDialect": "https://json-schema.org/draft/2020-12/schema",
        "paths": paths,
        "components": {
            "schemas": schemas,
            "responses": {
                "BadRequest": _json(_ref("Error"), "a query parameter is unknown or wrong"),
                "Unauthorized": _json(_ref("Error"), "no token, or a malformed, unknown, "
                                      "revoked or expired one"),
                "Forbidden": _json(_ref("Error"), "the token's role may not do this"),
                "NotFound": _json(_ref("Error"), "no such record"),
                "PreconditionFailed": _json(_ref("Error"), "If-Match is stale, or "
                                            "If-None-Match: * met an existing record"),
                "PreconditionRequired": _json(_ref("Error"), "updating needs If-Match"),
                "TooLarge": _json(_ref("Error"), "the body is over the size limit"),
                "UnsupportedMediaType": _json(_ref("Error"), "the body is not JSON or YAML"),
                "Invalid": _json(_ref("Error"), "the record is not valid; detail.errors "
                                 "lists every problem"),
                "TooManyRequests": {**_json(_ref("Error"), "too many failed authentications "
                                            "from this address: wait Retry-After seconds"),
                                    "headers": {"Retry-After": {
                                        "description": "seconds to wait",
                                        "schema": {"type": "string"}}}},
            },
            "parameters": {
                "IfNoneMatch": {
                    "name": "If-None-Match", "in": "header", "required": False,
                    "description": "on reads, an ETag of an earlier answer (304 when still "
                                   "current); on writes, * to create only",
                    "schema": {"type": "string"}},
                "IfMatch": {
                    "name": "If-Match", "in": "header", "required": False,
                    "description": "the ETag read before an update; required to update",
                    "schema": {"type": "string"}}},
            "securitySchemes": {"bearer": {
                "type": "http", "scheme": "bearer",
                "description": "a token from `registry token create`"}},
            "headers": {
                "ETag": {"description": "entity tag of the answer",
                         "schema": {"type": "string"}},
                "CacheControl": {"description": "no-cache (revalidate with the ETag) for "
                                 "every answer a write can change",
                                 "schema": {"type": "string"}},
                "RegistryVersion": {
                    "description": "the change-feed version the answer reflects; send it "
                    "back as the request header Registry-Min-Version to read your own "
                    "write on any server (503 with Retry-After if that server cannot "
                    "reach it in time)", "schema": {"type": "string", "pattern": "^[0-9]+$"}}},
        },
    }


# The sheet's schema is inlined (components/schemas/ProjectSheet) rather than referenced by
# its URL (/schemas/project-sheet/v1.json): a relative reference to another document left
# the OpenAPI document unusable offline, by tools that load it from a dict or in-process.
SHEET = {"$ref": "#/components/schemas/ProjectSheet"}


# What /api/validate takes: anything, since telling what is wrong with it is its purpose.
ANY_SHEET = {"description": "a project sheet (schema ProjectSheet), valid or not: whatever "
                            "the body holds, the answer is a report of its problems"}


def _sheet_schema() -> dict[str, Any]:
    """Return the project-sheet schema with its $defs inlined (it has no recursion)."""
    schema = json.loads(SHEET_SCHEMA_PATH.read_text("utf-8"))
    defs = schema.pop("$defs", {})
    return _inline(schema, defs)
FINDING = {"type": "object", "required": ["severity", "code", "path", "message"],
           "properties": {"severity": {"enum": ["error", "warning"]},
                          "code": {"type": "string"}, "path": {"type": "string"},
                          "line": {"type": ["integer", "null"]},
                          "column": {"type": ["integer", "null"]},
                          "message": {"type": "string"},
                          "hint": {"type": ["string", "null"]},
                          "localized": {
                              "type": "object", "required": ["lang", "message", "hint"],
                              "description": "present when the request names a language "
                              "(?lang= or Accept-Language among en, fr, nl): message and "
                              "hint in that language; lang is the language they are in "
                              "(en when a message has no translation yet). message and "
                              "hint above stay English.",
                              "properties": {"lang": {"enum": ["en", "fr", "nl"]},
                                             "message": {"type": "string"},
                                             "hint": {"type": ["string", "null"]}}}}}
CELL = {"type": "object", "required": ["project", "standard", "state", "status"],
        "properties": {"project": {"type": "string"}, "standard": {"type": "string"},
                       "state": {"enum": ["complies", "partial", "planned", "explain",
                                          "expired", "missing"]},
                       "status": {"type": "string"}, "applies": {"type": "boolean"},
                       "capability": {"type": ["string", "null"]},
                       "until": {"type": ["string", "null"]},
                       "note": {"type": ["string", "null"]}}}
PROJECT_SCHEMAS: dict[str, Any] = {
    "Finding": FINDING,
    "SheetReport": {
        "type": "object", "required": ["path", "valid", "findings", "summary"],
        "properties": {"path": {"type": "string"}, "valid": {"type": "boolean"},
                       "findings": {"type": "array", "items": FINDING},
                       "summary": {"type": "object"}}},
    "ProjectSummary": {
        "type": "object", "required": ["id", "owner", "status", "valid", "revision"],
        "properties": {"id": {"type": "string"}, "title": {}, "owner": {},
                       "status": {}, "domains": {"type": "array"},
                       "revision": {"type": "integer"}, "valid": {"type": "boolean"},
                       "errors": {"type": "integer"}, "warnings": {"type": "integer"}}},
    "ProjectPage": {
        "type": "object", "required": ["total", "page", "per_page", "projects"],
        "properties": {"total": {"type": "integer"}, "page": {"type": "integer"},
                       "per_page": {"type": "integer"},
                       "projects": {"type": "array",
                                    "items": {"$ref": "#/components/schemas/ProjectSummary"}}}},
    "ProjectDetail": {
        "type": "object",
        "required": ["project", "revision", "validation", "compliance"],
        "properties": {"project": {"type": "object"}, "revision": {"type": "integer"},
                       "updated_at": {"type": "string"}, "updated_by": {"type": "string"},
                       "validation": {"type": "object", "required": ["valid", "findings"],
                                      "properties": {"valid": {"type": "boolean"},
                                                     "findings": {"type": "array",
                                                                  "items": FINDING}}},
                       "compliance": {"type": "array", "items": CELL},
                       "measurements": {"type": "object", "description": "reported "
                                        "values per KPI id of the sheet, oldest first",
                                        "additionalProperties": {
                                            "type": "array",
                                            "items": {"$ref": "#/components/schemas/"
                                                              "Measurement"}}}}},
    "Measurement": {
        "type": "object", "required": ["date", "value", "revision"],
        "properties": {"project": {"type": "string"}, "kpi": {"type": "string"},
                       "date": {"type": "string", "format": "date"},
                       "value": {"type": "number"}, "note": {"type": ["string", "null"]},
                       "revision": {"type": "integer", "minimum": 1},
                       "recorded_at": {"type": "string"},
                       "recorded_by": {"type": "string"}}},
    "ComplianceCell": CELL,
    "Compliance": {
        "type": "object", "required": ["as_of", "summary", "total", "page", "per_page",
                                       "cells"],
        "properties": {"as_of": {"type": "string"},
                       "summary": {"type": "object", "description": "counts over the whole "
                                   "matrix, whatever the filters and the page"},
                       "total": {"type": "integer", "minimum": 0,
                                 "description": "cells matching the filters, on every page"},
                       "page": {"type": "integer", "minimum": 1},
                       "per_page": {"type": "integer", "minimum": 1, "maximum": 500},
                       "cells": {"type": "array", "items": CELL}}},
}


def _stream(operation: str, mimetype: str, description: str) -> dict[str, Any]:
    return {"get": {
        "summary": "Get the " + description, "tags": ["compliance"],
        "operationId": operation, "parameters": COMPLIANCE_FILTERS,
        "responses": {"200": {"description": "one row per project and standard",
                              "content": {mimetype: {"schema": {"type": "string"}}},
                              "headers": {"ETag": {"$ref": "#/components/headers/ETag"}}},
                      "304": {"description": "not modified"},
                      "400": ERRORS["400"]}}}


def _q(name: str, description: str, **schema: Any) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": False, "description": description,
            "schema": {"type": "string", **schema}}


AS_OF = {**_q("as_of", "judge lapsed explanations as of this date (YYYY-MM-DD, years 1900 "
                     "to 2999); default today", format="date",
              pattern="^(19|2[0-9])[0-9]{2}-[0-9]{2}-[0-9]{2}$"), **EMPTY}
LANG = _q("lang", "also say each finding's message and hint in this language, as "
              "`localized` (Accept-Language does the same; this parameter wins); the ETag "
              "names the language", enum=["en", "fr", "nl"])
COMPLIANCE_FILTERS = [AS_OF, _q("project", "only this project"),
                      _q("standard", "only this standard"),
                      {**_q("state", "only this state", enum=list(STATES)), **EMPTY}]


def _measurement_paths(project_id: dict[str, Any]) -> dict[str, Any]:
    """Describe reporting a KPI's value for a day (registry.web.measurements)."""
    params = [project_id, _id_param("kpi_id", "the KPI's id in the project's sheet"),
              {"name": "date", "in": "path", "required": True,
               "description": "the day the value was measured (YYYY-MM-DD, not in the "
                              "future)", "schema": {"type": "string", "format": "date"}}]
    body = {"type": "object", "required": ["value"], "additionalProperties": False,
            "properties": {"value": {"type": "number", "description": "of the KPI's "
                                     "kind: a count is a whole number >= 0, a % lies "
                                     "from 0 to 100"},
                           "note": {"type": ["string", "null"], "maxLength": 2000}}}
    put = _write("Report a KPI value", body, _ref("Measurement"), params=params,
                 tag="projects")
    put["description"] = ("The project's lead (a token of its owner organisation) or the "
                          "Office reports a value. Creating needs no precondition; "
                          "replacing a reported value needs If-Match with its ETag (428 "
                          "without, 412 when stale). A KPI the sheet does not have, or a "
                          "value of the wrong kind, is 422. Every write is audited and "
                          "earlier values are kept as revisions.")
    put["responses"]["400"] = ERRORS["400"]
    put["responses"]["404"] = ERRORS["404"]
    return {**_read("Get a KPI value", _ref("Measurement"), params=params,
                    errors=("400", "404", "422"), tag="projects"), "put": put}


def _project_paths() -> dict[str, Any]:
    project_id = _id_param("project_id", "the project's id (its sheet's id)")
    filters = [_q(name, f"only projects with this {name}") for name in
               ("owner", "status", "domain", "capability", "standard")]
    filters.append(_q("validity", "valid or invalid (against the catalogue now)",
                      enum=["valid", "invalid"]))
    saved = {"type": "object", "required": ["project", "revision", "validation"],
             "properties": {"project": {"type": "object"}, "revision": {"type": "integer"},
                            "validation": _ref("SheetReport")}}
    put = _write("Put a project", SHEET, saved, params=[project_id, AS_OF], tag="projects")
    put["requestBody"]["description"] = "a project sheet (format project-sheet/v1)"
    put["responses"]["422"] = _json(_ref("Error"), "the sheet has errors: detail is the "
                                    "validation report; nothing was stored")
    put["responses"]["404"] = ERRORS["404"]
    put["responses"]["400"] = ERRORS["400"]  # a wrong as_of
    put["security"] = [{"bearer": []}]
    revision = {"type": "object", "required": ["revision", "project"],
                "properties": {"revision": {"type": "integer"},
                               "author": {"type": "string"},
                               "created_at": {"type": "string"},
                               "project": {"type": "object"}}}
    return {
        "/api/projects": _read("List projects", _ref("ProjectPage"), params=[
            *filters, AS_OF,
            {"name": "page", "in": "query", "required": False, **EMPTY,
             "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE}},
            {"name": "per_page", "in": "query", "required": False, **EMPTY,
             "schema": {"type": "integer", "minimum": 1, "maximum": 500}}],
            errors=("400",), tag="projects"),
        "/api/projects/{project_id}": {
            **_read("Get a project", _ref("ProjectDetail"), params=[project_id, AS_OF, LANG],
                    tag="projects"),
            "put": put},
        "/api/projects/{project_id}/kpis/{kpi_id}/measurements/{date}":
            _measurement_paths(project_id),
        "/api/projects/{project_id}/revisions": _read(
            "List a project's revisions", {"type": "object", "required": ["revisions"],
                                          "properties": {"revisions": {"type": "array"}}},
            params=[project_id], tag="projects"),
        "/api/projects/{project_id}/revisions/{number}": _read(
            "Get a project revision", revision,
            params=[project_id, {"name": "number", "in": "path", "required": True,
                                 "schema": {"type": "integer", "minimum": 1}}],
            tag="projects"),
        "/api/projects/{project_id}/diff": _read(
            "Diff two project revisions",
            {"type": "object", "required": ["from", "to", "changes"],
             "properties": {"from": {"type": "integer"}, "to": {"type": "integer"},
                            "changes": {"type": "array", "items": {
                                "type": "object", "required": ["op", "path"],
                                "properties": {"op": {"enum": ["add", "remove", "replace"]},
                                               "path": {"type": "string"},
                                               "old": {}, "new": {}}}}}},
            params=[project_id,
                    {"name": "from", "in": "query", "required": False,
                     "schema": {"type": "integer"}},
                    {"name": "to", "in": "query", "required": False,
                     "schema": {"type": "integer"}}], tag="projects"),
        "/api/validate": {"post": {
            "summary": "Validate a project sheet", "tags": ["validation"],
            "operationId": "validateSheet", "parameters": [AS_OF],
            "requestBody": {"required": True, "content": {
                "application/yaml": {"schema": ANY_SHEET},
                "application/json": {"schema": ANY_SHEET},
                "multipart/form-data": {"schema": {
                    "type": "object", "required": ["file"], "properties": {"file": {
                        "description": "the sheet, as a file upload (any bytes)",
                        "contentMediaType": "application/octet-stream"}}}}}},
            "responses": {"200": _json(_ref("SheetReport"), "the report, valid or not"),
                          "400": ERRORS["400"], "413": ERRORS["413"],
                          "415": ERRORS["415"]}}},
        "/api/reuse": _read(
            "List reuse opportunities",
            {"type": "object", "required": ["opportunities"], "properties": {
                "opportunities": {"type": "array", "items": {
                    "type": "object",
                    "required": ["type", "projects", "organisations", "link", "score",
                                 "explanation"],
                    "properties": {
                        "type": {"enum": ["reuse", "pooling", "overlap", "data-sharing",
                                          "standard-divergence"]},
                        "projects": {"type": "array", "items": {"type": "string"}},
                        "organisations": {"type": "array", "items": {"type": "string"}},
                        "link": {"type": "object"},
                        "score": {"type": "number", "minimum": 0, "maximum": 1},
                        "explanation": {"type": "string"},
                        "omitted": {"type": "integer", "minimum": 0, "description":
                                    "how many projects of the group `projects` leaves out "
                                    "(lists are cut at REGISTRY_REUSE_MAX_GROUP_SIZE)"}}}}}},
            params=[{**_q("type", "only this type", enum=[
                "reuse", "pooling", "overlap", "data-sharing", "standard-divergence"]),
                     **EMPTY},
                    _q("organisation", "only opportunities involving this organisation"),
                    _q("project", "only opportunities involving this project, listed or "
                       "among those a cut list leaves out"),
                    {"name": "min_score", "in": "query", "required": False, **EMPTY,
                     "schema": {"type": "number", "minimum": 0, "maximum": 1}}],
            errors=("400",), tag="reuse"),
        "/api/compliance": _read(
            "Get a page of the compliance matrix", _ref("Compliance"), params=[
                *COMPLIANCE_FILTERS,
                {"name": "page", "in": "query", "required": False, **EMPTY,
                 "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE}},
                {"name": "per_page", "in": "query", "required": False, **EMPTY,
                 "schema": {"type": "integer", "minimum": 1, "maximum": 500}}],
            errors=("400",), tag="compliance"),
        "/api/compliance.csv": _stream("getComplianceCsv", "text/csv",
                                       "the whole matrix as CSV, streamed"),
        "/api/compliance.jsonl": _stream("getComplianceJsonLines", "application/jsonl",
                                         "the whole matrix as JSON lines (one cell a "
                                         "line), streamed"),
        "/api/compliance/lapsing": {"get": {
            "summary": "List lapsing explanations", "tags": ["compliance"],
            "operationId": "listLapsingExplanations",
            "parameters": [AS_OF, {"name": "days", "in": "query", "required": False,
                                   "schema": {"type": "integer", "minimum": 0,
                                              "maximum": 3650, "default": 90}}],
            "responses": {"200": _json({"type": "object", "required": ["declarations"],
                                        "properties": {"declarations": {"type": "array"}}},
                                       "planned and explained declarations lapsing soon"),
                          "400": ERRORS["400"]}}},
        "/api/indicators": _read("Get the dashboard indicators", _indicators_schema(),
                                 params=[AS_OF], errors=("400",), tag="compliance"),
    }


# JSON media types are JSON documents, not strings: a client parses them as JSON.
JSON_LD = {"type": ["object", "array"], "description": "a JSON-LD document"}
TEXT = {"type": "string"}


def _body_schema(media_type: str) -> dict[str, Any]:
    """Return the schema of an answer of this media type."""
    if media_type == "application/ld+json":
        return JSON_LD
    if media_type == "application/sparql-results+json":
        return {"type": "object", "description": "SPARQL 1.1 query results JSON"}
    return TEXT


def _rdf_download(summary: str, description: str, media_type: str) -> dict[str, Any]:
    return {"get": {
        "summary": summary, "tags": ["linked data"], "operationId": _op_id(summary),
        "description": description,
        "responses": {"200": {"description": "the graph", "headers": CACHED,
                              "content": {media_type: {"schema": _body_schema(media_type)}}},
                      "304": {"description": "the client's copy is current"}}}}


# A query is not blank (an empty one is a 400) and holds at most 100,000 characters.
QUERY = {"type": "string", "pattern": "\\S", "maxLength": 100_000}


def _with_page(response: dict[str, Any], page: dict[str, Any]) -> dict[str, Any]:
    """Return a response that may also be an HTML page."""
    return {**response, "content": {**response["content"], **page}}


def _linked_data_paths() -> dict[str, Any]:
    """Describe the linked-data routes: dumps, the DCAT-AP description and SPARQL."""
    dump = ("The whole registry (catalogue, vocabularies, projects, DCAT-AP description) "
            "as one graph. Every record URL (/standards/{id}, /principles/{id}, "
            "/components/{id}, /vocabularies/{scheme}[/{concept}], /projects/{id}) and "
            "dataset URL (/standards, /principles, /components, /vocabularies, /projects) "
            "also answers Turtle, JSON-LD or N-Triples by Accept or by the suffix .ttl, "
            ".jsonld, .nt, with a Link header to the alternates.")
    dcat = "The registry described as a DCAT-AP 3 catalogue of its datasets and services."
    paths: dict[str, Any] = {}
    for suffix, label, media in ((".ttl", "Turtle", "text/turtle"),
                                 (".jsonld", "JSON-LD", "application/ld+json"),
                                 (".nt", "N-Triples", "application/n-triples")):
        paths[f"/catalogue{suffix}"] = _rdf_download(f"Get the registry as {label}", dump,
                                                     media)
        paths[f"/dcat{suffix}"] = _rdf_download(f"Get the DCAT-AP description as {label}",
                                                dcat, media)
    results = {media: {"schema": _body_schema(media)} for media in (
        "application/sparql-results+json", "application/sparql-results+xml", "text/csv",
        "text/tab-separated-values", "text/turtle", "application/ld+json",
        "application/n-triples", "text/html")}
    query = {"name": "query", "in": "query", "required": False,
             "description": "a SPARQL 1.1 query (SELECT, ASK, CONSTRUCT, DESCRIBE); without "
                            "it, GET answers the HTML page with example queries",
             "schema": QUERY}
    formats = ["html", "json", "xml", "csv", "tsv", "turtle", "jsonld", "ntriples"]
    fmt = {"name": "format", "in": "query", "required": False, **EMPTY,
           "description": "answer format, instead of Accept",
           "schema": {"enum": formats}}
    # With format=html (or a browser's Accept) a refusal is the query page showing it.
    page = {"text/html": {"schema": TEXT}}
    responses = {
        "200": {"description": "the answer; X-Result-Truncated when cut at the row limit",
                "content": results},
        "400": _with_page(_json(_ref("Error"), "a syntax error (detail: line, column), or "
                                "SERVICE, FROM / FROM NAMED or an update, refused"), page),
        "413": _with_page(_json(_ref("Error"), "the query or body is too long"), page),
        "415": ERRORS["415"],
        "503": _with_page(_json(_ref("Error"), "the query ran past REGISTRY_SPARQL_TIMEOUT "
                                "and was stopped (code query-timeout), or every worker is "
                                "busy"), page),
    }
    description = ("Read-only SPARQL 1.1 protocol endpoint over the derived graph. Queries "
                   "run in a worker process, stopped after REGISTRY_SPARQL_TIMEOUT seconds; "
                   "answers hold at most REGISTRY_SPARQL_MAX_ROWS rows.")
    paths["/sparql"] = {
        "get": {"summary": "Query with SPARQL", "tags": ["linked data"],
                "operationId": "querySparql", "description": description,
                "parameters": [query, fmt], "responses": responses},
        "post": {"summary": "Query with SPARQL (POST)", "tags": ["linked data"],
                 "operationId": "querySparqlPost", "description": description,
                 "parameters": [fmt],
                 "requestBody": {"required": True, "content": {
                     "application/sparql-query": {"schema": QUERY},
                     "application/x-www-form-urlencoded": {"schema": {
                         "type": "object", "required": ["query"],
                         "properties": {"query": QUERY,
                                        "format": {"enum": [*formats, ""]}}}}}},
                 "responses": responses}}
    return paths


def _indicators_schema() -> dict[str, Any]:
    """Describe the answer of /api/indicators (registry.analysis.indicators)."""
    counts = {"type": "object", "additionalProperties": {"type": "integer"}}
    share = {"type": ["number", "null"], "minimum": 0, "maximum": 1}
    return {"type": "object", "required": [
        "as_of", "projects", "validation", "mandatory_compliance", "lapsing",
        "standards_adoption", "component_reuse", "opportunities", "kpis", "trend"],
        "properties": {
            "as_of": {"type": "string", "format": "date"},
            "projects": {"type": "object", "properties": {
                "total": {"type": "integer"}, "by_status": counts, "by_domain": counts,
                "by_owner": counts}},
            "validation": {"type": "object", "properties": {
                "projects": {"type": "integer"}, "without_errors": {"type": "integer"},
                "share": share}},
            "mandatory_compliance": {"type": "object", "description": "applicable "
                                     "mandatory standards; explained = partial, planned "
                                     "or explain", "properties": {
                                         "applicable": {"type": "integer"},
                                         "complies": {"type": "integer"},
                                         "explained": {"type": "integer"},
                                         "expired": {"type": "integer"},
                                         "missing": {"type": "integer"},
                                         "by_state": counts,
                                         "shares": {"type": "object",
                                                    "additionalProperties": share}}},
            "lapsing": {"type": "object", "properties": {
                "days": {"type": "integer"}, "count": {"type": "integer"},
                "expired": {"type": "integer"}}},
            "standards_adoption": {"type": "array", "items": {"type": "object", "properties": {
                "standard": {"type": "string"}, "status": {"type": "string"},
                "projects": {"type": "integer"}, "complies": {"type": "integer"}}}},
            "component_reuse": {"type": "object", "properties": {
                "components": {"type": "integer"}, "reuses": {"type": "integer"},
                "per_component": {"type": ["number", "null"]},
                "projects_reusing": {"type": "integer"}, "projects_share": share,
                "by_component": {"type": "array", "items": {"type": "object"}}}},
            "opportunities": {"type": "object", "properties": {
                "total": {"type": "integer"}, "by_type": counts}},
            "kpis": {"type": "array", "items": {"type": "object", "properties": {
                "project": {"type": "string"}, "id": {"type": "string"},
                "name": {"type": "object"}, "unit": {"type": "string"},
                "baseline": {"type": ["number", "null"]}, "target": {"type": ["number", "null"]},
                "current": {"type": ["number", "null"]},
                "current_date": {"type": ["string", "null"], "format": "date"},
                "measurements": {"type": "array", "items": {"type": "object", "properties": {
                    "date": {"type": "string"}, "value": {"type": "number"},
                    "note": {"type": ["string", "null"]}}}},
                "progress": share,
                "due": {"type": ["string", "null"]},
                "days_left": {"type": ["integer", "null"]}}}},
            "trend": {"type": "object", "properties": {
                "method": {"type": "string"},
                "points": {"type": "array", "items": {"type": "object", "properties": {
                    "month": {"type": "string"}, "date": {"type": "string"},
                    "projects": {"type": "integer"}, "applicable": {"type": "integer"},
                    "complies": {"type": "integer"}, "explained": {"type": "integer"},
                    "expired": {"type": "integer"}, "missing": {"type": "integer"},
                    "complies_share": share, "addressed_share": share}}}}}}}
