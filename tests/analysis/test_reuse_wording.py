"""Reuse explanations as message templates: English unchanged, French and Dutch whole."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from registry.analysis.reuse import Opportunity, find_opportunities
from registry.catalogue.files import load_catalogue, shipped_root
from registry.catalogue.snapshot import Catalogue
from registry.documents.findings import Listing, Term, Text
from registry.documents.localize import catalogue as messages
from registry.documents.localize import needs_translation, render

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
PLACEHOLDER = re.compile(r"\{[^{}]*\}")


@pytest.fixture(scope="module")
def catalogue() -> Catalogue:
    return load_catalogue(shipped_root())


@pytest.fixture(scope="module")
def examples(catalogue: Catalogue) -> list[Opportunity]:
    sheets = [yaml.safe_load(path.read_text(encoding="utf-8"))
              for path in sorted(EXAMPLES.glob("*.yaml"))]
    return find_opportunities(sheets, catalogue)


def sheet(pid: str, owner: str, *, builds: tuple[str, ...], title: str) -> dict[str, Any]:
    """Return a project sheet with what the reuse analysis reads."""
    return {"sheet": "project-sheet/v1", "id": pid, "title": {"en": title},
            "summary": {"en": f"The summary of project {pid}, long enough."},
            "owner": {"organisation": owner, "contact": {"name": "Lead", "email": "a@b.be"}},
            "status": "proposed", "domains": ["governance"],
            "timeline": {"start": "2026-01-01", "end": "2027-12-31"},
            "capabilities": {"needs": [], "builds": list(builds)},
            "components": {"reuses": []},
            "data": {"uses": [], "produces": [], "personal_data": False, "open_data": False},
            "standards": []}


def templates(value: Any) -> Iterator[str]:
    """Yield every template of a Text, its own and those of its parameters."""
    if isinstance(value, Text):
        yield value.template
        for param in value.params.values():
            yield from templates(param)
    elif isinstance(value, Listing):
        for item in value.items:
            yield from templates(item)


def test_the_example_roadmap_has_every_kind_of_sentence(examples: list[Opportunity]) -> None:
    assert {o.type for o in examples} == {"reuse", "pooling", "overlap", "data-sharing",
                                          "standard-divergence"}
    for o in examples:
        assert o.text is not None
        assert str(o.text) == o.explanation  # the English is the template's English


@pytest.mark.parametrize("lang", ["fr", "nl"])
def test_every_reuse_template_is_translated_with_the_same_placeholders(
        examples: list[Opportunity], lang: str) -> None:
    table = messages(lang)
    used = {t for o in examples for t in templates(o.text) if needs_translation(t)}
    assert len(used) >= 12
    for template in used:
        assert template in table, f"{lang}: no translation of {template!r}"
        assert sorted(PLACEHOLDER.findall(table[template])) == sorted(
            PLACEHOLDER.findall(template)), (lang, template)
    for o in examples:
        said = render(o.text, lang)
        assert said.lang == lang, (lang, o.explanation)
        assert said.text != o.explanation


def test_a_reuse_is_said_in_english_as_before_and_in_french(catalogue: Catalogue) -> None:
    found = find_opportunities(
        [sheet("bins", "bruxelles-proprete", builds=("incident-reporting",),
               title="Smart bins")], catalogue)
    [reuse] = [o for o in found if o.type == "reuse"]
    assert reuse.explanation == (
        "“Smart bins” (Bruxelles-Propreté) plans to build incident reporting, which the "
        "active catalogue component FixMyStreet Brussels already provides: reuse it rather "
        "than build it again.")
    french = render(reuse.text, "fr").text
    # French typography: « » for the title, no-break spaces inside them and before ":".
    assert french.startswith("«\u00a0Smart bins\u00a0» (Bruxelles-Propreté) prévoit de "
                             "construire la capacité «\u00a0signalement d")
    assert "fournit déjà\u00a0: réutilisez-le" in french
    assert "le composant actif du catalogue FixMyStreet" in french
    dutch = render(reuse.text, "nl").text
    assert "wil de capaciteit ‘" in dutch and "hergebruik die component" in dutch


def test_catalogue_labels_follow_the_language() -> None:
    term = Term({"en": "Incident reporting", "fr": "Signalement d'incidents"},
                "incident reporting")
    text = Text("{what} data", what=term)
    assert str(text) == "incident reporting data"
    assert render(Text("{x}", x=term), "fr").text == "Signalement d'incidents"
    # No Dutch label: the English one, inside a Dutch sentence.
    assert render(Text("{x}", x=term), "nl").text == "incident reporting"
