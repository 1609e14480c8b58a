"""Exports (JSON, YAML, CSV, NDJSON) and ``load_dataset`` to read them back.

``write_tables`` writes name -> rows; ``read_database`` reads a database's tables;
``load_dataset`` reads any export back with dates, datetimes and Decimals restored, so
a round trip is lossless. The seeding module's ``export()`` combines them with a
generation run for the CLI.
"""

from healthcare_data.export.database import read_database, select_fields, table_names
from healthcare_data.export.loader import Dataset, load_dataset
from healthcare_data.export.writers import FORMATS, ExportResult, write_tables

__all__ = [
    "FORMATS",
    "Dataset",
    "ExportResult",
    "load_dataset",
    "read_database",
    "select_fields",
    "table_names",
    "write_tables",
]
