"""Compatibility: the report types live in :mod:`healthcare_data.violations`."""

from healthcare_data.violations import (
    BUSINESS,
    CATEGORIES,
    FORMAT,
    HIPAA,
    INTEGRITY,
    STATISTICS,
    ValidationReport,
    Violation,
)

__all__ = [
    "BUSINESS",
    "CATEGORIES",
    "FORMAT",
    "HIPAA",
    "INTEGRITY",
    "STATISTICS",
    "ValidationReport",
    "Violation",
]
