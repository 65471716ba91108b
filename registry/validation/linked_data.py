"""Layer 2, linked data: concepts in their SKOS schemes, ids in the catalogue (fast path).

The SHACL shapes (`schemas/project-sheet/v1.shapes.ttl`) are the truth of this
layer. Running a SHACL engine per sheet costs a graph build and a validation run, so
this module reads what the shapes say (saved in `shape_rules.json`, derived from the
shapes with rdflib), turns it into a small rule table, and then checks sheet values
against the catalogue snapshot directly.
`registry.linked_data.graph.shacl_check` is the slow reference; a test proves that
both report the same problems.

The rule table understands exactly the constructs the shapes use (sh:node with
sh:class and skos:inScheme, sh:class, sh:not with sh:hasValue); a shape with anything
else makes the derivation fail loudly rather than be silently ignored.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any
from weakref import WeakKeyDictionary

from registry.catalogue.snapshot import Catalogue
from registry.documents.findings import (
    ERROR,
    M_,
    WARNING,
    Finding,
    Listing,
    Positions,
    Text,
    finding,
)
from registry.documents.values import Value
from registry.linked_data.context import Field, resolve_path, values_at
from registry.linked_data.iris import (
    ADMS,
    DCTERMS,
    DEFAULT_BASE,
    OWL,
    RDF,
    RDFS,
    SH,
    SKOS,
    status_iri,
    vocabulary_namespace,
)
from registry.paths import schemas_dir

if TYPE_CHECKING:
    from rdflib import Graph

REG = vocabulary_namespace(DEFAULT_BASE)
VOCABULARIES = DEFAULT_BASE + "vocabularies/"

# The class a value must have -> the catalogue collection that holds such values; and
# the namespace that the context and the catalogue graph give their IRIs.
TARGETS = {SKOS + "Concept": "concept", DCTERMS + "Standard": "standard",
           REG + "Component": "component"}
NAMESPACES = {"concept": VOCABULARIES, "standard": DEFAULT_BASE + "standards/",
              "component": DEFAULT_BASE + "components/"}

# Predicates that the shapes may use; anything else is not understood here.
_SHAPE_KEYS = {RDF + "type", SH + "path", SH + "node", SH + "class", SH + "not",
               SH + "severity", SH + "message", SH + "name", SH + "description",
               RDFS + "label", RDFS + "comment", REG + "code"}
_NODE_KEYS = {RDF + "type", SH + "class", SH + "property", RDFS + "label", RDFS + "comment"}
_CONDITION_KEYS = {SH + "path", SH + "hasValue"}

MAX_SUGGESTIONS = 3
LIST_ALLOWED_UP_TO = 15  # schemes this small are listed in full when nothing is close


class Rule(Value):
    """One coded SHACL property shape, as the fast check applies it."""

    __slots__ = ("shape", "code", "severity", "test", "status")
    shape: str
    code: str
    severity: str
    test: str  # "exists" | "deprecated" | "status"
    status: str | None  # test "status": the status value that triggers the shape

    def __init__(self, shape: str, code: str, severity: str, test: str,
                 status: str | None = None) -> None:
        self._init(shape, code, severity, test, status)


class PathRules(Value):
    """The rules on one sheet location: what its values must be, then what they must not be."""

    __slots__ = ("predicates", "steps", "label", "target", "scheme", "exists", "others")
    predicates: tuple[str, ...]
    steps: tuple[tuple[tuple[str, ...], Field], ...]
    label: str  # e.g. "capabilities.needs", for messages
    target: str  # "concept" | "standard" | "component"
    scheme: str | None
    exists: Rule
    others: tuple[Rule, ...]

    def __init__(self, predicates: tuple[str, ...],
                 steps: tuple[tuple[tuple[str, ...], Field], ...], label: str, target: str,
                 scheme: str | None, exists: Rule, others: tuple[Rule, ...]) -> None:
        self._init(predicates, steps, label, target, scheme, exists, others)


def code_targets() -> dict[str, str]:
    """Return the target ("concept", "standard", "component") each finding code is about."""
    return {code: rules.target for rules in rule_table()
            for code in (rules.exists.code, *(rule.code for rule in rules.others))}


def _severity(iri: str | None) -> str:
    if iri in (None, SH + "Violation"):
        return ERROR
    if iri in (SH + "Warning", SH + "Info"):
        return WARNING
    raise ValueError(f"unknown severity {iri}")


# The shapes' facts as the rule table needs them, derived from the shapes file once and
# kept in the repository: reading them needs no RDF parser, so `registry validate` does
# not import rdflib. The file records the checksum of the shapes it was derived from; when
# the shapes change, the facts are derived again from the shapes (slower, never stale)
# until the file is written anew (tests/validation/test_linked_data.py says how).
SHAPES_PATH = schemas_dir() / "project-sheet" / "v1.shapes.ttl"
RULES_PATH = Path(__file__).with_name("shape_rules.json")


def shapes_digest() -> str:
    """Return the size and CRC-32 of the shapes file, which the saved facts must match.

    A checksum, not a cryptographic digest: it only tells an edited shapes file from the
    one the facts were derived from, and hashlib would load OpenSSL on every validation.
    """
    import zlib

    data = SHAPES_PATH.read_bytes()
    return f"{len(data)}:{zlib.crc32(data):08x}"


@cache
def rule_table() -> tuple[PathRules, ...]:
    """Return the rules derived from the SHACL shapes file (read once, then cached)."""
    try:
        saved = json.loads(RULES_PATH.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        saved = None
    if isinstance(saved, dict) and saved.get("shapes_checksum") == shapes_digest():
        return build_table([ShapeFact.from_dict(item) for item in saved["shapes"]])
    from registry.linked_data.graph import shapes_graph

    return derive_rules(shapes_graph(DEFAULT_BASE))


def write_saved_rules() -> None:
    """Write RULES_PATH anew from the shapes file (after the shapes changed)."""
    RULES_PATH.write_text(json.dumps(saved_rules(), indent=1, ensure_ascii=False) + "\n",
                          encoding="utf-8")


def saved_rules() -> dict[str, Any]:
    """Return what RULES_PATH holds for the current shapes (write it as JSON)."""
    from registry.linked_data.graph import shapes_graph

    facts = shape_facts(shapes_graph(DEFAULT_BASE))
    return {"shapes": [fact.to_dict() for fact in facts], "shapes_checksum": shapes_digest()}


class ShapeFact(Value):
    """What one coded property shape says: the path, the rule, its target and scheme."""

    __slots__ = ("predicates", "rule", "target", "scheme")
    predicates: tuple[str, ...]
    rule: Rule
    target: str | None
    scheme: str | None

    def __init__(self, predicates: tuple[str, ...], rule: Rule, target: str | None,
                 scheme: str | None) -> None:
        self._init(predicates, rule, target, scheme)

    def to_dict(self) -> dict[str, Any]:
        """Return the fact as plain JSON data."""
        return {"predicates": list(self.predicates), "shape": self.rule.shape,
                "code": self.rule.code, "severity": self.rule.severity,
                "test": self.rule.test, "status": self.rule.status,
                "target": self.target, "scheme": self.scheme}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ShapeFact:
        """Return the fact that `to_dict` wrote."""
        rule = Rule(data["shape"], data["code"], data["severity"], data["test"],
                    status=data["status"])
        return cls(tuple(data["predicates"]), rule, data["target"], data["scheme"])


def derive_rules(g: Graph) -> tuple[PathRules, ...]:
    """Return the rule table of a shapes graph written for DEFAULT_BASE; fail on the unknown."""
    return build_table(shape_facts(g))


def shape_facts(g: Graph) -> list[ShapeFact]:
    """Return what each coded shape of a shapes graph says; fail on what is not understood."""
    from rdflib import Literal, URIRef
    from rdflib.collection import Collection

    def one(subject: Any, predicate: str) -> Any:
        return g.value(subject, URIRef(predicate))

    def only_keys(subject: Any, allowed: set[str]) -> None:
        unknown = {str(p) for p in g.predicates(subject, None)} - allowed
        if unknown:
            raise ValueError(f"{subject}: the fast check does not implement {sorted(unknown)}")

    def condition(node: Any) -> tuple[str, Any]:
        """Return (path, hasValue) of a node shape with a single sh:property."""
        only_keys(node, _NODE_KEYS)
        props = list(g.objects(node, URIRef(SH + "property")))
        if len(props) != 1:
            raise ValueError(f"{node}: expected one sh:property")
        only_keys(props[0], _CONDITION_KEYS)
        return str(one(props[0], SH + "path")), one(props[0], SH + "hasValue")

    facts: list[ShapeFact] = []
    for shape in sorted(g.subjects(URIRef(REG + "code"), None), key=str):
        only_keys(shape, _SHAPE_KEYS)
        path = one(shape, SH + "path")
        predicates = ((str(path),) if isinstance(path, URIRef)
                      else tuple(str(p) for p in Collection(g, path)))
        code = str(one(shape, REG + "code"))
        severity = _severity(str(one(shape, SH + "severity") or SH + "Violation"))
        node, cls, negated = (one(shape, SH + "node"), one(shape, SH + "class"),
                              one(shape, SH + "not"))
        if sum(x is not None for x in (node, cls, negated)) != 1:
            raise ValueError(f"{shape}: expected exactly one of sh:node, sh:class, sh:not")
        target = scheme = None
        if node is not None:  # sh:node: a class and, for concepts, a scheme
            cls = one(node, SH + "class")
            in_scheme, scheme_node = condition(node)
            if in_scheme != SKOS + "inScheme" or not str(scheme_node).startswith(VOCABULARIES):
                raise ValueError(f"{node}: expected skos:inScheme <{VOCABULARIES}...>")
            scheme = str(scheme_node)[len(VOCABULARIES):]
        if cls is not None:
            if str(cls) not in TARGETS:
                raise ValueError(f"{shape}: no catalogue collection holds {cls}")
            target = TARGETS[str(cls)]
            if (target == "concept") != (scheme is not None):
                raise ValueError(f"{shape}: concepts, and only concepts, need a scheme")
            rule = Rule(str(shape), code, severity, "exists")
        else:
            prop, value = condition(negated)
            if prop == OWL + "deprecated" and value == Literal(True):
                rule = Rule(str(shape), code, severity, "deprecated")
            elif prop == ADMS + "status" and str(value).startswith(REG):
                rule = Rule(str(shape), code, severity, "status", status=str(value))
            else:
                raise ValueError(f"{shape}: sh:not on {prop} {value} is not implemented")
        facts.append(ShapeFact(predicates, rule, target, scheme))
    return facts


def build_table(facts: Iterable[ShapeFact]) -> tuple[PathRules, ...]:
    """Return the rule table of the shapes' facts, checked against the JSON-LD context."""
    by_path: dict[tuple[str, ...], list[tuple[Rule, str | None, str | None]]] = {}
    for fact in facts:
        by_path.setdefault(fact.predicates, []).append((fact.rule, fact.target, fact.scheme))
    table = []
    for predicates, rules in by_path.items():
        exists = [(r, t, s) for r, t, s in rules if r.test == "exists"]
        if len(exists) != 1:
            raise ValueError(f"{predicates}: expected one shape saying what the values are")
        rule, target, scheme = exists[0]
        assert target is not None
        others = tuple(_bind_status(r, target) for r, _, _ in rules if r.test != "exists")
        steps = resolve_path(predicates)
        last = steps[-1][1]
        # The context decides which IRI a value becomes; the shape which IRIs are
        # allowed. Both must agree, or SHACL would reject every value.
        expected = NAMESPACES[target] + (f"{scheme}/" if scheme else "")
        if last.kind != "vocab" or last.vocab != expected:
            raise ValueError(f"{predicates}: the context maps values to {last.vocab}, "
                             f"the shapes expect {expected}")
        table.append(PathRules(predicates, steps, _label(steps), target, scheme, rule, others))
    return tuple(sorted(table, key=lambda p: [k for keys, _ in p.steps for k in keys]))


def _bind_status(rule: Rule, target: str) -> Rule:
    """Turn a status IRI into the record status it means, checking it suits the target."""
    if rule.test != "status":
        return rule
    if target == "concept":
        raise ValueError(f"{rule.shape}: concepts have no adms:status")
    # status_iri(): <base>def/<kind>-status/<status> (see the catalogue graph).
    namespace = status_iri(DEFAULT_BASE, target, "")
    if not (rule.status or "").startswith(namespace):
        raise ValueError(f"{rule.shape}: {rule.status} is not a status of a {target}")
    return Rule(rule.shape, rule.code, rule.severity, "status",
                status=(rule.status or "")[len(namespace):])


def _label(steps: tuple[tuple[tuple[str, ...], Field], ...]) -> str:
    parts: list[str] = []
    for keys, f in steps:
        parts.append(".".join(keys) + ("[]" if f.many and f.level is not None else ""))
    return ".".join(parts)


# --- suggestions ---------------------------------------------------------------------

_SUGGESTERS: WeakKeyDictionary[Catalogue, dict[tuple[str, str | None], dict[str, list[str]]]]
_SUGGESTERS = WeakKeyDictionary()


def _names(catalogue: Catalogue, target: str, scheme: str | None) -> dict[str, list[str]]:
    """Return lower-cased names (ids, labels, acronyms) -> the current ids they name."""
    cached = _SUGGESTERS.setdefault(catalogue, {})
    key = (target, scheme)
    if key in cached:
        return cached[key]
    names: dict[str, list[str]] = {}

    def add(name: Any, record_id: str) -> None:
        if isinstance(name, str) and name:
            ids = names.setdefault(name.lower(), [])
            if record_id not in ids:
                ids.append(record_id)

    def texts(value: Any) -> Iterable[Any]:
        return value.values() if isinstance(value, Mapping) else ()

    if target == "concept":
        for concept in catalogue.concepts.get(scheme or "", {}).values():
            # Point a deprecated concept's names at its replacement.
            current = concept.replaced_by if concept.deprecated else concept.id
            if not current:
                continue
            add(concept.id, current)
            for label in concept.label.values():
                add(label, current)
            for labels in concept.alt_labels.values():
                for label in labels:
                    add(label, current)
    else:
        records = catalogue.standards if target == "standard" else catalogue.components
        for record_id, record in records.items():
            status = record.get("status")
            current = record.get("replaced_by") if status == "deprecated" else record_id
            if status == "retired" or not isinstance(current, str):
                continue
            add(record_id, current)
            add(record.get("acronym"), current)
            for title in (*texts(record.get("title")), *texts(record.get("name"))):
                add(title, current)
    cached[key] = names
    return names


# The answers already given, per catalogue and vocabulary: a roadmap repeats the same
# unknown ids in thousands of sheets (a read model validates every stored sheet), and a
# fuzzy match costs a comparison with every name of the vocabulary (10,000 synthetic
# sheets: 370 s of the first snapshot). Bounded, since the values come from input.
_ANSWERS: WeakKeyDictionary[Catalogue, dict[tuple[str, str | None, str], list[str]]]
_ANSWERS = WeakKeyDictionary()
_ANSWERS_MAX = 20_000


def suggestions(catalogue: Catalogue, target: str, scheme: str | None, value: str
                ) -> list[str]:
    """Return up to three current ids whose id or label (any language) is close to value."""
    answers = _ANSWERS.setdefault(catalogue, {})
    key = (target, scheme, value.lower())
    found = answers.get(key)
    if found is None:
        if len(answers) >= _ANSWERS_MAX:
            answers.clear()
        found = answers[key] = _suggestions(catalogue, target, scheme, value)
    return list(found)


def _suggestions(catalogue: Catalogue, target: str, scheme: str | None, value: str
                 ) -> list[str]:
    names = _names(catalogue, target, scheme)
    exact = names.get(value.lower())
    if exact:  # a label or an id in another case: no need to guess
        return exact[:MAX_SUGGESTIONS]
    out: list[str] = []
    import difflib  # only for a value that is not known

    for name in difflib.get_close_matches(value.lower(), list(names), n=8, cutoff=0.6):
        for record_id in names[name]:
            if record_id not in out:
                out.append(record_id)
    return out[:MAX_SUGGESTIONS]


# Message templates (registry.documents.localize puts them into French and Dutch).
MESSAGES = {
    "did-you-mean": M_("did you mean {ids}?"),
    "not-a-concept": M_("{field}: `{value}` is not a concept of the vocabulary `{scheme}`"),
    "allowed": M_("allowed values: {values}"),
    "use-vocabulary": M_("use an id of the vocabulary `{scheme}`"),
    "not-a-standard": M_("`{value}` is not a standard of the catalogue"),
    "use-standard": M_("use the id of a standard of the registry's catalogue"),
    "not-a-component": M_("{field}: `{value}` is not a component of the catalogue"),
    "new-component": M_("a new component that the project builds belongs in "
                        "components.provides"),
    "deprecated-concept": M_("{field}: `{value}` is a deprecated concept of the vocabulary "
                             "`{scheme}`"),
    "use-instead": M_("use `{replacement}` instead"),
    "choose-current": M_("choose a current concept of the vocabulary `{scheme}`"),
    "component-no-reuse": M_("component `{value}` is {status} and should no longer be "
                             "reused"),
    "standard-is": M_("standard `{value}` is {status}"),
    "component-is": M_("component `{value}` is {status}"),
    "declare-instead": M_("declare `{replacement}` instead"),
    "consider-one": M_("consider `{other}`, which provides the same capability"),
    "consider-several": M_("consider {others}, which provide the same capabilities"),
}
# The statuses a message names, as words to translate.
STATUSES = {"deprecated": M_("deprecated"), "retired": M_("retired"), "pilot": M_("pilot"),
            "active": M_("active"), "candidate": M_("candidate"),
            "recommended": M_("recommended"), "mandatory": M_("mandatory")}


def _status(status: Any) -> Any:
    return Text(STATUSES[status]) if status in STATUSES else str(status)


def _did_you_mean(ids: list[str]) -> Text:
    return Text(MESSAGES["did-you-mean"], ids=Listing([f"`{i}`" for i in ids], "or"))


# --- the check -------------------------------------------------------------------------

def _record(catalogue: Catalogue, rules: PathRules, value: str) -> Any:
    if rules.target == "concept":
        return catalogue.concepts.get(rules.scheme or "", {}).get(value)
    if rules.target == "standard":
        return catalogue.standards.get(value)
    return catalogue.components.get(value)


def _unknown(catalogue: Catalogue, rules: PathRules, value: str) -> tuple[Text, Text | None]:
    close = suggestions(catalogue, rules.target, rules.scheme, value)
    hint = _did_you_mean(close) if close else None
    if rules.target == "concept":
        message = Text(MESSAGES["not-a-concept"], field=rules.label, value=value,
                       scheme=str(rules.scheme))
        if hint is None:
            current = sorted(c.id for c in catalogue.concepts.get(rules.scheme or "", {}
                                                                   ).values()
                             if not c.deprecated)
            if 0 < len(current) <= LIST_ALLOWED_UP_TO:
                hint = Text(MESSAGES["allowed"], values=", ".join(f"`{c}`" for c in current))
            else:
                hint = Text(MESSAGES["use-vocabulary"], scheme=str(rules.scheme))
        return message, hint
    if rules.target == "standard":
        return (Text(MESSAGES["not-a-standard"], value=value),
                hint or Text(MESSAGES["use-standard"]))
    return (Text(MESSAGES["not-a-component"], field=rules.label, value=value),
            hint or Text(MESSAGES["new-component"]))


def _violation(catalogue: Catalogue, rules: PathRules, rule: Rule, value: str,
               record: Any) -> tuple[Text, Text | None] | None:
    """Return (message, hint) when a known value breaks a rule, else None."""
    if rule.test == "deprecated":
        if rules.target == "concept":
            if not record.deprecated:
                return None
            replacement = record.replaced_by
            return (Text(MESSAGES["deprecated-concept"], field=rules.label, value=value,
                         scheme=str(rules.scheme)),
                    Text(MESSAGES["use-instead"], replacement=replacement) if replacement
                    else Text(MESSAGES["choose-current"], scheme=str(rules.scheme)))
        if record.get("status") != "deprecated":
            return None
        return _deprecated_record(rules, value, record)
    if record.get("status") != rule.status:
        return None
    if rules.target == "component":
        return (Text(MESSAGES["component-no-reuse"], value=value, status=_status(rule.status)),
                _successor_hint(catalogue, value, record))
    return _deprecated_record(rules, value, record)


def _deprecated_record(rules: PathRules, value: str, record: Any) -> tuple[Text, Text | None]:
    replacement = record.get("replaced_by")
    template = MESSAGES["standard-is" if rules.target == "standard" else "component-is"]
    return (Text(template, value=value, status=_status(record.get("status"))),
            Text(MESSAGES["declare-instead"], replacement=replacement) if replacement
            else None)


def _successor_hint(catalogue: Catalogue, value: str, record: Any) -> Text | None:
    others: list[str] = []
    for capability in record.get("provides", ()):
        for other in catalogue.components_by_capability.get(capability, ()):
            if (other != value and other not in others
                    and catalogue.components[other].get("status") == "active"):
                others.append(other)
    if not others:
        return None
    if len(others) == 1:
        return Text(MESSAGES["consider-one"], other=others[0])
    listed = Listing([f"`{o}`" for o in others[:MAX_SUGGESTIONS]], "or", commas=False)
    return Text(MESSAGES["consider-several"], others=listed)


def verdicts(catalogue: Catalogue, target: str, value: str) -> tuple[Any, ...]:
    """Return what `check` says of one value of a target (a standard or component id)
    wherever a sheet names it: equal under two catalogues, the findings on that value
    are equal too. The hints of unknown values (the ids close to one) are not included."""
    out: list[Any] = []
    for rules in rule_table():
        if rules.target != target:
            continue
        record = _record(catalogue, rules, value)
        if record is None:
            out.append((rules.exists.code, None))
            continue
        for rule in rules.others:
            broken = _violation(catalogue, rules, rule, value, record)
            out.append((rule.code, None if broken is None else
                        tuple((t.template, str(t)) if t is not None else None
                              for t in broken)))
    return tuple(out)


def check(sheet: Any, catalogue: Catalogue, positions: Positions | None = None,
          base: str = DEFAULT_BASE, targets: Iterable[str] | None = None
          ) -> Iterator[Finding]:
    """Yield the linked-data findings of a sheet: unknown or deprecated concepts and ids.

    `base` is accepted for symmetry with the RDF functions; findings do not depend on
    it (ids are checked, not IRIs). Values of the wrong type are skipped: the structure
    layer reports them. `targets` ("concept", "standard", "component") keeps the
    findings about those values only: each reads the catalogue records of its target
    alone, so a catalogue change re-checks only the values its kind names.
    """
    if not isinstance(sheet, Mapping):
        return
    wanted = None if targets is None else set(targets)
    for rules in rule_table():
        if wanted is not None and rules.target not in wanted:
            continue
        for pointer, value in values_at(sheet, rules.steps):
            record = _record(catalogue, rules, value)
            if record is None:
                message, hint = _unknown(catalogue, rules, value)
                yield finding(rules.exists.severity, rules.exists.code, pointer, message,
                              positions=positions, hint=hint)
                continue
            for rule in rules.others:
                broken = _violation(catalogue, rules, rule, value, record)
                if broken is not None:
                    yield finding(rule.severity, rule.code, pointer, broken[0],
                                  positions=positions, hint=broken[1])

