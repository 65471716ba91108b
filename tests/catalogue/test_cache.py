"""The catalogue cache: a shortcut that never changes an answer.

Each test reads a copy of the shipped catalogue with a cache folder of its own.
"""

from __future__ import annotations

import os
import shutil
import zlib
from pathlib import Path

import pytest
from click.testing import CliRunner

from registry.catalogue import cache
from registry.catalogue.files import CatalogueLoadError, _fingerprint, read_records, shipped_root
from registry.cli import main

ROOT = Path(__file__).resolve().parents[2]
HUB = ROOT / "examples" / "mobility-data-hub.yaml"


def copy_shipped(target: Path) -> Path:
    for folder in ("standards", "reference_arch"):
        shutil.copytree(shipped_root() / folder, target / folder)
    return target


@pytest.fixture
def root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv(cache.ENV, str(tmp_path / "cache"))
    return copy_shipped(tmp_path / "catalogue")


def saved_files(root: Path) -> list[Path]:
    return sorted((root.parent / "cache").glob("catalogue-*.marshal"))


def principle_name(records: dict, record_id: str) -> dict:
    return next(r for r in records["principle"] if r["id"] == record_id)["name"]


def test_a_read_is_saved_and_the_next_read_takes_it(root: Path) -> None:
    first = read_records([root])
    [saved] = saved_files(root)
    blob, stamp = saved.read_bytes(), saved.stat().st_mtime_ns
    key = _fingerprint([root], True)
    assert key is not None and cache.load([root], key, True) == first

    second = read_records([root])
    assert second == first
    assert second is not first and second["standard"][0] is not first["standard"][0]
    # Taken from the cache: a read that misses writes the file anew.
    assert saved.read_bytes() == blob and saved.stat().st_mtime_ns == stamp
    # lint's reading (links not checked) has a cache file of its own.
    assert read_records([root], check_links=False) == first
    assert len(saved_files(root)) == 2


def test_an_edited_file_is_read_again_even_with_its_old_size_and_time(root: Path) -> None:
    read_records([root])
    path = root / "reference_arch" / "principles" / "security-privacy.yaml"
    before = path.stat()
    text = path.read_text(encoding="utf-8")
    assert '  fr: "Sécurité' in text
    # Same length, and the old modification time put back: only the content differs.
    edited = text.replace('  fr: "Sécurité', '  fr: "Sûreté  ', 1)
    assert len(edited.encode()) == before.st_size
    path.write_text(edited, encoding="utf-8")
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert path.stat().st_size == before.st_size

    assert principle_name(read_records([root]), "security-privacy")["fr"].startswith("Sûreté")


def test_a_new_or_removed_file_is_seen(root: Path) -> None:
    ids = {r["id"] for r in read_records([root])["standard"]}
    source = root / "standards" / "ngsi-ld.yaml"
    copy = root / "standards" / "ngsi-ld-copy.yaml"
    copy.write_text(source.read_text(encoding="utf-8").replace("id: ngsi-ld", "id: ngsi-ld-copy",
                                                               1), encoding="utf-8")
    assert {r["id"] for r in read_records([root])["standard"]} == ids | {"ngsi-ld-copy"}
    copy.unlink()
    assert {r["id"] for r in read_records([root])["standard"]} == ids


def _corruptions(blob: bytes) -> dict[str, bytes]:
    payload = blob[len(cache.MAGIC) + 4:]
    junk = b"not marshal data at all"
    wrong_shape = cache.marshal.dumps(("another key", {"standard": "not a list"}))
    return {
        "empty": b"",
        "truncated": blob[: len(blob) // 2],
        "garbage": os.urandom(len(blob)),
        "one byte flipped": blob[:-10] + bytes([blob[-10] ^ 0xFF]) + blob[-9:],
        "another format": b"registry-catalogue-cache-v0\n" + payload,
        "not marshal, right checksum": cache.MAGIC + zlib.crc32(junk).to_bytes(4, "big") + junk,
        "another key, right checksum":
            cache.MAGIC + zlib.crc32(wrong_shape).to_bytes(4, "big") + wrong_shape,
    }


@pytest.mark.parametrize("kind", list(_corruptions(b"x" * 64)))
def test_a_corrupt_cache_file_is_ignored_and_written_anew(root: Path, kind: str) -> None:
    fresh = read_records([root])
    [saved] = saved_files(root)
    saved.write_bytes(_corruptions(saved.read_bytes())[kind])

    assert read_records([root]) == fresh
    key = _fingerprint([root], True)
    assert key is not None and cache.load([root], key, True) == fresh  # repaired


def test_a_catalogue_with_a_problem_is_never_saved(root: Path) -> None:
    path = root / "standards" / "ngsi-ld.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("status: ", "status: x", 1),
                    encoding="utf-8")
    for _ in range(2):
        with pytest.raises(CatalogueLoadError):
            read_records([root])
    assert saved_files(root) == []


def test_a_cache_that_cannot_be_written_or_is_off_changes_nothing(
        tmp_path: Path, root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fresh = read_records([root])
    blocker = tmp_path / "a-file"
    blocker.write_text("a file where the cache folder should be")
    monkeypatch.setenv(cache.ENV, str(blocker / "cache"))
    assert read_records([root]) == fresh
    monkeypatch.setenv(cache.ENV, "off")
    assert cache.cache_dir() is None
    shutil.rmtree(tmp_path / "cache")
    assert read_records([root]) == fresh
    assert saved_files(root) == []


def test_validate_sees_an_edit_of_its_catalogue(root: Path) -> None:
    def warnings() -> str:
        done = CliRunner().invoke(main, ["validate", "--catalogue", str(root),
                                         "--as-of", "2026-11-26", str(HUB)])
        assert done.exit_code == 0, done.output
        return done.output

    assert "recommended standard `smart-data-models`" in warnings()
    assert saved_files(root)
    path = root / "standards" / "smart-data-models.yaml"
    text = path.read_text(encoding="utf-8")
    assert "\nstatus: recommended\n" in text
    path.write_text(text.replace("\nstatus: recommended\n", "\nstatus: candidate\n"),
                    encoding="utf-8")
    assert "smart-data-models" not in warnings()


def test_the_stat_signature_is_trusted_only_when_the_files_are_older_than_it(
        root: Path) -> None:
    records = read_records([root])
    files = sorted(root.rglob("*.yaml"))
    now, signature = cache.stat_signature(files)
    key = _fingerprint([root], True)
    assert key is not None
    # Files last written well before the signature was taken: stat alone decides.
    later = cache.Saved(key, signature, now + 10 * cache.RACY_NS, records)
    assert cache.unchanged(later, signature)
    # Written within the racy window: the contents must be compared.
    assert not cache.unchanged(cache.Saved(key, signature, now, records), signature)
    # Any other size, time or file list: not unchanged.
    assert not cache.unchanged(later, signature[1:])
    assert not cache.unchanged(later._replace(signature=None), signature)
    files[0].write_bytes(files[0].read_bytes() + b"\n")
    assert not cache.unchanged(later, cache.stat_signature(files)[1])


def test_a_touched_but_unchanged_file_is_a_hit_that_saves_the_new_times(root: Path) -> None:
    first = read_records([root])
    [saved] = saved_files(root)
    before = cache.read_saved([root], True)
    assert before is not None and before.signature is not None
    path = root / "standards" / "ngsi-ld.yaml"
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 10**9))

    assert read_records([root]) == first
    after = cache.read_saved([root], True)
    assert after is not None and after.key == before.key
    assert after.signature != before.signature and after.records == first
