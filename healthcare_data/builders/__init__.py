"""Fluent builders (PatientBuilder)."""

from healthcare_data.builders.patient import PatientBuilder

__all__ = ["PatientBuilder"]
