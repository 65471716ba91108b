"""Interface languages: gettext catalogues (.po) for en, fr and nl, read at start.

The .po files under registry/translations/ are the source; they are read with Babel
at start-up, so no compiled .mo file is generated or committed. Templates use the
standard Jinja i18n calls: {{ _('Standards') }}, {{ ngettext('%(num)d standard',
'%(num)d standards', n) }}. API and CLI messages stay English.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, has_request_context, request

from registry.documents.localize import LANGUAGES, TRANSLATIONS, catalogue
from registry.documents.typography import french_html

__all__ = ["LANGUAGES", "TRANSLATIONS", "catalogue", "current", "current_lang", "gettext",
           "ngettext", "typeset"]
LANGUAGE_NAMES = {"en": "English", "fr": "Français", "nl": "Nederlands"}  # in their own tongue


def current_lang() -> str:
    """Return the page language: ?lang=, else Accept-Language, else English."""
    # Asked for every translated string of a page (hundreds): decided once a request.
    environ = request.environ
    found = environ.get("registry.lang")
    if found is None:
        asked = request.args.get("lang", "")
        found = asked if asked in LANGUAGES else (
            request.accept_languages.best_match(LANGUAGES) or "en")
        environ["registry.lang"] = found
    return str(found)


def asked_lang() -> str | None:
    """Return the language a request names (?lang=, else Accept-Language), or None.

    The API answers in English; it adds the text in another language only when one is
    asked for, so that a client that asks nothing gets the body it always got.
    """
    asked = request.args.get("lang", "")
    if asked in LANGUAGES:
        return asked
    return request.accept_languages.best_match(LANGUAGES)


def current() -> str:
    """Return the language of the current request (English outside a request)."""
    if not has_request_context():
        return "en"
    return current_lang()


def typeset(html: str) -> str:
    """Return a rendered page with its language's typography (French: no-break spaces)."""
    return french_html(html) if current() == "fr" else html


def gettext(message: str, **variables: Any) -> str:
    """Translate a message into the request's language, falling back to English."""
    text = catalogue(current()).get(message) or message
    return text % variables if variables else text


def _plural_form(singular: str, plural: str, num: int) -> str:
    """Return the translated form of a plural message for num, unformatted."""
    forms = catalogue(current()).get((singular, plural))  # type: ignore[call-overload]
    if forms and all(forms):
        # French and Dutch both use the singular for 1 only (fr also for 0).
        one = num == 1 or (num == 0 and current() == "fr")
        return forms[0] if one else forms[1]
    return singular if num == 1 else plural


def ngettext(singular: str, plural: str, num: int, **variables: Any) -> str:
    """Translate a message with a singular and a plural form."""
    variables.setdefault("num", num)
    return _plural_form(singular, plural, num) % variables


def _template_gettext(message: str) -> str:
    # Jinja's newstyle gettext formats the result itself (escaping the variables).
    return catalogue(current()).get(message) or message


def init_app(app: Flask) -> None:
    """Make _(), gettext and ngettext available in templates."""
    app.jinja_env.add_extension("jinja2.ext.i18n")
    # Jinja's newstyle callables do the %-formatting (with autoescaping) themselves, so
    # they get the lookups that only pick the translation.
    app.jinja_env.install_gettext_callables(  # type: ignore[attr-defined]
        _template_gettext, _plural_form, newstyle=True)
