"""A tiny Django app whose models mirror the healthcare tables, to load the Django fixture export."""
