"""Feature-file rule tokens, each backed by named rules of the library.

The workflow table's ``validation_rules`` (``valid_demographics``, ``business_hours``,
...) and the bulk table's ``constraints`` (``no_conflicts``, ``valid_amounts``, ...) are
words of the feature file. Each token here names *which* library rules prove it: rule
names of the row validators (``check_patient``, ``check_appointment``, ...; run over
the stored rows by ``validation.runner.scan_rows``) and/or whole-database checks
(``integrity.find_double_bookings``, ``statistics``). This module decides nothing
about healthcare itself; it only selects the library's verdicts.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Connection

from healthcare_data.registry import Registry
from healthcare_data.validation import dataset, integrity, statistics
from healthcare_data.validation.report import Violation

DatabaseCheck = Callable[[Connection, date, dict[str, Any]], list[Violation]]


@dataclass(frozen=True)
class RuleSet:
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

    def run_database_checks(self, conn: Connection, today: date, options: dict[str, Any]) -> list[Violation]:
        out: list[Violation] = []
        for check in self.database_checks:
            out.extend(check(conn, today, options))
        return out


def _check_name(check: DatabaseCheck) -> str:
    """The name shown for a database check: the library function's for a LibraryCheck."""
    return getattr(check, "name", None) or getattr(check, "__qualname__", str(check))


def _token_key(name: str) -> str:
    """``6_month_range`` -> ``N_month_range`` (numeric tokens share one entry)."""
    return re.sub(r"^\d+(?=_)", "N", name)


class TokenRegistry(Registry[RuleSet]):
    """A registry whose ``get`` also resolves numbered tokens (``6_month_range``)."""

    def get(self, name: str) -> RuleSet:
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


# --- the workflow table's validation_rules ----------------------------------------------

RULES: Registry[RuleSet] = Registry("workflow validation rule")
for _rule in (
    RuleSet(
        "valid_demographics",
        "patients",
        "identifiers, names, birth date, gender, address and contact rules",
        (
            "patient_id_format",
            "uuid_format",
            "required",
            "gender_enum",
            "ssn_format",
            "phone_format",
            "phone_safe_range",
            "email_format",
            "email_safe_domain",
            "zip_format",
            "state_format",
            "date_of_birth_format",
            "date_of_birth_future",
            "status_enum",
            "address_consistent",
            "persona_age_range",
            "persona_known",
        ),
    ),
    RuleSet(
        "insurance_required",
        "patients",
        "an insurance payer and a policy number in the payer's format",
        (
            "insurance_provider_known",
            "policy_number_format",
            "insurance_pair",
            "persona_insurance",
            "persona_uninsured",
        ),
    ),
    RuleSet(
        "valid_credentials",
        "providers",
        "NPI format and check digit, licence present and in the state's format",
        ("npi_format", "npi_check_digit", "licence_present", "licence_format", "uuid_format", "required"),
    ),
    RuleSet(
        "practice_info",
        "providers",
        "practice type known, fitting the specialty, real practice address",
        (
            "specialty_known",
            "practice_type_known",
            "practice_type_for_specialty",
            "practice_address_consistent",
        ),
    ),
    RuleSet(
        "business_hours",
        "appointments",
        "inside business hours, duration of the type, type allowed",
        (
            "business_hours",
            "duration_matches_type",
            "type_known",
            "type_allowed_for_specialty",
            "date_format",
        ),
    ),
    RuleSet(
        "no_conflicts",
        "appointments",
        "no provider double booking (window query over the database)",
        database_checks=(double_bookings,),
    ),
    RuleSet(
        "diagnosis_codes",
        "medical_records",
        "billable ICD-10-CM code, official description, fits the age",
        ("icd10_valid", "icd10_description", "diagnosis_fits_age", "record_type_valid"),
    ),
    RuleSet(
        "treatment_notes",
        "medical_records",
        "medications match the diagnosed condition, patient matches",
        ("medications_match_condition", "patient_matches"),
    ),
    RuleSet(
        "valid_claim_data",
        "insurance_claims",
        "claim number format, positive amount, submitted date",
        ("claim_number_format", "amount_positive", "submitted_date_present", "status_valid"),
    ),
    RuleSet(
        "processing_rules",
        "insurance_claims",
        "status transitions: processed dates, payments, denial reasons",
        (
            "processed_date_when_processed",
            "dates_in_order",
            "payment_when_paid",
            "payment_not_above_amount",
            "denial_reason_iff_denied",
            "submitted_after_visit",
        ),
    ),
):
    RULES.register(_rule.name, _rule)


# --- the bulk table's constraints -------------------------------------------------------------

BULK_CONSTRAINTS: TokenRegistry = TokenRegistry("bulk constraint")
for _rule in (
    RuleSet(
        "diverse_personas",
        "patients",
        "every registered persona has patients",
        database_checks=(every_persona_present,),
    ),
    RuleSet(
        "realistic_demographics",
        "patients",
        "every patient row rule, and ages/genders/states fit the personas",
        all_rules=True,
        database_checks=(persona_distributions,),
    ),
    RuleSet(
        "all_specialties",
        "providers",
        "every specialty drawable without traits has providers",
        database_checks=(every_specialty_present,),
    ),
    RuleSet(
        "geographic_distribution",
        "providers",
        "every provider row rule; practice states follow US weights",
        all_rules=True,
        database_checks=(provider_state_distribution,),
    ),
    RuleSet(
        "business_hours",
        "appointments",
        "every appointment row rule (hours, duration, type for specialty)",
        all_rules=True,
    ),
    RuleSet("no_conflicts", "appointments", "no provider double booking", database_checks=(double_bookings,)),
    RuleSet(
        "N_month_range",
        "appointments",
        "appointments inside the next N months (e.g. 6_month_range)",
        database_checks=(appointments_in_window,),
    ),
    RuleSet(
        "diagnosis_codes",
        "medical_records",
        "billable ICD-10-CM codes with their official description",
        ("icd10_valid", "icd10_description", "diagnosis_fits_age"),
    ),
    RuleSet(
        "appropriate_treatments",
        "medical_records",
        "every medical record row rule (medications fit diagnosis)",
        all_rules=True,
    ),
    RuleSet(
        "valid_amounts",
        "insurance_claims",
        "positive amounts, payments not above the amount",
        ("amount_positive", "payment_not_above_amount", "payment_when_paid"),
    ),
    RuleSet(
        "processing_statuses",
        "insurance_claims",
        "every claim row rule (statuses, dates, denial reasons)",
        all_rules=True,
    ),
):
    BULK_CONSTRAINTS.register(_rule.name, _rule)
