"""Violations and reports: validation reports, it does not throw (a leaf module: rows, rules
and validators all import it).

Every validator returns a :class:`ValidationReport`; builders raise
``DataValidationError`` carrying one when asked to persist invalid data.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

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

# Rule categories; validator names in the registry select violations by category.
FORMAT = "format"
BUSINESS = "business"
HIPAA = "hipaa"
INTEGRITY = "integrity"
STATISTICS = "statistics"
CATEGORIES = (FORMAT, BUSINESS, HIPAA, INTEGRITY, STATISTICS)


@dataclass(frozen=True)
class Violation:
    """One broken rule: which record, which field, which rule, why, and what to do."""

    entity: str  # table name, e.g. "patients"
    key: object  # the record's business key (patient_id, npi_number, id, ...)
    field: str
    rule: str  # short stable rule name, e.g. "npi_check_digit"
    message: str
    recovery: str = ""
    category: str = BUSINESS

    def as_row(self) -> dict[str, object]:
        return {
            "entity": self.entity,
            "key": self.key,
            "field": self.field,
            "rule": self.rule,
            "message": self.message,
            "recovery": self.recovery,
        }


@dataclass
class ValidationReport:
    """Violations found by one validator plus how many records it checked."""

    name: str = "validation"
    checked: int = 0
    violations: list[Violation] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.violations

    @property
    def violating_records(self) -> int:
        return len({(v.entity, v.key) for v in self.violations})

    @property
    def rate(self) -> float:
        """Share of checked records with at least one violation (0.0 when none checked)."""
        return self.violating_records / self.checked if self.checked else 0.0

    def add(self, violations: Iterable[Violation]) -> ValidationReport:
        self.violations.extend(violations)
        return self

    def extend(self, other: ValidationReport) -> ValidationReport:
        self.checked += other.checked
        self.violations.extend(other.violations)
        self.seconds += other.seconds
        return self

    def by_rule(self) -> Counter[str]:
        return Counter(v.rule for v in self.violations)

    def rows(self, limit: int | None = None) -> list[dict[str, object]]:
        chosen = self.violations if limit is None else self.violations[:limit]
        return [v.as_row() for v in chosen]

    def summary(self) -> str:
        if self.ok:
            return f"{self.name}: {self.checked} checked, no violations"
        top = ", ".join(f"{rule} x{n}" for rule, n in self.by_rule().most_common(5))
        return (
            f"{self.name}: {self.checked} checked, {len(self.violations)} violations "
            f"in {self.violating_records} records ({self.rate:.2%}): {top}"
        )
