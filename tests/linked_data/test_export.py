"""`registry export rdf`: the whole registry as Turtle, JSON-LD or N-Triples."""

from __future__ import annotations

import pytest
from rdflib import RDF, URIRef

from registry.linked_data.iris import DEFAULT_BASE
from tests.linked_data.conftest import EXAMPLES
from tests.linked_data.helpers import read_graph


@pytest.mark.parametrize(("fmt", "reader"), [("turtle", "turtle"), ("jsonld", "json-ld"),
                                              ("nt", "nt")])
def test_export_rdf_writes_the_whole_registry(run, tmp_path, fmt, reader):
    assert run("projects", "import", str(EXAMPLES[0].parent)).exit_code == 0
    out = tmp_path / f"registry.{fmt}"
    result = run("export", "rdf", "--format", fmt, "--output", str(out))
    assert result.exit_code == 0, result.output
    graph = read_graph(out.read_bytes(), reader)
    assert (URIRef(DEFAULT_BASE + "standards/ngsi-ld"), RDF.type,
            URIRef("http://purl.org/dc/terms/Standard")) in graph
    assert (URIRef(DEFAULT_BASE + "projects/mobility-data-hub"), RDF.type,
            URIRef(DEFAULT_BASE + "def/Project")) in graph
    assert (URIRef(DEFAULT_BASE + "dcat#catalogue"), None, None) in graph
    assert f"wrote {len(graph)} triples" in result.output


def test_export_rdf_to_standard_output_under_the_configured_base(run, monkeypatch):
    monkeypatch.setenv("REGISTRY_BASE_IRI", "https://data.example.org/arch")
    result = run("export", "rdf")
    assert result.exit_code == 0
    assert "<https://data.example.org/arch/standards/ngsi-ld>" in result.stdout


def test_a_folder_named_rdf_is_written_with_a_path(run, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = run("export", "./rdf")
    assert result.exit_code == 0 and (tmp_path / "rdf" / "standards").is_dir()
    misuse = run("export", str(tmp_path / "yaml"), "--format", "nt")
    assert misuse.exit_code == 2 and "registry export rdf" in misuse.output
