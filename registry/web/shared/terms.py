"""The interface's names of coded values (statuses, states, layers...), translatable.

The data keep their language-neutral codes (`mandatory`, `complies`); pages show them
through term(), which translates the ones listed here and shows any other code as is.
N_() only marks a string for extraction (pybabel finds it); term() translates it at
request time.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from registry.web.shared.i18n import gettext


def N_(message: str) -> str:
    """Mark a message for extraction without translating it now."""
    return message


TERMS: dict[str, str] = {
    # standard statuses
    "mandatory": N_("mandatory"),
    "recommended": N_("recommended"),
    "candidate": N_("candidate"),
    "deprecated": N_("deprecated"),
    # component statuses
    "active": N_("active"),
    "pilot": N_("pilot"),
    "retired": N_("retired"),
    # component levels
    "federal": N_("federal"),
    "regional": N_("regional"),
    "municipal": N_("municipal"),
    # EIF layers
    "legal": N_("legal"),
    "organisational": N_("organisational"),
    "semantic": N_("semantic"),
    "technical": N_("technical"),
    # jurisdictions and kinds of legal act
    "EU": N_("European Union"),
    "BE": N_("Belgium (federal)"),
    "BE-BRU": N_("Brussels-Capital Region"),
    "regulation": N_("regulation"),
    "implementing-regulation": N_("implementing regulation"),
    "delegated-regulation": N_("delegated regulation"),
    "directive": N_("directive"),
    "law": N_("law"),
    "ordinance": N_("ordinance"),
    "joint-decree-ordinance": N_("joint decree and ordinance"),
    "royal-decree": N_("royal decree"),
    "cooperation-agreement": N_("cooperation agreement"),
    # record kinds (the catalogue health page)
    "standard": N_("standard"),
    "principle": N_("principle"),
    "component": N_("component"),
    "vocabulary": N_("vocabulary"),
    # project statuses
    "proposed": N_("proposed"),
    "selected": N_("selected"),
    "in-progress": N_("in progress"),
    "delivered": N_("delivered"),
    "stopped": N_("stopped"),
    # compliance states and conformance
    "complies": N_("complies"),
    "partial": N_("partial"),
    "planned": N_("planned"),
    "explain": N_("explain"),
    "expired": N_("expired"),
    "missing": N_("missing"),
    # severities
    "error": N_("error"),
    "warning": N_("warning"),
    # reuse opportunity types
    "reuse": N_("reuse"),
    "pooling": N_("pooling"),
    "overlap": N_("overlap"),
    "data-sharing": N_("data sharing"),
    "standard-divergence": N_("standard divergence"),
    # revision actions
    "create": N_("create"),
    "update": N_("update"),
    "import": N_("import"),
    "delete": N_("delete"),
}

# The interface languages, named in the page's language (the fallback marker).
LANGUAGE_NAMES: dict[str, str] = {"en": N_("English"), "fr": N_("French"), "nl": N_("Dutch")}

# The EIF layers' full names (the architecture map's bands, the dashboard's headings).
LAYER_WORDS: dict[str, str] = {"legal": N_("Legal interoperability"),
                               "organisational": N_("Organisational interoperability"),
                               "semantic": N_("Semantic interoperability"),
                               "technical": N_("Technical interoperability")}

# What each compliance state means (the heatmap's legend, the tables' tooltips).
STATE_MEANINGS: dict[str, str] = {
    "complies": N_("the project complies"),
    "partial": N_("complies partially"),
    "planned": N_("compliance planned"),
    "explain": N_("not complying, explained"),
    "expired": N_("explanation or plan expired"),
    "missing": N_("applies but not declared"),
}


def term(code: object) -> str:
    """Return the interface's name of a coded value in the request's language."""
    if not isinstance(code, str):
        return "" if code is None else str(code)
    message = TERMS.get(code)
    return gettext(message) if message else code


def meaning(state: str) -> str:
    """Return what a compliance state means, in the request's language."""
    message = STATE_MEANINGS.get(state)
    return gettext(message) if message else state


def language_name(code: str) -> str:
    """Return the name of a language in the request's language ("Engels" in Dutch)."""
    message = LANGUAGE_NAMES.get(code)
    return gettext(message) if message else code


def layer_word(layer: str) -> str:
    """Return the full name of an EIF layer in the request's language."""
    return gettext(LAYER_WORDS[layer]) if layer in LAYER_WORDS else layer


def words(mapping: Mapping[str, str]) -> dict[str, str]:
    """Return a mapping of keys to their translated UI word."""
    return {k: gettext(v) for k, v in mapping.items()}


def terms(codes: Iterable[str]) -> dict[str, str]:
    """Return the interface names of coded values (statuses, states, types)."""
    return {code: term(code) for code in codes}
