"""Realistic, safe, reproducible healthcare test data.

The public API is re-exported here; nothing else is promised. Exports load on first
use (PEP 562 module ``__getattr__``): ``import healthcare_data`` and
``healthcare-data --help`` do not pay for SQLAlchemy's ORM, Faker or the validators
until a name that needs them is touched (``tests/test_startup.py``).
"""

from __future__ import annotations

import logging
from importlib import import_module
from importlib.metadata import version
from typing import TYPE_CHECKING, Any

__version__ = version("healthcare-data")

# A library logs, the application decides where to: silent unless logging is configured.
logging.getLogger(__name__).addHandler(logging.NullHandler())

#: public name -> the module that defines it (imported when the name is first used)
_EXPORTS: dict[str, str] = {
    "personas": "healthcare_data.personas",
    "PatientBuilder": "healthcare_data.builders",
    "CHARACTERISTICS": "healthcare_data.characteristics",
    "check_characteristics": "healthcare_data.characteristics",
    "Database": "healthcare_data.db",
    "open_database": "healthcare_data.db",
    **{
        name: "healthcare_data.errors"
        for name in (
            "BusinessRuleViolation",
            "ConfigurationError",
            "DataValidationError",
            "FormatValidationError",
            "HealthcareDataError",
            "PersistenceError",
            "PersonaValidationError",
            "SchedulingConflictError",
            "UniquenessViolation",
            "UnknownNameError",
        )
    },
    **{
        name: "healthcare_data.factories"
        for name in (
            "AppointmentFactory",
            "ClaimFactory",
            "MedicalRecordFactory",
            "ProviderFactory",
            "schedule_appointment",
        )
    },
    **{
        name: "healthcare_data.personas"
        for name in ("PERSONAS", "PatientPersona", "get_persona", "random_persona")
    },
    "Randomness": "healthcare_data.randomness",
    "seed": "healthcare_data.randomness",
    "CONSTRAINTS": "healthcare_data.scheduling",
    "Scheduler": "healthcare_data.scheduling",
    "VALIDATORS": "healthcare_data.validation",
    "run_all": "healthcare_data.validation",
    "run_validation": "healthcare_data.validation",
    "ValidationReport": "healthcare_data.violations",
    "Violation": "healthcare_data.violations",
}

#: the same names as _EXPORTS, spelled out for linters and type checkers
__all__ = [
    "CHARACTERISTICS",
    "CONSTRAINTS",
    "PERSONAS",
    "VALIDATORS",
    "AppointmentFactory",
    "ClaimFactory",
    "MedicalRecordFactory",
    "PatientBuilder",
    "ProviderFactory",
    "Scheduler",
    "check_characteristics",
    "run_all",
    "run_validation",
    "schedule_appointment",
    "BusinessRuleViolation",
    "ConfigurationError",
    "DataValidationError",
    "Database",
    "FormatValidationError",
    "HealthcareDataError",
    "PatientPersona",
    "PersistenceError",
    "PersonaValidationError",
    "Randomness",
    "SchedulingConflictError",
    "UniquenessViolation",
    "UnknownNameError",
    "ValidationReport",
    "Violation",
    "get_persona",
    "open_database",
    "personas",
    "random_persona",
    "seed",
]


def __getattr__(name: str) -> Any:
    module_name = _EXPORTS.get(name)
    if module_name is None:
        raise AttributeError(f"module 'healthcare_data' has no attribute {name!r}")
    module = import_module(module_name)
    value = module if module_name == f"{__name__}.{name}" else getattr(module, name)
    globals()[name] = value  # later lookups skip __getattr__
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))


if TYPE_CHECKING:  # pragma: no cover - what type checkers and IDEs see
    from healthcare_data import personas
    from healthcare_data.builders import PatientBuilder
    from healthcare_data.characteristics import CHARACTERISTICS, check_characteristics
    from healthcare_data.db import Database, open_database
    from healthcare_data.errors import (
        BusinessRuleViolation,
        ConfigurationError,
        DataValidationError,
        FormatValidationError,
        HealthcareDataError,
        PersistenceError,
        PersonaValidationError,
        SchedulingConflictError,
        UniquenessViolation,
        UnknownNameError,
    )
    from healthcare_data.factories import (
        AppointmentFactory,
        ClaimFactory,
        MedicalRecordFactory,
        ProviderFactory,
        schedule_appointment,
    )
    from healthcare_data.personas import PERSONAS, PatientPersona, get_persona, random_persona
    from healthcare_data.randomness import Randomness, seed
    from healthcare_data.scheduling import CONSTRAINTS, Scheduler
    from healthcare_data.validation import VALIDATORS, run_all, run_validation
    from healthcare_data.violations import ValidationReport, Violation
