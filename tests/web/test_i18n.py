"""Three interface languages: every page in en, fr and nl; every UI string translated.

The catalogues are registry/translations/<lang>/LC_MESSAGES/messages.po. These tests
extract the messages from the templates and the Python code the way `pybabel extract -F
babel.cfg` does, so a string added without _() or without its French and Dutch
translation fails here, not in front of a user.
"""

from __future__ import annotations

import datetime
import re
import string
from html.parser import HTMLParser
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from registry.projects import import_projects
from registry.web.shared.i18n import TRANSLATIONS
from tests.helpers import AS_OF

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = ROOT / "registry" / "web" / "templates"
LANGS = ("en", "fr", "nl")

# page -> a message its body shows (translated differently in fr and nl)
PAGES: dict[str, tuple[str, str]] = {
    "/": ("Search the standards", "get"),
    "/standards?q=access": ("Words in the title", "get"),
    "/standards/ngsi-ld": ("Status history", "get"),
    "/principles": ("Architecture principles", "get"),
    "/principles/once-only": ("Rationale", "get"),
    "/components": ("Reusable components", "get"),
    "/components/irisbox": ("Reuse conditions", "get"),
    "/vocabularies": ("Vocabularies", "get"),
    "/vocabularies/capabilities": ("Definition", "get"),
    "/vocabularies/organisations/paradigm": ("Identifier", "get"),
    "/validate": ("Sheet file", "get"),
    "/validate?report": ("Source and findings", "post"),
    f"/projects?as_of={AS_OF}": ("Projects of the roadmap", "get"),
    f"/projects/mobility-data-hub?as_of={AS_OF}": ("Capabilities, components and data", "get"),
    f"/compliance?as_of={AS_OF}": ("The same data as a table", "get"),
    f"/compliance/lapsing?as_of={AS_OF}": ("Explanations and plans that lapse", "get"),
    "/reuse": ("Reuse and pooling opportunities", "get"),
    "/sparql": ("Example queries for architects", "get"),
    "/standards/no-such-standard": ("There is no page at this address.", "get"),
}
# Pages of the dashboard, timeline and architecture map, where the app has them.
OPTIONAL = {"/dashboard": "Dashboard", "/roadmap": "Roadmap timeline",
            "/architecture": "Reference architecture map"}
# Visible template text allowed outside _(): names, formats and punctuation.
ALLOWED_WORDS = {"JSON", "JSON-LD", "CSV", "TSV", "Turtle", "N-Triples", "SPARQL", "XML",
                 "OpenAPI", "EUR", "KPI", "EIF", "SKOS", "DCAT-AP", "1.1", "_:", "?"}


def catalogue(lang: str) -> dict:
    """Return msgid -> message of a language's .po file."""
    with (TRANSLATIONS / lang / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        return {m.id: m for m in read_po(handle, locale=lang) if m.id}


def extracted() -> dict:
    """Return msgid -> places, extracted from the code as babel.cfg says."""
    with (ROOT / "babel.cfg").open(encoding="utf-8") as handle:
        method_map, options_map = parse_mapping_cfg(handle)
    found: dict = {}
    for filename, lineno, message, _comments, _context in extract_from_dir(
            str(ROOT), method_map, options_map):
        found.setdefault(message, []).append(f"{filename}:{lineno}")
    return found


@pytest.fixture(scope="module")
def web(read_app):
    """A client of an app with the example roadmap."""
    services = read_app.extensions["registry"]
    import_projects(ROOT / "examples", services.store, services.snapshots.get(),
                    datetime.date.fromisoformat(AS_OF), "test")
    return read_app.test_client()


def _get(web, path: str, method: str, lang: str):
    sep = "&" if "?" in path else "?"
    if method == "post":
        sheet = (ROOT / "examples" / "mobility-data-hub.yaml").read_bytes()
        return web.post(f"/validate?lang={lang}", data={"text": sheet.decode("utf-8"),
                                                        "as_of": AS_OF})
    return web.get(f"{path}{sep}lang={lang}")


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("path", list(PAGES))
def test_every_page_is_in_the_asked_language(web, path: str, lang: str) -> None:
    message, method = PAGES[path]
    response = _get(web, path, method, lang)
    html = response.get_data(as_text=True)
    assert f'<html lang="{lang}">' in html
    assert response.headers["Content-Language"] == lang
    translated = message if lang == "en" else catalogue(lang)[message].string
    assert lang == "en" or translated != message
    # Jinja's newstyle gettext marks translations safe: they are in the page as written.
    assert translated in html, (path, lang, translated)
    skip = "Skip to content" if lang == "en" else catalogue(lang)["Skip to content"].string
    assert skip in html


@pytest.mark.parametrize("lang", ("fr", "nl"))
def test_the_other_helpers_pages_are_translated_too(web, lang: str) -> None:
    for path, message in OPTIONAL.items():
        response = web.get(f"{path}?lang={lang}")
        if response.status_code == 404:
            continue
        html = response.get_data(as_text=True)
        assert f'<html lang="{lang}">' in html
        assert catalogue(lang)[message].string in html


def test_accept_language_chooses_and_lang_overrides(web) -> None:
    html = web.get("/standards", headers={"Accept-Language": "nl-BE,nl;q=0.9"}).get_data(
        as_text=True)
    assert '<html lang="nl">' in html and "Standaarden" in html
    html = web.get("/standards?lang=fr", headers={"Accept-Language": "nl"}).get_data(
        as_text=True)
    assert '<html lang="fr">' in html


def test_the_language_switch_keeps_the_page_and_its_query(web) -> None:
    html = web.get("/standards?status=mandatory&layer=technical&lang=fr").get_data(
        as_text=True)
    assert 'href="/standards?status=mandatory&amp;layer=technical&amp;lang=nl"' in html
    assert 'href="/standards?status=mandatory&amp;layer=technical&amp;lang=en"' in html
    # a repeated parameter is kept too
    html = web.get("/projects?as_of=2026-11-26&x=1&x=2").get_data(as_text=True)
    assert 'href="/projects?as_of=2026-11-26&amp;x=1&amp;x=2&amp;lang=fr"' in html


def test_coded_values_are_shown_in_the_page_language(web) -> None:
    html = web.get(f"/projects/mobility-data-hub?as_of={AS_OF}&lang=fr").get_data(
        as_text=True)
    assert "obligatoire" in html and 'class="badge badge-mandatory"' in html
    svg = web.get(f"/compliance?as_of={AS_OF}&lang=nl").get_data(as_text=True)
    assert "conform (" in svg and 'data-state="complies"' in svg  # legend and codes
    reuse = web.get("/reuse?lang=fr").get_data(as_text=True)
    assert "mutualisation" in reuse and f'{catalogue("fr")["Active components"].string}</text>' in reuse


def test_finding_messages_are_in_the_page_language(web) -> None:
    sheet = (ROOT / "examples" / "mobility-data-hub.yaml").read_text(encoding="utf-8")
    html = web.post("/validate?lang=nl", data={"text": sheet.replace("status: proposed",
                                                                     "status: dreaming"),
                                               "as_of": AS_OF}).get_data(as_text=True)
    assert '<html lang="nl">' in html and "Niet geldig" in html
    assert "status moet een van proposed, selected" in html
    assert "must be one of" not in html and '<span lang="en">' not in html
    note = catalogue("nl")["The findings are explained in English; their codes are the "
                           "same in every language."].string
    assert note not in html


def test_a_message_without_translation_is_marked_as_english(web) -> None:
    # A YAML syntax error is said by the parser, in English only.
    html = web.post("/validate?lang=nl", data={"text": "id: [unclosed\n", "as_of": AS_OF}
                    ).get_data(as_text=True)
    assert '<span lang="en">' in html
    assert catalogue("nl")["The findings are explained in English; their codes are the "
                           "same in every language."].string in html


def test_every_message_is_translated_in_french_and_dutch() -> None:
    messages = extracted()
    assert len(messages) > 300
    for lang in ("fr", "nl"):
        po = catalogue(lang)
        problems = []
        for msgid, places in messages.items():
            entry = po.get(msgid)
            forms = entry.string if entry else None
            forms = forms if isinstance(forms, tuple) else (forms,)
            if entry is None or entry.fuzzy or not all(forms):
                problems.append(f"{msgid!r} ({places[0]})")
                continue
            ids = msgid if isinstance(msgid, tuple) else (msgid,)
            wanted = set(re.findall(r"%\(\w+\)\w|\{\w+\}", " ".join(ids)))
            for form in forms:
                if set(re.findall(r"%\(\w+\)\w|\{\w+\}", form)) - wanted or \
                        not set(re.findall(r"%\(\w+\)s", " ".join(ids))) <= set(
                            re.findall(r"%\(\w+\)s", form)):
                    problems.append(f"{msgid!r}: placeholders differ in {form!r}")
        assert not problems, f"untranslated in {lang}:\n" + "\n".join(problems)


def test_the_template_pot_is_up_to_date() -> None:
    with (TRANSLATIONS / "messages.pot").open("rb") as handle:
        pot = {m.id for m in read_po(handle) if m.id}
    missing = set(extracted()) - pot
    assert not missing, ("run: pybabel extract -F babel.cfg -o registry/translations/"
                         f"messages.pot --no-location --sort-output . ({sorted(missing, key=str)})")


class TextNodes(HTMLParser):
    """Collect the visible text of a template (after its Jinja code is removed)."""

    def __init__(self) -> None:
        super().__init__()
        self.texts: list[str] = []
        self.skip = 0  # inside <code>, <pre>, <style>, <script>

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("code", "pre", "style", "script"):
            self.skip += 1
        for name, value in attrs:
            if name in ("title", "alt", "placeholder", "aria-label") and value:
                self.texts.append(value)

    def handle_endtag(self, tag: str) -> None:
        if tag in ("code", "pre", "style", "script"):
            self.skip = max(0, self.skip - 1)

    def handle_data(self, data: str) -> None:
        if not self.skip:
            self.texts.append(data)


JINJA = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", re.DOTALL)
NEUTRAL = set(string.punctuation + string.digits + string.whitespace + "·›—–→×…“”‘’«»")


@pytest.mark.parametrize("template", sorted(p.name for p in TEMPLATES.glob("*.html")))
def test_no_visible_template_text_outside_gettext(template: str) -> None:
    parser = TextNodes()
    parser.feed(JINJA.sub(" ", (TEMPLATES / template).read_text(encoding="utf-8")))
    stray = []
    for text in parser.texts:
        for word in text.split():
            if word in ALLOWED_WORDS or set(word) <= NEUTRAL:
                continue
            if word.strip(string.punctuation + "·") in ALLOWED_WORDS:
                continue
            stray.append(word)
    assert not stray, f"{template}: text outside _(): {stray}"
