"""Factories with traits (providers, appointments, records, claims)."""
