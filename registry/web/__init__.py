"""The web layer: one module per resource, each serving its HTML pages and its JSON.

`catalogue` (standards, principles, components, vocabularies: pages, reads, writes),
`projects`, `measurements` (a project's KPI values), `compliance`, `roadmap` (the
timeline), `dashboard` (the indicators), `architecture`, `reuse`, `validation` (and the schemas), `linked` (RDF, DCAT-AP,
SPARQL), `feeds` (Atom feeds of changes), `statements` (accessibility, legal and
privacy notices) and `system` (health, the OpenAPI document, the audit trail); `openapi` builds
the API's document. What they share is in `registry.web.shared`.
"""

from __future__ import annotations

from flask import Flask


def register(app: Flask) -> None:
    """Register the error handlers, the template helpers and every resource's blueprint."""
    from registry.web import (
        architecture,
        catalogue,
        compliance,
        dashboard,
        feeds,
        linked,
        measurements,
        projects,
        reuse,
        roadmap,
        statements,
        system,
        validation,
    )
    from registry.web.shared import consistency, errors, i18n, localized, notices, render

    errors.init_app(app)
    consistency.init_app(app)  # a read-model snapshot pinned per request
    i18n.init_app(app)
    localized.init_app(app)  # findings in the page's language
    render.init_app(app)
    notices.init_app(app)
    for module in (catalogue, projects, measurements, compliance, roadmap, dashboard,
                   architecture, reuse, validation, system, statements, feeds):
        app.register_blueprint(module.bp)
    linked.init_app(app)  # content negotiation of record URLs, dumps, DCAT-AP, SPARQL
