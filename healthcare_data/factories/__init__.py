"""Factories with traits (providers, appointments, records, claims).

Exports are loaded lazily (PEP 562): ``healthcare_data.rows`` reads :class:`Trait` from
``factories.base`` while the factories import the rows, and lazy exports keep that
from becoming an import cycle.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

_EXPORTS = {
    "Factory": "base",
    "Trait": "base",
    "ProviderFactory": "provider",
    "PROVIDER_TRAITS": "provider",
    "AppointmentFactory": "appointment",
    "schedule_appointment": "appointment",
    "APPOINTMENT_TRAITS": "appointment",
    "MedicalRecordFactory": "record",
    "RECORD_TRAITS": "record",
    "ClaimFactory": "claim",
    "CLAIM_TRAITS": "claim",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(f"{__name__}.{module}"), name)
