"""Finding messages in French and Dutch: every M_() template is translated, and a finding
said in another language keeps its parameters (codes, ids, dates) as written."""

from __future__ import annotations

import datetime
import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg

from registry.catalogue.files import load_catalogue, shipped_root
from registry.documents.findings import Listing, Text
from registry.documents.localize import catalogue, localize, needs_translation, render
from registry.validation.pipeline import validate_bytes

ROOT = Path(__file__).resolve().parents[2]
PLACEHOLDER = re.compile(r"\{[^{}]*\}")


def m_templates() -> set[str]:
    """Return every string marked M_() in the package, extracted as babel.cfg says."""
    with (ROOT / "babel.cfg").open(encoding="utf-8") as handle:
        method_map, options_map = parse_mapping_cfg(handle)
    return {message for _f, _l, message, _c, _x in extract_from_dir(
        str(ROOT / "registry"), [(p.removeprefix("registry/"), m) for p, m in method_map],
        {k.removeprefix("registry/"): v for k, v in options_map.items()},
        keywords={"M_": None}) if isinstance(message, str)}


def placeholders(template: str) -> list[str]:
    return sorted(PLACEHOLDER.findall(template.replace("{{", "").replace("}}", "")))


def test_babel_cfg_extracts_the_templates() -> None:
    found = m_templates()
    assert "{name} must be one of {choices}" in found  # schema layer
    assert "the project needs `{capability}`" in found  # policy layer
    assert "did you mean {ids}?" in found  # linked-data layer
    assert len(found) > 150


@pytest.mark.parametrize("lang", ["fr", "nl"])
def test_every_template_has_a_translation_with_the_same_placeholders(lang: str) -> None:
    messages = catalogue(lang)
    missing, wrong = [], []
    for template in m_templates():
        if not needs_translation(template):
            continue
        text = messages.get(template)
        if not text:
            missing.append(template)
        elif placeholders(text) != placeholders(template):
            wrong.append((template, text))
    assert not missing, f"{lang}: no translation of {missing}"
    assert not wrong, f"{lang}: other placeholders in {wrong}"


def test_a_text_is_english_by_str_and_translated_whole() -> None:
    text = Text("{name} must not be empty", name=Text("{field} of {owner}", field="note",
                                                        owner=Text("the sheet")))
    assert str(text) == "note of the sheet must not be empty"
    assert render(text, "fr").text == "note de la fiche de projet ne doit pas être vide"
    assert render(text, "fr").lang == "fr"
    # A template the catalogue lacks is answered in English as a whole, and says so.
    unknown = Text("no such {thing}", thing=Text("the sheet"))
    assert render(unknown, "nl").text == "no such the sheet"
    assert render(unknown, "nl").lang == "en"


def test_listings_follow_the_language() -> None:
    three = Listing(["`a`", "`b`", "`c`"], "or")
    assert str(three) == "`a`, `b` or `c`"
    assert render(three, "fr").text == "`a`, `b` ou `c`"
    assert render(Listing(["x", "y"]), "nl").text == "x en y"


@pytest.fixture(scope="module")
def report():
    sheet = (ROOT / "tests" / "documents" / "localize_sheet.yaml").read_bytes()
    return validate_bytes(sheet, load_catalogue(shipped_root()), as_of=datetime.date(2026, 11, 26),
                          path="sheet.yaml")


def test_the_findings_of_every_layer_are_said_in_french_and_dutch(report) -> None:
    codes = {f.code.split(".")[0] for f in report.findings}
    assert {"schema", "sheet", "vocabulary", "catalogue", "policy"} <= codes, codes
    for lang in ("fr", "nl"):
        for finding in report.findings:
            said = localize(finding, lang)
            assert said.message.lang == lang, (finding.code, finding.message)
            assert said.message.text != finding.message
            # What the sheet wrote (ids, dates) is kept as written.
            for quoted in re.findall(r"`([^`]+)`", finding.message):
                assert quoted in said.message.text, (quoted, said.message.text)
            if finding.hint is not None:
                assert said.hint is not None and said.hint.lang == lang, finding.hint
    # English is the message itself.
    assert all(localize(f, "en").message.text == f.message for f in report.findings)


def test_a_lapsed_explanation_in_french(report) -> None:
    lapsed = next(f for f in report.findings if f.code == "policy.explanation-expired")
    assert lapsed.message == ("the explanation for `wcag-2-1` lapsed on 2020-01-01 "
                              "(validation as of 2026-11-26)")
    assert localize(lapsed, "fr").message.text == (
        "l'explication de `wcag-2-1` est arrivée à échéance le 2020-01-01 "
        "(validation au 2026-11-26)")
    assert localize(lapsed, "nl").message.text == (
        "de uitleg voor `wcag-2-1` is vervallen op 2020-01-01 (validatie op 2026-11-26)")
