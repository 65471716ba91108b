"""What every HTML page must be: one main, one h1, no script, an HTML answer."""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Any


class Links(HTMLParser):
    """Collect hrefs, ids and tags of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []
        self.tags: list[str] = []
        self.html_lang: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        attributes = dict(attrs)
        if tag == "a" and attributes.get("href"):
            self.hrefs.append(attributes["href"] or "")
        if tag == "html":
            self.html_lang = attributes.get("lang")


def parse(html: str) -> Links:
    parser = Links()
    parser.feed(html)
    return parser


def assert_plain_page(response: Any) -> Links:
    """Check an HTML answer: 200, no script, one h1, one main; return its parsed form."""
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    page = parse(response.get_data(as_text=True))
    assert "script" not in page.tags
    assert page.tags.count("h1") == 1
    assert page.tags.count("main") == 1
    return page


def internal_links_resolve(client: Any, pages: Any) -> set[str]:
    """Follow every internal link of the pages once; assert each answers; return them."""
    seen: set[str] = set()
    for url in pages:
        for href in parse(client.get(url).get_data(as_text=True)).hrefs:
            if href.startswith("/") and href not in seen:
                seen.add(href)
                assert client.get(href).status_code in (200, 304), href
    return seen
