"""The value classes that replaced dataclasses keep what @dataclass(frozen=True) gave."""

from __future__ import annotations

import copy
import pickle

import pytest

from registry.catalogue.records import RecordError
from registry.catalogue.snapshot import Concept
from registry.documents.findings import ERROR, FileReport, Finding
from registry.documents.limits import Limits
from registry.documents.results import ParseResult


def test_equality_hash_and_repr_by_field():
    a = RecordError("standards/x.yaml", "/id", "bad", 3)
    b = RecordError("standards/x.yaml", "/id", "bad", line=3)
    assert a == b and hash(a) == hash(b) and len({a, b}) == 1
    assert a != RecordError("standards/x.yaml", "/id", "bad", 4)
    assert a != ("standards/x.yaml", "/id", "bad", 3, None)  # not a tuple
    assert repr(a) == ("RecordError(file='standards/x.yaml', path='/id', message='bad', "
                       "line=3, column=None)")
    assert Limits() == Limits(1024 * 1024, 32, 4300) and Limits().read_size == 1024 * 1024 + 1


def test_a_finding_s_templates_are_neither_compared_nor_shown():
    plain = Finding(ERROR, "schema.enum", "/status", "bad value", 26, 9)
    templated = Finding(ERROR, "schema.enum", "/status", "bad value", 26, 9,
                        template="bad {value}", params={"value": "x"})
    assert plain == templated and hash(plain) == hash(templated)
    assert "template" not in repr(templated) and repr(plain) == repr(templated)
    assert templated.params == {"value": "x"}


def test_no_assignment_after_init():
    concept = Concept("domains", "mobility", {"en": "Mobility"}, {})
    with pytest.raises(AttributeError):
        concept.id = "other"  # type: ignore[misc]
    with pytest.raises(AttributeError):
        del concept.layer
    assert concept.alt_labels == {} and concept.alt_labels is not Concept(
        "domains", "x", {}, {}).alt_labels  # a mapping of its own, as default_factory gave


def test_pickled_and_copied_as_they_were():
    finding = Finding(ERROR, "x.y", "/a", "m", template="t", params={"k": 1})
    back = pickle.loads(pickle.dumps(finding))
    assert back == finding and back.template == "t" and back.params == {"k": 1}
    result = ParseResult({"a": 1}, {"": (1, 1)}, [], "yaml")
    assert copy.deepcopy(result) == result and result.key_positions == {}
    report = FileReport("f.yaml", [Finding("warning", "w", "/b", "m", 9),
                                   Finding(ERROR, "e", "/a", "m", 12)])
    assert [f.code for f in report.findings] == ["e", "w"]  # errors first, as before
    assert pickle.loads(pickle.dumps(report)) == report
    with pytest.raises(TypeError):
        hash(report)
