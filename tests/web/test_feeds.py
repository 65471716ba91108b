"""Atom feeds of what changed: parsed as Atom by feedparser, checked against RFC 4287."""

from __future__ import annotations

import datetime
from pathlib import Path
from xml.etree import ElementTree as ET

import feedparser
import orjson
import pytest

from registry.storage.tokens import create_token

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
HUB = (EXAMPLES / "mobility-data-hub.yaml").read_text(encoding="utf-8")
AIR = (EXAMPLES / "air-quality-sensor-network.yaml").read_text(encoding="utf-8")
A = "{http://www.w3.org/2005/Atom}"


def bearer(store, role, *orgs):
    secret, _ = create_token(store, role=role, organisations=list(orgs), name=f"{role} Ann")
    return {"Authorization": f"Bearer {secret}"}


@pytest.fixture
def changed(client, app):
    """A roadmap of two projects, one with an explanation lapsing in 30 days, and a
    standard whose status changed."""
    store = app.extensions["registry"].store
    soon = (datetime.date.today() + datetime.timedelta(days=30)).isoformat()
    hub = HUB.replace("until: 2027-01-31", f"until: {soon}")
    assert client.put("/api/projects/mobility-data-hub", data=hub,
                      headers=bearer(store, "lead", "brussels-mobility"),
                      content_type="application/yaml").status_code == 201
    assert client.put("/api/projects/air-quality-sensor-network", data=AIR,
                      headers=bearer(store, "office"),
                      content_type="application/yaml").status_code == 201
    read = client.get("/api/standards/gtfs")
    body = {**read.get_json()["standard"], "status": "mandatory",
            "status_since": "2026-11-01"}
    response = client.put("/api/standards/gtfs", data=orjson.dumps(body),
                          headers={**bearer(store, "architect"),
                                   "If-Match": read.headers["ETag"]},
                          content_type="application/json")
    assert response.status_code == 200, response.get_json()
    return soon


def atom(client, url):
    """Return (feedparser's result, the XML tree) after checking the answer is Atom."""
    response = client.get(url)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "application/atom+xml"
    parsed = feedparser.parse(response.get_data())
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert parsed.version == "atom10"
    root = ET.fromstring(response.get_data())
    assert root.tag == f"{A}feed"
    # RFC 4287 4.1.1: a feed has one id, title and updated, and an author (here the
    # feed's, since entries may lack one); 4.1.2: so does each entry.
    for name in ("id", "title", "updated", "author"):
        assert len(root.findall(f"{A}{name}")) == 1, name
    for entry in root.findall(f"{A}entry"):
        for name in ("id", "title", "updated"):
            assert len(entry.findall(f"{A}{name}")) == 1, name
        assert entry.find(f"{A}link[@rel='alternate']") is not None
    return parsed, root


def test_the_whole_feed_has_each_kind_of_change(client, changed):
    parsed, _root = atom(client, "/feed.atom")
    titles = [e.title for e in parsed.entries]
    assert "Standard GTFS: recommended → mandatory" in titles
    assert any(t.startswith("New project: ") for t in titles)
    day = datetime.date.fromisoformat(changed)
    assert any(f"lapses on {day:%B} {day.day}, {day.year}" in t for t in titles)
    ids = [e.id for e in parsed.entries]
    assert len(ids) == len(set(ids))
    dates = [e.updated_parsed for e in parsed.entries]
    assert dates == sorted(dates, reverse=True)
    # The same state gives the same entries (ids are stable between polls).
    assert [e.id for e in atom(client, "/feed.atom")[0].entries] == ids


@pytest.mark.parametrize(("lang", "words"), [
    ("fr", ("Nouveau projet", "Standard GTFS\u00a0:")), ("nl", ("Nieuw project", "Standaard GTFS"))])
def test_entries_are_in_the_language_asked(client, changed, lang, words):
    parsed, root = atom(client, f"/feed.atom?lang={lang}")
    assert root.get("{http://www.w3.org/XML/1998/namespace}lang") == lang
    titles = " ".join(e.title for e in parsed.entries)
    for word in words:
        assert word in titles
    assert "New project" not in titles
    by_header = client.get("/feed.atom", headers={"Accept-Language": f"{lang},en;q=0.5"})
    assert words[0] in by_header.get_data(as_text=True)


def test_filters_keep_what_touches_one_organisation_standard_or_project(client, changed):
    by_org, _ = atom(client, "/feed.atom?organisation=brussels-environment")
    links = {e.link for e in by_org.entries}
    assert links and all("air-quality-sensor-network" in link for link in links)
    by_standard, _ = atom(client, "/feed.atom?standard=gtfs")
    titles = [e.title for e in by_standard.entries]
    assert "Standard GTFS: recommended → mandatory" in titles
    assert not any("Air" in t for t in titles)  # GTFS does not apply to air quality
    by_project, _ = atom(client, "/feed.atom?project=mobility-data-hub")
    assert {e.link.split("?")[0].rsplit("/", 1)[-1] for e in by_project.entries} == {
        "mobility-data-hub"}
    assert any("lapses on" in e.title for e in by_project.entries)


@pytest.mark.parametrize(("query", "status"), [
    ("organisation=nobody", 404), ("standard=nothing", 404), ("project=nothing", 404),
    ("colour=red", 400), ("project=a&standard=gtfs", 400)])
def test_bad_filters_are_refused(client, changed, query, status):
    assert client.get(f"/feed.atom?{query}").status_code == status


def test_every_page_announces_the_feed(client):
    html = client.get("/?lang=nl").get_data(as_text=True)
    assert '<link rel="alternate" type="application/atom+xml" href="/feed.atom?lang=nl"' \
        in html
