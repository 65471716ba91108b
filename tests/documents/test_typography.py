"""French typography: no-break spaces before ; : ! ? and inside « », set when French is read."""

from __future__ import annotations

import re

import pytest

from registry.catalogue.snapshot import localized
from registry.documents.findings import Listing, Text
from registry.documents.localize import catalogue, render
from registry.documents.typography import NBSP, NNBSP, french, french_html, punctuated

# What French typography forbids: an ordinary space (or none) where a no-break one goes.
WRONG = re.compile(r" [;:!?](?=\s|$)|« | »|«(?=[^\u00a0])|(?<=[^\u00a0])»")


@pytest.mark.parametrize(("typed", "set_"), [
    ("Et maintenant ?", f"Et maintenant{NNBSP}?"),
    ("Conseil : relisez ; puis envoyez !", f"Conseil{NBSP}: relisez{NNBSP}; puis envoyez{NNBSP}!"),
    ("Exécuter « %(title)s »", f"Exécuter «{NBSP}%(title)s{NBSP}»"),
    ("«serré»", f"«{NBSP}serré{NBSP}»"),
    ("déjà  :", f"déjà{NBSP}:"),
    (f"déjà{NNBSP}:", f"déjà{NBSP}:"),
    # Not punctuation of a sentence: left as typed.
    ("voir ?lang=fr et https://example.brussels", "voir ?lang=fr et https://example.brussels"),
    ("`{keyword}: {value}`", "`{keyword}: {value}`"),
])
def test_french_sets_the_no_break_spaces(typed, set_):
    assert french(typed) == set_
    assert french(set_) == set_  # applying it twice changes nothing


def test_every_french_template_follows_the_rule():
    fr = catalogue("fr")
    assert len(fr) > 500
    texts = [s for v in fr.values() for s in (v if isinstance(v, tuple) else (v,))]
    assert sum(1 for s in texts if NBSP in s or NNBSP in s) > 100
    assert [s for s in texts if WRONG.search(s)] == []


def test_punctuation_templates_take_the_french_signs():
    assert punctuated("\u201c{title}\u201d ({organisation})", "fr") == \
        f"«{NBSP}{{title}}{NBSP}» ({{organisation}})"
    assert punctuated("{p0}; {p1}", "fr") == f"{{p0}}{NNBSP}; {{p1}}"
    # English and Dutch keep theirs.
    for lang in ("en", "nl"):
        assert punctuated("\u201c{title}\u201d; x", lang) == "\u201c{title}\u201d; x"
    joined = Text("{p0}; {p1}", p0=Text("\u201c{w}\u201d", w="bus"), p1=Listing(["a", "b"]))
    assert str(joined) == "\u201cbus\u201d; a and b"
    assert render(joined, "fr").text == f"«{NBSP}bus{NBSP}»{NNBSP}; a et b"


def test_a_records_french_text_is_shown_with_french_spaces():
    title = {"en": "Part 1: model", "fr": "Partie 1 : modèle ; note"}
    assert localized(title, "fr") == (f"Partie 1{NBSP}: modèle{NNBSP}; note", "fr")
    assert localized(title, "en") == ("Part 1: model", "en")
    assert localized({"en": "Part 1: model"}, "fr") == ("Part 1: model", "en")


def test_a_french_page_gets_its_spaces_where_templates_left_none():
    html = ('<!doctype html><html lang="fr"><head><title>Conformité : x</title>'
            '<style>a:hover{color:red;}</style></head><body>'
            '<p><span class="nowrap">Score: 0,70</span> · Projet: a; b!</p>'
            '<p><code>policy.x</code>: le standard <code>a: b</code> ?lang=fr</p>'
            '<p lang="en">Note: kept <span>as: is</span>; English</p><p>après&#39;: oui</p>'
            '<pre>x: y</pre><svg><text>livré: 2</text><g lang="en"><g><title>A: b</title>'
            '</g></g></svg><textarea>a: b</textarea><p>« cité »</p><p>&amp; fin?</p>'
            '</body></html>')
    out = french_html(html)
    assert out == french_html(out)
    for wanted in (f"Conformité{NBSP}: x", f"Score{NBSP}: 0,70", f"Projet{NBSP}: a{NNBSP}; b{NNBSP}!",
                   f"</code>{NBSP}: le standard", f"après&#39;{NBSP}: oui", f"livré{NBSP}: 2",
                   f"«{NBSP}cité{NBSP}»", f"&amp; fin{NNBSP}?", "?lang=fr",
                   # Left as they are: CSS, code, English, form fields.
                   "a:hover{color:red;}", "<code>a: b</code>", "Note: kept <span>as: is</span>; "
                   "English", "<pre>x: y</pre>", "<title>A: b</title>",
                   "<textarea>a: b</textarea>"):
        assert wanted in out, wanted
