"""One error type, one handler: every error is the error body or the error page, by
negotiation; one `as_of` parser for pages and API."""

from __future__ import annotations

import pytest

from registry.errors import RegistryError
from registry.linked_data.sparql import QueryTimeout, SparqlError
from registry.web.shared.errors import ApiError

# The bug fixed: pages read as_of with date.fromisoformat, which also takes a compact
# date and a week date, while the API refused both. Both now take YYYY-MM-DD only.
NOT_ISO = ["20261126", "2026-W48-4", "2026-11-26T00:00", "2026-330"]


@pytest.mark.parametrize("raw", NOT_ISO)
@pytest.mark.parametrize("page", ["/projects", "/compliance", "/roadmap", "/dashboard",
                                  "/standards/ngsi-ld", "/compliance/lapsing"])
def test_pages_accept_only_the_dates_the_api_accepts(read_client, page, raw):
    response = read_client.get(f"{page}?as_of={raw}")
    assert response.status_code == 400
    assert response.mimetype == "text/html"
    assert "is not a date: write it as YYYY-MM-DD" in response.get_data(as_text=True)
    api = read_client.get(f"/api/projects?as_of={raw}")
    assert api.status_code == 400
    assert api.get_json()["error"]["detail"] == {"parameter": "as_of"}


def test_a_page_error_is_in_the_page_language_and_not_marked_english(read_client):
    response = read_client.get("/projects?as_of=20261126&lang=fr")
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "est pas une date" in html
    assert 'lang="en"' not in html.split("<main", 1)[1]


def test_an_api_message_on_a_page_is_marked_english(read_client):
    response = read_client.get("/nothing-here?lang=fr")
    assert response.status_code == 404
    # A message with a template is said in the page's language, not marked English.
    html = response.get_data(as_text=True)
    assert "<p>rien à l'adresse /nothing-here" in html or "<p>rien à l&#39;adresse /nothing-here" in html
    # One without (a view's own English message) is marked lang="en".
    response = read_client.get("/api/standards/nope", headers={"Accept": "text/html"})
    assert response.get_json()["error"]["message"]


@pytest.mark.parametrize(("lang", "heading", "said"), [
    ("fr", "Page introuvable", "rien à l"), ("nl", "Niet gevonden", "niets op /standards/nope-x")])
def test_error_pages_in_french_and_dutch(read_client, lang, heading, said):
    page = read_client.get(f"/standards/nope-x?lang={lang}").get_data(as_text=True)
    assert f'<html lang="{lang}">' in page and said in page.replace("&#39;", "'")
    assert 'lang="en"' not in page.split("<main", 1)[1]
    # 405 and the API's English body stay as they were.
    response = read_client.post(f"/standards?lang={lang}", headers={"Accept": "text/html"})
    assert response.status_code == 405
    expected = {"fr": "POST n'est pas permis sur /standards",
                "nl": "POST is niet toegestaan op /standards"}[lang]
    assert expected in response.get_data(as_text=True).replace("&#39;", "'")
    api = read_client.post("/standards", headers={"Accept": "application/json"})
    assert api.get_json()["error"]["message"] == "POST is not allowed on /standards"


def test_a_page_error_is_json_for_a_client_that_asks_for_json(read_client):
    response = read_client.get("/compliance?page=x", headers={"Accept": "application/json"})
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["status"] == 400 and error["code"] == "bad-request" and error["message"]


def test_an_api_error_is_json_whatever_the_accept_header(read_client):
    response = read_client.get("/api/standards/nope", headers={"Accept": "text/html"})
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not-found"


def test_there_is_one_error_class():
    assert ApiError is RegistryError
    assert issubclass(SparqlError, RegistryError) and issubclass(QueryTimeout, SparqlError)
    error = SparqlError(400, "syntax-error", "the query is not valid", {"line": 3})
    assert error.body() == {"error": {"status": 400, "code": "syntax-error",
                                      "message": "the query is not valid",
                                      "detail": {"line": 3}}}
    assert SparqlError(503, "busy", "every worker is busy").detail is None
