"""AppointmentFactory: conflict-free appointments for persisted patients and providers.

``build(patient=..., provider=...)`` books in the factory's own in-memory
:class:`Scheduler` (no database). ``create(...)`` loads the provider's existing
bookings inside its transaction first, so booking a taken slot raises
SchedulingConflictError carrying ``suggest_alternatives`` and writes nothing.
Traits are the scheduling constraints by name (``morning_preferred``, ``urgent``, ...).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy.engine import Connection

from healthcare_data.db import Database
from healthcare_data.errors import ConfigurationError
from healthcare_data.factories.base import Factory, Trait, as_row
from healthcare_data.randomness import Randomness
from healthcare_data.registry import Registry
from healthcare_data.rows.appointments import book_appointment, persona_of
from healthcare_data.scheduling import CONSTRAINTS, Scheduler, SchedulingConstraint, resolve_constraints
from healthcare_data.schema import Appointment
from healthcare_data.validation.appointments import check_appointment
from healthcare_data.violations import Violation

APPOINTMENT_TRAITS: Registry[Trait] = Registry("appointment trait")
for _name, _constraint in CONSTRAINTS.items():
    APPOINTMENT_TRAITS.register(_name, Trait(_name, _constraint.description, params={"constraint": _name}))


class AppointmentFactory(Factory[Appointment]):
    """Appointments; inputs ``patient`` and ``provider`` (dicts or ORM objects) are required."""

    model = Appointment
    entity = "appointments"
    traits: ClassVar[Registry[Trait] | None] = APPOINTMENT_TRAITS
    uniqueness_recovery: ClassVar[Mapping[str, str]] = {}  # uuid: errors.UUID_CLASH_RECOVERY

    def __init__(
        self,
        database: Database | None = None,
        rng: Randomness | int | None = None,
        scheduler: Scheduler | None = None,
    ) -> None:
        super().__init__(database, rng)
        self.scheduler = scheduler or Scheduler()
        self._provider: dict[str, Any] | None = None

    def draft(self, serial: int, traits: tuple[Trait, ...], inputs: dict[str, Any]) -> dict[str, Any]:
        patient, provider = inputs.pop("patient", None), inputs.pop("provider", None)
        if patient is None or provider is None:
            raise ConfigurationError(
                "AppointmentFactory needs patient= and provider= (dicts or created objects)"
            )
        scheduler = inputs.pop("scheduler", None) or self.scheduler
        explicit = inputs.pop("constraints", None)
        chosen: list[SchedulingConstraint] = list(resolve_constraints(explicit or ()))
        for trait in traits:
            constraint = CONSTRAINTS.get(trait.params["constraint"])
            if constraint not in chosen:
                chosen.append(constraint)
        # Explicit constraints or traits override the persona's preferences (``constraints=()``: none).
        constraints = tuple(chosen) if chosen or explicit is not None else None
        persona = inputs.pop("persona", None) or persona_of(patient)
        self._provider = as_row(provider)
        return book_appointment(
            self.rng, serial, as_row(patient), self._provider, scheduler,
            persona=persona, constraints=constraints, **inputs,
        )

    def check(self, row: Mapping[str, Any]) -> list[Violation]:
        return check_appointment(row, self._provider)

    def prepare(self, conn: Connection, inputs: dict[str, Any]) -> None:
        """Load the provider's and the patient's bookings so a double booking of either is
        detected before the insert."""
        provider, patient = inputs.get("provider"), inputs.get("patient")
        if provider is None or patient is None:
            return
        scheduler = Scheduler(self.scheduler.hours)
        scheduler.load_existing(conn, [as_row(provider)["id"]])
        inputs["scheduler"] = scheduler
        patient_calendar = Scheduler(self.scheduler.hours)
        patient_calendar.load_existing(conn, [as_row(patient)["id"]], by="patient_id")
        inputs["patient_calendar"] = patient_calendar

    def schedule(
        self,
        patient: Any,
        provider: Any,
        appointment_type: str | None = None,
        constraints: Any = None,
        appointment_date: datetime | None = None,
        **overrides: Any,
    ) -> Appointment:
        """Create one appointment (see :func:`schedule_appointment`)."""
        return self.create(
            patient=patient,
            provider=provider,
            appointment_type=appointment_type,
            constraints=constraints,
            appointment_date=appointment_date,
            **overrides,
        )


def schedule_appointment(
    database: Database,
    patient: Any,
    provider: Any,
    appointment_type: str | None = None,
    constraints: Any = None,
    appointment_date: datetime | None = None,
    rng: Randomness | int | None = None,
    **overrides: Any,
) -> Appointment:
    """Persist one appointment for a persisted patient and provider, in one transaction.

    Without ``constraints`` the patient's persona preferences apply (with their fallbacks).
    Raises SchedulingConflictError (with alternatives) for a taken slot or one outside
    business hours, BusinessRuleViolation for a type the specialty does not offer; in
    both cases nothing is written.
    """
    return AppointmentFactory(database, rng).schedule(
        patient, provider, appointment_type, constraints, appointment_date, **overrides
    )
