"""The glossary (docs/glossary.yaml) is what the French and Dutch translations say."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[1]
GLOSSARY = yaml.safe_load((ROOT / "docs" / "glossary.yaml").read_text(encoding="utf-8"))
TRANSLATIONS = ROOT / "registry" / "translations"


def messages(lang: str) -> list[tuple[str, str]]:
    """Return (English, translation) of every message, each plural form apart."""
    with (TRANSLATIONS / lang / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        catalogue = read_po(handle, locale=lang)
    out = []
    for m in catalogue:
        if not m.id:
            continue
        ids = m.id if isinstance(m.id, tuple) else (m.id,)
        forms = m.string if isinstance(m.string, tuple) else (m.string,)
        out.extend((ids[min(i, len(ids) - 1)], form or "") for i, form in enumerate(forms))
    return out


def test_every_term_is_given_in_the_three_languages():
    assert len(GLOSSARY) >= 10
    for term in GLOSSARY:
        assert term["en"] and term["fr"] and term["nl"], term


CHECKS = [(term["en"], check) for term in GLOSSARY for check in term.get("checks", [])]


@pytest.mark.parametrize(("term", "check"), CHECKS, ids=[f"{t}/{c['lang']}" for t, c in CHECKS])
def test_translations_use_the_glossarys_words(term, check):
    when = re.compile(check["when"], re.I)
    unless = re.compile(check["unless"], re.I) if check.get("unless") else None
    avoid = re.compile(check["avoid"], re.I)
    wrong = [(english, text) for english, text in messages(check["lang"])
             if when.search(english) and not (unless and unless.search(english))
             and avoid.search(text)]
    assert not wrong, f"{term} ({check['lang']}): " + "\n".join(map(str, wrong))


def test_the_checks_have_something_to_check():
    # A check whose `when` matches no message guards nothing: the glossary drifted.
    for term, check in CHECKS:
        when = re.compile(check["when"], re.I)
        assert any(when.search(e) for e, _ in messages(check["lang"])), (term, check)
