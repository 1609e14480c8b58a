"""MedicalRecordFactory: the record of a visit, coded from the patient's history.

Inputs: ``appointment`` (required), ``patient``, ``provider``, ``conditions``. In
``create()`` missing patient/provider/conditions are read from the database (the
appointment's patient and provider, the patient's ``patient_conditions``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from sqlalchemy import select
from sqlalchemy.engine import Connection

from healthcare_data.db import Database
from healthcare_data.errors import ConfigurationError
from healthcare_data.factories.base import Factory, Trait, as_row
from healthcare_data.randomness import Randomness
from healthcare_data.registry import Registry
from healthcare_data.rows.records import draft_medical_record
from healthcare_data.schema import MedicalRecord, Patient, PatientCondition, Provider
from healthcare_data.validation.records import check_medical_record
from healthcare_data.violations import Violation

RECORD_TRAITS: Registry[Trait] = Registry("medical record trait")
RECORD_TRAITS.register(
    "follow_up", Trait("follow_up", "the visit needs a follow-up", overrides={"follow_up_required": True})
)
RECORD_TRAITS.register(
    "no_follow_up", Trait("no_follow_up", "no follow-up needed", overrides={"follow_up_required": False})
)


def load_row(conn: Connection, model: type[Any], row_id: Any) -> dict[str, Any] | None:
    """One row of ``model`` by id as a dict (None when absent)."""
    table = model.__table__
    found = conn.execute(select(table).where(table.c.id == row_id)).first()
    return dict(found._mapping) if found is not None else None


def load_visit_parties(conn: Connection, inputs: dict[str, Any]) -> dict[str, Any] | None:
    """Fill ``patient``/``provider`` of ``inputs`` from its appointment when not given.

    Records and claims are about one visit; reading its parties from the database keeps
    them consistent with the appointment. Returns the appointment row (None without one).
    """
    appointment = inputs.get("appointment")
    if appointment is None:
        return None
    appointment = as_row(appointment)
    if inputs.get("patient") is None:
        inputs["patient"] = load_row(conn, Patient, appointment.get("patient_id"))
    if inputs.get("provider") is None:
        inputs["provider"] = load_row(conn, Provider, appointment.get("provider_id"))
    return appointment


class MedicalRecordFactory(Factory[MedicalRecord]):
    """Medical records for appointments."""

    model = MedicalRecord
    entity = "medical_records"
    traits: ClassVar[Registry[Trait] | None] = RECORD_TRAITS

    def __init__(self, database: Database | None = None, rng: Randomness | int | None = None) -> None:
        super().__init__(database, rng)
        self._patient: dict[str, Any] | None = None

    def draft(self, serial: int, traits: tuple[Trait, ...], inputs: dict[str, Any]) -> dict[str, Any]:
        appointment = inputs.pop("appointment", None)
        if appointment is None:
            raise ConfigurationError("MedicalRecordFactory needs appointment= (a dict or created object)")
        appointment = as_row(appointment)
        patient = inputs.pop("patient", None)
        provider = inputs.pop("provider", None)
        patient = as_row(patient) if patient is not None else {"id": appointment.get("patient_id")}
        provider = as_row(provider) if provider is not None else {"id": appointment.get("provider_id")}
        conditions = inputs.pop("conditions", None) or ()
        self._patient = patient
        return draft_medical_record(self.rng, serial, patient, conditions, provider, appointment, **inputs)

    def check(self, row: Mapping[str, Any]) -> list[Violation]:
        return check_medical_record(row, self._patient)

    def prepare(self, conn: Connection, inputs: dict[str, Any]) -> None:
        appointment = load_visit_parties(conn, inputs)
        if appointment is None:
            return
        if inputs.get("conditions") is None:
            table = PatientCondition.__table__
            inputs["conditions"] = [
                dict(r._mapping)
                for r in conn.execute(
                    select(table).where(table.c.patient_id == appointment.get("patient_id"))
                )
            ]
