"""No silent replacement: an existing component changes only when asked, keeping its data."""

from __future__ import annotations

from registry.storage import Store
from tests.linked_data.conftest import ROOT

DATA = ROOT / "tests" / "data" / "publiccode"
FIXMYSTREET = str(DATA / "fixmystreet.yml")


def stored(database_url: str, record_id: str):
    store = Store(database_url)
    try:
        return store.get("component", record_id), store.revisions("component", record_id)
    finally:
        store.engine.dispose()


def test_the_curated_fixmystreet_is_never_replaced_silently(run, database_url):
    assert run("import", str(ROOT)).exit_code == 0  # the shipped catalogue
    before, history = stored(database_url, "fixmystreet")

    dry = run("components", "import-publiccode", FIXMYSTREET, "--owner", "paradigm",
              "--dry-run")
    assert dry.exit_code == 1, dry.output
    assert "already exists: give --update" in dry.output
    assert "change      ~ licence: 'Public service" in dry.output  # the difference, shown

    refused = run("components", "import-publiccode", FIXMYSTREET, "--owner", "paradigm")
    assert refused.exit_code == 1 and "component fixmystreet: not stored" in refused.output
    after, after_history = stored(database_url, "fixmystreet")
    assert after.data == before.data and len(after_history) == len(history)

    # --update alone does not take over a record curated by hand.
    curated = run("components", "import-publiccode", FIXMYSTREET, "--update")
    assert curated.exit_code == 1 and "give --force" in curated.output
    assert stored(database_url, "fixmystreet")[0].data == before.data

    forced = run("components", "import-publiccode", FIXMYSTREET, "--update", "--force")
    assert forced.exit_code == 0, forced.output
    new, _ = stored(database_url, "fixmystreet")
    # What the file does not carry is kept.
    for key in ("provides", "level", "implements", "reuse_conditions", "owner"):
        assert new.data[key] == before.data[key], key
    assert new.data["description"]["fr"] == before.data["description"]["fr"]
    assert new.data["description"]["nl"] == before.data["description"]["nl"]
    assert new.data["name"]["fr"] == before.data["name"]["fr"]
    # What it carries is taken.
    assert new.data["licence"] == "AGPL-3.0-or-later"
    assert new.data["description"]["en"].startswith("Report, view and discuss")

    # Now the record comes from this file's url: --update is enough.
    again = run("components", "import-publiccode", FIXMYSTREET, "--update")
    assert again.exit_code == 0 and "unchanged" in again.output


def test_another_id_creates_a_new_component_beside_the_curated_one(run, database_url):
    assert run("import", str(ROOT)).exit_code == 0  # the shipped catalogue
    result = run("components", "import-publiccode", FIXMYSTREET, "--owner", "paradigm",
                 "--id", "fixmystreet-platform")
    assert result.exit_code == 0, result.output
    assert "created (revision 1)" in result.output
    new, history = stored(database_url, "fixmystreet-platform")
    assert "imported from publiccode.yml url https://github.com/mysociety/fixmystreet" in \
        history[-1]["message"]


def test_an_update_from_the_same_file_follows_it(run, database_url, tmp_path):
    first = tmp_path / "publiccode.yml"
    text = (DATA / "signalen.yml").read_text(encoding="utf-8")
    first.write_text(text, encoding="utf-8")
    assert run("components", "import-publiccode", str(first)).exit_code == 0
    first.write_text(text.replace("license: MPL-2.0", "license: EUPL-1.2"), encoding="utf-8")
    dry = run("components", "import-publiccode", str(first), "--update", "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert "change      ~ licence: 'MPL-2.0' -> 'EUPL-1.2'" in dry.output
    assert stored(database_url, "signalen")[0].data["licence"] == "MPL-2.0"  # dry run
    updated = run("components", "import-publiccode", str(first), "--update")
    assert updated.exit_code == 0 and "updated (revision 2)" in updated.output
    record = stored(database_url, "signalen")[0].data
    assert record["licence"] == "EUPL-1.2" and "EUPL-1.2" in record["reuse_conditions"]["nl"]
