"""Named rule groups: the words feature files and the CLI use for sets of rules.

The workflow table's ``validation_rules`` (``valid_demographics``, ``insurance_required``,
``business_hours``, ...) and the bulk table's ``constraints`` (``no_conflicts``,
``valid_amounts``, ...) each name a group: row rules of :data:`healthcare_data.rules.RULES`
(membership in :mod:`healthcare_data.rules.groups`) and/or whole-database checks
(``integrity.find_double_bookings``, ``statistics``).

A pytest user runs a group on one row with one call::

    from healthcare_data.validation.groups import check_group
    check_group("insurance_required", patient_row)
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Connection

from healthcare_data.db import Database
from healthcare_data.readback import fetch_one
from healthcare_data.registry import Registry
from healthcare_data.rules import check, rules_for
from healthcare_data.rules.groups import (
    BULK_GROUP_RULES,
    CHECK_GROUP_RULES,
    JOURNEY_GROUP_RULES,
    WORKFLOW_GROUP_RULES,
)
from healthcare_data.schema import Base
from healthcare_data.validation import dataset, integrity, statistics
from healthcare_data.validation.runner import scan_rows
from healthcare_data.violations import CATEGORIES, Violation

DatabaseCheck = Callable[[Connection, date, dict[str, Any]], list[Violation]]


@dataclass(frozen=True)
class RuleGroup:
    """A token: library rule names over one table, and/or whole-database checks."""

    name: str
    entity: str  # table the rules are about
    description: str
    rules: tuple[str, ...] = ()  # rule names of the entity's row validator
    all_rules: bool = False  # every rule of the row validator
    database_checks: tuple[DatabaseCheck, ...] = ()

    @property
    def checked_by(self) -> str:
        parts = []
        if self.all_rules:
            parts.append(f"every {self.entity} row rule")
        elif self.rules:
            parts.append(", ".join(self.rules))
        parts.extend(_check_name(c) for c in self.database_checks)
        return "; ".join(parts)

    def select(self, violations: Iterable[Violation], keys: Collection[Any] | None = None) -> list[Violation]:
        """The row-rule violations this token is about (of records ``keys``, if given)."""
        if not (self.rules or self.all_rules):
            return []
        return [
            v
            for v in violations
            if (v.entity == self.entity or (self.entity == "patients" and v.entity.startswith("patient_")))
            and (self.all_rules or v.rule in self.rules)
            and (keys is None or v.key in keys)
        ]

    @property
    def rule_names(self) -> tuple[str, ...]:
        """Names of the row rules in the group (every rule of its table for ``all_rules``)."""
        if self.all_rules:
            return tuple(r.name for r in rules_for(self.entity))
        return self.rules

    def check_row(self, row: Any, **context: Any) -> list[Violation]:
        """Run the group's row rules on one row of its table (context as the rules need it)."""
        return check(self.entity, row, self.rule_names, **context)

    def run_database_checks(self, conn: Connection, today: date, options: dict[str, Any]) -> list[Violation]:
        out: list[Violation] = []
        for database_check in self.database_checks:
            out.extend(database_check(conn, today, options))
        return out


def _check_name(check: DatabaseCheck) -> str:
    """The name shown for a database check: the library function's for a LibraryCheck."""
    return str(getattr(check, "name", None) or getattr(check, "__qualname__", check))


def _token_key(name: str) -> str:
    """``6_month_range`` -> ``N_month_range`` (numeric tokens share one entry)."""
    return re.sub(r"^\d+(?=_)", "N", name)


class TokenRegistry(Registry[RuleGroup]):
    """A registry whose ``get`` also resolves numbered tokens (``6_month_range``)."""

    def get(self, name: object) -> RuleGroup:
        if isinstance(name, str) and name not in self and _token_key(name) in self:
            return super().get(_token_key(name))
        return super().get(name)


def token_number(name: str) -> int | None:
    """The number of a numbered token (``6_month_range`` -> 6)."""
    match = re.match(r"^(\d+)_", name)
    return int(match.group(1)) if match else None


# --- whole-database checks (library calls) ---------------------------------------------


@dataclass(frozen=True)
class LibraryCheck:
    """A library whole-database check, called with the options a token's run supplies.

    ``arguments`` turns (today, options) into the library function's keyword arguments;
    the verdict is the library's own.
    """

    function: Callable[..., list[Violation]]
    arguments: Callable[[date, dict[str, Any]], dict[str, Any]] = lambda today, options: {}

    @property
    def name(self) -> str:
        """The library function's name (the README's "checked by" column)."""
        return self.function.__name__

    def __call__(self, conn: Connection, today: date, options: dict[str, Any]) -> list[Violation]:
        return self.function(conn, **self.arguments(today, options))


def _spec_window(today: date, options: dict[str, Any]) -> dict[str, Any]:
    """The dataset spec's appointment window (``options['spec']``, N months) as first/last day."""
    spec = options["spec"]
    first = spec.window_start(today)
    return {"first": first, "last": first + timedelta(days=spec.window_days)}


double_bookings = LibraryCheck(integrity.find_double_bookings)
every_persona_present = LibraryCheck(dataset.find_missing_personas)
every_specialty_present = LibraryCheck(dataset.find_missing_specialties)
provider_state_distribution = LibraryCheck(
    dataset.find_practice_state_skew, lambda today, options: {"tolerance": options.get("tolerance", 0.05)}
)
appointments_in_window = LibraryCheck(dataset.find_appointments_outside_window, _spec_window)


def persona_distributions(conn: Connection, today: date, options: dict[str, Any]) -> list[Violation]:
    report = statistics.persona_distribution_report(conn, today, tolerance=options.get("tolerance", 0.05))
    return report.violations


def journey_rules(conn: Connection, today: date, options: dict[str, Any]) -> list[Violation]:
    """Every journey rule of the registry (``journey_consistency``) on the stored journeys."""
    from healthcare_data.journeys.rules import check_database  # journeys import validation

    return check_database(conn, today).violations


# --- the workflow table's validation_rules ----------------------------------------------

GROUPS: Registry[RuleGroup] = Registry("workflow validation rule")
for _group in (
    RuleGroup(
        "valid_demographics",
        "patients",
        "identifiers, names, birth date, gender, address and contact rules",
        WORKFLOW_GROUP_RULES["valid_demographics"],
    ),
    RuleGroup(
        "insurance_required",
        "patients",
        "an insurance payer and a policy number in the payer's format",
        WORKFLOW_GROUP_RULES["insurance_required"],
    ),
    RuleGroup(
        "valid_credentials",
        "providers",
        "NPI format and check digit, license present and in the state's format",
        WORKFLOW_GROUP_RULES["valid_credentials"],
    ),
    RuleGroup(
        "practice_info",
        "providers",
        "practice type known, fitting the specialty, real practice address",
        WORKFLOW_GROUP_RULES["practice_info"],
    ),
    RuleGroup(
        "business_hours",
        "appointments",
        "inside business hours, duration of the type, type allowed",
        WORKFLOW_GROUP_RULES["business_hours"],
    ),
    RuleGroup(
        "no_conflicts",
        "appointments",
        "no provider double booking (window query over the database)",
        database_checks=(double_bookings,),
    ),
    RuleGroup(
        "diagnosis_codes",
        "medical_records",
        "billable ICD-10-CM code, official description, fits the age",
        WORKFLOW_GROUP_RULES["diagnosis_codes"],
    ),
    RuleGroup(
        "treatment_notes",
        "medical_records",
        "medications match the diagnosed condition, patient matches",
        WORKFLOW_GROUP_RULES["treatment_notes"],
    ),
    RuleGroup(
        "valid_claim_data",
        "insurance_claims",
        "claim number format, positive amount, submitted date",
        WORKFLOW_GROUP_RULES["valid_claim_data"],
    ),
    RuleGroup(
        "processing_rules",
        "insurance_claims",
        "status transitions: processed dates, payments, denial reasons",
        WORKFLOW_GROUP_RULES["processing_rules"],
    ),
    RuleGroup(
        "journey_consistency",
        "journey_steps",
        "patient journeys: time order, status machines, referrals, prescriptions, payments "
        f"({', '.join(JOURNEY_GROUP_RULES['journey_consistency'])})",
        database_checks=(journey_rules,),
    ),
):
    GROUPS.register(_group.name, _group)
RULES = GROUPS  # the name the behave glue and the steps used before the move


# --- the bulk table's constraints -------------------------------------------------------------

BULK_CONSTRAINTS: TokenRegistry = TokenRegistry("bulk constraint")
for _group in (
    RuleGroup(
        "diverse_personas",
        "patients",
        "every registered persona has patients",
        database_checks=(every_persona_present,),
    ),
    RuleGroup(
        "realistic_demographics",
        "patients",
        "every patient row rule, and ages/genders/states fit the personas",
        all_rules=True,
        database_checks=(persona_distributions,),
    ),
    RuleGroup(
        "all_specialties",
        "providers",
        "every specialty drawable without traits has providers",
        database_checks=(every_specialty_present,),
    ),
    RuleGroup(
        "geographic_distribution",
        "providers",
        "every provider row rule; practice states follow US weights",
        all_rules=True,
        database_checks=(provider_state_distribution,),
    ),
    RuleGroup(
        "business_hours",
        "appointments",
        "every appointment row rule (hours, duration, type for specialty)",
        all_rules=True,
    ),
    RuleGroup(
        "no_conflicts", "appointments", "no provider double booking", database_checks=(double_bookings,)
    ),
    RuleGroup(
        "N_month_range",
        "appointments",
        "appointments inside the next N months (e.g. 6_month_range)",
        database_checks=(appointments_in_window,),
    ),
    RuleGroup(
        "diagnosis_codes",
        "medical_records",
        "billable ICD-10-CM codes with their official description",
        BULK_GROUP_RULES["diagnosis_codes"],
    ),
    RuleGroup(
        "appropriate_treatments",
        "medical_records",
        "every medical record row rule (medications fit diagnosis)",
        all_rules=True,
    ),
    RuleGroup(
        "valid_amounts",
        "insurance_claims",
        "positive amounts, payments not above the amount",
        BULK_GROUP_RULES["valid_amounts"],
    ),
    RuleGroup(
        "processing_statuses",
        "insurance_claims",
        "every claim row rule (statuses, dates, denial reasons)",
        all_rules=True,
    ),
):
    BULK_CONSTRAINTS.register(_group.name, _group)


# --- the checks of the acceptance suite's Then sentences ----------------------------------

CHECKS: Registry[RuleGroup] = Registry("row check")
for _group in (
    RuleGroup(
        "within_business_hours",
        "appointments",
        "visits start and end inside business hours",
        CHECK_GROUP_RULES["within_business_hours"],
    ),
    RuleGroup(
        "types_fit_specialties",
        "appointments",
        "known types the provider's specialty offers",
        CHECK_GROUP_RULES["types_fit_specialties"],
    ),
    RuleGroup(
        "durations_match_types",
        "appointments",
        "each visit lasts its type's duration",
        CHECK_GROUP_RULES["durations_match_types"],
    ),
    RuleGroup(
        "medical_history_fits_age",
        "patients",
        "known conditions with their code, plausible at the age",
        CHECK_GROUP_RULES["medical_history_fits_age"],
    ),
):
    CHECKS.register(_group.name, _group)


def check_group(name: str, row: Any, **context: Any) -> list[Violation]:
    """Run the workflow rule group ``name`` (e.g. ``insurance_required``) on one row.

    ``context`` as the rules need it: ``today`` for ages, ``persona``, ``provider``, ...
    UnknownNameError lists the known groups.
    """
    return GROUPS.get(name).check_row(row, **context)


def stored_findings(
    db: Database,
    today: date,
    groups: Iterable[RuleGroup],
    *,
    rows: bool = True,
    options: dict[str, Any] | None = None,
    tables: Collection[str] | None = None,
    keys: Collection[Any] | None = None,
) -> list[Violation]:
    """What ``groups`` find in ``db``: their row rules over one scan of the stored rows (of ``tables``,
    records ``keys``) when ``rows``, and their whole-database checks when ``options`` is given.

    One call for a pytest user and the acceptance suite's bulk and workflow tables.
    """
    groups = list(groups)
    found: list[Violation] = []
    with db.engine.connect() as conn:
        if rows:
            findings = scan_rows(conn, today, tables)
            everything = [v for category in CATEGORIES for v in findings.of(category)]
            found += [v for g in groups for v in g.select(everything, keys=keys)]
        if options is not None:
            found += [v for g in groups for v in g.run_database_checks(conn, today, options)]
    return found


def bulk_findings(db: Database, today: date, tokens: Iterable[str], *, spec: Any = None) -> list[Violation]:
    """The whole-database checks of the bulk constraint ``tokens`` (distributions, presence, window)."""
    groups = [BULK_CONSTRAINTS.get(t) for t in tokens]
    return stored_findings(db, today, groups, rows=False, options={"spec": spec})


def bulk_row_findings(db: Database, today: date, tokens: Iterable[str]) -> list[Violation]:
    """The row-rule violations the bulk constraint ``tokens`` name, over every stored row."""
    return stored_findings(db, today, [BULK_CONSTRAINTS.get(t) for t in tokens])


def check_stored_row(
    db: Database, today: date, table: str, row_id: int, names: Iterable[str]
) -> list[Violation]:
    """The workflow rule groups ``names`` on the stored row ``row_id`` of ``table`` (database checks too)."""
    key = fetch_one(db, table, row_id)[integrity.key_column(Base.metadata.tables[table]).name]
    groups = [GROUPS.get(n) for n in names]
    return stored_findings(db, today, groups, options={}, tables=[table], keys={key})
