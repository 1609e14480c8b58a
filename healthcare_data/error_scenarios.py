"""Error scenarios of the feature file: each really provokes its error through the library.

A scenario prepares what it needs (a booked slot, a cardiologist, ...), counts the rows,
makes the failing library call, keeps the error, counts again (nothing may have been
written), then applies its recovery strategy with the library's own suggestion (the
error's alternatives, ``recommend_specialties``, ``personas_for_age``, a derived policy
number or NPI) and checks that the retry succeeds. ``run_scenario`` returns an
:class:`Outcome` the ``Then`` steps assert on.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from healthcare_data.builders import PatientBuilder
from healthcare_data.errors import (
    BusinessRuleViolation,
    DataValidationError,
    FormatValidationError,
    HealthcareDataError,
    PersonaValidationError,
    SchedulingConflictError,
    UniquenessViolation,
)
from healthcare_data.factories import ProviderFactory, schedule_appointment
from healthcare_data.identifiers import is_valid_npi
from healthcare_data.reference import PAYERS
from healthcare_data.registry import Registry
from healthcare_data.scheduling import recommend_specialties
from healthcare_data.validation import run_all
from healthcare_data.validation.integrity import find_double_bookings
from healthcare_data.validation.patients import personas_for_age

# expected_behavior -> the error types that count as that behaviour
BEHAVIORS: Registry[tuple[type[BaseException], ...]] = Registry("expected behavior")
BEHAVIORS.register("validation_error", (SchedulingConflictError, DataValidationError))
BEHAVIORS.register("business_rule_violation", (BusinessRuleViolation,))
BEHAVIORS.register("persona_validation_error", (PersonaValidationError,))
BEHAVIORS.register("format_validation_error", (FormatValidationError,))
BEHAVIORS.register("uniqueness_constraint_violation", (UniquenessViolation,))


@dataclass
class Lab:
    """What a scenario works with: the scenario's database, seeded rng and date."""

    db: Any
    rng: Any

    @property
    def today(self) -> Any:
        return self.rng.today


@dataclass(frozen=True)
class ErrorScenario:
    name: str
    description: str
    expected_behavior: str
    recovery_strategies: tuple[str, ...]
    setup: Callable[[Lab], dict[str, Any]]
    provoke: Callable[[Lab, dict[str, Any]], Any]
    recover: Callable[[Lab, dict[str, Any], BaseException], str]
    mentions: Callable[[dict[str, Any]], list[str]]  # what the message must name


@dataclass
class Outcome:
    scenario: str
    expected_behavior: str
    recovery_strategy: str | None
    error: BaseException | None
    counts_before: dict[str, int]
    counts_after_error: dict[str, int]
    mentions: list[str] = field(default_factory=list)
    recovered: bool = False
    recovery_detail: str = ""
    counts_after_recovery: dict[str, int] = field(default_factory=dict)
    stable: bool = False
    stability_detail: str = ""

    @property
    def message(self) -> str:
        return str(self.error) if self.error is not None else ""

    @property
    def offered(self) -> list[str]:
        return list(getattr(self.error, "recovery", []) or [])

    def handling_problem(self) -> dict[str, Any] | None:
        """None when the error raised is of the type ``expected_behavior`` names, else a table row."""
        expected = BEHAVIORS.get(self.expected_behavior)
        if self.error is not None and isinstance(self.error, expected):
            return None
        types = ", ".join(t.__name__ for t in expected)
        return dict(self.row(), expected=self.expected_behavior, expected_types=types)

    def message_problem(self) -> dict[str, Any] | None:
        """None when the message names every offending value, else a table row."""
        if self.message and all(m in self.message for m in self.mentions):
            return None
        return {"scenario": self.scenario, "message": self.message, "must mention": ", ".join(self.mentions)}

    def recovery_problem(self) -> dict[str, Any] | None:
        """None when no strategy was asked, or the error offered recovery and applying it succeeded."""
        if not self.recovery_strategy or (self.offered and self.recovered):
            return None
        return {
            "scenario": self.scenario,
            "strategy": self.recovery_strategy,
            "offered": "; ".join(self.offered),
            "recovered": self.recovered,
            "detail": self.recovery_detail,
        }

    def stability_problem(self) -> dict[str, Any] | None:
        """None when the database answered and the validators were clean after the error."""
        return None if self.stable else {"scenario": self.scenario, "detail": self.stability_detail}

    def persisted_rows(self) -> list[dict[str, Any]]:
        """Tables whose row count the failed operation changed (partial data left behind)."""
        return [
            {"scenario": self.scenario, "table": t, "before": self.counts_before[t], "after error": n}
            for t, n in self.counts_after_error.items()
            if n != self.counts_before[t]
        ]

    def row(self) -> dict[str, Any]:
        changed = {
            t: (self.counts_before[t], n)
            for t, n in self.counts_after_error.items()
            if n != self.counts_before.get(t)
        }
        return {
            "scenario": self.scenario,
            "error": type(self.error).__name__ if self.error else None,
            "message": self.message[:90],
            "offered": len(self.offered),
            "recovery": self.recovery_strategy,
            "recovered": self.recovered,
            "rows changed by error": changed or "none",
            "stable": self.stable,
        }


# --- the scenarios (library calls only) --------------------------------------------------


def _patient(lab: Lab, persona: str) -> Any:

    return PatientBuilder(lab.db, lab.rng).with_persona(persona).create()


def _provider(lab: Lab, specialty: str | None = None, **overrides: Any) -> Any:

    if specialty is not None:
        overrides["specialty"] = specialty
    return ProviderFactory(lab.db, lab.rng).create(**overrides)


def _schedule(lab: Lab, patient: Any, provider: Any, kind: str, at: Any = None) -> Any:

    return schedule_appointment(lab.db, patient, provider, kind, appointment_date=at, rng=lab.rng)


def _conflict_setup(lab: Lab) -> dict[str, Any]:
    patient, provider = _patient(lab, "young_professional"), _provider(lab, "Internal Medicine")
    first = _schedule(lab, patient, provider, "Follow-up")
    return {"patient": patient, "provider": provider, "slot": first.appointment_date}


def _conflict_recover(lab: Lab, state: dict[str, Any], error: BaseException) -> str:

    alternatives = getattr(error, "alternatives", [])
    assert alternatives, "the conflict offered no alternative times"
    booked = _schedule(lab, state["patient"], state["provider"], "Follow-up", at=alternatives[0])
    with lab.db.engine.connect() as conn:
        assert not find_double_bookings(conn), "booking the suggested time double-booked the provider"
    return f"booked suggested {booked.appointment_date:%a %Y-%m-%d %H:%M} ({len(alternatives)} offered)"


def _mismatch_setup(lab: Lab) -> dict[str, Any]:
    return {
        "patient": _patient(lab, "pediatric_patient"),
        "provider": _provider(lab, "Cardiology"),
        "type": "Vaccination",
    }


def _mismatch_recover(lab: Lab, state: dict[str, Any], error: BaseException) -> str:

    recommended = recommend_specialties(state["type"], "pediatric_patient")
    assert recommended, f"no specialty may take {state['type']!r}"
    choice = recommended[0]
    provider = _provider(lab, choice)
    booked = _schedule(lab, state["patient"], provider, state["type"])
    return f"{state['type']} booked with a {choice} provider (id {provider.id}) at {booked.appointment_date}"


def _age_provoke(lab: Lab, state: dict[str, Any]) -> Any:

    return PatientBuilder(lab.db, lab.rng).with_persona("elderly_patient").with_age(state["age"]).create()


def _age_recover(lab: Lab, state: dict[str, Any], error: BaseException) -> str:

    fitting = personas_for_age(state["age"])
    assert fitting, f"no persona accepts age {state['age']}"
    patient = PatientBuilder(lab.db, lab.rng).with_persona(fitting[0]).with_age(state["age"]).create()
    return f"created {patient.patient_id} aged {state['age']} as {fitting[0]} (fitting: {', '.join(fitting)})"


def _policy_provoke(lab: Lab, state: dict[str, Any]) -> Any:

    builder = PatientBuilder(lab.db, lab.rng).with_persona("elderly_patient")
    return builder.with_insurance("Medicare", state["policy"]).create()


def _policy_recover(lab: Lab, state: dict[str, Any], error: BaseException) -> str:

    patient = (
        PatientBuilder(lab.db, lab.rng).with_persona("elderly_patient").with_insurance("Medicare").create()
    )
    policy = patient.insurance_policy_number
    assert PAYERS.get("Medicare").policy_pattern.match(policy or ""), (
        f"regenerated policy {policy!r} is malformed"
    )
    return f"regenerated policy number {policy}"


def _npi_setup(lab: Lab) -> dict[str, Any]:
    return {"existing": _provider(lab)}


def _npi_recover(lab: Lab, state: dict[str, Any], error: BaseException) -> str:

    provider = _provider(lab)
    old = state["existing"].npi_number
    assert provider.npi_number != old and is_valid_npi(provider.npi_number), "no fresh valid NPI generated"
    return f"new provider with NPI {provider.npi_number} (duplicate was {old})"


ERROR_SCENARIOS: Registry[ErrorScenario] = Registry("error scenario")
for _scenario in (
    ErrorScenario(
        "invalid_appointment_conflict",
        "book a provider's taken slot again (schedule_appointment with the same time)",
        "validation_error",
        ("suggest_alternative_times",),
        _conflict_setup,
        lambda lab, s: _schedule(lab, s["patient"], s["provider"], "Follow-up", at=s["slot"]),
        _conflict_recover,
        lambda s: [f"{s['slot']:%Y-%m-%d %H:%M}"],
    ),
    ErrorScenario(
        "provider_specialty_mismatch",
        "book a Vaccination with a cardiologist",
        "business_rule_violation",
        ("recommend_appropriate_provider",),
        _mismatch_setup,
        lambda lab, s: _schedule(lab, s["patient"], s["provider"], s["type"]),
        _mismatch_recover,
        lambda s: [s["type"], "Cardiology"],
    ),
    ErrorScenario(
        "patient_age_inconsistency",
        "create a 30-year-old elderly_patient",
        "persona_validation_error",
        ("adjust_age_or_persona",),
        lambda lab: {"age": 30},
        _age_provoke,
        _age_recover,
        lambda s: [str(s["age"]), "elderly_patient"],
    ),
    ErrorScenario(
        "insurance_policy_format_error",
        "create a Medicare patient with policy number MEDICARE-12AB",
        "format_validation_error",
        ("regenerate_valid_policy_number",),
        lambda lab: {"policy": "MEDICARE-12AB"},
        _policy_provoke,
        _policy_recover,
        lambda s: [s["policy"]],
    ),
    ErrorScenario(
        "duplicate_npi_number",
        "create a provider with an NPI another provider holds (database UNIQUE constraint)",
        "uniqueness_constraint_violation",
        ("generate_new_npi",),
        _npi_setup,
        lambda lab, s: _provider(lab, npi_number=s["existing"].npi_number),
        _npi_recover,
        lambda s: ["npi_number", s["existing"].npi_number],
    ),
):
    ERROR_SCENARIOS.register(_scenario.name, _scenario)


def problems(
    outcomes: list[Outcome], check: Callable[[Outcome], dict[str, Any] | None]
) -> list[dict[str, Any]]:
    """The table rows ``check`` (an Outcome method such as ``Outcome.message_problem``) returns."""
    return [row for o in outcomes if (row := check(o)) is not None]


def run_scenario(lab: Lab, name: str, strategy: str | None) -> Outcome:
    """Provoke scenario ``name``, check nothing was written, apply ``strategy``."""
    scenario = ERROR_SCENARIOS.get(name)
    state = scenario.setup(lab)
    before = lab.db.counts()
    error: BaseException | None = None
    try:
        scenario.provoke(lab, state)
    except HealthcareDataError as exc:
        error = exc
    outcome = Outcome(
        name, scenario.expected_behavior, strategy, error, before, lab.db.counts(), scenario.mentions(state)
    )
    if strategy is not None and error is not None:
        try:
            outcome.recovery_detail = scenario.recover(lab, state, error)
            outcome.recovered = True
        except (AssertionError, HealthcareDataError) as exc:
            outcome.recovery_detail = f"recovery failed: {exc}"
    outcome.counts_after_recovery = lab.db.counts()
    outcome.stable, outcome.stability_detail = _stability(lab)
    return outcome


def _stability(lab: Lab) -> tuple[bool, str]:
    """The database still answers, and integrity and business validators find nothing."""

    try:
        lab.db.check_connection()
        reports = run_all(
            lab.db, lab.today, names=["referential_integrity", "business_rules", "format_validation"]
        )
    except HealthcareDataError as exc:
        return False, str(exc)
    broken = {name: report.summary() for name, report in reports.items() if not report.ok}
    return (not broken), ("; ".join(broken.values()) or "validators clean")
