"""The page types the browser tests visit, and how to reach each one."""

from __future__ import annotations

from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
LANGS = ("en", "fr", "nl")
SHEET = ROOT / "examples" / "mobility-data-hub.yaml"

# name -> path (a query string of its own is kept; ?lang= is added)
PAGE_TYPES: dict[str, str] = {
    "home": "/",
    "standards": "/standards",
    "standards-search": "/standards?q=accessibility",
    "standard": "/standards/ngsi-ld",
    "principles": "/principles",
    "principle": "/principles/once-only",
    "components": "/components",
    "component": "/components/irisbox",
    "legal-acts": "/legal",
    "legal-act": "/legal/web-accessibility-directive",
    "catalogue-health": "/lint?as_of=2028-01-01",
    "vocabularies": "/vocabularies",
    "vocabulary": "/vocabularies/capabilities",
    "concept": "/vocabularies/organisations/paradigm",
    "validate": "/validate",
    "validate-report": "/validate",  # then a sheet is uploaded
    "projects": "/projects?as_of=2026-11-26",
    "project": "/projects/mobility-data-hub?as_of=2026-11-26",
    "compliance": "/compliance?as_of=2026-11-26",
    "lapsing": "/compliance/lapsing?as_of=2026-11-26&days=3650",
    "reuse": "/reuse",
    "sparql": "/sparql",
    "sparql-answer": "/sparql?format=html&query=SELECT+%3Fs+WHERE+%7B+%3Fs+a+%3Fo+%7D+LIMIT+3",
    "not-found": "/standards/no-such-standard",
    "accessibility": "/accessibility",
    "legal-notice": "/legal-notice",
    "privacy": "/privacy",
}
OPTIONAL = {"dashboard": "/dashboard", "roadmap": "/roadmap", "architecture": "/architecture"}


def url(name: str, lang: str) -> str:
    """Return the path of a page type in a language."""
    path = {**PAGE_TYPES, **OPTIONAL}[name]
    return path + ("&" if "?" in path else "?") + f"lang={lang}"


def open_page(page: Any, name: str, lang: str) -> Any:
    """Open a page type in a language (uploading a sheet for the report); return the answer."""
    response = page.goto(url(name, lang))
    if name == "validate-report":
        page.set_input_files("#v-file", str(SHEET))
        with page.expect_navigation():
            page.locator("form.validate-form button[type=submit]").click()
    return response
