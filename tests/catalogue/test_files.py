"""Reading and writing the catalogue's YAML layout: precise errors, lossless round trip."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from registry.catalogue.files import (
    CatalogueLoadError,
    read_records,
    shipped_root,
    write_catalogue,
)


def copy_shipped(target: Path) -> Path:
    """Copy the shipped catalogue folders to target."""
    for folder in ("standards", "reference_arch"):
        shutil.copytree(shipped_root() / folder, target / folder)
    return target


def test_a_bad_field_is_named_with_file_line_and_field(tmp_path):
    root = copy_shipped(tmp_path)
    path = root / "standards" / "ngsi-ld.yaml"
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines()
    index = next(i for i, line in enumerate(lines) if line.startswith("status:"))
    lines[index] = "status: obligatory"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(CatalogueLoadError) as info:
        read_records([root])
    [error] = info.value.errors
    assert error.file.endswith("standards/ngsi-ld.yaml")
    assert error.path == "/status"
    assert error.line == index + 1
    assert "obligatory" in error.message
    assert str(error).startswith(f"{error.file}:{index + 1}:")


def test_broken_yaml_and_broken_links_are_all_reported(tmp_path):
    root = copy_shipped(tmp_path)
    (root / "standards" / "broken.yaml").write_text("id: broken\ntitle: [unclosed\n")
    component = root / "reference_arch" / "components" / "fidus.yaml"
    component.write_text(component.read_text().replace("- data-exchange",
                                                       "- data-exchang"))
    with pytest.raises(CatalogueLoadError) as info:
        read_records([root])
    messages = [str(e) for e in info.value.errors]
    assert any("broken.yaml" in m for m in messages)
    assert any("data-exchang" in m and "capabilities" in m for m in messages)


def test_id_must_match_the_file_name(tmp_path):
    root = copy_shipped(tmp_path)
    shutil.copy(root / "standards" / "gtfs.yaml", root / "standards" / "gtfs-copy.yaml")
    with pytest.raises(CatalogueLoadError) as info:
        read_records([root])
    assert any("gtfs-copy.yaml" in str(e) and "/id" in str(e) for e in info.value.errors)


def test_hostile_yaml_is_refused_not_executed(tmp_path):
    root = copy_shipped(tmp_path)
    (root / "standards" / "evil.yaml").write_text(
        "id: !!python/object/apply:os.system ['touch pwned']\n")
    with pytest.raises(CatalogueLoadError):
        read_records([root])
    assert not (Path.cwd() / "pwned").exists()


def test_a_folder_without_records_is_an_error(tmp_path):
    with pytest.raises(CatalogueLoadError) as info:
        read_records([tmp_path])
    assert "no catalogue record" in str(info.value)


def test_written_records_read_back_identical(tmp_path):
    records = read_records([shipped_root()])
    write_catalogue(records, tmp_path)
    again = read_records([tmp_path])
    assert again == records
