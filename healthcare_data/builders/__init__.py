"""Fluent builders (PatientBuilder)."""
