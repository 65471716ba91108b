"""The repository stands alone: nothing it runs reads a file outside the clone."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# A path that climbs out of the clone, or names the steering repo's shared/ folder.
OUTSIDE = re.compile(r"""\.\./shared|/work/|["']shared["']|parents\[[3-9]\]|REPO\.parent""")


def test_no_code_or_test_reads_outside_the_repository():
    offenders = []
    for folder in ("registry", "tests", "bench"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            if path == Path(__file__).resolve():
                continue
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                if OUTSIDE.search(line):
                    offenders.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert offenders == []


def test_vendored_material_carries_its_source_and_licence():
    for folder in sorted((ROOT / "tests" / "data" / "external").iterdir()):
        source = (folder / "SOURCE.md").read_text(encoding="utf-8")
        assert "Licence" in source and "commit" in source, folder.name
