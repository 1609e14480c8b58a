"""Factories with traits (providers, appointments, records, claims)."""

from healthcare_data.factories.appointment import (
    APPOINTMENT_TRAITS,
    AppointmentFactory,
    schedule_appointment,
)
from healthcare_data.factories.base import Factory
from healthcare_data.factories.claim import CLAIM_TRAITS, ClaimFactory
from healthcare_data.factories.provider import PROVIDER_TRAITS, ProviderFactory
from healthcare_data.factories.record import RECORD_TRAITS, MedicalRecordFactory
from healthcare_data.traits import Trait

__all__ = [
    "APPOINTMENT_TRAITS",
    "CLAIM_TRAITS",
    "PROVIDER_TRAITS",
    "RECORD_TRAITS",
    "AppointmentFactory",
    "ClaimFactory",
    "Factory",
    "MedicalRecordFactory",
    "ProviderFactory",
    "Trait",
    "schedule_appointment",
]
