"""Check SPDX licence expressions (SPDX 2.3, annex D) against the vendored list of ids.

    expression := compound ;  compound := and ("OR" and)* ;  and := with ("AND" with)*
    with := simple ["WITH" exception-id] | "(" compound ")"
    simple := licence-id ["+"] | "LicenseRef-" idstring | "DocumentRef-" idstring ":" ...

Ids are matched case-insensitively (as the specification says); operators must be
upper-case or lower-case words. The ids live in `data/spdx-ids.txt` (see its header).
"""

from __future__ import annotations

import re
from functools import cache
from importlib import resources

_TOKEN = re.compile(r"\s*(\(|\)|[A-Za-z0-9.+:-]+|\S)")
_REF = re.compile(r"(DocumentRef-[A-Za-z0-9.-]+:)?LicenseRef-[A-Za-z0-9.-]+\Z")
_OPERATORS = {"AND", "OR", "WITH"}


@cache
def _ids() -> tuple[dict[str, str], dict[str, str]]:
    """Return the licence and exception ids, keyed by their lower-case form."""
    licences: dict[str, str] = {}
    exceptions: dict[str, str] = {}
    target = licences
    text = resources.files("registry.catalogue").joinpath("data/spdx-ids.txt").read_text(
        encoding="utf-8")
    for line in text.splitlines():
        if line.startswith("#") or not line.strip():
            continue
        if line.startswith("["):
            target = exceptions if line == "[exceptions]" else licences
            continue
        target[line.lower()] = line
    return licences, exceptions


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens = [t for t in _TOKEN.findall(text)]
        self.i = 0

    def peek(self) -> str | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def take(self) -> str | None:
        token = self.peek()
        self.i += 1
        return token

    def operator(self, name: str) -> bool:
        token = self.peek()
        if token is not None and token.upper() == name and token in (name, name.lower()):
            self.i += 1
            return True
        return False

    def compound(self) -> None:
        self.conjunction()
        while self.operator("OR"):
            self.conjunction()

    def conjunction(self) -> None:
        self.with_exception()
        while self.operator("AND"):
            self.with_exception()

    def with_exception(self) -> None:
        if self.peek() == "(":
            self.take()
            self.compound()
            if self.take() != ")":
                raise ValueError("a parenthesis is not closed")
            return
        self.simple()
        if self.operator("WITH"):
            token = self.take()
            if token is None:
                raise ValueError("WITH is not followed by an exception id")
            if token.lower() not in _ids()[1]:
                raise ValueError(f"{token!r} is not an SPDX licence exception id")

    def simple(self) -> None:
        token = self.take()
        if token is None:
            raise ValueError("a licence id is missing")
        if token.upper() in _OPERATORS or token in "()":
            raise ValueError(f"a licence id is expected where {token!r} is")
        if _REF.match(token):
            return
        if token.lower() not in _ids()[0] and not (
                token.endswith("+") and token[:-1].lower() in _ids()[0]):
            raise ValueError(f"{token!r} is not an SPDX licence id")


def spdx_problem(expression: str) -> str | None:
    """Return why a text is not a valid SPDX licence expression, or None when it is."""
    if not expression.strip():
        return "the licence expression is empty"
    parser = _Parser(expression)
    try:
        parser.compound()
    except ValueError as exc:
        return str(exc)
    if parser.peek() is not None:
        return f"unexpected {parser.peek()!r} in the licence expression"
    return None
