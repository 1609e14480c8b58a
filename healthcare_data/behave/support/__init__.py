"""Glue between behave and the ``healthcare_data`` library.

Only what is about behave lives here: table converters, the builder-docstring
parser, performance probes, report tables, the error-scenario registry and the
vocabulary listing. Business rules, generation and validation live in the library.
"""
