"""The main flows with the keyboard only, focus always visible: search a standard,
validate a sheet by upload, open a project's compliance, switch language, skip link."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.browser.pages import PAGE_TYPES, SHEET, open_page

MAX_TABS = 120
WIDER = """() => {
  const width = window.innerWidth, out = [];
  for (const el of document.querySelectorAll('body *')) {
    const right = el.getBoundingClientRect().right;
    if (right > width + 1 && !el.closest('.scroll')) out.push(el.tagName + ' ' + Math.round(right));
  }
  return out.slice(0, 8);
}"""

FOCUSED = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  const style = getComputedStyle(el);
  const box = el.getBoundingClientRect();
  return {tag: el.tagName.toLowerCase(), id: el.id, cls: el.className && String(el.className),
          href: el.getAttribute('href'), type: el.getAttribute('type'),
          text: (el.textContent || '').trim().slice(0, 80),
          outline: style.outlineStyle, width: parseFloat(style.outlineWidth) || 0,
          visible: box.width > 0 && box.height > 0, inTable: !!el.closest('tbody'),
          inLangs: !!el.closest('nav.langs'), lang: el.getAttribute('lang')};
}"""


def focused(page: Any) -> dict[str, Any] | None:
    """Describe the focused element."""
    return page.evaluate(FOCUSED)


def assert_visible_focus(info: dict[str, Any] | None) -> None:
    """The focused element shows a focus outline of at least 2 px."""
    assert info is not None, "nothing has the focus"
    assert info["visible"], f"the focused element has no box: {info}"
    assert info["outline"] != "none" and info["width"] >= 2, f"no visible focus: {info}"


def tab_to(page: Any, wanted: Any) -> dict[str, Any]:
    """Press Tab until wanted(info) holds, checking the focus is visible at each step."""
    seen = []
    for _ in range(MAX_TABS):
        page.keyboard.press("Tab")
        info = focused(page)
        assert_visible_focus(info)
        seen.append(info["id"] or info["text"] or info["tag"])
        if wanted(info):
            return info
    raise AssertionError(f"Tab never reached the element; the focus went through {seen}")


def test_skip_link_is_first_visible_and_moves_to_the_content(page: Any) -> None:
    page.goto("/?lang=fr")
    page.keyboard.press("Tab")
    info = focused(page)
    assert_visible_focus(info)
    assert info["cls"] == "skip" and info["text"] == "Aller au contenu"
    box = page.locator("a.skip").bounding_box()
    assert box and box["x"] >= 0 and box["y"] >= 0  # on screen once focused
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    # the next Tab goes on from the content, not from the top of the page
    page.keyboard.press("Tab")
    assert page.evaluate("!!document.activeElement.closest('main')")


def test_search_a_standard_with_the_keyboard(page: Any, screenshots: Path) -> None:
    page.goto("/?lang=en")
    tab_to(page, lambda i: i["id"] == "home-q")
    page.keyboard.type("accessibility")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "q=accessibility" in page.url and "lang=en" in page.url
    result = tab_to(page, lambda i: i["tag"] == "a" and i["inTable"])
    assert result["href"].startswith("/standards/")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url.split("?")[0].endswith(result["href"].split("?")[0])
    page.screenshot(path=str(screenshots / "keyboard-search-result.png"))


def test_validate_a_sheet_by_upload_with_the_keyboard(page: Any, screenshots: Path) -> None:
    page.goto("/validate?lang=nl")
    tab_to(page, lambda i: i["id"] == "v-file")
    # The file chooser is the operating system's: the test hands the file to the
    # focused input, as a keyboard user would choose it in the dialog.
    page.set_input_files("input#v-file:focus", str(SHEET))
    tab_to(page, lambda i: i["tag"] == "button" and i["type"] == "submit")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url.endswith("#h-report")
    heading = page.locator("#h-report")
    assert "mobility-data-hub.yaml" in heading.inner_text()
    heading.focus()
    assert_visible_focus(focused(page))
    assert page.evaluate("document.documentElement.lang") == "nl"
    page.screenshot(path=str(screenshots / "keyboard-validate-report.png"))


def test_open_a_projects_compliance_with_the_keyboard(page: Any, screenshots: Path) -> None:
    page.goto("/projects?as_of=2026-11-26&lang=fr")
    link = tab_to(page, lambda i: i["tag"] == "a" and i["inTable"])
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url.split("?")[0].endswith(link["href"].split("?")[0])
    tab_to(page, lambda i: i["href"] == "#h-compliance")
    page.keyboard.press("Enter")
    page.wait_for_function("document.activeElement.id === 'h-compliance'")
    assert_visible_focus(focused(page))
    assert page.locator("#h-compliance + .scroll > table").is_visible()
    page.screenshot(path=str(screenshots / "keyboard-project-compliance.png"))


def test_switch_language_with_the_keyboard_keeps_the_page(page: Any) -> None:
    page.goto("/standards?status=mandatory&lang=en")
    tab_to(page, lambda i: i["inLangs"] and i["lang"] == "nl")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "status=mandatory" in page.url and "lang=nl" in page.url
    assert page.evaluate("document.documentElement.lang") == "nl"
    assert page.locator("h1").inner_text() == "Standaarden"


def test_pages_fit_a_phone(browser: Any, server: str, screenshots: Path) -> None:
    context = browser.new_context(base_url=server, viewport={"width": 375, "height": 740},
                                  device_scale_factor=1)
    try:
        page = context.new_page()
        for name in PAGE_TYPES:
            open_page(page, name, "nl")  # Dutch: the longest words
            # no horizontal scrolling of the page itself (wide pictures scroll in place)
            wide = page.evaluate(WIDER)
            assert not wide, f"{name}: wider than a phone: {wide}"
            page.screenshot(path=str(screenshots / f"phone-{name}-nl.png"), full_page=True)
    finally:
        context.close()
