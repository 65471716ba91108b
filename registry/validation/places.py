"""Places in a sheet, in plain words, and the findings located at them.

Shared by the schema messages and the sheet rules: a JSON Pointer becomes "standard 2
(dcat-ap)" or "note of standard 2 (dcat-ap)", and a message template with its parameters
becomes a located finding.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from registry.documents.findings import ERROR, M_, Finding, Listing, Positions, Text, locate

ITEM_NAMES = {
    "standards": M_("standard"), "kpis": M_("KPI"), "phases": M_("phase"),
    "partners": M_("partner"), "domains": M_("domain"), "data_themes": M_("data theme"),
    "needs": M_("needed capability"), "builds": M_("built capability"),
    "reuses": M_("reused component"), "provides": M_("provided component"),
    "uses": M_("used data entity"), "produces": M_("produced data entity"),
}
LANGUAGES = {"en": M_("English"), "fr": M_("French"), "nl": M_("Dutch"), "de": M_("German")}
# How a place is said: "standard 2 (dcat-ap)", "note of standard 2 (dcat-ap)".
THE_SHEET = M_("the sheet")
ITEM = "{item} {number}"  # no words of its own: nothing to translate
ITEM_WITH_ID = "{item} {number} ({id})"
LIST_ITEM = M_("item {number}")
FIELD_OF = M_("{field} of {owner}")

# A hint: its template and parameters.
Hint = tuple[str, dict[str, Any]]


def split(pointer: str) -> list[str]:
    """Return the unescaped reference tokens of a JSON Pointer."""
    if not pointer:
        return []
    return [p.replace("~1", "/").replace("~0", "~") for p in pointer[1:].split("/")]


def join(parts: list[Any]) -> str:
    """Return the JSON Pointer of a sequence of keys and indexes."""
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in parts)


def normal(pointer: str) -> str:
    """Return a pointer with its list indexes replaced by `*`."""
    return join(["*" if p.isdigit() else p for p in split(pointer)])


def _get(data: Any, parts: list[str]) -> Any:
    for part in parts:
        if isinstance(data, dict):
            data = data.get(part)
        elif isinstance(data, list) and part.isdigit() and int(part) < len(data):
            data = data[int(part)]
        else:
            return None
    return data


def label(pointer: str, sheet: Any = None) -> Text:
    """Return a short plain-language name for the place a pointer designates.

    A Text: `str()` gives the English words, registry.documents.localize translates them.
    Field names are the sheet's own keys and stay as written.
    """
    parts = split(pointer)
    if not parts:
        return Text(THE_SHEET)
    words: list[Any] = []
    for i, part in enumerate(parts):
        parent = parts[i - 1] if i else None
        if part.isdigit() and parent is not None and parent in ITEM_NAMES:
            item = _get(sheet, parts[:i + 1])
            name = Text(ITEM, item=Text(ITEM_NAMES[parent]), number=int(part) + 1)
            if isinstance(item, dict) and isinstance(item.get("id"), str):
                name = Text(ITEM_WITH_ID, item=Text(ITEM_NAMES[parent]), number=int(part) + 1,
                            id=short(item["id"], 40))
            # The item's name says where it is: "needed capability 2", not
            # "capabilities needs needed capability 2".
            words = [name]
        elif part.isdigit():
            words.append(Text(LIST_ITEM, number=int(part) + 1))
        else:
            words.append(part)
    if len(words) >= 2 and parts[-2].isdigit():
        # "note of standard 2 (dcat-ap)" reads better than "standard 2 (dcat-ap) note".
        return Text(FIELD_OF, field=words[-1], owner=_words(words[:-1]))
    return _words(words)


def _words(words: list[Any]) -> Text:
    """Return words said one after the other ("timeline phases item 3") as one Text."""
    return Text(" ".join(f"{{w{i}}}" for i in range(len(words))),
                **{f"w{i}": w for i, w in enumerate(words)})


def short(value: Any, limit: int = 60) -> str:
    """Return a value as text for a message, cut so that a huge value stays readable."""
    text = value if isinstance(value, str) else json.dumps(value, default=str,
                                                           ensure_ascii=False)
    text = " ".join(text.split()) if any(c in text for c in "\n\r\t") else text
    return text if len(text) <= limit else text[:limit - 1] + "…"


def render(template: str, params: Mapping[str, Any]) -> str:
    """Return a message template filled with its parameters."""
    return template.format_map(params)


def _param(value: Any) -> Any:
    """Return a parameter as kept on a finding: a Text or Listing as is, else its text."""
    return value if isinstance(value, (Text, Listing)) else str(value)


class SheetContext:
    """The sheet being checked and where its nodes are: what findings are located by."""

    def __init__(self, sheet: Any, positions: Positions | None,
                 key_positions: Positions | None = None,
                 sources: Mapping[str, str] | None = None) -> None:
        self.sheet = sheet
        self.positions = positions
        self.key_positions = key_positions or {}
        self.sources = sources or {}

    def at(self, path: str, where: str | None = None, *, key: bool = False) -> tuple[Any, Any]:
        """Return the line and column of a path (of its key, or of `where`, if asked)."""
        if key and path in self.key_positions:
            return self.key_positions[path]
        return locate(self.positions, path if where is None else where)

    def finding(self, severity: str, code: str, path: str, template: str, *,
                where: str | None = None, key: bool = False, hint: Hint | None = None,
                **params: Any) -> Finding:
        """Return a located finding whose message is `template` filled with `params`."""
        line, column = self.at(path, where, key=key)
        values = {name: _param(value) for name, value in params.items()}
        hint_template, hint_text = None, None
        if hint is not None:
            hint_template = hint[0]
            hint_values = {name: _param(value) for name, value in hint[1].items()}
            hint_text = render(hint_template, hint_values)
            values.update(hint_values)
        return Finding(severity, code, path, render(template, values), line, column, hint_text,
                       template=template, hint_template=hint_template, params=values)

    def error(self, code: str, path: str, template: str, *, where: str | None = None,
              key: bool = False, hint: Hint | None = None, **params: Any) -> Finding:
        """Return a located error finding (see `finding`)."""
        return self.finding(ERROR, code, path, template, where=where, key=key, hint=hint,
                            **params)
