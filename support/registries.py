"""Where the suite finds the library's registries: one accessor per vocabulary.

Converters, steps and the README generator all go through these functions, so a
persona, trait, token or constraint added to the library is usable in a feature file
at once. Imports are lazy so a converter only needs the modules it uses.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache
from importlib import import_module
from typing import Any

from healthcare_data.registry import Registry


def choices(kind: str, names: Iterable[str]) -> Registry[str]:
    """A registry over plain names (a tuple of the library), for uniform lookups."""
    registry: Registry[str] = Registry(kind)
    for name in names:
        registry.register(name, name)
    return registry


def _attr(module: str, name: str) -> Any:
    try:
        return getattr(import_module(module), name)
    except (ImportError, AttributeError) as exc:
        raise AssertionError(
            f"The library does not provide {module}.{name} yet ({exc}); the suite needs it"
        ) from None


def personas() -> Registry[Any]:
    return _attr("healthcare_data.personas", "PERSONAS")


class _Tokens:
    """The characteristic registry plus its token patterns (``age_<min>_<max>``)."""

    kind = "characteristic"

    def __init__(self, module: Any) -> None:
        self.module = module

    def get(self, name: str) -> Any:
        return self.module.get_characteristic(name)

    def names(self) -> list[str]:
        return [*self.module.CHARACTERISTICS.names(), *self.module.TOKEN_PATTERNS]

    def items(self) -> list[tuple[str, Any]]:
        return self.module.CHARACTERISTICS.items()


def characteristics() -> _Tokens:
    """Characteristic tokens: registered checks and the age patterns get_characteristic resolves."""
    _attr("healthcare_data.characteristics", "get_characteristic")
    return _Tokens(import_module("healthcare_data.characteristics"))


def specialties() -> Registry[Any]:
    return _attr("healthcare_data.reference", "SPECIALTIES")


def appointment_types() -> Registry[Any]:
    return _attr("healthcare_data.reference", "APPOINTMENT_TYPES")


@cache
def practice_types() -> Registry[str]:
    return choices("practice type", _attr("healthcare_data.reference", "PRACTICE_TYPES"))


def traits() -> Registry[Any]:
    return _attr("healthcare_data.factories", "PROVIDER_TRAITS")


def constraints() -> Registry[Any]:
    return _attr("healthcare_data.scheduling", "CONSTRAINTS")


def validators() -> Registry[Any]:
    return _attr("healthcare_data.validation", "VALIDATORS")


@cache
def claim_statuses() -> Registry[str]:
    return choices("claim status", _attr("healthcare_data.rows.claims", "CLAIM_STATUSES"))


def factories() -> dict[str, Any]:
    """The library's builders and factories the steps call, by name."""
    return {
        "PatientBuilder": _attr("healthcare_data.builders", "PatientBuilder"),
        "ProviderFactory": _attr("healthcare_data.factories", "ProviderFactory"),
        "AppointmentFactory": _attr("healthcare_data.factories", "AppointmentFactory"),
        "MedicalRecordFactory": _attr("healthcare_data.factories", "MedicalRecordFactory"),
        "ClaimFactory": _attr("healthcare_data.factories", "ClaimFactory"),
    }


@cache
def bulk_entities() -> Registry[str]:
    """Entity types of the bulk table: the DatasetSpec counts (patients, providers, ...)."""
    spec = _attr("healthcare_data.generation", "DatasetSpec")
    return choices("bulk entity type", spec().counts)
