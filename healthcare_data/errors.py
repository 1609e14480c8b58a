"""One exception hierarchy for the library.

Every error carries a human message and, where one exists, a list of recovery
suggestions, so a failing test or CLI run says what to do next.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from healthcare_data.violations import ValidationReport


class HealthcareDataError(Exception):
    """Root of every error this library raises on purpose."""

    def __init__(self, message: str, recovery: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.recovery: list[str] = list(recovery)

    def __str__(self) -> str:
        if not self.recovery:
            return self.message
        return f"{self.message} (recovery: {'; '.join(self.recovery)})"


class UnknownNameError(HealthcareDataError, KeyError):
    """A name looked up in a registry (persona, trait, token, ...) does not exist."""

    def __init__(self, kind: str, name: object, known: Iterable[str]) -> None:
        self.kind = kind
        self.name = name
        self.known = sorted(known)
        close = difflib.get_close_matches(str(name), self.known, n=1, cutoff=0.6)
        self.suggestion: str | None = close[0] if close else None
        hint = f"; did you mean {self.suggestion!r}?" if self.suggestion else ""
        message = f"Unknown {kind} {name!r}{hint or ';'} Known: {', '.join(self.known)}"
        recovery = [f"use {self.suggestion!r}"] if self.suggestion else []
        super().__init__(message, recovery)

    def __str__(self) -> str:  # KeyError would otherwise repr() the message
        return self.message


class ConfigurationError(HealthcareDataError):
    """A setting (URL, profile, batch size, ...) has a value that cannot be used."""


class DataValidationError(HealthcareDataError, ValueError):
    """Data failed one or more validation rules; carries the full report."""

    def __init__(self, report: ValidationReport, message: str | None = None) -> None:
        self.report = report
        first = report.violations[0] if report.violations else None
        if message is None:
            if first is None:
                message = "validation failed"
            else:
                more = len(report.violations) - 1
                tail = f" (and {more} more)" if more else ""
                message = f"{first.entity}.{first.field}: {first.message} [{first.rule}]{tail}"
        recovery = [v.recovery for v in report.violations if v.recovery]
        super().__init__(message, recovery)

    @property
    def fields(self) -> list[str]:
        """Names of the fields that broke a rule, in report order."""
        return [v.field for v in self.report.violations]


class FormatValidationError(DataValidationError):
    """A value has the wrong shape (policy number, NPI, phone, ...)."""


class PersonaValidationError(DataValidationError):
    """Explicit values contradict the chosen persona (a 30-year-old elderly patient)."""


class BusinessRuleViolation(DataValidationError):
    """A healthcare workflow rule is broken (vaccination booked with a cardiologist)."""


class SchedulingConflictError(HealthcareDataError):
    """The requested slot is taken or outside business hours; offers alternatives."""

    def __init__(self, message: str, alternatives: Sequence[Any] = ()) -> None:
        self.alternatives = list(alternatives)
        recovery = [f"book {slot:%a %Y-%m-%d %H:%M} instead" for slot in self.alternatives]
        super().__init__(message, recovery)


#: What to do when a uuid clashes: seeded runs draw the same uuids, so "retry" cannot help.
UUID_CLASH_RECOVERY = (
    "the same seed (rng=N) draws the same uuid, and this one is already stored: use another seed, "
    "rng=None for fresh random rows, or an empty database (or pass a different uuid, if you passed one)"
)


class UniquenessViolation(HealthcareDataError):
    """A value that must be unique (NPI, SSN, patient id, ...) already exists."""

    def __init__(self, entity: str, field: str, value: object, recovery: Sequence[str] = ()) -> None:
        self.entity = entity
        self.field = field
        self.value = value
        super().__init__(f"{entity}.{field} {value!r} already exists (UNIQUE)", recovery)


class PersistenceError(HealthcareDataError):
    """A write failed and was rolled back; says how far a batch run got."""

    def __init__(self, message: str, rows_written: int = 0, recovery: Sequence[str] = ()) -> None:
        self.rows_written = rows_written
        super().__init__(message, recovery)


class DatabaseBusyError(HealthcareDataError):
    """Another run (or session) holds the database longer than the lock timeout; nothing written."""


class Interrupted(BaseException):  # noqa: N818 - named for what happened, like KeyboardInterrupt
    """SIGINT/SIGTERM during a command (the CLI raises it from its signal handler; exit 130).

    Not a KeyboardInterrupt on purpose: psycopg answers a KeyboardInterrupt during a
    query by cancelling it on the server and waiting up to 5 s for that; this one
    propagates at once, the connection is closed, and the server rolls back.
    """
