"""Realistic, safe, reproducible healthcare test data.

The public API is re-exported here; nothing else is promised.
"""

from healthcare_data import personas
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
from healthcare_data.personas import PERSONAS, PatientPersona, get_persona, random_persona
from healthcare_data.randomness import Randomness, seed
from healthcare_data.validation.report import ValidationReport, Violation

__version__ = "0.1.0"

__all__ = [
    "PERSONAS",
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
