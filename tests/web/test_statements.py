"""Accessibility statement, legal notice and privacy notice: three languages, settings, footer."""

from __future__ import annotations

import pytest

from tests.helpers import make_app
from tests.web.pagecheck import assert_plain_page

LANGS = ("en", "fr", "nl")
# Words each language's version says and the others do not (the page is not a fallback).
WORDS = {"en": "partially compliant", "fr": "partiellement conforme",
         "nl": "gedeeltelijk"}


@pytest.fixture(scope="module")
def configured(tmp_path_factory):
    folder = tmp_path_factory.mktemp("statements")
    app = make_app(f"sqlite:///{folder / 'r.sqlite'}", folder,
                   OPERATOR_NAME="Test Office", OPERATOR_ADDRESS="Rue de Test 1, 1000 Brussels",
                   OPERATOR_ID="0123.456.789", CONTACT_EMAIL="hello@test.example",
                   ACCESSIBILITY_EMAIL="a11y@test.example", PRIVACY_EMAIL="dpo@test.example",
                   ACCESSIBILITY_REVIEWED="2026-12-01",
                   ACCESSIBILITY_ENFORCEMENT_URL="https://enforcement.test.example",
                   LOAD_EXAMPLES=False)
    yield app.test_client()
    app.extensions["registry"].store.engine.dispose()


@pytest.mark.parametrize("lang", LANGS)
def test_the_accessibility_statement_follows_the_model(configured, lang):
    response = configured.get(f"/accessibility?lang={lang}")
    page = assert_plain_page(response)
    assert page.html_lang == lang and response.headers["Content-Language"] == lang
    html = response.get_data(as_text=True)
    # The sections of the model statement (Implementing Decision (EU) 2018/1523).
    for section in ("status", "gaps", "preparation", "feedback", "enforcement"):
        assert f'id="{section}"' in html, section
    assert WORDS[lang] in html
    assert "2016/2102" in html and "EN 301 549" in html
    assert 'href="mailto:a11y@test.example"' in html
    assert 'href="https://enforcement.test.example"' in html
    assert "Test Office" in html
    # The review date is written the language's way.
    assert {"en": "December 1, 2026", "fr": "1 décembre 2026",
            "nl": "1 december 2026"}[lang] in html


@pytest.mark.parametrize("lang", LANGS)
def test_legal_and_privacy_notices_name_the_configured_contacts(configured, lang):
    legal = configured.get(f"/legal-notice?lang={lang}")
    assert_plain_page(legal)
    text = legal.get_data(as_text=True)
    assert "Rue de Test 1, 1000 Brussels" in text and "0123.456.789" in text
    assert 'href="mailto:hello@test.example"' in text
    privacy = configured.get(f"/privacy?lang={lang}")
    assert_plain_page(privacy)
    text = privacy.get_data(as_text=True)
    assert 'href="mailto:dpo@test.example"' in text and "2016/679" in text


@pytest.mark.parametrize("path", ["/", "/standards", "/dashboard", "/validate",
                                  "/accessibility", "/no-such-page"])
def test_every_page_links_the_three_notices_in_its_language(configured, path):
    for lang in LANGS:
        html = configured.get(f"{path}?lang={lang}").get_data(as_text=True)
        footer = html[html.index("<footer"):]
        for target in ("/accessibility", "/legal-notice", "/privacy"):
            assert f'href="{target}?lang={lang}"' in footer, (path, lang, target)


def test_without_an_address_the_legal_notice_leaves_it_out(read_client):
    html = read_client.get("/legal-notice").get_data(as_text=True)
    assert "Address:" not in html and "Enterprise number" not in html
