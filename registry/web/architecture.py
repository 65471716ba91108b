"""The reference architecture map: capabilities by EIF layer, standards, components."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response
from markupsafe import Markup

from registry.analysis.architecture import architecture
from registry.analysis.reuse import OPPORTUNITY_TYPES
from registry.catalogue.query import LAYERS
from registry.catalogue.query import STATUSES as STANDARD_STATUSES
from registry.catalogue.snapshot import localized
from registry.svg.architecture import architecture_svg
from registry.web.shared.context import services
from registry.web.shared.i18n import current_lang, gettext
from registry.web.shared.render import render_page
from registry.web.shared.terms import LAYER_WORDS, terms, words

bp = Blueprint("architecture", __name__)


@bp.get("/architecture")
def architecture_map() -> Response:
    """Show the reference architecture: capabilities by EIF layer, standards, components."""
    svc = services()
    catalogue = svc.snapshots.get()
    lang = current_lang()

    def build() -> tuple[Any, str]:
        groups = architecture(catalogue, svc.roadmap.get().sheets(), lang)
        domains = {c.id: localized(c.label, lang)[0]
                   for c in catalogue.concepts.get("domains", {}).values()}
        count = sum(len(b) for b in groups.values())
        svg = architecture_svg(
            groups, title=gettext("Reference architecture map"),
            description=gettext("%(n)d capabilities in four bands, one per EIF layer, each "
                                "with the standards that apply to it (letter and colour: "
                                "status) and the components that provide it. The list "
                                "below gives the same content.", n=count),
            layer_labels=words(LAYER_WORDS), domain_labels=domains,
            status_labels=terms(STANDARD_STATUSES),
            words={"component": gettext("component"), "domains": gettext("Domains"),
                   "none": gettext("No capability in this layer."),
                   "empty": gettext("No standard or component yet.")},
            link_suffix=f"?lang={lang}")
        return groups, svg

    groups, svg = svc.roadmap.memo(("architecture", svc.snapshots.version, lang), build)
    return render_page("architecture.html", groups=groups, svg=Markup(svg), layers=LAYERS,
                total=sum(len(b) for b in groups.values()),
                opportunity_types=OPPORTUNITY_TYPES)
