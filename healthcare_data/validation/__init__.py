"""Validation: per-row rules, whole-database checks and the registry that names them.

Validation reports, it does not throw: every validator returns a
:class:`ValidationReport` of :class:`Violation` rows. ``VALIDATORS`` holds the
whole-database validation types (``format_validation``, ``business_rules``,
``compliance_check``, ``data_quality``, ``referential_integrity``).
"""

from healthcare_data import violations
from healthcare_data.validation.runner import (
    VALIDATORS,
    DatabaseValidator,
    run_all,
    run_validation,
    validate_records,
    violation_rows,
)
from healthcare_data.violations import *  # noqa: F403

__all__ = [
    *violations.__all__,
    "VALIDATORS",
    "DatabaseValidator",
    "run_all",
    "run_validation",
    "validate_records",
    "violation_rows",
]
