"""publiccode.yml checked against its standard, measured on publiccode-parser-go's test files.

The files (tests/data/publiccode/parser-go/SOURCE.md) follow the convention
`invalid/KEY_REASON.yml`: the file is invalid because of KEY (nested keys joined by `_`).
An invalid file counts as caught when it is refused with an error finding at KEY or below
it. Files whose problem only the network (or data the registry does not hold) can show
are listed in NEEDS_NETWORK and left out of the count, as the import's report says.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from registry.catalogue.publiccode import read_publiccode
from registry.catalogue.publiccode_standard import check_standard, graphemes
from registry.catalogue.spdx import spdx_problem
from tests.linked_data.conftest import ROOT

SUITE = ROOT / "tests" / "data" / "publiccode" / "parser-go"
INVALID = ("v0/invalid", "v0/invalid/no-network", "v1/invalid", "v1/invalid/no-network")
VALID = ("v0/valid", "v0/valid/no-network", "v0/valid_with_warnings",
         "v0/valid_with_warnings/no-network")
# Invalid only because of what a file names elsewhere (a picture, a page, a registry of
# Italian public administrations): the parser itself needs the network or its own data.
NEEDS_NETWORK = {
    "description_en_screenshots_missing_file": "the screenshot file must exist",
    "description_en_videos_invalid_oembed": "the video host must answer oEmbed",
    "legal_authorsFile_missing_file": "the AUTHORS file must exist",
    "logo_missing_file": "the logo file must exist",
    "logo_missing_url": "the logo URL must answer",
    "logo_invalid_png": "the logo must decode as an image",
    "monochromeLogo_missing_file": "the logo file must exist",
    "monochromeLogo_invalid_png": "the logo must decode as an image",
    "it_riuso_codiceIPA_invalid": "Italian IPA code registry",
    "organisation_uri_wrong_italian_pa": "Italian IPA code registry",
    "organisation_uri_wrong_italian_pa2": "Italian IPA code registry",
    "fundedBy_uri_wrong_italian_pa": "Italian IPA code registry",
    "fundedBy_uri_wrong_italian_pa2": "Italian IPA code registry",
}
# The REASON part of a name (longest first wins), to find the KEY a file is about.
_REASON_WORDS = """wrong_type invalid missing empty nil too_long too_short
too_short_grapheme_clusters invalid_bcp47 bad_url_array bad_url_string invalid_country
invalid_iso_3166_1_alpha_2 invalid_scope wrong_case invalid_type datetime
missing_with_type_community missing_with_type_internal missing_with_type_contract
when_type_is_community when_type_is_internal when_type_is_none wrong_uri unknown_alias
invalid_language yaml11_yes yaml11_no yaml11_on yaml11_off absolute_path file_scheme
file_scheme2 file_scheme3 unsupported_extension"""
REASONS = sorted(_REASON_WORDS.split(), key=len, reverse=True)
# Files named for what they show rather than for a key: the code that must say it.
NOT_A_KEY = {"file_encoding": "parse.encoding", "invalid_yaml": "parse.syntax",
             "unknown_field": "publiccode.unknown-key", "mostly_empty": "publiccode.required",
             "it_IT_duplicated": "publiccode.duplicate"}


def files(*folders: str) -> list[Path]:
    return [p for folder in folders for p in sorted((SUITE / folder).glob("*.yml"))]


def check(path: Path):
    return check_standard(read_publiccode(path.read_bytes(), 1024 * 1024))


def named_key(stem: str) -> str:
    for reason in REASONS:
        if stem.lower().endswith("_" + reason.lower()):
            return stem[:-len(reason) - 1].lower()
    raise AssertionError(f"no known reason in {stem}")


def finding_key(path: str) -> str:
    return "_".join(p for p in path.split("/")[1:] if not p.isdigit()).lower()


def caught(path: Path) -> bool:
    errors = [f for f in check(path).findings if f.severity == "error"]
    if path.stem in NOT_A_KEY:
        return any(f.code == NOT_A_KEY[path.stem] for f in errors)
    key = named_key(path.stem)
    return any(finding_key(f.path) == key or finding_key(f.path).startswith(key + "_")
               for f in errors)


def test_at_least_95_percent_of_the_invalid_files_are_refused_at_their_key():
    counted = [p for p in files(*INVALID) if p.stem not in NEEDS_NETWORK]
    missed = [str(p.relative_to(SUITE)) for p in counted if not caught(p)]
    share = 1 - len(missed) / len(counted)
    print(f"invalid files refused at the key their name names: {len(counted) - len(missed)}"
          f"/{len(counted)} = {share:.1%} (left out, needing the network: "
          f"{len(files(*INVALID)) - len(counted)})")
    assert len(counted) >= 200
    assert share >= 0.95, missed


def test_every_valid_file_passes_the_standard():
    valid = files(*VALID)
    assert len(valid) == 41
    refused = {str(p.relative_to(SUITE)): [f.message for f in check(p).findings
                                           if f.severity == "error"]
               for p in valid}
    assert {name: errors for name, errors in refused.items() if errors} == {}


def test_version_1_is_not_a_published_version():
    # As the reference parser answers for every file of v1/: the standard has no 1.x yet.
    for path in files("v1/valid", "v1/invalid_valid_in_v0",
                      "v1/invalid_valid_with_warnings_in_v0"):
        codes = [f.code for f in check(path).findings if f.severity == "error"]
        assert "publiccode.version" in codes, path


def test_every_valid_file_is_accepted_with_an_owner(run, tmp_path):
    accepted = []
    for path in files(*VALID):
        result = run("components", "import-publiccode", str(path), "--owner", "sprb-gob",
                     "--id", f"t-{len(accepted)}", "--dry-run")
        assert result.exit_code == 0, (path, result.output)
        accepted.append(path)
    assert len(accepted) == 41


@pytest.mark.parametrize(("name", "code", "path", "line"), [
    ("v0/invalid/landingURL_invalid.yml", "publiccode.url", "/landingURL", 8),
    ("v0/invalid/developmentStatus_wrong_type.yml", "publiccode.type", "/developmentStatus",
     None),
    ("v0/invalid/name_wrong_type.yml", "publiccode.type", "/name", None),
    ("v0/invalid/legal_license_invalid.yml", "publiccode.licence", "/legal/license", None),
    ("v0/invalid/developmentStatus_invalid.yml", "publiccode.enum", "/developmentStatus", None),
    ("v0/invalid/maintenance_contacts_email_invalid.yml", "publiccode.email",
     "/maintenance/contacts/0/email", None),
    ("v0/invalid/unknown_field.yml", "publiccode.unknown-key", "/foobar", 10),
    ("v0/invalid/description_invalid_language.yml", "publiccode.language",
     "/description/xxx", 20),
    ("v0/invalid/releaseDate_invalid.yml", "publiccode.date", "/releaseDate", None),
    ("v0/invalid/no-network/localisation_localisationReady_yaml11_yes.yml", "publiccode.type",
     "/localisation/localisationReady", 51),
])
def test_each_problem_names_the_real_key(name, code, path, line):
    findings = [f for f in check(SUITE / name).findings if f.severity == "error"]
    match = [f for f in findings if f.code == code and f.path == path]
    assert match, findings
    if line is not None:
        assert match[0].line == line
    # A wrong type is a type error, not a missing key.
    assert not any(f.code == "publiccode.required" and f.path == path for f in findings)


def test_spdx_expressions():
    for good in ("EUPL-1.2", "MIT OR Apache-2.0", "(MIT AND BSD-3-Clause) OR GPL-2.0+",
                 "Apache-2.0 WITH LLVM-exception", "LicenseRef-custom", "gpl-3.0-or-later"):
        assert spdx_problem(good) is None, good
    for bad in ("Invalid License", "MIT AND", "(MIT", "MIT/Apache", "GPL-2.0 WITH Foo", ""):
        assert spdx_problem(bad), bad


def test_graphemes_count_what_readers_see():
    assert graphemes("e\u0301") == 1  # e + combining acute
    assert graphemes("\U0001F1E7\U0001F1EA") == 1  # a flag: two regional indicators
    assert graphemes("\U0001F469\u200d\U0001F4BB") == 1  # joined emoji
