"""The one findings model shared by every validation layer and every reporter.

A finding's `message` is English, as the API and the reports give it. Where a message
was built from a template (a plain string with `{name}` placeholders, marked with
`M_()`), the finding also keeps the template and its parameters, so that a page (or the
API, on request) can show it in another language (registry.documents.localize); they
are not part of the finding's JSON. A parameter may itself be a `Text` (a template with
its parameters, such as "note of standard 2") or a `Listing` ("a, b and c"), so that
the words inside a message are translated with it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from registry.documents.typography import french
from registry.documents.values import Value

ERROR = "error"
WARNING = "warning"

# JSON Pointer -> (line, column), both 1-based, of the node in the source text.
Positions = Mapping[str, tuple[int, int]]


def M_(template: str) -> str:
    """Mark a finding's message template for extraction into translation catalogues.

    It returns the template unchanged: messages are rendered in English here, and
    translated (if ever) where they are shown.
    """
    return template


class Text:
    """A message template with its parameters: English by `str()`, translatable as a whole.

    Used where a message is a sentence of its own (a reuse explanation, an error page's
    message) or a piece of one (a place in a sheet, a piece of advice). Parameters may be
    Texts or Listings themselves.
    """

    __slots__ = ("params", "template")

    def __init__(self, template: str, /, **params: Any) -> None:
        self.template = template
        self.params = params

    def __str__(self) -> str:
        # format_map calls format() on each value: a nested Text or Listing renders as
        # its str(), in English.
        return self.template.format_map(self.params)

    def __repr__(self) -> str:
        return f"Text({self.template!r}, **{self.params!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Text) and (self.template, self.params) == (
            other.template, other.params)

    def __hash__(self) -> int:
        return hash(str(self))


class Listing:
    """Items joined into one phrase: "a, b and c" (`commas`) or "a or b or c".

    English is written as the registry always wrote it; another language joins the
    translated items as Babel's CLDR data says ("a, b et c", "a, b of c").
    """

    __slots__ = ("commas", "items", "word")

    def __init__(self, items: Sequence[Any], word: str = "and", *, commas: bool = True
                 ) -> None:
        if word not in ("and", "or"):
            raise ValueError(f"a listing joins with and or or, not {word!r}")
        self.items = tuple(items)
        self.word = word
        self.commas = commas

    def __str__(self) -> str:
        items = [str(i) for i in self.items]
        if not self.commas or len(items) < 3:
            return f" {self.word} ".join(items)
        return ", ".join(items[:-1]) + f" {self.word} " + items[-1]

    def __repr__(self) -> str:
        return f"Listing({self.items!r}, {self.word!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Listing) and (self.items, self.word, self.commas) == (
            other.items, other.word, other.commas)

    def __hash__(self) -> int:
        return hash(str(self))


class Term:
    """A catalogue label (or a project's title) in every language it has: English by
    `str()`, the page's language when a message is rendered in another (English when the
    catalogue has no label in it)."""

    __slots__ = ("english", "texts")

    def __init__(self, texts: Mapping[str, str], english: str) -> None:
        self.texts = texts
        self.english = english

    def __str__(self) -> str:
        return self.english

    def __format__(self, spec: str) -> str:
        return format(self.english, spec)

    def __repr__(self) -> str:
        return f"Term({self.english!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Term) and (self.english, dict(self.texts)) == (
            other.english, dict(other.texts))

    def __hash__(self) -> int:
        return hash(self.english)

    def in_(self, lang: str) -> str:
        """Return the label in a language, or in English if it has none there."""
        found = self.texts.get(lang)
        if not found:
            return self.english
        return french(found) if lang == "fr" else found


class Finding(Value):
    """One problem found in a sheet, located by JSON Pointer (and line/column in the source)."""

    __slots__ = ("severity", "code", "path", "message", "line", "column", "hint",
                 "template", "hint_template", "params")
    # The untranslated template of `message` (and of `hint`) and their parameters, when
    # the message was built from one; never compared, never serialised.
    _compared = ("severity", "code", "path", "message", "line", "column", "hint")
    severity: str
    code: str
    path: str
    message: str
    line: int | None
    column: int | None
    hint: str | None
    template: str | None
    hint_template: str | None
    params: Mapping[str, Any] | None

    def __init__(self, severity: str, code: str, path: str, message: str,
                 line: int | None = None, column: int | None = None, hint: str | None = None,
                 template: str | None = None, hint_template: str | None = None,
                 params: Mapping[str, Any] | None = None) -> None:
        self._init(severity, code, path, message, line, column, hint, template,
                   hint_template, params)

    def to_dict(self) -> dict[str, Any]:
        """Return the finding as the spec's JSON object (key order fixed)."""
        return {"severity": self.severity, "code": self.code, "path": self.path,
                "line": self.line, "column": self.column, "message": self.message,
                "hint": self.hint}

    def sort_key(self) -> tuple[int, int, int, str, str]:
        """Order errors first, then by position in the file."""
        return (0 if self.severity == ERROR else 1, self.line or 0, self.column or 0,
                self.path, self.code)


def locate(positions: Positions | None, pointer: str) -> tuple[int | None, int | None]:
    """Return the line and column of a pointer, or of its nearest located ancestor."""
    if not positions:
        return None, None
    current = pointer
    while True:
        if current in positions:
            return positions[current]
        if not current:
            return None, None
        current = current.rsplit("/", 1)[0]


def finding(severity: str, code: str, path: str, message: str | Text, *,
            positions: Positions | None = None, hint: str | Text | None = None,
            at: str | None = None) -> Finding:
    """Build a finding located through `positions` (at `at` if given, else at `path`).

    Given as Texts, the message and the hint keep their templates for translation (their
    parameters are merged, so the two must not give one name two values).
    """
    line, column = locate(positions, path if at is None else at)
    template = message.template if isinstance(message, Text) else None
    hint_template = hint.template if isinstance(hint, Text) else None
    params: dict[str, Any] | None = None
    if template is not None or hint_template is not None:
        params = {}
        for text in (message, hint):
            if isinstance(text, Text):
                params.update(text.params)
    return Finding(severity, code, path, str(message), line, column,
                   None if hint is None else str(hint), template=template,
                   hint_template=hint_template, params=params)


class FileReport:
    """The findings of one file (sorted: errors first, then by position)."""

    def __init__(self, path: str, findings: list[Finding] | None = None) -> None:
        self.path = path
        self.findings: list[Finding] = [] if findings is None else findings
        self.findings.sort(key=Finding.sort_key)

    def __repr__(self) -> str:
        return f"FileReport(path={self.path!r}, findings={self.findings!r})"

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return (self.path, self.findings) == (other.path, other.findings)  # type: ignore[attr-defined]

    __hash__ = None  # type: ignore[assignment]  # mutable, as a dataclass without frozen

    @property
    def errors(self) -> int:
        """Return the number of error findings."""
        return sum(1 for f in self.findings if f.severity == ERROR)

    @property
    def warnings(self) -> int:
        """Return the number of warning findings."""
        return sum(1 for f in self.findings if f.severity == WARNING)

    @property
    def valid(self) -> bool:
        """Return True when the file has no error finding."""
        return self.errors == 0

    def to_dict(self) -> dict[str, Any]:
        """Return the file's entry of the JSON report."""
        return {"path": self.path, "valid": self.valid,
                "findings": [f.to_dict() for f in self.findings]}


def summary(reports: Iterable[FileReport]) -> dict[str, int]:
    """Return the report's summary counts."""
    reports = list(reports)
    valid = sum(1 for r in reports if r.valid)
    return {"files": len(reports), "valid": valid, "invalid": len(reports) - valid,
            "errors": sum(r.errors for r in reports),
            "warnings": sum(r.warnings for r in reports)}


def report_dict(reports: Iterable[FileReport]) -> dict[str, Any]:
    """Return the machine-readable report of the spec for several files."""
    reports = list(reports)
    return {"valid": all(r.valid for r in reports),
            "files": [r.to_dict() for r in reports],
            "summary": summary(reports)}


def single_report_dict(report: FileReport) -> dict[str, Any]:
    """Return the body of `POST /api/validate`: the file's entry plus its summary."""
    return {**report.to_dict(), "summary": summary([report])}
