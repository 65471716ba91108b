"""Running axe-core in a page and describing its violations (shared by the browser tests)."""

from __future__ import annotations

from typing import Any

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
