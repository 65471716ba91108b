"""Findings in the reader's language: the API adds `localized` when a language is asked,
its English `message` and codes unchanged; the pages say findings in their language."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest

from registry.documents.findings import Text
from registry.documents.localize import catalogue, render
from registry.linked_data.examples import EXAMPLES
from registry.projects import import_projects
from registry.response_cache import ResponseCache
from registry.web.validation import code_spans
from tests.helpers import AS_OF, bearer

ROOT = Path(__file__).resolve().parents[2]
SHEET = (ROOT / "tests" / "documents" / "localize_sheet.yaml").read_bytes()


def _validate(client, **kwargs):
    response = client.post(f"/api/validate?as_of={AS_OF}", data=SHEET,
                           content_type="application/yaml", **kwargs)
    assert response.status_code == 200
    return response.get_json()


def test_no_language_asked_gives_the_spec_body(read_client):
    body = _validate(read_client)
    for item in body["findings"]:
        assert list(item) == ["severity", "code", "path", "line", "column", "message", "hint"]


@pytest.mark.parametrize(("how", "lang"), [
    ({"headers": {"Accept-Language": "fr-BE,fr;q=0.9,en;q=0.5"}}, "fr"),
    ({"query_string": {"lang": "nl"}}, "nl"),
])
def test_a_language_asked_adds_the_localized_text(read_client, how, lang):
    plain = _validate(read_client)
    asked = read_client.post(f"/api/validate?as_of={AS_OF}" + (
        f"&lang={how['query_string']['lang']}" if "query_string" in how else ""),
        data=SHEET, content_type="application/yaml", headers=how.get("headers", {}))
    assert asked.headers["Vary"] == "Accept-Language"
    body = asked.get_json()
    assert len(body["findings"]) == len(plain["findings"]) > 5
    for english, item in zip(plain["findings"], body["findings"], strict=True):
        # The spec's members are unchanged, in English.
        assert {k: item[k] for k in english} == english
        local = item["localized"]
        assert local["lang"] == lang, item
        assert local["message"] != item["message"]
        assert (local["hint"] is None) == (item["hint"] is None)
    lapsed = next(i for i in body["findings"] if i["code"] == "policy.explanation-expired")
    assert lapsed["message"].startswith("the explanation for `wcag-2-1` lapsed on 2020-01-01")
    expected = {"fr": "l'explication de `wcag-2-1` est arrivée à échéance le 2020-01-01",
                "nl": "de uitleg voor `wcag-2-1` is vervallen op 2020-01-01"}[lang]
    assert lapsed["localized"]["message"].startswith(expected)


def test_english_asked_gives_the_message_again(read_client):
    body = _validate(read_client, headers={"Accept-Language": "en"})
    assert all(i["localized"] == {"lang": "en", "message": i["message"], "hint": i["hint"]}
               for i in body["findings"])


def test_the_validate_page_says_findings_in_french(read_client):
    html = read_client.post("/validate?lang=fr", data={
        "text": SHEET.decode("utf-8"), "as_of": AS_OF}).get_data(as_text=True)
    assert "est arrivée à échéance le 2020-01-01" in html
    assert "the explanation for" not in html
    # Every finding has its translation: no note that they are in English.
    note = catalogue("fr")["The findings are explained in English; their codes are the "
                           "same in every language."]
    assert note and note not in html


@pytest.mark.parametrize("lang", ["fr", "nl"])
def test_the_sparql_example_titles_are_in_the_page_language(read_client, lang):
    html = read_client.get(f"/sparql?lang={lang}").get_data(as_text=True)
    title = catalogue(lang)["Which projects declare NGSI-LD, and how do they conform?"]
    assert title and f">{title}</h3>" in html.replace("&#39;", "'")
    assert "Which projects declare NGSI-LD" not in html


@pytest.mark.parametrize("lang", ["fr", "nl"])
def test_the_sparql_example_descriptions_are_in_the_page_language(read_client, lang):
    html = read_client.get(f"/sparql?lang={lang}").get_data(as_text=True)
    for example in EXAMPLES:
        said = render(Text(example.description), lang)
        assert said.lang == lang, example.id
        # Unmarked (in the page's language), SPARQL keywords as code.
        shown = str(code_spans(said.text))
        assert f"<p>{shown}</p>" in html, example.id
        assert str(code_spans(example.description)) not in html, example.id
    assert 'lang="en"' not in html.split('id="h-examples"', 1)[1]
    note = catalogue(lang)["The example queries are explained in English."]
    assert note and note not in html
    # The English page is unchanged: the same sentences, in English.
    english = read_client.get("/sparql?lang=en").get_data(as_text=True)
    assert f"<p>{code_spans(EXAMPLES[0].description)}</p>" in english


@pytest.fixture(scope="module")
def roadmap(read_app):
    """A client of an app with the example roadmap."""
    services = read_app.extensions["registry"]
    import_projects(ROOT / "examples", services.store, services.snapshots.get(),
                    datetime.date.fromisoformat(AS_OF), "test")
    return read_app.test_client()


@pytest.mark.parametrize("lang", ["fr", "nl"])
def test_free_text_is_marked_with_its_language_and_the_heatmap_says_its_summary(roadmap,
                                                                                  lang):
    html = roadmap.get(f"/projects/mobility-data-hub?as_of={AS_OF}&lang={lang}").get_data(
        as_text=True)
    # A declaration's note, as the lead wrote it, in English.
    assert '<td lang="en">The pilot has no public user interface' in html
    # A phase name too short to tell ("Regional roll-out") takes its siblings' language.
    assert '<th scope="row" lang="en">Regional roll-out</th>' in html
    gantt = roadmap.get(f"/roadmap?as_of={AS_OF}&lang={lang}").get_data(as_text=True)
    assert '<g class="phase" lang="en"><title>Regional roll-out:' in gantt
    page = roadmap.get(f"/compliance?as_of={AS_OF}&lang={lang}").get_data(as_text=True)
    summary = {"fr": "projets (lignes) par", "nl": "projecten (rijen) bij"}[lang]
    assert summary in page and "projects (rows) by" not in page


# --- GET /api/projects/{id}: the stored project's findings, in the language asked --------

HUB = (ROOT / "examples" / "mobility-data-hub.yaml").read_bytes()
PROJECT = f"/api/projects/mobility-data-hub?as_of={AS_OF}"
# Each language asked both ways: the header a browser sends, and ?lang=.
ASKED = {"en": [{"headers": {"Accept-Language": "en-GB,en;q=0.8"}},
                {"query_string": {"as_of": AS_OF, "lang": "en"}}],
         "fr": [{"headers": {"Accept-Language": "fr-BE,fr;q=0.9,en;q=0.5"}},
                {"query_string": {"as_of": AS_OF, "lang": "fr"}}],
         "nl": [{"headers": {"Accept-Language": "nl-BE,nl;q=0.9"}},
                {"query_string": {"as_of": AS_OF, "lang": "nl"}}]}


def _get(client, how, etag=None):
    headers = {**how.get("headers", {}), **({"If-None-Match": etag} if etag else {})}
    if "query_string" in how:
        return client.get("/api/projects/mobility-data-hub", headers=headers,
                          query_string=how["query_string"])
    return client.get(PROJECT, headers=headers)


@pytest.fixture
def hub(client, store):
    """Store the example project as its lead."""
    response = client.put(PROJECT, data=HUB, content_type="application/yaml",
                          headers=bearer(store, "lead", "brussels-mobility"))
    assert response.status_code == 201, response.get_json()
    return response


def test_a_project_answer_says_its_findings_in_the_language_asked(client, hub):
    plain = client.get(PROJECT)
    english = plain.get_json()["validation"]["findings"]
    assert english
    assert all("localized" not in f for f in english)
    assert "Accept-Language" in plain.headers["Vary"]
    etags = {None: plain.headers["ETag"]}
    for lang, ways in ASKED.items():
        answers = [_get(client, how) for how in ways]
        assert {a.headers["ETag"] for a in answers} == {answers[0].headers["ETag"]}
        etags[lang] = answers[0].headers["ETag"]
        for answer in answers:
            assert answer.status_code == 200
            assert "Accept-Language" in answer.headers["Vary"]
            found = answer.get_json()["validation"]["findings"]
            for before, item in zip(english, found, strict=True):
                # The spec's members stay English; `localized` is added beside them.
                assert {k: item[k] for k in before} == before
                assert item["localized"]["lang"] == lang, item
                if lang == "en":
                    assert item["localized"]["message"] == item["message"]
                else:
                    assert item["localized"]["message"] != item["message"]
    # One tag per language: no cache may hand an English body to a French reader.
    assert len(set(etags.values())) == 4, etags
    cache = client.application.wsgi_app
    assert isinstance(cache, ResponseCache)  # on by default: it keys by language too
    hits = cache.hits
    for lang, ways in ASKED.items():
        for how in ways:
            # Revalidating in the same language: 304 (the second time from the
            # response cache); with another language's tag, the whole answer again.
            for _ in range(2):
                assert _get(client, how, etags[lang]).status_code == 304
            other = _get(client, how, etags[None])
            assert other.status_code == 200
            assert other.get_json()["validation"]["findings"][0]["localized"]["lang"] == lang
    assert cache.hits > hits


def test_a_writer_who_read_in_french_can_update_with_that_tag(client, store, hub):
    lead = bearer(store, "lead", "brussels-mobility")
    french = _get(client, ASKED["fr"][0]).headers["ETag"]
    dutch = _get(client, ASKED["nl"][1]).headers["ETag"]
    changed = HUB.replace(b"budget_eur: 1800000", b"budget_eur: 1900000")
    assert changed != HUB
    updated = client.put(PROJECT, data=changed, content_type="application/yaml",
                         headers={**lead, "If-Match": french, "Accept-Language": "fr"})
    assert updated.status_code == 200, updated.get_json()
    assert updated.get_json()["revision"] == 2
    # The Dutch tag named the same revision, now replaced: refused as stale.
    stale = client.put(PROJECT, data=HUB, content_type="application/yaml",
                       headers={**lead, "If-Match": dutch})
    assert stale.status_code == 412
    assert _get(client, ASKED["fr"][0]).get_json()["revision"] == 2


def test_an_unknown_language_is_refused_plainly(client, hub):
    response = client.get("/api/projects/mobility-data-hub", query_string={"lang": "de"})
    assert response.status_code == 400
    assert response.get_json()["error"]["detail"] == {"parameter": "lang",
                                                      "allowed": ["en", "fr", "nl"]}
