"""Project-sheet validation: parse with limits, structure, linked data, policy; reporters."""

from registry.documents.findings import (
    ERROR,
    WARNING,
    FileReport,
    Finding,
    Positions,
    finding,
    locate,
    report_dict,
    single_report_dict,
    summary,
)
from registry.documents.parse import Limits, ParseResult, parse_document
from registry.validation.pipeline import check_data, validate_bytes, validate_data, validate_file

__all__ = [
    "ERROR",
    "WARNING",
    "FileReport",
    "Finding",
    "Limits",
    "ParseResult",
    "Positions",
    "check_data",
    "finding",
    "locate",
    "parse_document",
    "report_dict",
    "single_report_dict",
    "summary",
    "validate_bytes",
    "validate_data",
    "validate_file",
]
