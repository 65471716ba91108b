"""The language of a free text, guessed from its function words, or not at all."""

from __future__ import annotations

import pytest

from registry.documents.language import guess


@pytest.mark.parametrize(("text", "lang"), [
    ("The pilot has no public user interface; the dashboard of phase 2 will.", "en"),
    ("Pilot on two corridors", "en"),
    ("imported from mobility-data-hub.yaml", "en"),
    ("Le pilote n'a pas encore d'interface publique.", "fr"),
    ("Les jeux de données sont décrits en DCAT-AP dès la première année.", "fr"),
    ("De pilootfase heeft nog geen publieke interface voor de burgers.", "nl"),
    ("Regional roll-out", None),  # no function word: no guess
    ("NGSI-LD", None),
    ("", None),
])
def test_a_text_is_marked_only_when_its_words_say_so(text: str, lang: str | None) -> None:
    assert guess(text) == lang
