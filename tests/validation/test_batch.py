"""Many files: folders, standard input, parallel workers, one bad file among many."""

from __future__ import annotations

import datetime
import io
import json
import os
from pathlib import Path

import pytest

from registry.catalogue.snapshot import Catalogue
from registry.documents.parse import Limits
from registry.validation.batch import (
    PARALLEL_THRESHOLD,
    NoSuchFile,
    expand_paths,
    validate_paths,
)
from tests.validation.conftest import EXAMPLE_TEXT, tiny_catalogue

AS_OF = datetime.date(2026, 1, 15)
BAD = EXAMPLE_TEXT.replace("status: proposed", "status: finished")


def codes(report) -> set[str]:
    return {f.code for f in report.findings}


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """Return a folder of good, bad, binary, empty and ignored files."""
    (tmp_path / "good.yaml").write_text(EXAMPLE_TEXT, encoding="utf-8")
    (tmp_path / "bad.yml").write_text(BAD, encoding="utf-8")
    (tmp_path / "picture.json").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff")
    (tmp_path / "empty.yaml").write_bytes(b"")
    sub = tmp_path / "sub"
    sub.mkdir()
    (sub / "also-good.json").write_text(
        json.dumps(_example_data(), ensure_ascii=False), encoding="utf-8")
    (tmp_path / "notes.txt").write_text("not a sheet")
    hidden = tmp_path / ".git"
    hidden.mkdir()
    (hidden / "config.yaml").write_text("x: 1")
    return tmp_path


def _example_data() -> dict:
    from registry.documents.parse import parse_document

    return parse_document(EXAMPLE_TEXT).value


def test_expand_sorts_recursively_and_skips_hidden_and_other_files(folder: Path) -> None:
    names = [os.path.relpath(p, folder) for p in expand_paths([str(folder)])]
    assert names == ["bad.yml", "empty.yaml", "good.yaml", "picture.json",
                     os.path.join("sub", "also-good.json")]


def test_expand_keeps_input_order_and_drops_repeats(folder: Path) -> None:
    good, bad = str(folder / "good.yaml"), str(folder / "bad.yml")
    assert expand_paths([good, bad, good]) == [good, bad]
    assert expand_paths(["-", good]) == ["-", good]


def test_missing_path_is_a_usage_error(folder: Path) -> None:
    with pytest.raises(NoSuchFile) as raised:
        validate_paths([str(folder / "good.yaml"), str(folder / "nope.yaml")], tiny_catalogue(),
                       AS_OF)
    assert raised.value.paths == [str(folder / "nope.yaml")]
    assert isinstance(raised.value, FileNotFoundError)


def test_mixed_folder(folder: Path, catalogue: Catalogue) -> None:
    reports = validate_paths([str(folder)], catalogue, AS_OF)
    by_name = {os.path.relpath(r.path, folder): r for r in reports}
    assert list(by_name) == ["bad.yml", "empty.yaml", "good.yaml", "picture.json",
                             os.path.join("sub", "also-good.json")]
    assert by_name["good.yaml"].valid, by_name["good.yaml"].findings
    assert by_name[os.path.join("sub", "also-good.json")].valid
    assert "schema.enum" in codes(by_name["bad.yml"])
    assert codes(by_name["empty.yaml"]) == {"parse.empty"}
    assert codes(by_name["picture.json"]) == {"parse.encoding"}


def test_many_files_in_parallel_keep_their_order(tmp_path: Path, catalogue: Catalogue) -> None:
    count = PARALLEL_THRESHOLD + 15
    paths = []
    for i in range(count):
        path = tmp_path / f"sheet-{i:03d}.yaml"
        text = EXAMPLE_TEXT if i != 17 else "a: [unclosed\n"
        if i == 23:
            text = BAD
        path.write_text(text, encoding="utf-8")
        paths.append(str(path))
    paths.reverse()  # input order, not name order, decides the order of the reports
    progress: list[int] = []
    reports = validate_paths(paths, catalogue, AS_OF, jobs=2, progress=progress.append)
    assert [r.path for r in reports] == paths
    assert sum(progress) == count
    invalid = {os.path.basename(r.path) for r in reports if not r.valid}
    assert invalid == {"sheet-017.yaml", "sheet-023.yaml"}
    assert codes(next(r for r in reports if r.path.endswith("sheet-017.yaml"))) == \
        {"parse.syntax"}


def test_a_catalogue_factory_is_called_once_in_process(folder: Path) -> None:
    calls: list[int] = []

    def factory() -> Catalogue:
        calls.append(1)
        return tiny_catalogue()

    reports = validate_paths([str(folder / "good.yaml"), str(folder / "bad.yml")], factory,
                             AS_OF, jobs=1)
    assert len(reports) == 2 and calls == [1]


def test_a_catalogue_factory_in_workers(tmp_path: Path) -> None:
    for i in range(PARALLEL_THRESHOLD):
        (tmp_path / f"s{i:02d}.yaml").write_text(BAD, encoding="utf-8")
    reports = validate_paths([str(tmp_path)], tiny_catalogue, AS_OF, jobs=2)
    assert len(reports) == PARALLEL_THRESHOLD
    assert all("schema.enum" in codes(r) for r in reports)


def test_standard_input(catalogue: Catalogue) -> None:
    reports = validate_paths(["-"], catalogue, AS_OF, stdin=io.BytesIO(EXAMPLE_TEXT.encode()))
    assert [r.path for r in reports] == ["-"]
    assert reports[0].valid, reports[0].findings


def test_standard_input_is_read_with_the_limit() -> None:
    stream = io.BytesIO(b"a: " + b"x" * 5000)
    reports = validate_paths(["-"], tiny_catalogue(), AS_OF, limits=Limits(max_bytes=1000),
                             stdin=stream)
    assert codes(reports[0]) == {"parse.too-large"}
    assert stream.tell() == 1001


def test_unreadable_files_are_findings(tmp_path: Path) -> None:
    from registry.validation.pipeline import validate_file

    report = validate_file(tmp_path, tiny_catalogue(), as_of=AS_OF)
    assert codes(report) == {"parse.unreadable"}
    assert "folder" in report.findings[0].message
    report = validate_file(tmp_path / "gone.yaml", tiny_catalogue(), as_of=AS_OF)
    assert codes(report) == {"parse.unreadable"}


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0,
                    reason="root reads files whatever their permissions")
def test_permission_denied_is_a_finding(tmp_path: Path) -> None:
    path = tmp_path / "secret.yaml"
    path.write_text(EXAMPLE_TEXT)
    path.chmod(0)
    reports = validate_paths([str(path)], tiny_catalogue(), AS_OF)
    assert codes(reports[0]) == {"parse.unreadable"}


def test_a_crashing_layer_does_not_stop_the_batch(folder: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    from registry.validation import batch

    real = batch.validate_file

    def flaky(path: Path, *args, **kwargs):
        if path.name == "bad.yml":
            raise RuntimeError("boom")
        return real(path, *args, **kwargs)

    monkeypatch.setattr(batch, "validate_file", flaky)
    reports = validate_paths([str(folder / "bad.yml"), str(folder / "good.yaml")],
                             tiny_catalogue(), AS_OF, jobs=1)
    assert codes(reports[0]) == {"internal.error"}
    assert "boom" in reports[0].findings[0].message
    assert reports[1].path.endswith("good.yaml")
