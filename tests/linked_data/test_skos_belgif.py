"""BELGIF's published vocabularies import as they are (tests/data/skos/belgif/SOURCE.md)."""

from __future__ import annotations

import pyoxigraph
import pytest

from registry.catalogue.records import validate_record
from registry.linked_data.rdf_input import format_for, parse_rdf
from registry.linked_data.skos import SKOS, check_and_map
from registry.storage import Store
from tests.linked_data.conftest import SKOS_DATA

BELGIF = SKOS_DATA / "belgif"
EIF3 = BELGIF / "eif3.ttl"
EIF = "http://www.belgif.be/id/eif3/"
SCHEMES = {f"{EIF}level/": 6, f"{EIF}principle/": 12, f"{EIF}recommendation/": 47}


def check(name: str, scheme_iri: str | None = None, existing=None):
    path = BELGIF / name
    parsed = parse_rdf(path.read_bytes(), format_for(path), max_bytes=4 * 1024 * 1024)
    return check_and_map(parsed, "belgif", existing=existing, scheme_iri=scheme_iri,
                         file_name=name, fmt=format_for(path))


def triples(name: str, predicate: str) -> list[tuple[str, str]]:
    path = BELGIF / name
    fmt = pyoxigraph.RdfFormat.TURTLE if path.suffix == ".ttl" else \
        pyoxigraph.RdfFormat.N_TRIPLES
    return [(q.subject.value, q.object.value) for q in pyoxigraph.parse(path.read_bytes(),
                                                                        format=fmt)
            if q.predicate.value == predicate]


def test_schemes_named_only_by_in_scheme_are_listed_all():
    result = check("eif3.ttl")
    assert result.record is None
    [finding] = [f for f in result.findings if f.severity == "error"]
    assert finding.code == "skos.several-schemes"
    assert all(f"<{iri}>" in finding.message for iri in SCHEMES)
    wrong = check("eif3.ttl", "http://example.org/none")
    assert wrong.findings[0].code == "skos.no-such-scheme"
    assert all(f"<{iri}>" in wrong.findings[0].message for iri in SCHEMES)


@pytest.mark.parametrize(("iri", "size"), sorted(SCHEMES.items()))
def test_each_eif3_scheme_imports(iri, size):
    result = check("eif3.ttl", iri)
    assert result.errors == 0, result.findings
    assert validate_record("vocabulary", result.record) == []
    assert len(result.record["concepts"]) == size
    assert result.record["source"]["iri"] == iri


def test_every_related_link_is_kept():
    published = triples("eif3.ttl", SKOS + "related")
    assert len(published) == 33
    kept = set()
    for iri in SCHEMES:
        concepts = check("eif3.ttl", iri).record["concepts"]
        by_id = {c["id"]: c["iri"] for c in concepts}
        for concept in concepts:
            kept.update((concept["iri"], target) for target in concept.get("related_iris", ()))
            kept.update((concept["iri"], by_id[r]) for r in concept.get("related", ()))
    assert kept == set(published)


def test_findings_point_at_the_description_and_quote_labels_as_written():
    result = check("eif3.ttl", f"{EIF}recommendation/")
    ambiguous = [f for f in result.findings if f.code == "skos.ambiguous-preflabel"
                 and "openspecifications2" in f.message]
    assert len(ambiguous) == 1
    # Line 478 describes openspecifications2; line 47 only mentions it (skos:related).
    assert ambiguous[0].line == 478 and ambiguous[0].column == 1
    assert "'Open specifications' in 'en'" in ambiguous[0].message
    assert "'Spécifications ouvertes' in 'fr'" in ambiguous[0].message


def test_the_duplicate_label_lint_covers_every_scheme_of_the_file():
    # Importing the level scheme still sees "Multilingualism" on a principle and on a
    # recommendation, two other schemes of the same file.
    result = check("eif3.ttl", f"{EIF}level/")
    across = [f for f in result.findings if f.code == "skos.ambiguous-preflabel"
              and "principle/multilingualism" in f.message]
    assert len(across) == 1 and f"schemes <{EIF}principle/>" in across[0].message
    assert "'Multilingualism' in 'en'" in across[0].message


@pytest.mark.parametrize(("name", "size"), [("be-theme.nt", 12), ("gdpr-category.nt", 103),
                                            ("refnis2019.nt", 639)])
def test_the_code_lists_import_as_published(name, size):
    result = check(name)
    assert result.errors == 0, [f for f in result.findings if f.severity == "error"]
    assert validate_record("vocabulary", result.record) == []
    assert len(result.record["concepts"]) == size


def test_hierarchy_and_matches_are_kept():
    concepts = check("refnis2019.nt").record["concepts"]
    assert sum(len(c.get("broader", ())) for c in concepts) == len(
        triples("refnis2019.nt", SKOS + "broader"))
    exact = {(c["iri"], m) for c in concepts for m in c.get("exact_match", ())}
    assert exact == set(triples("refnis2019.nt", SKOS + "exactMatch"))
    themes = check("be-theme.nt").record["concepts"]
    for predicate, name in (("broadMatch", "broad_match"), ("narrowMatch", "narrow_match"),
                            ("exactMatch", "exact_match")):
        kept = {(c["iri"], m) for c in themes for m in c.get(name, ())}
        assert kept == set(triples("be-theme.nt", SKOS + predicate)), predicate


def test_what_is_not_kept_is_reported_once_per_property():
    messages = [f.message for f in check("gdpr-category.nt").findings
                if f.code == "skos.not-imported"]
    assert any(m.startswith("skos:note (on 80 concepts) is not imported") for m in messages)
    assert any(m.startswith("dcterms:modified (on <") for m in messages)
    refnis = [f.message for f in check("refnis2019.nt").findings
              if f.code == "skos.not-imported"]
    assert any("<https://schema.org/startDate> (on 639 concepts)" in m for m in refnis)
    assert any("neither a concept scheme nor a concept" in m for m in refnis)


def test_the_command_imports_one_scheme_of_eif3(run, database_url):
    several = run("vocab", "import", str(EIF3), "--scheme", "eif3-levels")
    assert several.exit_code == 1 and "skos.several-schemes" in several.output
    assert f"<{EIF}recommendation/>" in several.output
    done = run("vocab", "import", str(EIF3), "--scheme", "eif3-levels",
               "--scheme-iri", f"{EIF}level/")
    assert done.exit_code == 0, done.output
    assert "created (revision 1); 6 concept(s) added" in done.output
    store = Store(database_url)
    concepts = store.get("vocabulary", "eif3-levels").data["concepts"]
    store.engine.dispose()
    legal = next(c for c in concepts if c["iri"] == f"{EIF}level/legal")
    assert legal["related_iris"] == [f"{EIF}recommendation/legislation"]


def test_the_kept_links_are_published_again(run, database_url, tmp_path):
    themes = run("vocab", "import", str(BELGIF / "be-theme.nt"), "--scheme", "be-themes")
    assert themes.exit_code == 0, themes.output
    levels = run("vocab", "import", str(EIF3), "--scheme", "eif3-levels",
                 "--scheme-iri", f"{EIF}level/")
    assert levels.exit_code == 0, levels.output
    out = tmp_path / "registry.nt"
    assert run("export", "rdf", "--format", "nt", "--output", str(out)).exit_code == 0
    graph = {tuple(t.value for t in (q.subject, q.predicate, q.object))
             for q in pyoxigraph.parse(out.read_bytes(), format=pyoxigraph.RdfFormat.N_TRIPLES)}
    related = {(s, o) for s, p, o in graph if p == SKOS + "related"}
    assert any(o == f"{EIF}recommendation/legislation" for _, o in related)
    broad = {o for _, p, o in graph if p == SKOS + "broadMatch"}
    assert broad == {o for _, o in triples("be-theme.nt", SKOS + "broadMatch")}
