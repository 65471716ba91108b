"""What a public-sector site owes its visitors: accessibility statement, legal and privacy notices.

Each notice is prose written in each language (templates/statements/NAME.LANG.html), not a
string table: legal text reads as a whole, and a translator works on the whole page.
Contacts and dates come from the settings, so a deployment states its own.
"""

from __future__ import annotations

import datetime
from typing import Any

from babel.dates import format_date
from flask import Blueprint, Response, current_app, request

from registry.web.shared.i18n import current_lang
from registry.web.shared.render import render_page

bp = Blueprint("statements", __name__)

# Route -> template name; the footer of every page links to each.
STATEMENTS = {"accessibility": "/accessibility", "legal": "/legal-notice", "privacy": "/privacy"}


def _settings_context() -> dict[str, Any]:
    settings = current_app.config["REGISTRY"]
    lang = current_lang()
    try:
        reviewed = format_date(datetime.date.fromisoformat(settings["ACCESSIBILITY_REVIEWED"]),
                               format="long", locale=lang)
    except ValueError:
        reviewed = settings["ACCESSIBILITY_REVIEWED"]
    return {"operator": settings["OPERATOR_NAME"], "address": settings["OPERATOR_ADDRESS"],
            "operator_id": settings["OPERATOR_ID"], "contact": settings["CONTACT_EMAIL"],
            "a11y_email": settings["ACCESSIBILITY_EMAIL"],
            "privacy_email": settings["PRIVACY_EMAIL"], "reviewed": reviewed,
            "enforcement_url": settings["ACCESSIBILITY_ENFORCEMENT_URL"],
            "site": request.url_root.rstrip("/"), "licence": settings["DCAT_LICENCE"]}


def _notice(name: str) -> Response:
    return render_page(f"statements/{name}.{current_lang()}.html", **_settings_context())


@bp.get("/accessibility")
def accessibility() -> Response:
    """Show the accessibility statement (model of Implementing Decision (EU) 2018/1523)."""
    return _notice("accessibility")


@bp.get("/legal-notice")
def legal() -> Response:
    """Show the legal notice: who runs the registry, terms of reuse, liability."""
    return _notice("legal")


@bp.get("/privacy")
def privacy() -> Response:
    """Show the privacy notice: what personal data the registry keeps, why, and rights."""
    return _notice("privacy")
