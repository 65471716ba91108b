"""Findings in the language a request asks for, beside their English `message` and `hint`.

The spec's finding object (severity, code, path, line, column, message, hint) is a public
contract and stays as it is, in English. When a request names a language (`?lang=` or
`Accept-Language`, among en, fr and nl), each finding also gets `localized`:
`{"lang": ..., "message": ..., "hint": ...}`, the same sentence in that language; `lang`
says the language it is really in (English when a message has no translation yet).
A request that names no language gets the body it always got.
"""

from __future__ import annotations

from typing import Any

from flask import Flask
from markupsafe import Markup

from registry.documents.findings import FileReport, Finding, Text, single_report_dict
from registry.documents.language import guess
from registry.documents.localize import Localized, localize, render
from registry.web.shared.derived import found
from registry.web.shared.i18n import asked_lang, current


def localized(finding: Finding, lang: str) -> dict[str, Any]:
    """Return the `localized` member of a finding's JSON object."""
    found = localize(finding, lang)
    return {"lang": found.message.lang, "message": found.message.text,
            "hint": None if found.hint is None else found.hint.text}


def add_localized(items: list[dict[str, Any]], findings: list[Finding]) -> str | None:
    """Give each finding's JSON object (`items`, in the order of `findings`) its
    `localized` member when the request asks for a language; return that language.

    Every API answer that carries findings goes through here, so that they all say
    them alike; an answer that may be cached must vary on the language returned
    (`Vary: Accept-Language`, and an ETag that names it).
    """
    lang = asked_lang()
    if lang is not None:
        for item, finding in zip(items, findings, strict=True):
            item["localized"] = localized(finding, lang)
    return lang


def report_body(report: FileReport) -> dict[str, Any]:
    """Return the body of a validation (`single_report_dict`), localized if asked."""
    body = single_report_dict(report)
    add_localized(body["findings"], report.findings)
    return body


def finding_dicts(findings: list[Finding]) -> list[dict[str, Any]]:
    """Return findings as JSON objects, localized if the request asks for a language."""
    items = [f.to_dict() for f in findings]
    add_localized(items, findings)
    return items


def said(finding: Finding) -> Any:
    """Return a finding's message and hint in the page's language (for templates)."""
    return localize(finding, current())


def some_in_english(findings: list[Finding]) -> bool:
    """Return True when a finding on a French or Dutch page has to be shown in English."""
    lang = current()
    return lang != "en" and any(
        said_.message.lang != lang or (said_.hint is not None and said_.hint.lang != lang)
        for said_ in (localize(f, lang) for f in findings))


def say(text: Any) -> Any:
    """Return an M_() template (or a Text) in the page's language, with the language it is in."""
    return render(text if isinstance(text, Text) else Text(str(text)), current())


def explanation(opportunity: dict[str, Any]) -> Localized:
    """Return a reuse opportunity's explanation in the page's language (English, to be
    marked so, when it has no translation)."""
    text = found().text(opportunity)
    if text is None:
        return Localized(str(opportunity["explanation"]), "en")
    return render(text, current())


def text_lang(text: Any, siblings: Any = ()) -> Markup:
    """Return ` lang="xx"` for a free text in another language than the page's, else ''.

    Free texts (a declaration's note, a phase's name, a revision's message) have no
    language in the sheet format: it is guessed from their words
    (registry.documents.language); a text too short to tell takes the language of its
    `siblings` (the other phase names of the sheet), else is left unmarked.
    """
    if not isinstance(text, str) or not text:
        return Markup("")
    found = guess(text) or guess(" ".join(t for t in siblings if isinstance(t, str)))
    if found is None or found == current():
        return Markup("")
    return Markup(' lang="%s"') % found


def init_app(app: Flask) -> None:
    """Make said(), say(), some_in_english(), explanation() and |text_lang available in
    templates."""
    app.jinja_env.globals.update(said=said, say=say, some_in_english=some_in_english,
                                 explanation=explanation)
    app.jinja_env.filters["text_lang"] = text_lang
