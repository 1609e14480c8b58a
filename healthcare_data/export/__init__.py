"""Exports to every format consumers load, and ``load_dataset`` to read ours back.

``healthcare_data.seeding.export(path, format, url=... | profile=...)`` is the one call
the CLI makes; underneath, :func:`export_dataset` streams a database
(:func:`database_batches`) or a generation run through :func:`write_batches` (json, yaml,
csv, ndjson, parquet, sql, django, rails, prisma) or, for FHIR, :func:`export_fhir`
(``fhir`` Bulk NDJSON, ``fhir-bundle`` transaction Bundles). ``write_tables`` writes an
in-memory name -> rows mapping the same way; ``load_dataset`` reads json/yaml/csv/ndjson
back with dates, datetimes and Decimals restored. See docs/exports.md.
"""

from healthcare_data.export.database import read_database, select_fields, table_names
from healthcare_data.export.loader import Dataset, load_dataset
from healthcare_data.export.run import export_dataset, export_fhir
from healthcare_data.export.stream import database_batches
from healthcare_data.export.writers import FORMATS, ExportResult, write_batches, write_tables

__all__ = [
    "FORMATS",
    "Dataset",
    "ExportResult",
    "database_batches",
    "export_dataset",
    "export_fhir",
    "load_dataset",
    "read_database",
    "select_fields",
    "table_names",
    "write_batches",
    "write_tables",
]
