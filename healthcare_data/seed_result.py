"""What a seeding or validation run reports: the run's result and the validators' tables.

:class:`SeedResult` is what :func:`healthcare_data.seeding.seed` returns (its
:meth:`~SeedResult.metrics` is the QA seed document's metrics dictionary); the functions
below turn validation reports into the rows and notes the command line, the HTML report
and the metrics print. :func:`run_validators` runs every validator once a seed is done.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from healthcare_data import settings, validation
from healthcare_data.bulk import WriteResult
from healthcare_data.connections import require_schema, sqlite_path
from healthcare_data.db import Database
from healthcare_data.profiles import Profile
from healthcare_data.violations import STATISTICS, ValidationReport

log = logging.getLogger(__name__)

__all__ = [
    "SeedResult",
    "report_passes",
    "run_validators",
    "statistics_rows",
    "validation_notes",
    "validation_row",
]


@dataclass
class SeedResult:
    """What a seeding run did, how fast, and whether the data passed validation."""

    profile: Profile
    database: Database
    seed: int
    mode: str  # "fresh", "reset" or "append"
    write: WriteResult
    total_seconds: float
    validation: dict[str, ValidationReport] = field(default_factory=dict)
    validation_seconds: float = 0.0
    validation_enabled: bool = True
    strict: bool = False
    first_ids: dict[str, int] = field(default_factory=dict)

    @property
    def target_seconds(self) -> float:
        return self.profile.target_seconds

    @property
    def target_met(self) -> bool:
        return self.total_seconds <= self.target_seconds

    @property
    def performance_ratio(self) -> float:
        """Share of the target time used (0.82: finished in 82% of the allowed time)."""
        return self.total_seconds / self.target_seconds if self.target_seconds else 0.0

    @property
    def total_records(self) -> int:
        return self.write.total_rows

    @property
    def records_per_second(self) -> float:
        return self.total_records / self.total_seconds if self.total_seconds else 0.0

    @property
    def failed_validations(self) -> list[ValidationReport]:
        return [r for r in self.validation.values() if not report_passes(r, strict=self.strict)]

    @property
    def errors(self) -> list[str]:
        errors = [report.summary() for report in self.failed_validations]
        if self.strict and not self.target_met:
            errors.append(
                f"target time missed: {self.total_seconds:.1f}s > {self.target_seconds:.0f}s (strict mode)"
            )
        return errors

    @property
    def success(self) -> bool:
        return not self.errors

    def entity_rows(self) -> list[dict[str, object]]:
        """entity, rows, seconds, rows/s per table written (for the summary table)."""
        rows = []
        for table, count in self.write.rows.items():
            seconds = self.write.seconds.get(table, 0.0)
            rows.append(
                {
                    "entity": table,
                    "rows": count,
                    "seconds": round(seconds, 3),
                    "rows/s": round(count / seconds) if seconds else None,
                }
            )
        return rows

    def validation_rows(self) -> list[dict[str, object]]:
        return [validation_row(r, self.strict) for r in self.validation.values()]

    def metrics(self) -> dict[str, Any]:
        """The QA seed document's metrics dictionary, plus per-entity and validation detail."""
        path = sqlite_path(self.database)
        return {
            "environment": self.profile.name,
            "profile_name": self.profile.title,
            "total_time_seconds": round(self.total_seconds, 3),
            "target_time_seconds": self.target_seconds,
            "performance_ratio": round(self.performance_ratio, 4),
            "target_met": self.target_met,
            "total_records_created": self.total_records,
            "records_per_second": round(self.records_per_second, 2),
            "validation_time_seconds": round(self.validation_seconds, 3),
            "errors": self.errors,
            "success": self.success,
            "database": self.database.url,
            "backend": self.database.backend,
            "sqlite_path": str(path) if path else None,
            "seed": self.seed,
            "mode": self.mode,
            "tenants": self.profile.tenants,
            "write_method": self.write.method,
            "target_records_per_second": self.profile.target_records_per_second,
            "entities": {
                row["entity"]: {k: v for k, v in row.items() if k != "entity"} for row in self.entity_rows()
            },
            "validation": {
                name: {
                    "checked": report.checked,
                    "violations": len(report.violations),
                    "passed": report_passes(report, strict=self.strict),
                    "seconds": round(report.seconds, 3),
                }
                for name, report in self.validation.items()
            },
            "statistics": statistics_rows(self.validation),
            "validation_notes": validation_notes(self.validation),
        }


def report_passes(report: ValidationReport, *, strict: bool = False) -> bool:
    """A report passes with no violations; outside strict mode statistics findings only warn."""
    if strict:
        return report.ok
    return all(v.category == STATISTICS for v in report.violations)


def validation_row(report: ValidationReport, strict: bool = False) -> dict[str, object]:
    passed = report_passes(report, strict=strict)
    status = "PASS" if report.ok else ("WARN" if passed else "FAIL")
    return {
        "validation": report.name,
        "checked": report.checked,
        "violations": len(report.violations),
        "status": status,
        "seconds": round(report.seconds, 3),
    }


def statistics_rows(reports: Mapping[str, ValidationReport]) -> list[dict[str, Any]]:
    """Every statistical test the validators ran: test, statistic, p-value, observed vs expected."""
    return [test.as_dict() for report in reports.values() for test in getattr(report, "tests", ())]


def validation_notes(reports: Mapping[str, ValidationReport]) -> list[str]:
    """What the validators could not do (e.g. statistics skipped without SciPy)."""
    return [note for report in reports.values() if (note := getattr(report, "skipped", None))]


def run_validators(db: Database, *, today: date | None = None) -> tuple[dict[str, ValidationReport], float]:
    """Every registered validator on ``db``; returns the reports and the seconds they took."""
    require_schema(db)
    started = time.perf_counter()
    with db.shared_run_lock(settings.qa_settings().lock_timeout):  # a seed in progress finishes first
        reports = validation.run_all(db, today=today)
    seconds = time.perf_counter() - started
    log.info("%d validators on %s in %.2f s", len(reports), db.url, seconds)
    for report in reports.values():
        log.debug("%s", report.summary())
    return reports, seconds
