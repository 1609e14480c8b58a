"""Where the suite finds the library's registries: one accessor per vocabulary.

Converters, steps and the README generator all go through these functions, so a
persona, trait, token or constraint added to the library is usable in a feature file
at once.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache
from typing import Any

from healthcare_data import characteristics as tokens
from healthcare_data.builders import PatientBuilder
from healthcare_data.columns import CLAIM_STATUSES
from healthcare_data.factories import (
    PROVIDER_TRAITS,
    AppointmentFactory,
    ClaimFactory,
    MedicalRecordFactory,
    ProviderFactory,
)
from healthcare_data.generation import DatasetSpec
from healthcare_data.personas import PERSONAS
from healthcare_data.reference import APPOINTMENT_TYPES, PRACTICE_TYPES, SPECIALTIES
from healthcare_data.registry import Registry
from healthcare_data.scheduling import CONSTRAINTS
from healthcare_data.validation import VALIDATORS


def choices(kind: str, names: Iterable[str]) -> Registry[str]:
    """A registry over plain names (a tuple of the library), for uniform lookups."""
    registry: Registry[str] = Registry(kind)
    for name in names:
        registry.register(name, name)
    return registry


def personas() -> Registry[Any]:
    return PERSONAS


class _Tokens:
    """The characteristic registry plus its token patterns (``age_<min>_<max>``)."""

    kind = "characteristic"

    def get(self, name: str) -> Any:
        return tokens.get_characteristic(name)

    def names(self) -> list[str]:
        return [*tokens.CHARACTERISTICS.names(), *tokens.TOKEN_PATTERNS]

    def items(self) -> list[tuple[str, Any]]:
        return tokens.CHARACTERISTICS.items()


def characteristics() -> _Tokens:
    """Characteristic tokens: registered checks and the age patterns get_characteristic resolves."""
    return _Tokens()


def specialties() -> Registry[Any]:
    return SPECIALTIES


def appointment_types() -> Registry[Any]:
    return APPOINTMENT_TYPES


@cache
def practice_types() -> Registry[str]:
    return choices("practice type", PRACTICE_TYPES)


def traits() -> Registry[Any]:
    return PROVIDER_TRAITS


def constraints() -> Registry[Any]:
    return CONSTRAINTS


def validators() -> Registry[Any]:
    return VALIDATORS


@cache
def claim_statuses() -> Registry[str]:
    return choices("claim status", CLAIM_STATUSES)


def factories() -> dict[str, Any]:
    """The library's builders and factories the steps call, by name."""
    return {
        "PatientBuilder": PatientBuilder,
        "ProviderFactory": ProviderFactory,
        "AppointmentFactory": AppointmentFactory,
        "MedicalRecordFactory": MedicalRecordFactory,
        "ClaimFactory": ClaimFactory,
    }


@cache
def bulk_entities() -> Registry[str]:
    """Entity types of the bulk table: the DatasetSpec counts (patients, providers, ...)."""
    return choices("bulk entity type", DatasetSpec().counts)
