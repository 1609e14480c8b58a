"""Realistic, safe, reproducible healthcare test data.

The public API is re-exported here; nothing else is promised.
"""

import logging
from importlib.metadata import version

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

__version__ = version("healthcare-data")

# A library logs, the application decides where to: silent unless logging is configured.
logging.getLogger(__name__).addHandler(logging.NullHandler())

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
