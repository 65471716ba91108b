"""publiccode.yml import: the mapping to a component, what is not mapped, the command."""

from __future__ import annotations

from registry.catalogue.publiccode import map_publiccode, read_publiccode, slug
from registry.catalogue.records import validate_record
from registry.storage import Store
from tests.linked_data.conftest import ROOT

DATA = ROOT / "tests" / "data" / "publiccode"


def mapped(name: str, catalogue, **kwargs):
    return map_publiccode(read_publiccode((DATA / name).read_bytes(), 1024 * 1024),
                          catalogue, **kwargs)


def test_a_publiccode_file_maps_to_a_valid_component(catalogue):
    result = mapped("signalen.yml", catalogue)
    record = result.record
    assert result.errors == 0 and record is not None, result.findings
    assert validate_record("component", record) == []
    assert record["id"] == "signalen" and record["owner"] == "paradigm"
    assert record["status"] == "active" and record["licence"] == "MPL-2.0"
    assert record["url"] == "https://signalen.org"
    assert record["contact"] == "info@signalen.example"
    assert record["provides"] == ["data-analytics"]
    assert record["description"]["nl"].startswith("Bewoners melden")
    assert "MPL-2.0" in record["reuse_conditions"]["fr"]
    targets = dict(result.mapped)
    assert targets["owner"] == "organisation.name" and targets["name.en"].endswith(
        "localisedName")


def test_a_missing_language_is_reported_not_hidden(catalogue):
    result = mapped("signalen.yml", catalogue)
    [untranslated] = [f for f in result.findings if f.code == "publiccode.untranslated"]
    assert untranslated.severity == "warning" and "French" in untranslated.message
    assert result.record["description"]["fr"] == result.record["description"]["en"]


def test_a_description_only_in_another_language_is_never_stored_as_ours(catalogue):
    result = mapped("italian-only.yml", catalogue, owner="sprb-gob")
    assert result.record is None
    [finding] = [f for f in result.findings if f.severity == "error"]
    assert finding.code == "publiccode.language" and finding.path == "/description"
    assert "only in it" in finding.message and finding.line == 10
    assert any(n.startswith("description.it ") for n in result.not_mapped)


def test_what_could_not_be_mapped_is_reported(catalogue):
    not_mapped = "\n".join(mapped("signalen.yml", catalogue).not_mapped)
    for what in ("softwareVersion", "releaseDate", "platforms", "localisation",
                 "categories: crm", "implements", "description.en.features",
                 "description.nl.longDescription"):
        assert what in not_mapped, what


def test_owner_and_id_options_win(catalogue):
    record = mapped("unknown-owner.yml", catalogue, owner="sprb-gob",
                    record_id="my-tool").record
    assert record["owner"] == "sprb-gob" and record["id"] == "my-tool"
    assert record["status"] == "pilot"


def test_unmappable_files_give_findings(catalogue):
    unknown = mapped("unknown-owner.yml", catalogue)
    assert unknown.record is None
    assert [f.code for f in unknown.findings if f.severity == "error"] == ["publiccode.owner"]
    bomb = mapped("aliases.yml", catalogue)
    assert bomb.record is None and bomb.findings[0].code == "parse.alias"
    assert bomb.findings[0].line == 2


def test_slug():
    assert slug("Signalen Frontend 2!") == "signalen-frontend-2"
    assert slug("X") == "x-component"


def test_the_command_stores_a_revision(run, database_url):
    path = str(DATA / "signalen.yml")
    dry = run("components", "import-publiccode", path, "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert "change      + id: 'signalen'" in dry.output
    assert "component signalen: checked" in dry.output
    assert dry.output.count("note: not checked") == 1
    created = run("components", "import-publiccode", path, "--author", "Ann")
    assert created.exit_code == 0, created.output
    assert "not mapped  softwareVersion" in created.output
    assert "component signalen: created (revision 1)" in created.output
    again = run("components", "import-publiccode", path, "--update")
    assert "component signalen: unchanged" in again.output, again.output
    store = Store(database_url)
    stored = store.get("component", "signalen")
    assert stored.updated_by == "Ann" and stored.data["owner"] == "paradigm"
    store.engine.dispose()
    refused = run("components", "import-publiccode", str(DATA / "unknown-owner.yml"))
    assert refused.exit_code == 1 and "publiccode.owner" in refused.output
    bad_owner = run("components", "import-publiccode", path, "--owner", "nobody")
    assert bad_owner.exit_code == 2
    force_alone = run("components", "import-publiccode", path, "--force")
    assert force_alone.exit_code == 2


def test_the_command_refuses_a_file_the_standard_refuses(run, database_url):
    path = DATA / "parser-go" / "v0" / "invalid" / "no-network" / "landingURL_invalid.yml"
    result = run("components", "import-publiccode", str(path), "--owner", "sprb-gob")
    assert result.exit_code == 1
    assert f"{path}:8:13: error publiccode.url /landingURL landingURL:" in result.output
    assert "not stored: the file does not follow the publiccode.yml standard" in result.output
    assert "mapped      " not in result.output  # nothing is mapped from a refused file
    licence = DATA / "parser-go" / "v0" / "invalid" / "legal_license_invalid.yml"
    refused = run("components", "import-publiccode", str(licence), "--owner", "sprb-gob")
    assert refused.exit_code == 1 and "error publiccode.licence /legal/license" in \
        refused.output
    store = Store(database_url)
    assert "medusa" not in {r.id for r in store.all("component")}  # the file's name
    store.engine.dispose()
