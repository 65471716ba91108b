"""The HTML pages: cross-linked, multilingual with fallback, no script needed."""

from __future__ import annotations

import re

import pytest
from markupsafe import escape as html_escape

from tests.web.pagecheck import assert_plain_page, internal_links_resolve

PAGES = ["/", "/standards", "/standards/ngsi-ld", "/principles", "/principles/openness",
         "/components", "/components/fidus", "/vocabularies", "/vocabularies/capabilities",
         "/vocabularies/capabilities/context-data-management",
         "/vocabularies/organisations/paradigm", "/vocabularies/standard-categories/metadata"]


@pytest.mark.parametrize("url", PAGES)
def test_pages_render_without_script_and_with_one_h1(read_client, url):
    page = assert_plain_page(read_client.get(url))
    assert page.html_lang == "en"


def test_every_internal_link_of_the_main_pages_resolves(read_client):
    assert len(internal_links_resolve(read_client, PAGES)) > 100


def test_a_standard_page_shows_its_implementing_components(read_client):
    html = read_client.get("/standards/dcat-ap").get_data(as_text=True)
    assert 'href="/components/opendata-portal' in html
    assert 'href="/vocabularies/capabilities/open-data-publication' in html
    assert 'href="/standards/dcat-ap-2' in html  # the deprecated one it replaces


def test_a_capability_page_shows_applying_standards_and_providing_components(read_client):
    html = read_client.get("/vocabularies/capabilities/identity-authentication"
                           ).get_data(as_text=True)
    assert 'href="/standards/oidc' in html and 'href="/standards/saml-2' in html
    assert 'href="/components/csam-fas' in html


def test_filters_and_search_on_the_list_page(read_client):
    html = read_client.get("/standards?status=deprecated").get_data(as_text=True)
    assert "2 standards." in html
    response = read_client.get("/standards?status=obligatory")
    assert response.status_code == 400
    assert "status takes one of" in response.get_data(as_text=True)


def test_language_from_query_or_accept_language(read_client):
    french = read_client.get("/vocabularies/domains/mobility?lang=fr").get_data(as_text=True)
    assert '<html lang="fr">' in french
    dutch = read_client.get("/vocabularies/domains/mobility",
                            headers={"Accept-Language": "nl-BE,nl;q=0.9"})
    assert '<html lang="nl">' in dutch.get_data(as_text=True)
    assert dutch.headers["Content-Language"] == "nl"
    assert "Accept-Language" in dutch.headers["Vary"]


def test_german_content_falls_back_to_english_with_a_marker(read_client):
    # German is not an interface language: the page stays English.
    html = read_client.get("/standards/ngsi-ld?lang=de").get_data(as_text=True)
    assert '<html lang="en">' in html


def test_missing_translation_falls_back_to_english_with_a_marker(client, app):
    # Records imported from YAML always have en/fr/nl; a text without Dutch (e.g. one
    # stored by an older tool) must still show, in English, marked as such.
    store = app.extensions["registry"].store
    current = store.get("standard", "gtfs")
    data = {**current.data, "description": {"en": "Described in English only."}}
    store.put("standard", "gtfs", data, author="t", if_match=current.revision)
    html = client.get("/standards/gtfs?lang=nl").get_data(as_text=True)
    assert '<span lang="en">Described in English only.</span>' in html
    assert '<small class="fallback">(in het Engels)</small>' in html
    french_title = str(html_escape(current.data["title"]["fr"]))
    assert french_title in client.get("/standards/gtfs?lang=fr").get_data(as_text=True)


def test_unknown_pages_are_404_html(read_client):
    response = read_client.get("/standards/nope")
    assert response.status_code == 404
    assert "text/html" in response.content_type
    assert "Not found" in response.get_data(as_text=True)


def test_user_text_is_escaped(client, app):
    store = app.extensions["registry"].store
    current = store.get("standard", "gtfs")
    hostile = '<script>alert(1)</script>'
    data = {**current.data, "title": {"en": hostile, "fr": hostile, "nl": hostile}}
    store.put("standard", "gtfs", data, author="t", if_match=current.revision)
    html = client.get("/standards/gtfs").get_data(as_text=True)
    assert hostile not in html and "&lt;script&gt;" in html
    assert not re.search(r"<script", html)
