"""SKOS import: safe reading, integrity findings, mapping to a vocabulary, re-import."""

from __future__ import annotations

import pyoxigraph
import pytest

from registry.catalogue.records import validate_record
from registry.linked_data.rdf_input import format_for, parse_rdf
from registry.linked_data.skos import check_and_map
from registry.storage import Store
from tests.linked_data.conftest import EXAMPLES, SKOS_DATA

LIMIT = 1024 * 1024


def check(name: str, existing=None, **kwargs):
    path = SKOS_DATA / name
    parsed = parse_rdf(path.read_bytes(), format_for(path), max_bytes=LIMIT)
    return check_and_map(parsed, "test-scheme", existing=existing, file_name=name,
                         fmt=format_for(path), **kwargs)


def codes(result) -> dict[str, tuple[str, int | None]]:
    out: dict[str, tuple[str, int | None]] = {}
    for f in result.findings:
        out.setdefault(f.code, (f.severity, f.line))  # the first of each code
    return out


@pytest.mark.parametrize(("name", "code", "severity", "line", "stored"), [
    ("no-preflabel.ttl", "skos.no-preflabel", "error", 5, False),
    ("duplicate-preflabel.ttl", "skos.duplicate-preflabel", "error", 4, False),
    ("ambiguous-preflabel.ttl", "skos.ambiguous-preflabel", "warning", 5, True),
    ("cycle.ttl", "skos.broader-cycle", "error", 4, False),
    ("outside-scheme.ttl", "skos.outside-scheme", "warning", 5, True),
    ("dangling.ttl", "skos.dangling-relation", "warning", 4, True),
    ("owl-imports.ttl", "rdf.owl-imports", "warning", 5, True),
    ("malformed.ttl", "rdf.syntax", "error", 5, False),
    ("doctype.rdf", "rdf.doctype", "error", 2, False),
    ("remote-context.jsonld", "rdf.remote-context", "error", 2, False),
])
def test_each_problem_is_a_located_finding(name, code, severity, line, stored):
    result = check(name)
    assert codes(result)[code] == (severity, line), result.findings
    assert (result.record is not None) is stored


def test_a_cycle_names_its_concepts():
    message = next(f.message for f in check("cycle.ttl").findings)
    assert all(f"<http://example.org/bad/{c}>" in message for c in "abc")


def test_dangling_links_are_reported_both_ways_and_dropped():
    result = check("dangling.ttl")
    messages = [f.message for f in result.findings if f.code == "skos.dangling-relation"]
    assert len(messages) == 2 and "missing-parent" in messages[0] + messages[1]
    assert all("broader" not in c for c in result.record["concepts"])


def test_doctype_is_refused_before_any_parsing(monkeypatch):
    def parse(*args, **kwargs):
        raise AssertionError("the parser must not see a DOCTYPE")

    monkeypatch.setattr(pyoxigraph, "parse", parse)
    result = parse_rdf((SKOS_DATA / "doctype.rdf").read_bytes(), "rdfxml", max_bytes=LIMIT)
    assert [f.code for f in result.findings] == ["rdf.doctype"]


def test_size_limit():
    result = parse_rdf(b"x" * 100, "turtle", max_bytes=99)
    assert [f.code for f in result.findings] == ["rdf.too-large"]


def test_remote_import_in_an_inline_context_is_refused():
    data = b'{"@context": [{"@import": "http://example.org/ctx.jsonld"}], "@id": "http://x/a"}'
    result = parse_rdf(data, "jsonld", max_bytes=LIMIT)
    assert [f.code for f in result.findings] == ["rdf.remote-context"]


@pytest.mark.parametrize("name", ["good.ttl", "good.rdf", "good.jsonld", "good.nt"])
def test_every_format_maps_to_a_valid_vocabulary(name):
    result = check(name)
    assert result.errors == 0 and result.record is not None
    assert validate_record("vocabulary", result.record) == []
    assert all(c["iri"].startswith("http://example.org/") for c in result.record["concepts"])
    assert result.record["source"]["iri"].endswith("/scheme")


def test_iris_languages_hierarchy_and_matches_are_kept():
    record = check("good.ttl").record
    concepts = {c["id"]: c for c in record["concepts"]}
    assert set(concepts) == {"off-street", "underground", "on-street", "disabled-bay"}
    off = concepts["off-street"]
    assert off["iri"] == "http://example.org/parking/off-street"
    assert set(off["label"]) == {"en", "fr", "nl", "de", "es"}
    assert off["alt_labels"] == {"en": ["Car park", "Parking garage"]}
    assert off["definition"] == {"en": "A facility off the public road."}
    assert concepts["underground"]["broader"] == ["off-street"]
    assert concepts["disabled-bay"]["broader"] == ["on-street"]  # from skos:narrower
    assert concepts["underground"]["exact_match"] == [
        "https://example.com/other-scheme/underground"]
    assert record["title"]["fr"] == "Types de parkings"
    assert record["source"]["version"] == "1.0"


def test_reimport_deprecates_what_left_the_file_and_keeps_ids():
    first = check("good.ttl").record
    second = check("good-v2.ttl", existing=first, used={"disabled-bay": 2})
    concepts = {c["id"]: c for c in second.record["concepts"]}
    assert second.deprecated == ["disabled-bay"] and second.used_deprecated == ["disabled-bay"]
    assert concepts["disabled-bay"]["deprecated"] is True  # kept, never deleted
    assert second.added == ["kiss-and-ride"]
    assert concepts["off-street"]["label"]["en"] == "Off-street car parking"
    assert "off-street" in second.updated
    assert [c["id"] for c in second.record["concepts"]][:4] == [
        c["id"] for c in first["concepts"]]


# --- the command ---------------------------------------------------------------------

def test_vocab_import_stores_revisions_and_exits_by_outcome(run, database_url):
    good, v2 = str(SKOS_DATA / "good.ttl"), str(SKOS_DATA / "good-v2.ttl")
    created = run("vocab", "import", good, "--scheme", "parking-types")
    assert created.exit_code == 0, created.output
    assert "created (revision 1); 4 concept(s) added" in created.output
    assert "unchanged" in run("vocab", "import", good, "--scheme", "parking-types").output
    updated = run("vocab", "import", v2, "--scheme", "parking-types", "--author", "Ann")
    assert updated.exit_code == 0 and "updated (revision 2)" in updated.output
    assert "1 deprecated because they left the file" in updated.output
    store = Store(database_url)
    record = store.get("vocabulary", "parking-types")
    assert record.revision == 2 and record.updated_by == "Ann"
    assert {c["id"]: c.get("deprecated", False) for c in record.data["concepts"]} == {
        "off-street": False, "underground": False, "on-street": False, "disabled-bay": True,
        "kiss-and-ride": False}
    store.engine.dispose()

    refused = run("vocab", "import", str(SKOS_DATA / "cycle.ttl"), "--scheme", "parking-types")
    assert refused.exit_code == 1
    assert "cycle.ttl:4:1: error skos.broader-cycle" in refused.output
    assert "nothing was stored" in refused.output
    doctype = run("vocab", "import", str(SKOS_DATA / "doctype.rdf"), "--scheme", "x-y")
    assert doctype.exit_code == 1 and "doctype.rdf:2:1: error rdf.doctype" in doctype.output
    usage = run("vocab", "import", str(SKOS_DATA / "good.ttl"), "--scheme", "Bad Id")
    assert usage.exit_code == 2
    missing = run("vocab", "import", "no-such-file.ttl", "--scheme", "x-y")
    assert missing.exit_code == 2
    unknown = run("vocab", "import", str(EXAMPLES[0]), "--scheme", "x-y")
    assert unknown.exit_code == 2 and "--format" in unknown.output


def test_reimport_never_loses_a_concept_that_projects_use(run, database_url, tmp_path):
    assert run("projects", "import", str(EXAMPLES[0].parent)).exit_code == 0
    subset = tmp_path / "domains.ttl"
    subset.write_text(
        "@prefix skos: <http://www.w3.org/2004/02/skos/core#> .\n"
        "<http://example.org/d> a skos:ConceptScheme ; skos:prefLabel \"Domains\"@en .\n"
        "<http://example.org/d/mobility> a skos:Concept ; skos:inScheme <http://example.org/d> ;"
        " skos:notation \"mobility\" ; skos:prefLabel \"Mobility\"@en .\n", encoding="utf-8")
    result = run("vocab", "import", str(subset), "--scheme", "domains")
    assert result.exit_code == 0, result.output
    assert "kept and deprecated although still used: " in result.output
    assert "governance" in result.output
    store = Store(database_url)
    concepts = {c["id"]: c for c in store.get("vocabulary", "domains").data["concepts"]}
    assert len(concepts) == 6 and concepts["governance"]["deprecated"] is True
    assert concepts["mobility"]["iri"] == "http://example.org/d/mobility"
    assert not concepts["mobility"].get("deprecated")
    store.engine.dispose()


def test_values_the_vocabulary_cannot_hold_are_reported_not_dropped():
    result = check("dropped-values.ttl")
    messages = [f.message for f in result.findings if f.code == "skos.not-imported"]
    assert result.record is not None and len(messages) == 3, messages
    assert any("several skos:definition" in m for m in messages)
    assert any(m.startswith("skos:related values that are not IRIs") for m in messages)
    assert any(m.startswith("skos:scopeNote (on <http://example.org/dropped/a>)")
               for m in messages)
    assert all(f.line == 5 for f in result.findings if f.code == "skos.not-imported")
    assert result.record["concepts"][0]["definition"] == {"en": "one"}
