"""French pages follow French typography: a no-break space before ; : ! ? and inside « ».

Checked on what Chromium renders, on the pages whose French sentences are built from
templates (reuse explanations, a validation result, the dashboard, a project, the SPARQL
examples): an ordinary space there lets the sign start a line on its own, and no space at
all is not French. Text in another language (`lang="en"`), code and form fields are left
out: they follow their own rules.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.pages import OPTIONAL, open_page

PAGES = ["reuse", "validate-report", "dashboard", "project", "sparql"]

# The visible French text of the page in document order, then every place it breaks the
# rule, with some context.
WRONG_SPACES = r"""() => {
  let text = '';
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const el = node.parentElement;
    if (!el || el.closest('code, pre, textarea, script, style, [aria-hidden=true]')) continue;
    const lang = (el.closest('[lang]') || document.documentElement).getAttribute('lang');
    if (!lang || !lang.startsWith('fr')) continue;
    const style = getComputedStyle(el);
    if (style.display === 'none' || style.visibility === 'hidden') continue;
    text += node.textContent;
  }
  const rules = [
    [/[ \t\n]+[;:!?](?=\s|$)/g, 'an ordinary space before the sign'],
    [/\p{L}[;!?:](?=\s|$)/gu, 'no space before the sign'],
    [/«(?![\u00a0\u202f])/g, 'no no-break space after «'],
    [/(?<![\u00a0\u202f])»/g, 'no no-break space before »'],
  ];
  const out = [];
  for (const [re, why] of rules) {
    for (const m of text.matchAll(re)) {
      out.push(why + ': ' + JSON.stringify(text.slice(Math.max(0, m.index - 30),
                                                      m.index + 10)));
    }
  }
  return {count: text.length, problems: out.slice(0, 20), signs: (text.match(/[;:!?«»]/g) || []).length};
}"""


@pytest.mark.parametrize("name", PAGES)
def test_french_pages_set_no_break_spaces(page: Any, name: str) -> None:
    response = open_page(page, name, "fr")
    if name in OPTIONAL and response.status == 404:
        pytest.skip(f"the app has no {OPTIONAL[name]} page")
    assert page.evaluate("document.documentElement.lang") == "fr"
    found = page.evaluate(WRONG_SPACES)
    # The page says something in French with the signs the rule is about.
    assert found["count"] > 200 and found["signs"] > 0, found
    assert not found["problems"], f"{name} (fr):\n  " + "\n  ".join(found["problems"])
