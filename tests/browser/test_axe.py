"""axe-core on every page type, in English, French and Dutch: no WCAG 2.1 A/AA violation."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.browser.axe import describe, run_axe
from tests.browser.pages import LANGS, OPTIONAL, PAGE_TYPES, open_page


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("name", [*PAGE_TYPES, *OPTIONAL])
def test_no_wcag_violation(page: Any, axe_source: str, screenshots: Path, name: str,
                           lang: str) -> None:
    response = open_page(page, name, lang)
    if name in OPTIONAL and response.status == 404:
        pytest.skip(f"the app has no {OPTIONAL[name]} page")
    assert page.evaluate("document.documentElement.lang") == lang
    page.screenshot(path=str(screenshots / f"{name}-{lang}.png"), full_page=True)
    violations = run_axe(page, axe_source)
    assert not violations, f"{name} ({lang}):\n{describe(violations)}\n" + json.dumps(
        [v["id"] for v in violations])
