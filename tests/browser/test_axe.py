"""axe-core on every page type, in English, French and Dutch: no WCAG 2.1 A/AA violation."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.browser.pages import LANGS, OPTIONAL, PAGE_TYPES, open_page

RULES = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def run_axe(page: Any, axe_source: str) -> list[dict[str, Any]]:
    """Run axe on the page as it stands; return its violations."""
    # Evaluated, not added as a <script> tag: the page's CSP allows no inline script
    # (the context bypasses CSP too, see conftest.page).
    page.evaluate(axe_source + "\n;0")
    result = page.evaluate(
        "async (tags) => await axe.run(document, {runOnly: {type: 'tag', values: tags},"
        " resultTypes: ['violations']})", RULES)
    return result["violations"]


def describe(violations: list[dict[str, Any]]) -> str:
    """Return a readable account of axe's violations."""
    lines = []
    for v in violations:
        lines.append(f"{v['id']} ({v['impact']}): {v['help']}")
        for node in v["nodes"][:5]:
            lines.append(f"    {node['target']}: {node['failureSummary'].splitlines()[-1]}")
            lines.append(f"      {node['html'][:160]}")
    return "\n".join(lines)


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
